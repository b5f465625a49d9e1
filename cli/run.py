"""``o2c run ...``: run a flow once, here and now, without a Prefect server.

Prefect runs the flow in this process and keeps its run history in a local database
under ``PREFECT_HOME`` (default ``var/prefect``), so nothing needs to be started first.
With ``PREFECT_API_URL`` set, the run is recorded on that server instead (and shows in
its UI) — the same flows a deployment runs on a schedule (prefect.yaml).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Run a flow once, locally (no server needed).", no_args_is_help=True,
                  add_completion=False, pretty_exceptions_enable=False)


def _prefect_home() -> None:
    home = Path(os.environ.setdefault("PREFECT_HOME", str(Path("var/prefect").resolve())))
    home.mkdir(parents=True, exist_ok=True)  # Prefect creates only the last level
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # tesseract: one thread per page


@app.command("cash-application")
def cash_application(
    ledger: Annotated[Path | None, typer.Option(
        "--ledger", help="Folder with customers.csv and open_items.csv "
        "(default: settings inputs.ledger_folder).")] = None,
    statements: Annotated[Path | None, typer.Option(
        "--statements", help="Bank statement folder (default: inputs.statements_folder).")] = None,
    post: Annotated[bool, typer.Option(help="Post automatic decisions to the ERP.")] = True,
    seats: Annotated[int | None, typer.Option(help="Parallel ERP sessions.")] = None,
) -> None:
    """Statements and mail in, decisions, ERP postings, review items, summary."""
    _prefect_home()
    from flows.cash_application import cash_application as flow

    result = flow(ledger_dir=str(ledger) if ledger else None,
                  statements_dir=str(statements) if statements else None, post=post,
                  seats=seats)
    typer.echo(json.dumps(result, indent=2))


@app.command("review-follow-up")
def review_follow_up(seats: Annotated[int | None, typer.Option(
        help="Parallel ERP sessions.")] = None) -> None:
    """Post what the exception handlers resolved."""
    _prefect_home()
    from flows.review_follow_up import review_follow_up as flow

    typer.echo(json.dumps(flow(seats=seats), indent=2))


@app.command("cash-report")
def cash_report() -> None:
    """Auto-match rate, applied and unapplied cash, review backlog."""
    _prefect_home()
    from flows.cash_report import daily_cash_report as flow

    typer.echo(json.dumps(flow(), indent=2, default=str))
