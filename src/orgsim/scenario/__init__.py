"""Scenarios: the frozen schema, distributions, and loading TOML into a validated Scenario.

``schema`` and ``distributions`` define the model's parameters; ``convert`` turns
them into plain data and back; ``problems`` words what is wrong with an input,
``paths`` addresses and overrides plain trees, ``files`` reads TOML and finds the
bundled files; ``loading`` is the one-pass validating reader over all of them.
"""
