"""The review queue in real Chromium: handlers sign in, clear items, and the ERP gets them.

A real store (SQLite file) holds the sandbox ERP's default ledger and a sample queue of
every kind; the review app runs on loopback (uvicorn); people act only through the page
(labels and roles, no CSS paths).  Resolved payments go to the outbox, and the real
erp_poster (``post_pending``) posts them into the real sandbox ERP, whose own export is
the proof.  Also here: a viewer cannot act, a write-off above the threshold waits for an
approver, two handlers racing on one item, and a hostile mail that runs nothing and
loads nothing.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import Engine

from fixtures.review_sample import SampleQueue, seed_sample_queue, seed_users
from fixtures.review_screens import running_app
from shared.domain import ReviewKind, ReviewStatus
from shared.ledger_files import read_customers, read_open_items
from shared.review.web import create_review_app
from shared.store import (
    get_posting,
    get_review_item,
    latest_decision,
    make_engine,
    open_review_item,
    read_transaction,
    upsert_customers,
    upsert_open_items,
    write_transaction,
)
from shared.store.migrate import upgrade
from shared.store.outbox import PostingState
from shared.store.review_queue import attach_review_document
from tests.plugins.sandbox_erp import ERP_USER, REPO_ROOT, SandboxErp

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.browser]

LEDGER = REPO_ROOT / "fixtures" / "sandbox_erp" / "default_data" / "ledger"
PASSWORDS = {"alice": "alice-review-1", "bob": "bob-review-22", "carol": "carol-approve-3",
             "victor": "victor-view-44"}


@dataclass
class World:
    base: str
    queue: SampleQueue
    engine: Engine


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    url = f"sqlite:///{tmp_path / 'review.sqlite3'}"
    upgrade(url)
    engine = make_engine(url)
    with write_transaction(engine) as session:
        upsert_customers(session, customers=read_customers(LEDGER / "customers.csv"))
        upsert_open_items(session, items=read_open_items(LEDGER / "open_items.csv"))
    seed_users(engine)
    queue = seed_sample_queue(engine)
    with running_app(create_review_app(engine)) as base:
        yield World(base, queue, engine)
    engine.dispose()


def sign_in(page: Page, world: World, username: str) -> None:
    page.goto(f"{world.base}/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORDS[username])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Review queue")).to_be_visible()


def flash(page: Page) -> str:
    return page.get_by_test_id("flash").inner_text()


def item(world: World, item_id: int):  # type: ignore[no-untyped-def]
    with read_transaction(world.engine) as session:
        return get_review_item(session, item_id=item_id)


def test_a_handler_clears_items_of_several_kinds_and_the_erp_gets_the_postings(
    page: Page, world: World, clean_sandbox_erp: SandboxErp
) -> None:
    q = world.queue
    sign_in(page, world, "alice")
    expect(page.get_by_role("table", name="Review items").get_by_role("row")).to_have_count(10)

    # 1. Unmatched payment: accept the bot's best suggestion (opened from the list).
    page.get_by_role("link", name="USD 14858.22 from ACME MFG LLC: ambiguous").click()
    expect(page.get_by_test_id("payment-amount")).to_contain_text("14,858.22")
    page.get_by_role("button", name="Accept suggestion 1").click()
    assert "queued for posting: 14858.22 applied" in flash(page)
    expect(page.get_by_test_id("status")).to_have_text("resolved")

    # 2. Posting failure: the handler's own allocation, with the live balance check.
    page.goto(f"{world.base}/items/{q.posting_failure}")
    editor = page.get_by_role("region", name="Allocation")
    editor.get_by_label("Amount 1", exact=True).fill("6300.00")
    expect(editor.get_by_test_id("balance")).to_contain_text("more than the payment")
    expect(editor.get_by_role("button", name="Apply and queue for posting")).to_be_disabled()
    editor.get_by_label("Amount 1", exact=True).fill("6000.00")
    expect(editor.get_by_test_id("balance")).to_contain_text("285.67 goes on account")
    editor.get_by_role("button", name="Apply and queue for posting").click()
    assert "6000.00 applied, 285.67 on account" in flash(page)

    # 3. Unidentified payer: pick the customer, type the invoice; a wrong document is
    # refused by the server and the draft comes back to be corrected, not retyped.
    page.goto(f"{world.base}/items/{q.unidentified}")
    editor = page.get_by_role("region", name="Allocation")
    editor.get_by_label("Customer", exact=True).select_option("C00003")
    editor.get_by_label("Document 1", exact=True).fill("INV-2026-000407")
    editor.get_by_label("Amount 1", exact=True).fill("8062.15")
    editor.get_by_label("Note", exact=True).fill("PayPro pays for Acme Retail")
    editor.get_by_role("button", name="Apply and queue for posting").click()
    assert "INV-2026-000407 belongs to C00002, not to C00003" in flash(page)
    editor = page.get_by_role("region", name="Allocation")
    expect(editor.get_by_label("Amount 1", exact=True)).to_have_value("8062.15")
    expect(editor.get_by_label("Customer", exact=True)).to_have_value("C00003")
    editor.get_by_label("Document 1", exact=True).fill("INV-2026-000455")
    expect(editor.get_by_test_id("balance")).to_contain_text("Balanced")
    editor.get_by_label("Note", exact=True).fill("PayPro pays for Acme Retail")
    editor.get_by_role("button", name="Apply and queue for posting").click()
    assert "8062.15 applied" in flash(page)

    # 4. Wrong pocket: closed, nothing posted.
    page.goto(f"{world.base}/items/{q.wrong_pocket}")
    page.get_by_text("Wrong pocket / refund", exact=True).click()
    page.get_by_label("Where the money goes").fill("forwarded to Northwind Logistics")
    page.get_by_role("button", name="Close as wrong pocket / refund").click()
    assert "closed as wrong pocket" in flash(page)

    # 5. A promise to pay: noted and closed; 6. a comment on the dispute.
    page.goto(f"{world.base}/items/{q.promise}")
    page.get_by_label("What was done").fill("promise for 16 March noted in the ERP")
    page.get_by_role("button", name="Close item").click()
    assert "Item closed." in flash(page)
    page.goto(f"{world.base}/items/{q.dispute}")
    page.get_by_role("textbox", name="Comment").fill("asked sales for the contract")
    page.get_by_role("button", name="Add comment").click()
    expect(page.get_by_test_id("history")).to_contain_text("asked sales for the contract")

    with read_transaction(world.engine) as session:
        queued = {pid: get_posting(session, payment_id=pid) for pid in
                  ("FT2603020001", "FT2603020003", "FT2603020004", "FT2603020005")}
        decided = latest_decision(session, payment_id="FT2603020004")
    assert all(queued[p] and queued[p].state is PostingState.PENDING  # type: ignore[union-attr]
               for p in ("FT2603020001", "FT2603020003", "FT2603020004"))
    assert queued["FT2603020005"] is None
    assert decided is not None and (decided.decided_by, decided.decision.customer_id) == (
        "alice", "C00003")

    # The same outbox the matcher uses: the erp_poster posts what the handler decided.
    from bots.erp_poster import post_pending

    posted, to_review = post_pending(world.engine, clean_sandbox_erp.url, *ERP_USER)
    assert (posted, to_review) == (3, 0)
    in_erp = {p["payment_id"]: p for p in erp_payments(clean_sandbox_erp)}
    assert set(in_erp) == {"FT2603020001", "FT2603020003", "FT2603020004"}
    assert sorted((a["doc_no"], Decimal(a["amount"])) for a in
                  in_erp["FT2603020001"]["applications"]) == [
        ("INV-2026-000407", Decimal("13368.45")), ("INV-2026-000424", Decimal("1489.77"))]
    assert Decimal(in_erp["FT2603020003"]["on_account"]) == Decimal("285.67")
    page.goto(f"{world.base}/items/{q.matched}")
    expect(page.get_by_test_id("posting-state")).to_have_text("posted")


def test_a_viewer_can_read_but_not_act(page: Page, world: World) -> None:
    q = world.queue
    sign_in(page, world, "victor")
    page.goto(f"{world.base}/items/{q.matched}")
    expect(page.get_by_test_id("viewer-note")).to_be_visible()
    expect(page.get_by_role("region", name="Suggestions")).to_be_visible()
    for name in ("Accept suggestion 1", "Claim", "Apply and queue for posting", "Add comment"):
        expect(page.get_by_role("button", name=name)).to_have_count(0)
    # Forging the POST the buttons would send (with the viewer's own CSRF token).
    token = page.locator('input[name="csrf_token"]').first.get_attribute("value")
    response = page.request.post(f"{world.base}/items/{q.matched}/accept",
                                 form={"csrf_token": token or "", "version": "1", "rank": "1"})
    assert response.ok  # followed the redirect back to the item
    page.reload()
    assert "your role (viewer) cannot do this" in response.text()
    stored = item(world, q.matched)
    assert (stored.status, stored.version) == (ReviewStatus.OPEN, 1)


def test_a_write_off_above_the_threshold_waits_for_an_approver(
    page: Page, chromium: Browser, world: World, clean_sandbox_erp: SandboxErp
) -> None:
    q = world.queue
    sign_in(page, world, "alice")
    page.goto(f"{world.base}/items/{q.deduction}")
    editor = page.get_by_role("region", name="Allocation")
    expect(editor.get_by_role("button", name="Send for approval")).to_be_visible()
    expect(editor.get_by_test_id("balance")).to_contain_text("an approver must confirm")
    page.get_by_role("button", name="Accept suggestion 1").click()
    assert "above your authority of 250.00" in flash(page)
    expect(page.get_by_test_id("status")).to_have_text("awaiting approval")
    expect(page.get_by_role("button", name="Approve and post")).to_have_count(0)
    with read_transaction(world.engine) as session:
        assert get_posting(session, payment_id="FT2603020002") is None

    approver = chromium.new_context(viewport={"width": 1440, "height": 1000}).new_page()
    try:
        sign_in(approver, world, "carol")
        approver.get_by_role("link", name="Approvals").click()
        row = approver.get_by_role("row").filter(has_text="short by 300.00")
        expect(row).to_contain_text("awaiting approval")
        row.get_by_role("link", name=f"#{q.deduction}").click()
        expect(approver.get_by_test_id("approval-banner")).to_contain_text("alice proposes")
        approver.get_by_role("button", name="Approve and post").click()
        assert "Approved." in flash(approver)
        expect(approver.get_by_test_id("resolution")).to_contain_text("approved by carol")
    finally:
        approver.context.close()
    with read_transaction(world.engine) as session:
        posting = get_posting(session, payment_id="FT2603020002")
        decision = latest_decision(session, payment_id="FT2603020002")
    assert posting is not None and posting.state is PostingState.PENDING
    assert decision is not None and decision.decided_by == "alice"
    assert decision.decision.adjustments[0].amount == Decimal("300.00")

    from bots.erp_poster import post_pending

    assert post_pending(world.engine, clean_sandbox_erp.url, *ERP_USER) == (1, 0)
    [posted] = erp_payments(clean_sandbox_erp)
    assert posted["payment_id"] == "FT2603020002"
    assert [(a["type"], a["doc_no"], Decimal(a["amount"])) for a in posted["adjustments"]] == [
        ("deduction", "INV-2026-000420", Decimal("300.00"))]


def test_bulk_assignment_from_a_filtered_sorted_list(page: Page, world: World) -> None:
    q = world.queue
    sign_in(page, world, "carol")
    page.get_by_label("Kind", exact=True).select_option("unmatched_payment")
    page.get_by_label("Sort", exact=True).select_option("amount")
    page.get_by_label("Order", exact=True).select_option("desc")
    page.get_by_role("button", name="Apply").click()
    rows = page.get_by_role("table", name="Review items").get_by_role("row")
    expect(rows).to_have_count(4)  # header + 3
    expect(rows.nth(1)).to_contain_text("14,858.22")
    expect(rows.nth(3)).to_contain_text("2,450.00")
    page.get_by_label("Select all on this page").check()
    page.get_by_label("Assign selected to").select_option("bob")
    page.get_by_role("button", name="Assign", exact=True).click()
    assert "3 item(s) assigned to bob" in flash(page)
    expect(rows).to_have_count(4)  # back on the same filtered list
    page.get_by_label("Search", exact=True).fill("PAYPRO")
    page.get_by_role("button", name="Apply").click()
    expect(rows).to_have_count(2)
    expect(rows.nth(1)).to_contain_text("bob")
    for item_id in (q.matched, q.unidentified, q.wrong_pocket):
        assert item(world, item_id).assignee == "bob"
    assert item(world, q.deduction).assignee is None


def erp_payments(erp: SandboxErp) -> list[dict]:  # type: ignore[type-arg]
    export = subprocess.run(
        [sys.executable, "-m", "cli.app", "sandbox", "export", "payments", "--format", "jsonl",
         "--db", str(erp.db_path)],
        capture_output=True, text=True, timeout=60, check=True, cwd=REPO_ROOT)
    return [json.loads(line) for line in export.stdout.splitlines() if line.strip()]


def test_two_handlers_racing_on_one_item_one_wins_and_the_other_is_told(
    page: Page, chromium: Browser, world: World
) -> None:
    q = world.queue
    other = chromium.new_context(viewport={"width": 1440, "height": 1000}).new_page()
    try:
        sign_in(page, world, "alice")
        sign_in(other, world, "bob")
        page.goto(f"{world.base}/items/{q.matched}")
        other.goto(f"{world.base}/items/{q.matched}")
        page.get_by_role("button", name="Accept suggestion 1").click()
        assert "queued for posting" in flash(page)
        other.get_by_role("button", name="Accept suggestion 2").click()
        message = flash(other)
        assert "Someone else changed item #1 while you had it open" in message
        assert "Nothing you entered was saved" in message
        expect(other.get_by_test_id("status")).to_have_text("resolved")
    finally:
        other.context.close()
    with read_transaction(world.engine) as session:
        decision = latest_decision(session, payment_id="FT2603020001")
    assert decision is not None and decision.decided_by == "alice"
    assert len(decision.decision.applications) == 2  # suggestion 1, not bob's suggestion 2


class _Beacon(BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/gif")
        self.end_headers()

    do_POST = do_GET

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def beacon() -> Iterator[tuple[str, list[str]]]:
    """A loopback server that records every request a hostile mail manages to send."""
    _Beacon.hits = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Beacon)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", _Beacon.hits
    finally:
        server.shutdown()


def test_a_malicious_mail_runs_nothing_and_loads_nothing(
    page: Page, world: World, beacon: tuple[str, list[str]]
) -> None:
    origin, hits = beacon
    hostile = f"""<html><head>
<meta http-equiv="refresh" content="0;url={origin}/meta">
<link rel="stylesheet" href="{origin}/css"><base href="{origin}/">
<style>@import url({origin}/import); body {{ background: url({origin}/bg) }}</style>
<script>fetch("{origin}/script"); document.title = "pwned"; alert("xss")</script>
</head><body onload="fetch('{origin}/onload')">
<p>Please pay to our new account.</p>
<img src="{origin}/pixel.gif" onerror="fetch('{origin}/onerror')">
<img src=x onerror="parent.document.title='pwned'">
<svg onload="fetch('{origin}/svg')"><image href="{origin}/svgimg"/></svg>
<iframe src="{origin}/frame"></iframe><object data="{origin}/object"></object>
<form action="{origin}/form" method="post"><input name="card" value="1">
<button id="go">Confirm</button></form>
<a id="js" href="javascript:fetch('{origin}/js')">click me</a>
<div style="background-image:url({origin}/inline)">x</div>
<video poster="{origin}/poster"></video><audio src="{origin}/audio" autoplay></audio>
</body></html>"""
    message = EmailMessage()
    message["From"] = "Attacker <ap@acme-evil.example>"
    message["Subject"] = "Bank details changed"
    message.set_content("Please pay to our new account.")
    message.add_alternative(hostile, subtype="html")
    with write_transaction(world.engine) as session:
        opened = open_review_item(session, kind=ReviewKind.EXTRACTION_FAILURE, actor="bot:test",
                                  title="Mail with changed bank details", key="mail:hostile")
        attach_review_document(session, item_id=opened.item_id, name="hostile.eml",
                               content_type="message/rfc822", content=message.as_bytes())
        attach_review_document(session, item_id=opened.item_id, name="hostile.html",
                               content_type="text/html", content=hostile.encode())
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    outside: list[str] = []
    page.context.on("request", lambda r: outside.append(r.url)
                    if not r.url.startswith(world.base) else None)

    sign_in(page, world, "alice")
    page.goto(f"{world.base}/items/{opened.item_id}")
    frames = page.locator("iframe.mail-body")
    expect(frames).to_have_count(2)
    body = page.frame_locator("iframe.mail-body").first
    expect(body.get_by_text("Please pay to our new account.")).to_be_visible()
    expect(body.get_by_text("remote or active element(s) blocked")).to_be_visible()
    expect(body.locator("form, script, iframe, object, svg, video, audio")).to_have_count(0)
    body.get_by_text("click me").click()
    page.wait_for_timeout(300)
    # Opened on its own (not framed), the body is still sandboxed by its CSP.
    src = frames.first.get_attribute("src")
    assert src is not None
    alone = page.context.new_page()
    alone.goto(world.base + src)
    alone.wait_for_timeout(300)
    alone.close()
    page.reload()
    page.wait_for_timeout(300)

    assert hits == [], hits
    assert outside == [], outside
    assert dialogs == []
    assert "pwned" not in page.title()
