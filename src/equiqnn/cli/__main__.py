"""``python -m equiqnn.cli`` runs the ``equiqnn`` command."""

from equiqnn.cli.main import main

if __name__ == "__main__":
    raise SystemExit(main())
