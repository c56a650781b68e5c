"""equiqnn.sim (see ARCHITECTURE.md)."""

__all__: list[str] = []
