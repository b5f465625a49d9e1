"""``o2c mail ...``: the AR mailbox into the store, run as a process.

``o2c mail ingest`` reads every message waiting in the mailbox the settings name into
the store, using the customers and open items already in the store, and exits (``--once``, the
default).  ``--watch`` keeps going: after each pass it waits for new mail (IMAP IDLE,
or polling where the server has none) and reads again, until SIGTERM or SIGINT, which
end it after the message in hand with exit status 0 (a second signal aborts at once).

Settings come from the environment or ``.env``: ``O2C_IMAP__ADAPTER=imap`` (``folder``
reads the ``.eml`` files of ``O2C_IMAP__DROP_FOLDER``), ``O2C_IMAP__HOST``,
``O2C_IMAP__PORT``, ``O2C_IMAP__USE_SSL``, ``O2C_IMAP__USERNAME``,
``O2C_IMAP__PASSWORD``, ``O2C_IMAP__INBOX``, ``O2C_IMAP__PROCESSED_FOLDER``,
``O2C_IMAP__FAILED_FOLDER`` and ``O2C_STORE__URL``.  The store must be migrated
(``o2c db upgrade``).

Killing the process at any moment loses and repeats nothing: each message is recorded
in the store before it is read, its results commit together with its final status, and
only then is it moved (``bots.remittance_reader.run``).  Running ``ingest`` again resumes.

Exit status: 0 done or stopped by a signal; 1 the mailbox or the store failed (the IMAP
adapter reconnects first) — run again to resume; 2 unusable settings or an unmigrated
store; 130 aborted by a second signal.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli.stoppable import command_settings, run_until_stopped

if TYPE_CHECKING:
    from bots.remittance_reader import ReadSummary
    from bots.remittance_reader.mail.remittance import MailReading
    from shared.mail.sources import MailSource, RawMessage
    from shared.settings import Settings

app = typer.Typer(
    help="The AR mailbox: read remittance mail into the store, or check single .eml files.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

log = logging.getLogger("cli.mail")


@app.callback()
def _group() -> None:
    """Keeps ``ingest`` a subcommand (Typer collapses a one-command app otherwise)."""


@app.command()
def ingest(
    watch: Annotated[
        bool,
        typer.Option(
            "--watch/--once",
            help="--watch: keep reading new mail (IMAP IDLE) until SIGTERM/SIGINT. "
            "--once: read what is waiting and exit.",
        ),
    ] = False,
    wait_seconds: Annotated[
        float,
        typer.Option(
            min=1.0,
            help="--watch: longest wait for new mail before sweeping the mailbox anyway.",
        ),
    ] = 300.0,
    poll_seconds: Annotated[
        float,
        typer.Option(
            min=0.1, help="Polling interval for servers without IDLE and for the folder adapter."
        ),
    ] = 5.0,
    reconnect_attempts: Annotated[
        int,
        typer.Option(
            min=1, help="Tries of one IMAP step (reconnecting in between) before failing."
        ),
    ] = 6,
) -> None:
    """Read the mailbox into the store: remittances, review items, each mail exactly once."""
    settings = command_settings("o2c mail ingest")
    summary, stopped = run_until_stopped(
        "o2c mail ingest",
        lambda stop: _ingest(settings, stop, watch, wait_seconds, poll_seconds,
                             reconnect_attempts),
        in_hand="message in hand")
    kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(summary.by_kind.items())) or "none"
    typer.echo(
        f"mails read: {summary.mails_read} ({kinds}); remittances: {summary.remittances}; "
        f"review items: {summary.review_items}" + (" (stopped)" if stopped else "")
    )


def _ingest(
    settings: Settings,
    stop: threading.Event,
    watch: bool,
    wait_seconds: float,
    poll_seconds: float,
    reconnect_attempts: int,
) -> ReadSummary:
    from bots.remittance_reader import ReadSummary, read_mailbox
    from shared.mail.sources import (
        ImapMailSource,
        NewMailWaiter,
        Reconnect,
        mail_source_from_settings,
    )
    from shared.store import engine_from_settings

    _require_schema(settings.store.connection_url())
    engine = engine_from_settings(settings.store)
    options: dict[str, object] = {}
    if settings.imap.adapter == "imap":
        options = {
            "reconnect": Reconnect(attempts=reconnect_attempts),
            "poll_interval": poll_seconds,
        }
    source = mail_source_from_settings(settings.imap, **options)
    summary = ReadSummary()
    try:
        while not stop.is_set():
            before = summary.mails_read
            # No context given: read_mailbox loads customers and open items from the store
            # on each pass, so a ledger loaded meanwhile is used.
            read_mailbox(engine, _UntilStopped(source, stop), summary=summary)
            log.info("pass done: %d mails read", summary.mails_read - before)
            if not watch or stop.is_set():
                break
            log.info("waiting for new mail (up to %.0f s)", wait_seconds)
            if isinstance(source, NewMailWaiter):
                source.wait_for_new(wait_seconds, stop=stop)
            else:
                stop.wait(poll_seconds)
    finally:
        if isinstance(source, ImapMailSource):
            if source.reconnects:
                log.info("imap reconnected %d times", source.reconnects)
            source.close()
        engine.dispose()
    return summary


def _require_schema(url: str) -> None:
    from shared.errors import ConfigurationError
    from shared.store import migrate

    logging.getLogger("alembic").setLevel(logging.WARNING)  # its set-up chatter at INFO
    revision, newest = migrate.current(url), migrate.head()
    if revision != newest:
        raise ConfigurationError(
            f"the store is at revision {revision or 'empty'}, not {newest}: run o2c db upgrade"
        )


class _UntilStopped:
    """A mail source that hands out no further message once ``stop`` is set.

    ``read_mailbox`` asks for the next message only after it has filed the last one, so
    stopping here ends the run between messages.
    """

    def __init__(self, inner: MailSource, stop: threading.Event) -> None:
        self._inner, self._stop = inner, stop

    def fetch_new(self) -> Iterator[RawMessage]:
        messages = self._inner.fetch_new()
        try:
            while not self._stop.is_set():
                message = next(messages, None)
                if message is None:
                    return
                yield message
        finally:
            close = getattr(messages, "close", None)
            if close is not None:
                close()

    def mark_processed(self, message: RawMessage, *, failed: bool = False) -> None:
        self._inner.mark_processed(message, failed=failed)


if __name__ == "__main__":
    app()


@app.command()
def read(
    files: Annotated[list[Path], typer.Argument(help=".eml files to read.", exists=True,
                                                dir_okay=False)],
    ledger: Annotated[Path | None, typer.Option(
        "--ledger", help="Folder with customers.csv and open_items.csv, to resolve references "
        "to our document numbers and find the customer.", file_okay=False)] = None,
) -> None:
    """Print what the reader makes of each mail: one JSON line per file.

    The same code as the bot, without the store: kind (remittance, dispute,
    promise_to_pay, other), channel, payer, total, the lines with our document numbers
    (with --ledger), or the reason the mail needs a person.
    """
    from bots.remittance_reader.context import ReadingContext
    from bots.remittance_reader.mail.remittance import read_mail
    from shared.ledger_files import read_customers, read_open_items

    context = ReadingContext.empty()
    if ledger is not None:
        context = ReadingContext.build(read_customers(ledger / "customers.csv"),
                                       read_open_items(ledger / "open_items.csv"))
    for path in files:
        try:
            reading = read_mail(path.read_bytes(), context, source=path.name)
        except OSError as exc:
            typer.echo(f"error: {path}: {exc}", err=True)
            continue
        typer.echo(json.dumps(reading_as_json(path.name, reading), ensure_ascii=False))


def reading_as_json(name: str, reading: MailReading) -> dict[str, Any]:
    """One mail's reading as the ``o2c mail read`` JSON object."""
    remittance = reading.remittance
    out: dict[str, Any] = {
        "file": name, "kind": reading.kind, "message_id": reading.message_id,
        "sender": reading.sender, "subject": reading.subject,
    }
    if remittance is not None:
        out.update({
            "channel": remittance.channel, "customer_id": remittance.customer_id,
            "payer": remittance.payer_name, "payment_ref": remittance.payment_ref,
            "payment_date": remittance.payment_date.isoformat()
            if remittance.payment_date else None,
            "total": None if remittance.total_paid is None else f"{remittance.total_paid:.2f}",
            "lines": [
                {"ref_as_printed": x.ref_as_printed, "doc_no": x.doc_no,
                 "gross": None if x.gross is None else f"{x.gross:.2f}",
                 "deduction": f"{x.deduction:.2f}", "discount": f"{x.discount:.2f}",
                 "paid": f"{x.paid:.2f}",
                 "reason_code": None if x.reason_code is None else x.reason_code.value}
                for x in remittance.lines],
        })
    if reading.referenced_docs:
        out["documents"] = reading.referenced_docs
    if reading.promised_date is not None:
        out["promised_date"] = reading.promised_date.isoformat()
    out["review_reason"] = reading.review_reason
    if reading.problems:
        out["problems"] = reading.problems
    return out
