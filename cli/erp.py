"""``o2c erp post DECISIONS.jsonl``: post the ``auto`` decisions of a file to the ERP.

The decisions go into the store's outbox (:func:`bots.erp_poster.enqueue_decisions`),
then the poster posts the outbox through the configured ERP's web pages
(:func:`bots.erp_poster.post_outbox`), the same code the flows and the review
follow-up run.  Running it again posts nothing new: decisions already queued are not
queued again, and every posting searches the ERP for its payment_id first.  A run
killed at any moment is resumed by running it again (a posting claimed by the dead run
comes back when its lease, ``erp.lease_seconds``, runs out).

The payments must be in the store (read by the pipeline) or in ``--statements DIR``
(the bank statement files; read with the reader bot's parsers): the decisions file
holds no amount, currency or value date.

Settings: ``O2C_ERP__BASE_URL``, ``O2C_ERP__USERNAME``, ``O2C_ERP__PASSWORD``,
``O2C_ERP__SEATS`` (parallel sessions), ``O2C_ERP__ADAPTER=file`` for a dry run into
``O2C_ERP__DRY_RUN_FILE``, ``O2C_STORE__URL``, ``O2C_DATA_DIR`` (screenshots and traces
of failed postings under ``erp.trace_dir``).  The store must be migrated
(``o2c db upgrade``).

Exit status: 0 every auto decision is posted; 1 some lines were refused, some postings
went to review or wait for a retry; 2 unusable settings, an unmigrated store or a
refused ERP login; 130 aborted by a second signal.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cli.stoppable import command_settings, run_until_stopped

if TYPE_CHECKING:
    from shared.settings import Settings

app = typer.Typer(
    help="The ERP: post decided payments through its web pages.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

log = logging.getLogger("cli.erp")


@app.callback()
def _group() -> None:
    """Keeps ``post`` a subcommand (Typer collapses a one-command app otherwise)."""


@app.command()
def post(
    decisions: Annotated[
        Path,
        typer.Argument(
            help="Decisions file (FORMAT.md 3.1, one JSON line per payment).",
            exists=True,
            dir_okay=False,
            show_default=False,
        ),
    ],
    statements: Annotated[
        Path | None,
        typer.Option(
            "--statements",
            help="Folder of bank statement files holding the payments (amount, currency, "
            "value date); not needed when the pipeline already stored them.",
            exists=True,
            file_okay=False,
        ),
    ] = None,
    seats: Annotated[
        int | None,
        typer.Option(min=1, help="Parallel ERP sessions (default: erp.seats)."),
    ] = None,
) -> None:
    """Post every auto decision of DECISIONS to the ERP, exactly once, and verify it."""
    settings = command_settings("o2c erp post")
    failed, _stopped = run_until_stopped(
        "o2c erp post", lambda stop: _post(settings, decisions, statements, seats, stop),
        in_hand="postings in hand")
    if failed:
        raise typer.Exit(1)


def _require_schema(url: str) -> None:
    from shared.errors import ConfigurationError
    from shared.store import migrate

    logging.getLogger("alembic").setLevel(logging.WARNING)  # its set-up chatter at INFO
    revision, newest = migrate.current(url), migrate.head()
    if revision != newest:
        raise ConfigurationError(
            f"the store is at revision {revision or 'empty'}, not {newest}: run o2c db upgrade"
        )


def _post(
    settings: Settings,
    decisions: Path,
    statements: Path | None,
    seats: int | None,
    stop: threading.Event,
) -> bool:
    from bots.erp_poster import enqueue_decisions, evidence_dir, post_outbox
    from shared.store import (
        PostingState,
        count_postings,
        engine_from_settings,
        read_transaction,
    )

    _require_schema(settings.store.connection_url())
    engine = engine_from_settings(settings.store)
    try:
        if statements is not None:
            from bots.remittance_reader import read_statements

            read = read_statements(engine, statements)
            typer.echo(f"statements: {read.payments_seen} payments ({read.payments_new} new)")
        intake = enqueue_decisions(engine, decisions, decided_by=f"file:{decisions.name}")
        for problem in intake.problems:
            typer.echo(f"refused: {problem}", err=True)
        typer.echo(
            f"decisions: {intake.lines} lines, {intake.auto} auto ({intake.queued} queued, "
            f"{intake.unchanged} already queued or posted), {intake.review} review, "
            f"{len(intake.problems)} refused"
        )
        report = post_outbox(
            engine, settings.erp, evidence=evidence_dir(settings), seats=seats, stop=stop
        )
        with read_transaction(engine) as session:
            outbox = count_postings(session)
    finally:
        engine.dispose()
    typer.echo(
        f"posted: {report.posted}; found already posted: {report.recovered}; "
        f"to review: {report.to_review}; retried later: {report.requeued}"
    )
    typer.echo("outbox: " + ", ".join(f"{state.value} {n}" for state, n in outbox.items()))
    waiting = outbox[PostingState.PENDING] + outbox[PostingState.POSTING]
    return bool(intake.problems or report.to_review or waiting)
