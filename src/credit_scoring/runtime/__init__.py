"""Everything needed to score a loaded bundle (see the layout in docs)."""
