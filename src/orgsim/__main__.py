"""``python -m orgsim``: the same as the ``orgsim`` console script."""

from orgsim.cli import main

raise SystemExit(main())
