"""equiqnn.train (see ARCHITECTURE.md)."""

__all__: list[str] = []
