"""pytest fixtures: mail_rig (to be filled)."""
