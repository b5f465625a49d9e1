"""A sample review queue: items of every kind with documents, for the demo and screenshots.

:func:`seed_sample_queue` fills a migrated store that holds the sandbox ERP's default
ledger (customers C00001..., invoices INV-2026-...) with payments and review items the
way the bots open them, attaches source documents (a remittance mail with a PDF advice,
a scanned advice, a customer's HTML mail), and adds users of every role.  Nothing here
is used by the bots; ``o2c review sample`` and the tests call it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from email.message import EmailMessage

from sqlalchemy import Engine

from shared.domain import (
    Adjustment,
    AdjustmentType,
    Application,
    Decision,
    Payment,
    ReasonCode,
    ReviewKind,
    Suggestion,
)
from shared.review.passwords import hash_password
from shared.store import (
    claim_next_posting,
    enqueue_posting,
    mark_posting_failed,
    open_review_item,
    record_decision,
    upsert_payment,
    write_transaction,
)
from shared.store.review_queue import attach_review_document
from shared.store.review_users import add_user
from shared.store.types import utcnow

__all__ = ["SAMPLE_USERS", "SampleQueue", "seed_sample_queue", "seed_users"]

# username, display name, role, password (sample only: never use these for real)
SAMPLE_USERS: tuple[tuple[str, str, str, str], ...] = (
    ("alice", "Alice Martin", "handler", "alice-review-1"),
    ("bob", "Bob Chen", "handler", "bob-review-22"),
    ("carol", "Carol Diaz", "approver", "carol-approve-3"),
    ("victor", "Victor Lee", "viewer", "victor-view-44"),
    ("admin", "Queue Admin", "admin", "admin-review-55"),
)
_BOT = "bot:matcher"
_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


@dataclass
class SampleQueue:
    """Ids of what was seeded, by role in the story."""

    matched: int = 0           # unmatched payment with a good suggestion (2 invoices)
    deduction: int = 0         # partial match: a 300.00 DAMAGED deduction (above authority)
    posting_failure: int = 0   # the ERP refused a posting; the outbox entry is failed
    unidentified: int = 0      # payer unknown; suggestion by amount only
    wrong_pocket: int = 0      # paid to us for the sister company
    extraction: int = 0        # scanned advice the reader could not read
    dispute: int = 0           # customer disputes a price (HTML mail)
    promise: int = 0           # promise to pay
    bad_document: int = 0      # unreadable bank statement


def seed_users(engine: Engine, users: tuple[tuple[str, str, str, str], ...] = SAMPLE_USERS,
               ) -> None:
    """Add the sample users (alice, bob: handlers; carol: approver; victor: viewer)."""
    with write_transaction(engine) as session:
        for username, name, role, password in users:
            add_user(session, username=username, display_name=name, role=role,
                     password_hash=hash_password(password), actor="setup")


def _pdf_advice(title: str, lines: list[tuple[str, str, str]], total: str) -> bytes:
    """A one-page remittance advice as a PDF (drawn with Pillow, as a scanner would)."""
    from PIL import Image, ImageDraw, ImageFont

    page = Image.new("RGB", (1240, 1754), "white")
    draw = ImageDraw.Draw(page)
    big = ImageFont.truetype(_FONT, 44)
    font = ImageFont.truetype(_FONT, 28)
    draw.text((100, 110), title, fill="black", font=big)
    draw.text((100, 190), "REMITTANCE ADVICE", fill=(60, 60, 60), font=font)
    draw.text((100, 240), "To: Northwind Components, Accounts Receivable", fill="black", font=font)
    y = 360
    draw.line((100, y - 16, 1140, y - 16), fill="black", width=2)
    for col, x in (("Invoice", 100), ("Reference", 430), ("Amount paid", 860)):
        draw.text((x, y), col, fill="black", font=font)
    y += 60
    for doc, ref, amount in lines:
        draw.text((100, y), doc, fill="black", font=font)
        draw.text((430, y), ref, fill="black", font=font)
        draw.text((860, y), amount, fill="black", font=font)
        y += 50
    draw.line((100, y + 10, 1140, y + 10), fill="black", width=2)
    draw.text((600, y + 40), "Total", fill="black", font=font)
    draw.text((860, y + 40), total, fill="black", font=font)
    out = io.BytesIO()
    page.save(out, format="PDF", resolution=150)
    return out.getvalue()


def _scan(text: list[str]) -> bytes:
    from PIL import Image, ImageDraw, ImageFilter, ImageFont

    page = Image.new("L", (900, 600), 236)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(_FONT, 26)
    for n, line in enumerate(text):
        draw.text((60, 60 + 48 * n), line, fill=70, font=font)
    page = page.rotate(2.5, fillcolor=236).filter(ImageFilter.GaussianBlur(1.6))
    out = io.BytesIO()
    page.save(out, format="PNG")
    return out.getvalue()


def _mail(sender: str, subject: str, html: str | None, text: str,
          attachments: list[tuple[str, str, bytes]] = ()) -> bytes:  # type: ignore[assignment]
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "ar@northwind.example"
    message["Subject"] = subject
    message["Date"] = "Mon, 02 Mar 2026 09:14:00 +0000"
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    for name, ctype, data in attachments:
        maintype, subtype = ctype.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes()


def _payment(pid: str, amount: str, payer: str, text: str, account: str | None = None,
             day: int = 2) -> Payment:
    return Payment(payment_id=pid, amount=Decimal(amount), currency="USD",
                   value_date=date(2026, 3, day), payer_name=payer, payer_account=account,
                   text=text, receiving_account="US-OPS-001", source="statement-0302.xml")


def seed_sample_queue(engine: Engine, *, now: datetime | None = None,
                      with_documents: bool = True) -> SampleQueue:
    """Payments and review items of every kind over the sandbox ERP's default ledger.

    The store must hold the sandbox's default customers and open items (load them from
    ``fixtures/sandbox_erp/default_data/ledger`` first).
    """
    stamp = now or utcnow()
    out = SampleQueue()

    def opened(hours: float) -> datetime:
        return stamp - timedelta(hours=hours)

    with write_transaction(engine) as s:
        # 1. Two invoices paid together; the bank text names neither (no advice matched).
        p1 = _payment("FT2603020001", "14858.22", "ACME MFG LLC", "PAYMENT MARCH ACME MFG",
                      "ACHID:1234567890")
        upsert_payment(s, payment=p1)
        item = open_review_item(
            s, kind=ReviewKind.UNMATCHED_PAYMENT, actor=_BOT, now=opened(30),
            title="USD 14858.22 from ACME MFG LLC: ambiguous", payment_id=p1.payment_id,
            key=f"payment:{p1.payment_id}",
            payload={"reason": "ambiguous", "customer_id": "C00002",
                     "evidence": ["payer ACHID:1234567890 is Acme Manufacturing LLC (C00002)",
                                  "no document number in the bank text",
                                  "two combinations of open items add up to 14858.22"],
                     "payment": p1.model_dump(mode="json")},
            suggestions=[
                Suggestion(applications=(Application(doc_no="INV-2026-000407",
                                                     amount=Decimal("13368.45")),
                                         Application(doc_no="INV-2026-000424",
                                                     amount=Decimal("1489.77"))),
                           confidence=0.81,
                           evidence=("the remittance mail lists INV-2026-000407 and 000424",
                                     "sum matches the payment to the cent")),
                Suggestion(applications=(Application(doc_no="INV-2026-000466",
                                                     amount=Decimal("14191.70")),),
                           on_account=Decimal("666.52"), confidence=0.22,
                           evidence=("oldest invoice near the amount",)),
            ])
        out.matched = item.item_id
        if with_documents:
            pdf = _pdf_advice("ACME MANUFACTURING LLC",
                              [("INV-2026-000407", "PO 4500052634", "13,368.45"),
                               ("INV-2026-000424", "PO 4500065849", "1,489.77")], "14,858.22")
            mail = _mail("Acme Payables <payables@acme-mfg.com>", "Payment advice 0302",
                         "<p>Hello AR team,</p><p>please find our payment advice attached.</p>"
                         "<p>Kind regards,<br><b>Acme Manufacturing</b> Payables</p>",
                         "Hello AR team, please find our payment advice attached.",
                         [("advice-0302.pdf", "application/pdf", pdf)])
            attach_review_document(s, item_id=item.item_id, name="Payment advice 0302.eml",
                                   content_type="message/rfc822", content=mail)

        # 2. Short payment with a damaged-goods deduction above the handler's authority.
        p2 = _payment("FT2603020002", "11241.60", "ACME MANUFACTURING", "INV-2026-000420 "
                      "LESS DAMAGED GOODS", "ACHID:1234567890")
        upsert_payment(s, payment=p2)
        item = open_review_item(
            s, kind=ReviewKind.PARTIAL_MATCH, actor=_BOT, now=opened(6),
            title="USD 11241.60 from ACME MANUFACTURING: short by 300.00 on INV-2026-000420",
            payment_id=p2.payment_id, key=f"payment:{p2.payment_id}",
            payload={"reason": "deduction above policy", "customer_id": "C00002",
                     "evidence": ["bank text names INV-2026-000420 (11541.60 open)",
                                  "short by 300.00; text says DAMAGED GOODS"],
                     "payment": p2.model_dump(mode="json")},
            suggestions=[Suggestion(
                applications=(Application(doc_no="INV-2026-000420",
                                          amount=Decimal("11241.60")),),
                adjustments=(Adjustment(type=AdjustmentType.DEDUCTION,
                                        doc_no="INV-2026-000420", amount=Decimal("300.00"),
                                        reason_code=ReasonCode.DAMAGED),),
                confidence=0.9, evidence=("deduction reason DAMAGED read from the bank text",))])
        out.deduction = item.item_id

        # 3. A decision the ERP refused (the document was on hold); outbox entry failed.
        p3 = _payment("FT2603020003", "6285.67", "ACME MFG", "INV 2026 000427")
        upsert_payment(s, payment=p3)
        decision = Decision.auto(p3, applications=[Application(doc_no="INV-2026-000427",
                                                               amount=Decimal("6285.67"))],
                                 customer_id="C00002", confidence=0.99)
        decision_id = record_decision(s, decision=decision, decided_by="matcher")
        enqueue_posting(s, payment_id=p3.payment_id, decision_id=decision_id)
    with write_transaction(engine) as s:
        claim_next_posting(s, worker="bot:erp_poster")
    with write_transaction(engine) as s:
        mark_posting_failed(s, payment_id=p3.payment_id, worker="bot:erp_poster",
                            error="Document INV-2026-000427 is on hold")
        item = open_review_item(
            s, kind=ReviewKind.POSTING_FAILURE, actor="bot:erp_poster", now=opened(50),
            title="ERP refused payment FT2603020003: Document INV-2026-000427 is on hold",
            payment_id=p3.payment_id, key=f"posting:{p3.payment_id}",
            payload={"error": "Document INV-2026-000427 is on hold",
                     "decision": decision.to_json()},
            suggestions=[Suggestion(applications=decision.applications,
                                    evidence=("the matcher's decision, refused by the ERP",))])
        out.posting_failure = item.item_id

        # 4. Unknown payer; only the amount points at a customer.
        p4 = _payment("FT2603020004", "8062.15", "PAYPRO SETTLEMENTS", "REF 88213-AX",
                      "IBAN:GB33BUKB20201555555555")
        upsert_payment(s, payment=p4)
        item = open_review_item(
            s, kind=ReviewKind.UNMATCHED_PAYMENT, actor=_BOT, now=opened(80),
            title="USD 8062.15 from PAYPRO SETTLEMENTS: unidentified", payment_id=p4.payment_id,
            key=f"payment:{p4.payment_id}",
            payload={"reason": "unidentified", "customer_id": None,
                     "evidence": ["payer is a payment platform, not in the master data",
                                  "one open item of exactly 8062.15: INV-2026-000455 (C00003)"],
                     "payment": p4.model_dump(mode="json")},
            suggestions=[Suggestion(applications=(Application(doc_no="INV-2026-000455",
                                                              amount=Decimal("8062.15")),),
                                    confidence=0.55,
                                    evidence=("amount equals INV-2026-000455",))])
        out.unidentified = item.item_id

        # 5. Wrong pocket: paid to us for the sister company.
        p5 = _payment("FT2603020005", "2450.00", "GLOBEX GMBH", "NORTHWIND LOGISTICS INV 7781")
        upsert_payment(s, payment=p5)
        item = open_review_item(
            s, kind=ReviewKind.UNMATCHED_PAYMENT, actor=_BOT, now=opened(3),
            title="USD 2450.00 from GLOBEX GMBH: wrong_pocket", payment_id=p5.payment_id,
            key=f"payment:{p5.payment_id}",
            payload={"reason": "wrong_pocket", "customer_id": None,
                     "evidence": ["bank text names NORTHWIND LOGISTICS, our sister company"],
                     "payment": p5.model_dump(mode="json")})
        out.wrong_pocket = item.item_id

        # 6. A scanned advice the reader could not read.
        item = open_review_item(
            s, kind=ReviewKind.EXTRACTION_FAILURE, actor="bot:remittance_reader",
            now=opened(20), title="Remittance not read: scan too blurred for OCR",
            key="mail:sample:0006",
            payload={"sender": "ap@acme-retail.com", "subject": "Remittance",
                     "problems": ["OCR confidence 31% on the only page"]})
        out.extraction = item.item_id
        if with_documents:
            attach_review_document(
                s, item_id=item.item_id, name="scan-0006.png", content_type="image/png",
                content=_scan(["ACME RETAIL CORP.  Remittance advice", "",
                               "INV-2026-000478     4,787.54", "INV-2026-000455     8,062.15",
                               "", "Total             12,849.69"]))

        # 7. A price dispute by mail (HTML with a tracking pixel: shown blocked).
        item = open_review_item(
            s, kind=ReviewKind.DISPUTE, actor="bot:remittance_reader", now=opened(12),
            title="Dispute from ap@acme-retail.com: price on INV-2026-000478",
            key="mail:sample:0007",
            payload={"sender": "ap@acme-retail.com", "subject": "Price difference",
                     "documents": ["INV-2026-000478"], "customer_id": "C00003"})
        out.dispute = item.item_id
        if with_documents:
            html = ("<div style='font-family:Arial'><p>Dear Northwind AR,</p><p>on invoice "
                    "<b>INV-2026-000478</b> you charged <b>$24.10</b> per unit; our contract "
                    "price is <b>$22.90</b>. We will short-pay the difference of "
                    "<b>$95.75</b>.</p><table border='1' cellpadding='4'><tr><th>Item</th>"
                    "<th>Qty</th><th>Billed</th><th>Contract</th></tr><tr><td>Bracket A7</td>"
                    "<td>80</td><td>24.10</td><td>22.90</td></tr></table><p>Regards,<br>"
                    "Acme Retail Payables</p><img src='https://tracker.example/p.gif' "
                    "width='1' height='1'></div>")
            attach_review_document(s, item_id=item.item_id, name="Price difference.eml",
                                   content_type="message/rfc822",
                                   content=_mail("Acme Retail AP <ap@acme-retail.com>",
                                                 "Price difference INV-2026-000478", html,
                                                 "Price difference on INV-2026-000478"))

        # 8. A promise to pay.
        item = open_review_item(
            s, kind=ReviewKind.PROMISE_TO_PAY, actor="bot:remittance_reader", now=opened(2),
            title="Promise to pay from payables@acme-mfg.com",
            key="mail:sample:0008",
            payload={"sender": "payables@acme-mfg.com", "promised_date": "2026-03-16",
                     "documents": ["INV-2026-000466"], "customer_id": "C00002"})
        out.promise = item.item_id

        # 9. A bank statement that cannot be read.
        item = open_review_item(
            s, kind=ReviewKind.BAD_DOCUMENT, actor="bot:remittance_reader", now=opened(100),
            title="Bank statement stmt-0301.csv cannot be read",
            key="statement:stmt-0301.csv",
            payload={"file": "stmt-0301.csv", "error": "line 14: amount '1.2O4,00' is not a "
                                                        "number"})
        out.bad_document = item.item_id
    return out
