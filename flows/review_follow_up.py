"""Review follow-up: post what the exception handlers resolved.

A handler's decision in the review queue is queued in the same outbox as the matcher's
automatic decisions; this flow posts whatever the outbox holds (resolved items, and any
automatic posting a failed run left behind) through the same poster, inside the
``erp-seats`` limit, and publishes what it posted.  Scheduled every half hour in
business hours (prefect.yaml); running it twice posts nothing twice.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

__all__ = ["review_follow_up"]


@task(name="post-to-erp", retries=2, retry_delay_seconds=120, timeout_seconds=3600,
      cache_policy=NO_CACHE, persist_result=False)
def _post(engine: Any, settings: Any, seats: int) -> dict[str, int]:
    from flows.environment import post_within_seats

    report = post_within_seats(engine, settings, seats)
    return {"posted": report.posted, "found already posted": report.recovered,
            "refused (to review)": report.to_review, "requeued": report.requeued}


@flow(name="review-follow-up", log_prints=True, timeout_seconds=2 * 3600)
def review_follow_up(seats: int | None = None,
                     secret_blocks: dict[str, str] | None = None) -> dict[str, int]:
    """Post every queued decision (handlers' and the matcher's) and publish the outcome."""
    from flows.artifacts import publish_run
    from flows.environment import flow_engine, flow_settings
    from shared.store.types import utcnow

    settings = flow_settings(secret_blocks)
    engine = flow_engine(settings)
    started = utcnow()
    try:
        counts = _post(engine, settings, seats or settings.erp.seats)
        publish_run(engine, key="review-follow-up", title="Review follow-up", counts=counts,
                    since=started, description="Postings of resolved review items.")
    finally:
        engine.dispose()
    return counts
