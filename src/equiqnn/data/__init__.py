"""equiqnn.data (see ARCHITECTURE.md)."""

__all__: list[str] = []
