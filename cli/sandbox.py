"""``o2c sandbox ...``: start, seed and export the sandbox ERP (fixtures/sandbox_erp)."""

from __future__ import annotations

import typer

app = typer.Typer(help="The sandbox ERP: a stand-in ERP web app for tests and the demo.", no_args_is_help=True)
