"""equiqnn.experiments (see ARCHITECTURE.md)."""

__all__: list[str] = []
