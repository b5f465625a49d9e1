"""The poster's entry point: take decisions from the outbox and post them in the ERP UI.

Invariants: a posting is claimed in the store before the browser touches the ERP
(no two workers post the same payment), the payment_id goes into the ERP document's
memo, and the outbox entry is marked posted with the ERP's document number only after
the ERP confirmed the save.  A payment the ERP refuses (a business error: a document
already closed, an amount it will not take) becomes a review item with the ERP's own
message; the batch goes on.
"""

from __future__ import annotations

import logging
import socket

from playwright.sync_api import Page, sync_playwright
from sqlalchemy import Engine

from bots.erp_poster.pages.login import LoginPage
from bots.erp_poster.pages.payment_entry import GridLine, PaymentEntryPage
from shared.browser import launch_chromium
from shared.domain import Decision, Payment, ReviewKind
from shared.errors import BusinessError
from shared.store import (
    claim_next_posting,
    get_payment,
    latest_decision,
    mark_posted,
    mark_posting_failed,
    open_review_item,
    read_transaction,
    write_transaction,
)

__all__ = ["post_decision", "post_pending"]

log = logging.getLogger(__name__)


def post_decision(page: Page, base_url: str, payment: Payment, decision: Decision) -> str:
    """Enter one decided payment on the ERP's payment screen; return the document no."""
    entry = PaymentEntryPage(page, base_url)
    assert decision.customer_id is not None
    entry.start(decision.customer_id, amount=payment.amount, memo=payment.payment_id,
                currency=payment.currency, payment_date=payment.value_date)
    credits = [a for a in decision.applications if a.amount < 0]
    entry.apply_lines([GridLine(a.doc_no, a.amount)
                       for a in decision.applications if a.amount > 0])
    for credit in credits:
        entry.apply_credit(credit.doc_no, credit.amount)
    for adj in decision.adjustments:
        entry.add_adjustment(adj.doc_no, adj.type.value, adj.amount,
                             adj.reason_code.value if adj.reason_code else None)
    entry.recalculate()
    return entry.save()


def post_pending(engine: Engine, base_url: str, user: str, password: str) -> tuple[int, int]:
    """Post every queued decision; returns (posted, sent to review)."""
    worker = f"erp_poster@{socket.gethostname()}"
    posted = failed = 0
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        context = browser.new_context()
        page = context.new_page()
        try:
            LoginPage(page, base_url).log_in(user, password)
            while True:
                with write_transaction(engine) as session:
                    posting = claim_next_posting(session, worker=worker)
                if posting is None:
                    break
                with read_transaction(engine) as session:
                    record = latest_decision(session, payment_id=posting.payment_id)
                    payment = get_payment(session, payment_id=posting.payment_id)
                assert record is not None and payment is not None
                try:
                    document_no = post_decision(page, base_url, payment, record.decision)
                except BusinessError as exc:
                    failed += 1
                    log.warning("ERP refused payment %s: %s", payment.payment_id, exc)
                    with write_transaction(engine) as session:
                        mark_posting_failed(session, payment_id=payment.payment_id,
                                            worker=worker, error=str(exc))
                        open_review_item(
                            session, kind=ReviewKind.POSTING_FAILURE, actor=worker,
                            title=f"ERP refused payment {payment.payment_id}: {exc}",
                            payment_id=payment.payment_id,
                            key=f"posting:{payment.payment_id}",
                            payload={"error": str(exc),
                                     "decision": record.decision.to_json()},
                        )
                    continue
                with write_transaction(engine) as session:
                    mark_posted(session, payment_id=payment.payment_id, worker=worker,
                                erp_document_no=document_no)
                posted += 1
                log.info("payment %s posted as %s", payment.payment_id, document_no)
        finally:
            context.close()
            browser.close()
    return posted, failed
