"""What every long-running command does alike: settings, logging, stopping on a signal.

A command that works through a queue (``o2c mail ingest``, ``o2c erp post``) stops after
the item in hand on the first SIGTERM or Ctrl-C and at once on the second, and maps
failures to exit codes: 2 for a configuration the command cannot work with, 1 for an
outside system that failed (run again to resume), 130 when aborted.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import TYPE_CHECKING, TypeVar

import typer

if TYPE_CHECKING:
    from shared.settings import Settings

__all__ = ["command_settings", "run_until_stopped"]

T = TypeVar("T")
log = logging.getLogger("cli")
_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def command_settings(command: str) -> Settings:
    """The settings, with logging configured from them (secrets redacted); exit 2 if bad."""
    from pydantic import ValidationError

    from shared.logging import configure_logging
    from shared.settings import load_settings

    try:
        settings = load_settings()
    except ValidationError as exc:
        typer.echo(f"{command}: settings unusable:\n{exc}", err=True)
        raise typer.Exit(2) from None
    configure_logging(
        settings.logging.level, settings.logging.json_format, secrets=settings.secrets().values()
    )
    return settings


def run_until_stopped(command: str, work: Callable[[threading.Event], T], *,
                      in_hand: str) -> tuple[T, bool]:
    """Run ``work(stop)``; returns its result and whether a signal asked it to stop."""
    from shared.errors import ApplicationError, ConfigurationError

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        if stop.is_set():
            raise KeyboardInterrupt  # a second signal: do not wait for the work in hand
        log.info("%s: stopping after the %s", signal.Signals(signum).name, in_hand)
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in _STOP_SIGNALS}
    try:
        return work(stop), stop.is_set()
    except ConfigurationError as exc:
        typer.echo(f"{command}: {exc}", err=True)
        raise typer.Exit(2) from None
    except ApplicationError as exc:
        typer.echo(f"{command}: {exc} (run again to resume)", err=True)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        typer.echo(f"{command}: aborted", err=True)
        raise typer.Exit(130) from None
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
