"""pytest fixtures: postgres (to be filled)."""
