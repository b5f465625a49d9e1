"""pytest fixtures: sandbox_erp (to be filled)."""
