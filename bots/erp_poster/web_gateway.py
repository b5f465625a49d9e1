"""The ErpGateway adapter for the sandbox ERP's web screens (Playwright page objects).

One gateway is one browser context: one ERP session, one licensed seat.  A posting goes
through as few page loads as the screens allow::

    search   /payments?memo=<payment_id>                 (the poster, before posting)
    start    /payments/new -> Continue -> draft screen
    filter   the draft screen filtered to the documents  (only if they are not on page 1)
    add      "Add adjustment" for every adjustment line but the last
    save     the last adjustment line typed, then Save -> confirmation page, read back

Discounts on applied invoices go into the grid's "Discount taken" column (no extra page
load); other adjustments are adjustment lines.  The confirmation page shows the posted
document, so reading it back costs no page load either.

Every step before Save is retried against transient faults (HTTP 500 pages, timeouts,
an expired session: log in again) with growing waits.  A retried step first goes back to
the draft, which keeps what earlier steps merged into it, and fills in only what the
draft does not hold yet (an "Add adjustment" whose answer was lost may have gone
through).  Save itself is never pressed twice: a lost answer raises
:class:`~shared.erp.SaveOutcomeUnknown` and the poster searches the ERP before it posts
again.
"""

from __future__ import annotations

import logging
import re
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlencode, urlparse

from playwright.sync_api import Browser

from bots.erp_poster.pages import (
    GridLine,
    LoginPage,
    PaymentEntryPage,
    PaymentListPage,
    PaymentViewPage,
    PostedPayment,
    SessionExpired,
)
from bots.erp_poster.pages.errors import DocumentNotInGrid, ErpPageError
from bots.erp_poster.pages.payment_entry import AdjustmentLine
from bots.erp_poster.pages.payment_report import PaymentReport
from bots.erp_poster.retry import TRANSIENT, Backoff
from shared.erp import (
    ErpAdjustment,
    ErpApplication,
    ErpPayment,
    PostingRequest,
    SaveOutcomeUnknown,
)
from shared.errors import BusinessError, ExternalServiceError
from shared.settings import ErpSettings

__all__ = ["WebErpGateway", "split_request"]

log = logging.getLogger(__name__)

T = TypeVar("T")
_GRID_PAGE = 25
_MEMO_LENGTH = 256
_DRAFT_PATH = re.compile(r"^/payments/drafts/\d+$")


def split_request(
    request: PostingRequest,
) -> tuple[list[GridLine], list[GridLine], list[AdjustmentLine]]:
    """Apply-grid rows, credit rows and adjustment lines for ``request``.

    A discount on an invoice the payment applies goes into that row's "Discount taken"
    (the ERP books it as a discount adjustment); every other adjustment is a line.
    """
    applied = {a.doc_no for a in request.applications if a.amount > 0}
    discounts: dict[str, list[ErpAdjustment]] = {}
    for adj in request.adjustments:
        if adj.type == "discount" and adj.doc_no in applied:
            discounts.setdefault(adj.doc_no, []).append(adj)
    in_grid = {doc: adjs[0].amount for doc, adjs in discounts.items() if len(adjs) == 1}
    rows = [
        GridLine(a.doc_no, a.amount, in_grid.get(a.doc_no))
        for a in request.applications
        if a.amount > 0
    ]
    credits = [GridLine(a.doc_no, a.amount) for a in request.applications if a.amount < 0]
    lines = [
        AdjustmentLine(a.doc_no, a.type, a.amount, a.reason_code)
        for a in request.adjustments
        if not (a.type == "discount" and a.doc_no in in_grid)
    ]
    return rows, credits, lines


def _as_erp_payment(posted: PostedPayment) -> ErpPayment:
    return ErpPayment(
        document_no=posted.document_no,
        payment_id=posted.memo,
        customer_id=posted.customer_id,
        amount=posted.amount,
        currency=posted.currency,
        value_date=posted.value_date,
        applications=tuple(ErpApplication(a.doc_no, a.amount) for a in posted.applications),
        adjustments=tuple(
            ErpAdjustment(a.type, a.doc_no, a.amount, a.reason_code) for a in posted.adjustments
        ),
        on_account=posted.on_account,
    )


class WebErpGateway:
    """Posts through the sandbox ERP's pages in one browser context of ``browser``."""

    def __init__(
        self,
        browser: Browser,
        settings: ErpSettings,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = settings.base_url.rstrip("/")
        self._username = settings.username
        self._password = settings.password
        self._backoff = Backoff(
            settings.step_attempts, settings.backoff_seconds, settings.backoff_max_seconds
        )
        self._sleep = sleep
        self._tracing = settings.keep_traces
        self._chunk_open = False
        self._logged_in = False
        self.context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
        self.context.set_default_timeout(settings.timeout_ms)
        self.context.set_default_navigation_timeout(settings.timeout_ms)
        if self._tracing:
            self.context.tracing.start(screenshots=True, snapshots=True, sources=False)
        self.page = self.context.new_page()
        self.login_page = LoginPage(self.page, self.base_url)
        self.entry = PaymentEntryPage(self.page, self.base_url)
        self.payment_list = PaymentListPage(self.page, self.base_url)
        self.view = PaymentViewPage(self.page, self.base_url)
        self.report = PaymentReport(self.page, self.base_url)

    # -- the port ---------------------------------------------------------------------
    def begin(self, payment_id: str) -> None:
        if not self._tracing:
            return
        if self._chunk_open:
            self.context.tracing.stop_chunk()  # the last payment went well: drop its trace
        self.context.tracing.start_chunk(title=payment_id)
        self._chunk_open = True

    def find_payments(self, payment_id: str) -> list[ErpPayment]:
        # The ERP's payments report filtered by memo: one request in this session, no
        # page to render (the payment list screen shows the same to a person).
        return self._retry("search payments", lambda: self.report.find(payment_id))

    def post_payment(
        self, request: PostingRequest, *, before_save: Callable[[], None]
    ) -> ErpPayment:
        pid = request.payment_id
        if len(pid) > _MEMO_LENGTH or pid != pid.strip():
            # The ERP trims and cuts the memo: a later search could not find this key.
            raise BusinessError("payment_id_unusable",
                                f"payment id {pid!r} does not fit the ERP's memo field as it is")
        rows, credits, lines = split_request(request)
        if len(rows) > _GRID_PAGE:
            return self._post_many_rows(request, rows, credits, lines, before_save)
        started: dict[str, str] = {}
        draft_url = self._retry("start payment", lambda: self._start(request, started))
        # The first page of the grid, or the grid filtered to the payment's documents
        # when they are not all on it (decided on the first try, kept for retries).
        state = {"url": draft_url, "reload": False}

        def fill() -> None:
            if state["reload"]:
                self.entry.open_draft(str(state["url"]))
            state["reload"] = True  # a failure from here on: back to the draft first
            missing = self.entry.fill_rows(rows, credits)
            if missing and state["url"] == draft_url and rows:
                query = " ".join(row.doc_no for row in rows)
                state["url"] = f"{draft_url}?{urlencode({'q': query})}"
                self.entry.open_draft(str(state["url"]))
                missing = self.entry.fill_rows(rows, credits)
            if missing:
                raise DocumentNotInGrid(missing[0])
            self._fill_adjustments(lines)

        self._retry("fill payment", fill)
        return self._save(before_save)

    def keep_evidence(self, directory: Path, stem: str) -> dict[str, str]:
        directory.mkdir(parents=True, exist_ok=True)
        kept: dict[str, str] = {}
        screenshot = directory / f"{stem}.png"
        try:
            self.page.screenshot(path=str(screenshot), full_page=True)
            kept["screenshot"] = str(screenshot)
        except TRANSIENT as exc:
            log.warning("no screenshot for %s: %s", stem, exc)
        if self._tracing and self._chunk_open:
            trace = directory / f"{stem}-trace.zip"
            try:
                self.context.tracing.stop_chunk(path=str(trace))
                kept["trace"] = str(trace)
            except TRANSIENT as exc:
                log.warning("no trace for %s: %s", stem, exc)
            self._chunk_open = False
        return kept

    def close(self) -> None:
        try:
            if self._tracing:
                if self._chunk_open:
                    self.context.tracing.stop_chunk()
                self.context.tracing.stop()
        except TRANSIENT as exc:
            log.debug("tracing not stopped cleanly: %s", exc)
        try:
            self.context.close()
        except TRANSIENT as exc:  # the browser died already: nothing left to close
            log.debug("browser context not closed cleanly: %s", exc)

    # -- steps ------------------------------------------------------------------------
    def _start(self, request: PostingRequest, started: dict[str, str]) -> str:
        """Start the draft; on a retry, go back to the draft an earlier try created."""
        if "draft" in started:
            self.entry.open_draft(started["draft"])
            return started["draft"]
        try:
            self.entry.start(
                request.customer_id,
                amount=request.amount,
                memo=request.payment_id,
                currency=request.currency,
                payment_date=request.value_date,
            )
        except TRANSIENT:
            # Continue was taken (the draft exists, with the header typed) but the draft
            # page did not come: retry on that draft rather than start another one.
            path = urlparse(self.page.url).path
            if _DRAFT_PATH.match(path):
                started["draft"] = f"{self.base_url}{path}"
            raise
        return f"{self.base_url}{urlparse(self.page.url).path}"

    def _fill_adjustments(self, lines: list[AdjustmentLine]) -> None:
        """Add the lines the draft does not hold yet; the last one is left typed for Save."""
        held = Counter(self.entry.adjustment_lines())
        wanted = Counter(lines)
        if held - wanted:
            # Lines we never asked for (a person edited the draft?): start a new draft.
            raise ErpPageError(f"the draft holds unexpected adjustment lines {held - wanted}")
        missing = list((wanted - held).elements())
        for line in missing[:-1]:
            self.entry.fill_new_adjustment(line)
            self.entry.press_add_adjustment()
        if missing:
            self.entry.fill_new_adjustment(missing[-1])

    def _save(self, before_save: Callable[[], None]) -> ErpPayment:
        before_save()
        try:
            self.entry.save()
            return _as_erp_payment(self.view.read())
        except TRANSIENT as exc:
            if isinstance(exc, SessionExpired):
                self._logged_in = False
            raise SaveOutcomeUnknown(f"no answer to Save: {exc}") from exc

    def _post_many_rows(
        self,
        request: PostingRequest,
        rows: list[GridLine],
        credits: list[GridLine],
        lines: list[AdjustmentLine],
        before_save: Callable[[], None],
    ) -> ErpPayment:
        """More rows than a grid page: fill them a filtered page at a time.

        The filter button merges what was typed before it shows the next chunk; a
        failure half-way cannot tell which chunks the draft holds, so the whole
        payment is started again on a new draft.
        """

        def everything() -> None:
            self._start(request, {})
            chunks = [rows[i : i + _GRID_PAGE] for i in range(0, len(rows), _GRID_PAGE)]
            for number, chunk in enumerate(chunks):
                # Filtering merges the rows typed on the last chunk into the draft.
                self.entry.filter_grid(" ".join(row.doc_no for row in chunk))
                missing = self.entry.fill_rows(chunk, credits if number == 0 else ())
                if missing:
                    raise DocumentNotInGrid(missing[0])
            self._fill_adjustments(lines)

        self._retry("fill payment", everything)
        return self._save(before_save)

    # -- retries ----------------------------------------------------------------------
    def _ensure_login(self) -> None:
        if self._logged_in and not self.login_page.is_shown():
            return
        self.login_page.log_in(self._username, self._password.get_secret_value())
        self._logged_in = True

    def _retry(self, what: str, step: Callable[[], T]) -> T:
        waits = self._backoff.waits()
        while True:
            try:
                self._ensure_login()
                return step()
            except TRANSIENT as exc:
                if isinstance(exc, SessionExpired) or self.login_page.is_shown():
                    self._logged_in = False
                wait = next(waits, None)
                if wait is None:
                    raise ExternalServiceError(
                        "erp", f"{what} failed {self._backoff.attempts} times: {exc}"
                    ) from exc
                log.info("%s failed (%s); again in %.2f s", what, exc, wait)
                self._sleep(wait)
