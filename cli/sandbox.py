"""``o2c sandbox ...``: start, seed and export the sandbox ERP (fixtures/sandbox_erp).

A thin face: the app, the seeding and the exports live in ``fixtures.sandbox_erp``.
Also runnable as ``python -m cli.sandbox`` (what the test fixtures do, so that starting
the sandbox does not import every other command group).
"""

from __future__ import annotations

import secrets
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    help="The sandbox ERP: a stand-in ERP web app for tests and the demo.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
export_app = typer.Typer(
    help="Export reports straight from a sandbox database file.", no_args_is_help=True
)
app.add_typer(export_app, name="export")

DEFAULT_DB = Path("var") / "sandbox_erp.sqlite3"

DbOption = Annotated[
    Path, typer.Option("--db", help="SQLite database file of the sandbox ERP.", dir_okay=False)
]
ScenarioOption = Annotated[
    Path | None,
    typer.Option(
        "--scenario",
        help="Scenario folder (with ledger/customers.csv and ledger/open_items.csv) to load.",
        exists=True,
        file_okay=False,
        dir_okay=True,
    ),
]


class ExportFormat(StrEnum):
    csv = "csv"
    xlsx = "xlsx"
    jsonl = "jsonl"


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on (loopback by default).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="TCP port to listen on.")] = 8765,
    db: DbOption = DEFAULT_DB,
    scenario: ScenarioOption = None,
    fresh: Annotated[
        bool, typer.Option(help="Wipe the database and load the default data before starting.")
    ] = False,
    latency_ms: Annotated[
        int, typer.Option(min=0, help="Fault: milliseconds added to every response.")
    ] = 0,
    error_rate: Annotated[
        float,
        typer.Option(min=0.0, max=1.0, help="Fault: share (0..1) of requests answered with 500."),
    ] = 0.0,
    session_lifetime: Annotated[
        float,
        typer.Option(min=0.001, help="Fault: idle seconds after which a login session expires."),
    ] = 8 * 3600.0,
    slow_grid_ms: Annotated[
        int, typer.Option(min=0, help="Fault: extra milliseconds to render the apply grid.")
    ] = 0,
    admin_token: Annotated[
        str | None,
        typer.Option(
            help="Token for the /_admin endpoints (faults, reset); a random one is printed "
            "when omitted."
        ),
    ] = None,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "warning",
) -> None:
    """Start the sandbox ERP web server (loads --scenario first when given)."""
    import uvicorn

    from fixtures.sandbox_erp import FaultSettings, create_app, reset_database
    from fixtures.sandbox_erp.db import Database, sqlite_url

    url = sqlite_url(db)
    if scenario is not None or fresh:
        database = Database(url)
        summary = reset_database(database, scenario)
        database.dispose()
        typer.echo(
            f"loaded {summary.source}: {summary.customers} customers, "
            f"{summary.open_items} open items"
        )
    faults = FaultSettings(
        latency_ms=latency_ms,
        error_rate=error_rate,
        session_lifetime_s=session_lifetime,
        slow_grid_ms=slow_grid_ms,
    )
    token = admin_token or secrets.token_urlsafe(16)
    web_app = create_app(url, faults, admin_token=token)
    typer.echo(f"sandbox ERP on http://{host}:{port}/ (database {db})")
    if admin_token is None:
        typer.echo(f"admin token: {token}")
    uvicorn.run(web_app, host=host, port=port, log_level=log_level, access_log=False)


@app.command()
def seed(db: DbOption = DEFAULT_DB, scenario: ScenarioOption = None) -> None:
    """Replace the data in the database with a scenario folder or the default data."""
    from fixtures.sandbox_erp import reset_database
    from fixtures.sandbox_erp.db import Database, sqlite_url

    database = Database(sqlite_url(db))
    summary = reset_database(database, scenario)
    database.dispose()
    typer.echo(
        f"loaded {summary.source} into {db}: {summary.customers} customers, "
        f"{summary.open_items} open items, {summary.sales_orders} sales orders"
    )


def _export(kind: str, db: Path, fmt: ExportFormat, out: Path | None) -> None:
    from fixtures.sandbox_erp.db import Database, sqlite_url
    from fixtures.sandbox_erp.exports import export

    if not db.is_file():
        typer.echo(f"no sandbox database at {db}", err=True)
        raise typer.Exit(2)
    database = Database(sqlite_url(db))
    try:
        with database.read() as session:
            content = export(session, kind, fmt.value)
    except ValueError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    finally:
        database.dispose()
    if out is None:
        sys.stdout.buffer.write(content)
        sys.stdout.flush()
    else:
        out.write_bytes(content)


FormatOption = Annotated[ExportFormat, typer.Option("--format", help="Output format.")]
OutOption = Annotated[
    Path | None, typer.Option("--out", help="File to write (standard output when omitted).")
]


@export_app.command("payments")
def export_payments(
    db: DbOption = DEFAULT_DB, fmt: FormatOption = ExportFormat.jsonl, out: OutOption = None
) -> None:
    """Posted customer payments: JSONL (one line per payment), CSV or XLSX (one row per line)."""
    _export("payments", db, fmt, out)


@export_app.command("open-items")
def export_open_items(
    db: DbOption = DEFAULT_DB, fmt: FormatOption = ExportFormat.csv, out: OutOption = None
) -> None:
    """Open items in the ledger/open_items.csv layout (CSV or XLSX)."""
    _export("open-items", db, fmt, out)


@export_app.command("customers")
def export_customers(
    db: DbOption = DEFAULT_DB, fmt: FormatOption = ExportFormat.csv, out: OutOption = None
) -> None:
    """Customer master data in the ledger/customers.csv layout (CSV or XLSX)."""
    _export("customers", db, fmt, out)


if __name__ == "__main__":
    app()
