"""The ``equiqnn`` command line: ``equiqnn run SPEC --out DIR [key=value ...]``."""

from equiqnn.cli.main import main

__all__ = ["main"]
