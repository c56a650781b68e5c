"""equiqnn.symmetry (see ARCHITECTURE.md)."""

__all__: list[str] = []
