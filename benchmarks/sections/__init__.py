"""The benchmark sections, one module each, and the helpers they share (``common``).

Every section module has one entry point, ``run(cfg, res)``: it measures with the
settings in ``cfg`` (see ``FULL`` and ``QUICK`` in ``benchmarks/run.py``), prints its
table and stores its numbers under its own key of ``res``. ``benchmarks/run.py`` puts
this folder's parent first on ``sys.path`` (Python does so for any script), so these
modules import each other as ``sections.<name>`` without installing anything.
"""
