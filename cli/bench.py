"""``o2c bench ...``: run the production pipeline on a benchmark scenario folder.

``o2c bench cash-app SCENARIO --out decisions.jsonl --documents documents.jsonl`` runs
the same code as the cash-application flow (ledger files, statement folder, a folder
mail source) into a scratch store, with posting left out (a dry run), then writes the
files of the benchmark's FORMAT.md, section 3.  It reads only ``ledger/``, ``bank/``,
``mail/`` and ``scenario.json``, never ``truth/``.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    help="Run the pipeline on benchmark scenario folders (dry run, no ERP).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.command("cash-app")
def cash_app(
    scenario: Annotated[Path, typer.Argument(help="Scenario folder (ledger/, bank/, mail/).",
                                             exists=True, file_okay=False)],
    out: Annotated[Path, typer.Option("--out", help="Where to write decisions.jsonl.")],
    documents: Annotated[Path | None, typer.Option(
        "--documents", help="Also write documents.jsonl (what each mail was read as).")] = None,
    store: Annotated[str | None, typer.Option(
        "--store", help="Database URL to keep the run in; default: a scratch SQLite file.",
        show_default=False)] = None,
) -> None:
    """Decide every payment of SCENARIO and write the benchmark files."""
    from flows.cash_application import run_cash_application
    from flows.format_files import write_decisions_file, write_documents_file
    from shared.mail.sources import FolderMailSource
    from shared.store import make_engine, migrate

    for needed in ("ledger", "bank", "mail"):
        if not (scenario / needed).is_dir():
            raise typer.BadParameter(f"{scenario} has no {needed}/ folder", param_hint="SCENARIO")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="o2c-bench-") as scratch:
        url = store or f"sqlite:///{scratch}/bench.sqlite3"
        migrate.upgrade(url)
        engine = make_engine(url)
        try:
            summary = run_cash_application(
                engine, ledger_dir=scenario / "ledger", statements_dir=scenario / "bank",
                mail_source=FolderMailSource(scenario / "mail"), post=None)
            written = write_decisions_file(engine, out)
            if documents is not None:
                write_documents_file(engine, scenario / "mail", documents)
        finally:
            engine.dispose()
    read = summary.read
    kinds = ", ".join(f"{n} {k}" for k, n in sorted(read.by_kind.items()))
    typer.echo(
        f"{written} payments decided ({summary.decided.auto} auto, {summary.decided.review} "
        f"review); {read.mails_read} mails read ({kinds}); {read.review_items} reader review "
        f"items; {time.perf_counter() - started:.1f} s",
        err=True)
