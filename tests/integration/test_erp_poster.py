"""The erp_poster bot against the real sandbox ERP server, in real Chromium.

Data: a ledger and the correct decisions from the project's own generator, loaded into
the sandbox with the admin reset (the same loader as ``o2c sandbox seed --scenario``).
What the ERP posted is read from its own export, never from the poster's report alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser

from bots.erp_poster import post_outbox
from bots.erp_poster.web_gateway import WebErpGateway
from fixtures.sandbox_erp.db import Database, sqlite_url
from fixtures.sandbox_erp.exports import payment_records
from fixtures.scale_data import ScaleData
from shared.domain import Adjustment, Application, Decision, Payment, ReviewKind
from shared.erp import ErpApplication, PostingRequest
from shared.settings import ErpSettings
from shared.store import (
    PostingState,
    claim_next_posting,
    get_posting,
    list_review_items,
    read_transaction,
    write_transaction,
)
from tests.plugins.sandbox_erp import SandboxErp
from tests.unit.erp_poster.factories import (
    auto_decision,
    generated_batch,
    make_store,
    queue_decisions,
    write_ledger,
)

pytestmark = [pytest.mark.integration, pytest.mark.browser]

KINDS = ("single_ref", "multi_remit", "deduction", "discount_valid", "discount_unearned",
         "credit_netting", "bank_fee", "overpayment", "partial", "parent_pays",
         "amount_only_combo", "noisy_ref")


@pytest.fixture(scope="module")
def batch() -> ScaleData:
    return generated_batch(230, seed=7)


@pytest.fixture(scope="module")
def scenario(batch: ScaleData, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_ledger(batch, tmp_path_factory.mktemp("erp_scenario"))


@pytest.fixture
def erp(sandbox_erp: SandboxErp, scenario: Path) -> SandboxErp:
    sandbox_erp.reset(scenario)
    return sandbox_erp


def erp_settings(erp: SandboxErp, **changes: Any) -> ErpSettings:
    values: dict[str, Any] = {
        "base_url": erp.url, "username": "poster", "password": "poster-pass",
        "timeout_ms": 10_000, "backoff_seconds": 0.05, "requeue_seconds": 0.2,
        "lease_seconds": 60,
    }
    return ErpSettings(**{**values, **changes})


def exported(erp: SandboxErp) -> list[dict[str, Any]]:
    database = Database(sqlite_url(erp.db_path))
    try:
        with database.read() as session:
            return payment_records(session)
    finally:
        database.dispose()


def same_posting(line: dict[str, Any], decision: Decision) -> bool:
    """One export line equals a decision (line order inside a payment aside)."""
    want = decision.to_json()
    return (
        line["customer_id"] == want["customer_id"]
        and sorted(map(str, line["applications"])) == sorted(map(str, want["applications"]))
        and sorted(map(str, line["adjustments"])) == sorted(map(str, want["adjustments"]))
        and line["on_account"] == want["on_account"]
    )


def pick(batch: ScaleData, tags: tuple[str, ...]) -> list[tuple[Payment, Decision]]:
    by_id = {p.payment_id: p for p in batch.payments}
    chosen: dict[str, tuple[Payment, Decision]] = {}
    for truth in batch.truth.values():
        if truth.determinable and truth.tag in tags and truth.tag not in chosen:
            payment = by_id[truth.payment_id]
            chosen[truth.tag] = (payment, auto_decision(payment, truth))
    return list(chosen.values())


@pytest.fixture
def browser_gateway(erp: SandboxErp, chromium: Browser) -> Iterator[WebErpGateway]:
    """A second ERP session (another clerk), to change the ERP behind the poster's back."""
    gateway = WebErpGateway(chromium, erp_settings(erp, keep_traces=False))
    try:
        yield gateway
    finally:
        gateway.close()


def test_every_decision_kind_posts_and_reads_back_equal(
    erp: SandboxErp, batch: ScaleData, tmp_path: Path
) -> None:
    chosen = pick(batch, KINDS)
    kinds_present = {j.type.value for _, d in chosen for j in d.adjustments}
    assert kinds_present == {"deduction", "discount", "bank_fee"}
    assert any(a.amount < 0 for _, d in chosen for a in d.applications)  # a credit memo
    assert any(d.on_account > 0 for _, d in chosen)
    _, engine = make_store(tmp_path / "o2c.sqlite3")
    queue_decisions(engine, chosen)

    report = post_outbox(engine, erp_settings(erp), evidence=tmp_path / "evidence")

    assert (report.posted, report.to_review, report.requeued) == (len(chosen), 0, 0)
    lines = {line["payment_id"]: line for line in exported(erp)}
    assert set(lines) == {p.payment_id for p, _ in chosen}
    with read_transaction(engine) as session:
        for payment, decision in chosen:
            assert same_posting(lines[payment.payment_id], decision), payment.payment_id
            assert lines[payment.payment_id]["value_date"] == payment.value_date.isoformat()
            posting = get_posting(session, payment_id=payment.payment_id)
            assert posting is not None and posting.state is PostingState.POSTED
            assert posting.erp_document_no == lines[payment.payment_id]["document_no"]
    assert not list((tmp_path / "evidence").rglob("*"))  # nothing failed, nothing kept


def test_refused_postings_become_review_items_with_message_screenshot_and_trace(
    erp: SandboxErp, batch: ScaleData, browser_gateway: WebErpGateway, tmp_path: Path
) -> None:
    good, closed, too_much = pick(batch, ("single_ref", "multi_remit", "deduction"))
    # Someone else closes the first invoice of `closed` in the ERP before the bot runs.
    taken = closed[1].applications[0]
    browser_gateway.begin("clerk")
    browser_gateway.post_payment(
        PostingRequest(
            payment_id="CLERK-0001", customer_id=str(closed[1].customer_id),
            amount=taken.amount, currency=closed[0].currency, value_date=closed[0].value_date,
            applications=(ErpApplication(taken.doc_no, taken.amount),),
        ),
        before_save=lambda: None,
    )
    # A decision the ERP refuses on Save: more than the invoice's amount due.
    payment, decision = too_much
    first = decision.applications[0]
    wrong = Decision.auto(
        payment.model_copy(update={"amount": payment.amount + Decimal("100.00")}),
        applications=[Application(doc_no=first.doc_no, amount=first.amount + Decimal("100.00")),
                      *decision.applications[1:]],
        adjustments=[Adjustment.model_validate(j.model_dump()) for j in decision.adjustments],
        customer_id=decision.customer_id,
    )
    too_much = (payment.model_copy(update={"amount": wrong.payment_amount}), wrong)
    _, engine = make_store(tmp_path / "o2c.sqlite3")
    queue_decisions(engine, [closed, too_much, good])

    report = post_outbox(engine, erp_settings(erp), evidence=tmp_path / "evidence")

    assert (report.posted, report.to_review) == (1, 2)  # the batch went on
    memos = [line["payment_id"] for line in exported(erp)]
    assert sorted(memos) == sorted(["CLERK-0001", good[0].payment_id])
    with read_transaction(engine) as session:
        items = {i.payment_id: i for i in list_review_items(session)}
        for pid in (closed[0].payment_id, too_much[0].payment_id):
            posting = get_posting(session, payment_id=pid)
            assert posting is not None and posting.state is PostingState.FAILED
    assert set(items) == {closed[0].payment_id, too_much[0].payment_id}
    closed_item = items[closed[0].payment_id]
    assert closed_item.kind is ReviewKind.POSTING_FAILURE
    assert closed_item.payload["error_code"] == "document_not_open"
    assert taken.doc_no in str(closed_item.payload["erp_message"])
    refused = items[too_much[0].payment_id].payload
    assert refused["error_code"] == "erp_rejected"
    messages = [str(m) for m in refused["erp_messages"]]  # type: ignore[union-attr]
    assert any(first.doc_no in m and "exceed" in m for m in messages), messages
    for item in items.values():
        for kind in ("screenshot", "trace"):
            path = Path(str(item.payload[kind]))
            assert path.is_file() and path.stat().st_size > 1000, (kind, path)
            assert (tmp_path / "evidence") in path.parents


def test_a_payment_the_erp_already_holds_is_found_and_not_posted_again(
    erp: SandboxErp, batch: ScaleData, browser_gateway: WebErpGateway, tmp_path: Path
) -> None:
    """A worker died after Save, before it could record the document: the next one looks."""
    (payment, decision), (other, other_decision) = pick(batch, ("multi_remit", "single_ref"))
    _, engine = make_store(tmp_path / "o2c.sqlite3")
    queue_decisions(engine, [(payment, decision), (other, other_decision)])
    with write_transaction(engine) as session:  # claimed by a worker that then died
        dead = claim_next_posting(session, worker="dead-worker", lease=timedelta(seconds=0.5))
    assert dead is not None and dead.payment_id == payment.payment_id
    browser_gateway.begin(payment.payment_id)
    saved = browser_gateway.post_payment(PostingRequest.of(payment, decision),
                                         before_save=lambda: None)

    report = post_outbox(engine, erp_settings(erp), evidence=tmp_path / "evidence")

    assert (report.recovered, report.posted, report.to_review) == (1, 1, 0)
    memos = [line["payment_id"] for line in exported(erp)]
    assert sorted(memos) == sorted([payment.payment_id, other.payment_id])  # no duplicate
    with read_transaction(engine) as session:
        posting = get_posting(session, payment_id=payment.payment_id)
    assert posting is not None and posting.erp_document_no == saved.document_no
    assert posting.attempts == 2

    # Run again: nothing left to post, nothing posted.
    again = post_outbox(engine, erp_settings(erp), evidence=tmp_path / "evidence")
    assert (again.posted, again.recovered) == (0, 0)
    assert len(exported(erp)) == 2
