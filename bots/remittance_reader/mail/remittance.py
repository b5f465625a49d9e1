"""From one mail to what the matcher needs: its kind and, for remittances, the advice.

Contract: :func:`read_mail` never raises for bad content.  The steps:

1. parse the MIME (``mail.message``) and turn the body and every attachment into
   :class:`DocumentContent` (``extract.*``, one reader per channel);
2. read remittance lines from each document's tables (``extract.tables``) and keep the
   document whose lines best agree with the advice's stated total (the same advice is
   often sent as text *and* HTML, or as a body *and* a PDF: it is never counted twice);
3. find the customer (sender address, printed payer) and resolve every printed
   reference to our document number (``shared.matching.refs``);
4. classify the mail (``classify``).

A remittance whose lines cannot be found, or do not add up to a stated total, still
comes back with what was read, plus a ``review_reason``; the store keeps the advice
with that ``problem`` and the matcher does not post from it.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from bots.remittance_reader.classify import MailKind, classify
from bots.remittance_reader.context import ReadingContext
from bots.remittance_reader.extract.advice_fields import (
    AdviceFields,
    advice_fields,
    parse_printed_date,
)
from bots.remittance_reader.extract.attachments import read_attachment
from bots.remittance_reader.extract.document import DocumentContent
from bots.remittance_reader.extract.layout import text_tables
from bots.remittance_reader.extract.tables import ExtractedLine, html_tables, lines_from_tables
from bots.remittance_reader.mail.message import ParsedMail, html_to_text, parse_message
from shared.domain import DocType, Remittance, RemittanceLine
from shared.matching.reasons import reason_code_for
from shared.money import ZERO

__all__ = ["MailReading", "read_mail"]

log = logging.getLogger(__name__)

_PROMISE_AT = re.compile(r"\b(pay|paid|settle[d]?|zahlen|payer|pagar)\b.*?\b(on|by|am|le|el)\b",
                         re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class MailReading:
    """What one mail said: ``kind``, and a ``remittance`` and/or a ``review_reason``."""

    message_id: str
    sender: str
    subject: str
    kind: MailKind
    channel: str = "text"
    remittance: Remittance | None = None
    review_reason: str | None = None
    problems: list[str] = field(default_factory=list)  # documents that could not be read
    referenced_docs: list[str] = field(default_factory=list)  # disputes, promises
    promised_date: date | None = None  # promises to pay


@dataclass(frozen=True)
class _Candidate:
    document: DocumentContent
    lines: list[ExtractedLine]
    origin: str  # channel to report: the document's, or "forwarded"/"zip"

    @property
    def total(self) -> Decimal:
        return sum((line.paid for line in self.lines), ZERO)


def _documents(mail: ParsedMail) -> list[tuple[DocumentContent, str]]:
    """The body and every attachment as documents, each with the channel to report."""
    found: list[tuple[DocumentContent, str]] = []
    wrapper = "forwarded" if mail.forwarded else None
    if mail.html.strip():
        doc = DocumentContent("body.html", "html", text=html_to_text(mail.html),
                              tables=html_tables(mail.html))
        found.append((doc, wrapper or "html"))
    if mail.text.strip():
        doc = DocumentContent("body", "text", text=mail.text, tables=text_tables(mail.text))
        found.append((doc, wrapper or "text"))
    for part in mail.parts:
        try:
            documents = read_attachment(part.name, part.content_type, part.data)
        except Exception as exc:  # a reader bug must not stop the batch
            log.exception("attachment %s of %s not read", part.name, mail.message_id)
            documents = [DocumentContent(part.name, "other",
                                         problem=f"attachment could not be read ({exc})")]
        zipped = len(documents) > 1 or any(d.name != part.name for d in documents)
        for doc in documents:
            found.append((doc, wrapper or ("zip" if zipped else doc.channel)))
    return found


def _best(candidates: list[_Candidate], totals: list[Decimal]) -> _Candidate | None:
    """The document whose lines agree with a stated total; else the one with most lines."""
    readable = [c for c in candidates if c.lines]
    if not readable:
        return None
    return max(readable, key=lambda c: (c.total in totals, len(c.lines), c.origin != "text"))


def _resolve(lines: list[ExtractedLine], context: ReadingContext, customers: set[str],
             *, ocr: bool) -> list[RemittanceLine]:
    """Resolve printed references, strong ones first, then the rest within their customers.

    A reference read by OCR must also agree with the line's amounts: a misread digit can
    make another real document number.  A reference that cannot be resolved is matched,
    within the customer's group, to the one document its digits nearly spell and its
    amount fits, or to the one document whose amount it is.
    """
    refs = context.refs
    first = [refs.resolve(x.ref_as_printed, amounts=_amounts(x)) for x in lines]
    known = set(customers) | {
        m.customer_id for m, x in zip(first, lines, strict=True)
        if m is not None and m.strong and (not ocr or refs.fits(m.doc_no, _amounts(x)))}
    out = []
    for line, early in zip(lines, first, strict=True):
        amounts = _amounts(line)
        match = refs.resolve(line.ref_as_printed, customer_ids=known,
                             amounts=amounts) if known else early
        if match is not None and ocr and not refs.fits(match.doc_no, amounts):
            match = None
        if match is None and known:
            match = (refs.nearest(line.ref_as_printed, customer_ids=known, amounts=amounts)
                     or refs.by_amount(customer_ids=known, amounts=amounts))
        doc_no = match.doc_no if match is not None else None
        out.append(_remittance_line(line, doc_no, context))
    return out


def _amounts(line: ExtractedLine) -> list[Decimal]:
    values = [abs(line.paid), abs(line.paid + line.discount), abs(line.paid + line.deduction)]
    if line.gross is not None:
        values.append(abs(line.gross))
    return values + [-v for v in values]


def _remittance_line(x: ExtractedLine, doc_no: str | None,
                     context: ReadingContext) -> RemittanceLine:
    paid, gross = x.paid, x.gross
    item = context.refs.items.get(doc_no) if doc_no else None
    if item is not None and item.doc_type is DocType.CREDIT_MEMO and paid > 0:
        # Credit memos are negative; advices print them either way.
        paid, gross = -paid, (-gross if gross is not None and gross > 0 else gross)
    unexplained = gross is not None and gross != paid + x.deduction + x.discount
    return RemittanceLine(
        ref_as_printed=x.ref_as_printed[:200],
        doc_no=doc_no,
        gross=None if unexplained else gross,
        gross_unexplained=unexplained,
        deduction=x.deduction,
        discount=x.discount,
        paid=paid,
        reason_code=reason_code_for(x.reason) if x.deduction else None,
        reason_text=x.reason or None,
    )


def _referenced_docs(text: str, context: ReadingContext, customers: set[str]) -> list[str]:
    """Our documents named in a dispute or a promise to pay."""
    docs: list[str] = []
    for token in re.findall(r"[A-Za-z]*[-/]?\d[\w\-/]*", text):
        token = token.strip("-/.,")
        if not context.looks_like_ref(token):
            continue
        match = context.refs.resolve(token, customer_ids=customers)
        if match is not None and match.doc_no not in docs:
            docs.append(match.doc_no)
    return docs


def read_mail(raw: bytes, context: ReadingContext, *, source: str) -> MailReading:
    """Classify one mail and, for a remittance, extract, resolve and cross-check its lines."""
    mail = parse_message(raw)
    documents = _documents(mail)
    texts = [mail.subject] + [doc.text for doc, _ in documents if doc.text]
    fields = advice_fields("\n".join(texts))
    candidates = [
        _Candidate(doc, lines_from_tables(doc.tables, context.looks_like_ref), origin)
        for doc, origin in documents
    ]
    best = _best(candidates, fields.totals)
    body = next((doc.text for doc, _ in documents if doc.name in ("body", "body.html")), "")
    kind = classify(mail.subject, body, has_lines=best is not None)
    problems = [f"{doc.name}: {doc.problem}" for doc, _ in documents if doc.problem]
    reading = MailReading(
        message_id=mail.message_id or source, sender=mail.sender, subject=mail.subject,
        kind=kind, problems=problems,
    )
    customers = context.customers_for_sender(mail.sender, fields.payer)
    if kind in ("dispute", "promise_to_pay"):
        mentioned = _referenced_docs(f"{mail.subject}\n{body}", context, customers)
        promised = None
        if kind == "promise_to_pay" and (at := _PROMISE_AT.search(body)) is not None:
            promised = parse_printed_date(body[at.end():at.end() + 40], day_first=False)
        return replace(reading, referenced_docs=mentioned, promised_date=promised)
    if kind != "remittance":
        return reading
    if best is None:
        reason = "remittance without readable lines"
        if problems:
            reason += ": " + "; ".join(problems)
        elif mail.parts:
            reason += " (attachments: " + ", ".join(p.name or p.content_type for p in mail.parts)
            reason += ")"
        return replace(reading, review_reason=reason)
    return _with_remittance(reading, best, fields, context, customers, source)


def _with_remittance(reading: MailReading, best: _Candidate, fields: AdviceFields,
                     context: ReadingContext, customers: set[str], source: str) -> MailReading:
    ocr = best.document.channel in ("scan", "image")
    lines = _resolve(best.lines, context, customers, ocr=ocr)
    if fields.partial:
        # "Teilzahlung", "instalment": gross above paid is the part still owed (rule 8).
        lines = [x.model_copy(update={"gross_unexplained": False}) for x in lines]
    lines_paid = sum((line.paid for line in lines), ZERO)
    problem = None
    stated = ", ".join(str(t) for t in fields.totals)
    if fields.totals and lines_paid not in fields.totals and (
            ocr or all(lines_paid > total for total in fields.totals)):
        # OCR may drop or misread a line; any advice whose lines exceed what it says it
        # pays contradicts itself.  (Lines below the total of a typed advice are an
        # overpayment the customer states: the rest goes on account.)
        problem = f"lines add up to {lines_paid}, the advice says {stated}"
    elif not fields.totals and ocr:
        # OCR can drop a whole line; without a printed total nothing shows it.
        problem = "no printed total to check the lines read by OCR against"
    elif ocr and not fields.partial and (short := [
            x.ref_as_printed for x in best.lines
            if x.gross is not None and x.gross != x.paid + x.deduction + x.discount]):
        # Gross above paid with nothing read in between: a deduction or discount column
        # OCR missed looks just like a partial payment, and only a person can tell.
        problem = (f"OCR read a gross amount that paid, deduction and discount do not add up "
                   f"to on {', '.join(short)}")
    owners = customers or {context.refs.items[x.doc_no].customer_id
                           for x in lines if x.doc_no is not None}
    # The parent when a group pays: the customer that is not a subsidiary of another one.
    customer_id = _payer_of(owners, context)
    remittance = Remittance(
        # Message-IDs can be long; the id only needs to be stable per mail.
        remittance_id="R-" + hashlib.sha256(reading.message_id.encode()).hexdigest()[:24],
        source=source,
        channel=best.origin,
        customer_id=customer_id,
        payer_name=fields.payer,
        currency=fields.currency,
        payment_date=fields.payment_date,
        payment_ref=fields.payment_ref,
        total_paid=max(fields.totals) if problem is not None and fields.totals else lines_paid,
        problem=problem,
        lines=tuple(lines),
    )
    return replace(reading, channel=best.origin, remittance=remittance, review_reason=problem)


def _payer_of(owners: set[str], context: ReadingContext) -> str | None:
    if len(owners) == 1:
        return next(iter(owners))
    parents = {c.parent_id for c in context.customers if c.customer_id in owners and c.parent_id}
    if len(parents) == 1 and (parent := next(iter(parents))) is not None:
        return parent
    return None
