"""The poster's entry points: take decisions from the outbox and post them in the ERP.

Invariants, for every outbox entry, whatever fails and whenever the process dies:

* a posting is claimed in the store (with a lease) before the ERP is touched, so no two
  workers post the same payment at the same time;
* the ERP is searched for the payment_id (the memo/reference of every document the
  poster saves) before each attempt to post, so a payment saved by a worker that died
  before it could record it, or whose Save answer was lost, is found and not posted
  again;
* the lease is renewed right before Save; a worker that lost its lease (it was too slow
  and another one took over) does not save;
* the entry is marked ``posted`` with the ERP's document number only after the document
  was read back from the ERP and every amount equals the decision;
* the ERP refusing the payment (a closed invoice, an amount it will not take), a saved
  document that differs from the decision, or an ERP that keeps failing for
  ``claim_attempts`` claims become a review item (kind ``posting_failure``) with the
  ERP's messages, a screenshot and the Playwright trace; the batch goes on.

Transient faults (HTTP 500s, timeouts, an expired session) are retried inside the
gateway step by step; when a step keeps failing the entry goes back to the queue with a
growing delay and the batch moves on to the next one.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlalchemy import Engine

from bots.erp_poster.file_gateway import FileErpGateway
from bots.erp_poster.retry import TRANSIENT, Backoff
from bots.erp_poster.verify import differences
from shared.domain import Decision, Payment, ReviewKind
from shared.erp import ErpGateway, ErpPayment, PostingRequest, SaveOutcomeUnknown
from shared.errors import BusinessError, ConfigurationError, InvalidTransitionError
from shared.settings import ErpSettings, Settings
from shared.store import (
    Posting,
    claim_next_posting,
    decision_history,
    get_payment,
    mark_posted,
    mark_posting_failed,
    open_review_item,
    read_transaction,
    write_transaction,
)
from shared.store.outbox import next_due, renew_lease
from shared.store.types import utcnow

__all__ = [
    "GatewayFactory",
    "PostingReport",
    "evidence_dir",
    "gateways_from_settings",
    "post_outbox",
    "post_pending",
]

log = logging.getLogger(__name__)

GatewayFactory = Callable[[], AbstractContextManager[ErpGateway]]


@dataclass
class PostingReport:
    """What one run of the poster did."""

    posted: int = 0
    recovered: int = 0  # found already in the ERP (an earlier run died after Save)
    to_review: int = 0
    requeued: int = 0
    documents: dict[str, str] = field(default_factory=dict)
    review_items: list[int] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, what: str, payment_id: str = "", value: Any = None) -> None:
        with self._lock:
            setattr(self, what, getattr(self, what) + 1)
            if what in ("posted", "recovered"):
                self.documents[payment_id] = str(value)
            elif what == "to_review" and value is not None:
                self.review_items.append(int(value))


def evidence_dir(settings: Settings) -> Path:
    """Where screenshots and traces of failed postings go: ``erp.trace_dir`` in ``data_dir``.

    An absolute ``trace_dir``, or one already inside ``data_dir``, is taken as it is.
    """
    trace_dir = settings.erp.trace_dir
    if trace_dir.is_absolute():
        return trace_dir
    try:
        trace_dir.relative_to(settings.data_dir)
    except ValueError:
        return settings.data_dir / trace_dir
    return trace_dir


def web_gateways(erp: ErpSettings) -> GatewayFactory:
    """One browser (Debian Chromium) and one ERP session per call, closed on exit."""

    @contextmanager
    def open_gateway() -> Iterator[ErpGateway]:
        from playwright.sync_api import sync_playwright

        from bots.erp_poster.web_gateway import WebErpGateway
        from shared.browser import launch_chromium

        with sync_playwright() as playwright:
            try:
                browser = launch_chromium(
                    playwright, headless=erp.headless, executable_path=erp.chromium_path
                )
            except FileNotFoundError as exc:
                raise ConfigurationError(str(exc)) from exc
            try:
                gateway = WebErpGateway(browser, erp)
                try:
                    yield gateway
                finally:
                    gateway.close()
            finally:
                try:
                    browser.close()
                except TRANSIENT as exc:  # a crashed browser: a new one comes next
                    log.debug("browser not closed cleanly: %s", exc)

    return open_gateway


def gateways_from_settings(erp: ErpSettings) -> GatewayFactory:
    """The adapter the settings name: ``web`` (the ERP's pages) or ``file`` (dry run)."""
    if erp.adapter == "file":

        @contextmanager
        def open_file() -> Iterator[ErpGateway]:
            yield FileErpGateway(erp.dry_run_file)

        return open_file
    return web_gateways(erp)


def post_outbox(
    engine: Engine,
    erp: ErpSettings,
    *,
    evidence: Path,
    gateways: GatewayFactory | None = None,
    seats: int | None = None,
    wait: bool = True,
    stop: threading.Event | None = None,
) -> PostingReport:
    """Post every claimable outbox entry with ``seats`` parallel ERP sessions.

    ``seats`` defaults to ``erp.seats``.  With ``wait`` the run also waits for entries
    that come due while it runs (retries after a transient failure, claims of a dead
    worker whose lease runs out) and ends when nothing is left to post; without it, it
    ends as soon as nothing is claimable now.  ``stop`` ends the run after the posting
    in hand.  Raises :class:`~shared.errors.ConfigurationError` when the ERP refuses
    the login (every worker stops; nothing is lost, the entries stay queued).
    """
    gateways = gateways or gateways_from_settings(erp)
    stop = stop or threading.Event()
    report = PostingReport()
    count = seats or erp.seats
    errors: list[BaseException] = []

    def work(number: int) -> None:
        name = f"erp_poster@{socket.gethostname()}:{os.getpid()}:{number}"
        try:
            _Worker(engine, erp, evidence, name, report).run(gateways, stop, wait)
        except BaseException as exc:
            errors.append(exc)
            stop.set()  # a login refused for one seat is refused for all

    # Each seat in its own thread, even a single one: Playwright's sync API refuses to
    # start inside a thread that already runs it or an asyncio loop (a caller's browser,
    # a Prefect flow), and every seat needs its own Playwright.
    threads = [
        threading.Thread(target=work, args=(n,), name=f"erp-seat-{n}")
        for n in range(1, count + 1)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return report


def post_pending(engine: Engine, base_url: str, user: str, password: str) -> tuple[int, int]:
    """Post the outbox through the ERP at ``base_url``; returns (posted, sent to review).

    The short form for callers that only know the ERP's address and login (the demo);
    the rest comes from the defaults of :class:`~shared.settings.ErpSettings`.
    """
    erp = ErpSettings(base_url=base_url, username=user, password=SecretStr(password))
    report = post_outbox(engine, erp, evidence=Path("var") / erp.trace_dir.name)
    return report.posted + report.recovered, report.to_review


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)[:80] or "payment"


class _Worker:
    """One ERP seat: claims entries one at a time and posts each inside a boundary."""

    def __init__(
        self, engine: Engine, erp: ErpSettings, evidence: Path, name: str, report: PostingReport
    ) -> None:
        self.engine = engine
        self.erp = erp
        self.evidence = evidence
        self.name = name
        self.report = report
        self.lease = timedelta(seconds=erp.lease_seconds)
        self.broken = False

    def run(self, gateways: GatewayFactory, stop: threading.Event, wait: bool) -> None:
        while not stop.is_set():
            self.broken = False
            with gateways() as gateway:
                finished = self._loop(gateway, stop, wait)
            if finished:
                return
            log.warning("%s: starting a new ERP session after an unexpected error", self.name)

    def _loop(self, gateway: ErpGateway, stop: threading.Event, wait: bool) -> bool:
        while not stop.is_set():
            with write_transaction(self.engine) as session:
                posting = claim_next_posting(session, worker=self.name, lease=self.lease)
            if posting is None:
                if not wait:
                    return True
                with read_transaction(self.engine) as session:
                    due = next_due(session)
                if due is None:
                    return True
                pause = (due - utcnow()).total_seconds()
                stop.wait(min(max(pause, 0.05), 1.0))
                continue
            self._boundary(gateway, posting)
            if self.broken:
                return False
        return True

    # -- one posting ------------------------------------------------------------------
    def _boundary(self, gateway: ErpGateway, posting: Posting) -> None:
        decision: Decision | None = None
        try:
            payment, decision = self._load(posting)
            gateway.begin(posting.payment_id)
            self._post(gateway, posting, payment, decision)
        except InvalidTransitionError as exc:
            # Our lease ran out and another worker holds the entry: it posts the payment.
            log.warning("%s: gave up payment %s: %s", self.name, posting.payment_id, exc)
        except BusinessError as exc:
            self._to_review(gateway, posting, decision, exc)
        except ConfigurationError as exc:
            self._retry_later(posting, exc, delay=0.0)
            raise
        except TRANSIENT as exc:
            self._retry_later(posting, exc, gateway=gateway, decision=decision)
        except Exception as exc:  # a bug or a dead browser: the batch goes on
            log.exception("%s: unexpected error on payment %s", self.name, posting.payment_id)
            self.broken = True
            self._retry_later(posting, exc, gateway=gateway, decision=decision)

    def _load(self, posting: Posting) -> tuple[Payment, Decision]:
        with read_transaction(self.engine) as session:
            payment = get_payment(session, payment_id=posting.payment_id)
            records = decision_history(session, payment_id=posting.payment_id)
        decision = next((r.decision for r in records if r.decision_id == posting.decision_id), None)
        if payment is None or decision is None:
            raise BusinessError(
                "posting_unknown",
                f"outbox entry {posting.posting_id} names a payment or decision the store "
                "does not hold",
                payment_id=posting.payment_id,
                decision_id=posting.decision_id,
            )
        if decision.customer_id is None:
            raise BusinessError(
                "no_customer", "the decision names no customer to post the payment to"
            )
        return payment, decision

    def _post(
        self, gateway: ErpGateway, posting: Posting, payment: Payment, decision: Decision
    ) -> None:
        request = PostingRequest.of(payment, decision)
        waits = Backoff(
            self.erp.step_attempts, self.erp.backoff_seconds, self.erp.backoff_max_seconds
        ).waits()
        while True:
            found = gateway.find_payments(posting.payment_id)
            if found:
                self._settle(posting, request, found, recovered=True)
                return
            try:
                saved = gateway.post_payment(request, before_save=lambda: self._renew(posting))
            except SaveOutcomeUnknown as exc:
                wait = next(waits, None)
                if wait is None:
                    raise
                log.info("payment %s: %s; searching again in %.2f s", posting.payment_id, exc,
                         wait)
                time.sleep(wait)
                continue
            self._settle(posting, request, [saved], recovered=False)
            return

    def _renew(self, posting: Posting) -> None:
        with write_transaction(self.engine) as session:
            renew_lease(session, payment_id=posting.payment_id, worker=self.name, lease=self.lease)

    def _settle(
        self,
        posting: Posting,
        request: PostingRequest,
        found: list[ErpPayment],
        *,
        recovered: bool,
    ) -> None:
        numbers = [p.document_no for p in found]
        if len(found) > 1:
            raise BusinessError(
                "posted_more_than_once",
                f"the ERP holds {len(found)} payments with memo {posting.payment_id}: "
                + ", ".join(numbers),
                document_nos=numbers,
            )
        document = found[0]
        problems = differences(request, document)
        if problems:
            raise BusinessError(
                "posted_differs",
                f"{document.document_no} as posted differs from the decision: "
                + "; ".join(problems),
                document_no=document.document_no,
                differences=problems,
            )
        with write_transaction(self.engine) as session:
            mark_posted(
                session,
                payment_id=posting.payment_id,
                worker=self.name,
                erp_document_no=document.document_no,
            )
        self.report.add("recovered" if recovered else "posted", posting.payment_id,
                        document.document_no)
        log.info("payment %s %s as %s", posting.payment_id,
                 "found posted" if recovered else "posted", document.document_no)

    # -- failures ---------------------------------------------------------------------
    def _to_review(
        self,
        gateway: ErpGateway,
        posting: Posting,
        decision: Decision | None,
        exc: BusinessError,
    ) -> None:
        pid = posting.payment_id
        stem = f"{_safe(pid)}-attempt{posting.attempts}"
        try:
            kept = gateway.keep_evidence(self.evidence / _safe(pid), stem)
        except Exception:  # evidence is a help, never a reason to lose the review item
            log.exception("no evidence kept for payment %s", pid)
            kept = {}
        payload: dict[str, Any] = {
            "payment_id": pid,
            "decision_id": posting.decision_id,
            "error_code": exc.code,
            "erp_message": exc.message,
            "erp_messages": [str(m) for m in exc.context.get("errors", [exc.message])],
            "context": {k: v for k, v in exc.context.items() if k != "errors"},
            "attempts": posting.attempts,
            "screenshot": kept.get("screenshot"),
            "trace": kept.get("trace"),
            "decision": None if decision is None else decision.to_json(),
        }
        log.warning("payment %s to review: %s", pid, exc)
        try:
            with write_transaction(self.engine) as session:
                mark_posting_failed(session, payment_id=pid, worker=self.name, error=str(exc))
                item = open_review_item(
                    session,
                    kind=ReviewKind.POSTING_FAILURE,
                    actor=self.name,
                    title=f"Payment {pid} not posted: {exc.message}"[:500],
                    payment_id=pid,
                    key=f"posting:{pid}:{posting.posting_id}:{posting.attempts}",
                    payload=payload,
                )
        except InvalidTransitionError as lost:
            # Another worker took the entry over meanwhile; it decides what happens.
            log.warning("payment %s: %s", pid, lost)
            return
        self.report.add("to_review", pid, item.item_id)

    def _retry_later(
        self,
        posting: Posting,
        exc: BaseException,
        *,
        delay: float | None = None,
        gateway: ErpGateway | None = None,
        decision: Decision | None = None,
    ) -> None:
        if gateway is not None and posting.attempts >= self.erp.claim_attempts:
            self._to_review(
                gateway,
                posting,
                decision,
                BusinessError(
                    "erp_unavailable",
                    f"the ERP failed on all {posting.attempts} tries: {exc}",
                    payment_id=posting.payment_id,
                ),
            )
            return
        if delay is None:
            delay = self.erp.requeue_seconds * 2 ** max(0, posting.attempts - 1)
        log.warning("payment %s back in the queue for %.1f s: %s", posting.payment_id, delay, exc)
        try:
            with write_transaction(self.engine) as session:
                mark_posting_failed(
                    session,
                    payment_id=posting.payment_id,
                    worker=self.name,
                    error=str(exc)[:2000],
                    retry_at=utcnow() + timedelta(seconds=delay),
                )
        except InvalidTransitionError as lost:
            log.warning("payment %s: %s", posting.payment_id, lost)
            return
        self.report.add("requeued")
