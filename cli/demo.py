"""``o2c demo``: the main job on the embedded defaults."""

from __future__ import annotations


def run_demo() -> None:
    """Start the sandbox ERP and the mail rig, load demo data and run cash application."""
    raise NotImplementedError
