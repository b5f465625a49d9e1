"""How a flow runs one step: called directly, or as a Prefect task with its own retries.

The cash-application pipeline is written once (:mod:`flows.cash_application`) as a
sequence of steps, each a bot entry point or a shared service.  The benchmark and the
tests call the steps directly (:func:`call_step`); the Prefect flow runs each as a task
(:func:`prefect_steps`) with the retries and the timeout that step needs, so an operator
sees every step in the Prefect UI and a transient failure (the IMAP server restarting)
is retried without redoing the others.  Every step writes to the store before the next
one reads, so a retry or a rerun repeats nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

__all__ = ["STEP_OPTIONS", "StepOptions", "StepRunner", "call_step", "prefect_steps"]

T = TypeVar("T")


class StepRunner(Protocol):
    def __call__(self, name: str, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T: ...


@dataclass(frozen=True)
class StepOptions:
    retries: int = 0
    retry_delay_seconds: float = 10.0
    timeout_seconds: float | None = None


# Per step: transient outside failures (a mail server, the ERP) are retried; the
# matcher is deterministic, so a retry would only fail again.
STEP_OPTIONS: dict[str, StepOptions] = {
    "load-ledger": StepOptions(retries=2, retry_delay_seconds=30, timeout_seconds=600),
    "read-statements": StepOptions(retries=2, retry_delay_seconds=30, timeout_seconds=900),
    "read-mailbox": StepOptions(retries=3, retry_delay_seconds=60, timeout_seconds=3600),
    "decide": StepOptions(retries=0, timeout_seconds=1800),
    "request-remittances": StepOptions(retries=2, retry_delay_seconds=60, timeout_seconds=600),
    "post-to-erp": StepOptions(retries=2, retry_delay_seconds=120, timeout_seconds=3600),
    "summarise": StepOptions(retries=1, timeout_seconds=300),
}


def call_step(name: str, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Run the step in place (no orchestration)."""
    return fn(*args, **kwargs)


def prefect_steps(options: dict[str, StepOptions] | None = None) -> StepRunner:
    """A runner that makes each step a Prefect task run (called inside a flow)."""
    from prefect import task
    from prefect.cache_policies import NO_CACHE

    table = STEP_OPTIONS if options is None else options

    def run(name: str, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        step = table.get(name, StepOptions())
        wrapped = task(name=name, retries=step.retries,
                       retry_delay_seconds=step.retry_delay_seconds,
                       timeout_seconds=step.timeout_seconds,
                       # Steps take live objects (an engine, a mail source) and their
                       # results live in the store: nothing to cache or persist.
                       cache_policy=NO_CACHE, persist_result=False)(fn)
        result: T = wrapped(*args, **kwargs)
        return result

    return run
