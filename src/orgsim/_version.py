"""The package version.

A module of its own, so every layer reads it without importing the package root
(which imports every layer).
"""

__version__ = "0.3.0"
