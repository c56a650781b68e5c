"""equiqnn.noise (see ARCHITECTURE.md)."""

__all__: list[str] = []
