"""equiqnn.circuits (see ARCHITECTURE.md)."""

__all__: list[str] = []
