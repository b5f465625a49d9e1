"""The daily cash report: auto-match rate, amounts applied, unapplied cash, review backlog.

Read-only; published as a markdown artifact (key ``daily-cash-report``) that the AR lead
reads in the Prefect UI each morning, and returned as figures for other tools.
"""

from __future__ import annotations

from typing import Any

from prefect import flow

__all__ = ["daily_cash_report"]


@flow(name="daily-cash-report", log_prints=True, timeout_seconds=600)
def daily_cash_report(secret_blocks: dict[str, str] | None = None) -> dict[str, Any]:
    from flows.artifacts import cash_report_markdown, money, publish
    from flows.environment import flow_engine, flow_settings
    from shared.store import read_transaction
    from shared.store.reporting import cash_report

    settings = flow_settings(secret_blocks)
    engine = flow_engine(settings)
    try:
        with read_transaction(engine) as session:
            report = cash_report(session)
    finally:
        engine.dispose()
    markdown = cash_report_markdown(report)
    publish("daily-cash-report", markdown=markdown,
            description="Auto-match rate, applied and unapplied cash, review backlog.")
    print(markdown)
    return {"payments": report.payments, "auto_match_rate": report.auto_match_rate,
            "applied": money(report.applied), "unapplied": money(report.unapplied),
            "review_backlog": report.backlog, "sla_breaches": report.sla_breaches}
