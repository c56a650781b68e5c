"""equiqnn.cli (see ARCHITECTURE.md)."""

__all__: list[str] = []
