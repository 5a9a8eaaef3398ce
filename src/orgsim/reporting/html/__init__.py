"""The self-contained HTML report of an experiment (``orgsim report``, ``--report``)."""
