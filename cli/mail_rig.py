"""``o2c mail-rig ...``: run the mail rig (fixtures/mail_rig) for a person or a script.

``o2c mail-rig serve --user ar:secret`` starts Dovecot (IMAP) and the SMTP receiver on
loopback, prints where to connect, and runs until Ctrl-C or SIGTERM, then stops both
cleanly.  ``--json`` prints the same details as one JSON line for scripts.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from fixtures.mail_rig import DEFAULT_DOMAIN, Mailbox, MailRig, MailRigError

app = typer.Typer(
    help="The mail rig: a local IMAP server (Dovecot) and an SMTP receiver delivering into it.",
    no_args_is_help=True,
)

_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@app.callback()
def _group() -> None:
    """Keeps ``serve`` a subcommand (Typer collapses a one-command app otherwise)."""


@app.command()
def serve(
    user: Annotated[
        list[str] | None,
        typer.Option(
            "--user",
            "-u",
            help="A user as NAME:PASSWORD (NAME alone: a password is generated); repeatable. "
            "NAME without @ gets @DOMAIN.",
        ),
    ] = None,
    imap_port: Annotated[int, typer.Option(help="IMAP port on 127.0.0.1; 0 picks a free one.")] = 0,
    smtp_port: Annotated[int, typer.Option(help="SMTP port on 127.0.0.1; 0 picks a free one.")] = 0,
    lmtp_port: Annotated[int, typer.Option(help="Dovecot's LMTP port; 0 picks a free one.")] = 0,
    domain: Annotated[str, typer.Option(help="Domain for user names given without @.")] = (
        DEFAULT_DOMAIN
    ),
    base_dir: Annotated[
        Path | None,
        typer.Option(help="Directory for config, log and Maildirs (kept); default: a temp dir."),
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print connection details as one JSON line.")
    ] = False,
) -> None:
    """Start the mail rig, create users, print connection details, run until stopped."""
    err = Console(stderr=True)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    # Handle SIGTERM/SIGHUP too: their default would end Python at once, and Dovecot, in
    # its own process group, would outlive it.
    previous = {sig: signal.signal(sig, on_signal) for sig in _STOP_SIGNALS}
    rig = MailRig(
        base_dir,
        domain=domain,
        imap_port=imap_port or None,
        smtp_port=smtp_port or None,
        lmtp_port=lmtp_port or None,
    )
    try:
        rig.start()
        boxes = [_add_user(rig, spec) for spec in user or []]
        if json_output:
            print(json.dumps(_details(rig, boxes)), flush=True)
        else:
            Console().print(_table(rig, boxes))
        err.print("Mail rig running; Ctrl-C (or SIGTERM) stops it.")
        while not stop.wait(0.5):
            if not rig.running:
                err.print(f"[red]Dovecot exited unexpectedly; see {rig.log_path}[/red]")
                raise typer.Exit(1)
    except MailRigError as exc:
        err.print(f"[red]mail rig: {exc}[/red]")
        raise typer.Exit(1) from exc
    finally:
        rig.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    err.print("Mail rig stopped.")


def _add_user(rig: MailRig, spec: str) -> Mailbox:
    name, sep, password = spec.partition(":")
    return rig.add_user(name, password if sep else None)


def _details(rig: MailRig, boxes: list[Mailbox]) -> dict[str, Any]:
    return {
        "imap_host": rig.imap_host,
        "imap_port": rig.imap_port,
        "smtp_host": rig.smtp_host,
        "smtp_port": rig.smtp_port,
        "lmtp_port": rig.lmtp_port,
        "base_dir": str(rig.base_dir),
        "log_path": str(rig.log_path),
        "users": [{"address": b.address, "password": b.password} for b in boxes],
    }


def _table(rig: MailRig, boxes: list[Mailbox]) -> Table:
    table = Table(title="Mail rig", show_header=False)
    table.add_row("IMAP", f"{rig.imap_host}:{rig.imap_port} (plain, no TLS)")
    table.add_row("SMTP", f"{rig.smtp_host}:{rig.smtp_port} (plain; AUTH PLAIN/LOGIN optional)")
    table.add_row("Files", str(rig.base_dir))
    table.add_row("Log", str(rig.log_path))
    for box in boxes:
        table.add_row("User", f"{box.address}  password: {box.password}")
    return table


if __name__ == "__main__":
    sys.exit(app())
