"""What each run publishes for the people watching it (Prefect artifacts).

The builders are plain functions (tested without Prefect); :func:`publish` hands their
output to Prefect inside a flow run.  Artifact keys are stable per flow, so the Prefect
UI shows each key's history run after run.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine

from shared.store.reporting import CashReport, PaymentOutcome

__all__ = [
    "cash_report_markdown",
    "money",
    "outcome_rows",
    "publish",
    "publish_run",
    "run_markdown",
]


def money(amounts: Mapping[str, Decimal]) -> str:
    """``USD 12,345.67; EUR 980.00`` (``0.00`` when empty)."""
    if not amounts:
        return "0.00"
    return "; ".join(f"{currency} {amount:,.2f}" for currency, amount in sorted(amounts.items()))


def outcome_rows(outcomes: Iterable[PaymentOutcome]) -> list[dict[str, str]]:
    """One table row per payment: what was posted, sent to review or failed."""
    return [{"payment": o.payment_id, "amount": f"{o.currency} {o.amount:,.2f}",
             "customer": o.customer_id or "", "outcome": o.outcome, "detail": o.detail}
            for o in outcomes]


def run_markdown(title: str, counts: Mapping[str, int], outcomes: Sequence[PaymentOutcome],
                 report: CashReport) -> str:
    """The run's summary: what this run did, then the position an AR lead reads."""
    by_outcome: dict[str, int] = {}
    for o in outcomes:
        by_outcome[o.outcome] = by_outcome.get(o.outcome, 0) + 1
    lines = [f"# {title}", "", "## This run", "", "| | |", "|---|---|"]
    lines += [f"| {name} | {value} |" for name, value in counts.items()]
    lines += [f"| payments {name} | {n} |" for name, n in sorted(by_outcome.items())]
    return "\n".join([*lines, "", cash_report_markdown(report, heading="## Position")])


def cash_report_markdown(report: CashReport, heading: str = "# Daily cash report") -> str:
    rate = report.auto_match_rate
    lines = [
        heading, "", f"As of {report.at:%Y-%m-%d %H:%M} UTC.", "",
        "| figure | value |", "|---|---|",
        f"| payments received | {report.payments} ({money(report.received)}) |",
        f"| auto-match rate | {'-' if rate is None else f'{rate:.1%}'} "
        f"({report.auto_by_bot} of {report.decided} decided) |",
        f"| posted in the ERP | {report.posted} |",
        f"| amounts applied | {money(report.applied)} |",
        f"| unapplied cash | {money(report.unapplied)} "
        f"({report.in_review} in review, {report.undecided} not yet decided, plus on account) |",
        f"| review backlog | {report.backlog} open, {report.sla_breaches} past SLA"
        f"{'' if report.oldest_open is None else ', oldest ' + _age(report.oldest_open)} |",
    ]
    if report.backlog_by_kind:
        lines += ["", "| review items by kind | open |", "|---|---|"]
        lines += [f"| {kind} | {n} |" for kind, n in report.backlog_by_kind.items()]
        lines += ["", "| review items by age | open |", "|---|---|"]
        lines += [f"| {age} | {n} |" for age, n in report.backlog_by_age.items()]
    return "\n".join(lines)


def _age(age: timedelta) -> str:
    hours = age.total_seconds() / 3600
    return f"{hours:.0f} h" if hours < 48 else f"{hours / 24:.1f} days"


def publish(key: str, *, markdown: str, table: list[dict[str, Any]] | None = None,
            description: str = "") -> None:
    """Publish a markdown summary (and a table, key ``KEY-table``) to the current run."""
    from prefect.artifacts import create_markdown_artifact, create_table_artifact

    create_markdown_artifact(markdown=markdown, key=key, description=description)
    if table is not None:
        create_table_artifact(table=table or [{"payment": "", "outcome": "nothing to report"}],
                              key=f"{key}-table", description=description)


def publish_run(engine: Engine, *, key: str, title: str, counts: Mapping[str, int],
                since: datetime, description: str) -> None:
    """Publish what a run that began at ``since`` did to each payment, and the position."""
    from shared.store import read_transaction
    from shared.store.reporting import cash_report, run_outcomes

    with read_transaction(engine) as session:
        outcomes = run_outcomes(session, since=since)
        report = cash_report(session)
    publish(key, markdown=run_markdown(title, counts, outcomes, report),
            table=outcome_rows(outcomes), description=description)
