"""orgsim: when does a neutral VP of Product Management pay off, and by how much?

An event-sourced discrete-event simulation of a company whose departments compete
for budget and talent, with and without an honest broker. The public API is the
names in ``__all__``; everything else is internal.
"""

from __future__ import annotations

__version__ = "0.1.0"
