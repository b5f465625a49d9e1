"""The pages of the review queue: the list, one item, its documents, the metrics.

Read-only routes: each reads one consistent snapshot of the store and renders a
template.  The forms on these pages post to :mod:`shared.review.posts`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from shared import audit
from shared.domain import ReviewItem, ReviewKind, ReviewStatus
from shared.errors import RecordNotFoundError
from shared.money import ZERO, format_amount
from shared.review.actions import PAYMENT_KINDS, suggestions_of
from shared.review.auth import signed_in
from shared.review.context import ReviewContext, context_of
from shared.review.documents import (
    describe,
    image_for_browser,
    part_content,
    pdf_page_png,
    sanitize_html,
)
from shared.review.security import UNTRUSTED_CSP
from shared.store import (
    decision_history,
    get_customers,
    get_open_items,
    get_payment,
    get_posting,
    get_review_item,
    list_remittances,
    read_transaction,
)
from shared.store.review_approvals import get_pending_approval
from shared.store.review_queue import (
    AGE_BUCKETS,
    QueueFilter,
    get_review_document,
    list_review_documents,
    queue_metrics,
    search_queue,
)
from shared.store.review_users import UserSession, list_users
from shared.store.types import utcnow

__all__ = ["Editor", "item_response", "router"]

router = APIRouter()
Auth = Annotated[UserSession, Depends(signed_in)]
STATUSES = ("active", "open", "claimed", "approval", "closed", "all")
SORTS = ("due", "age", "amount", "kind", "customer")
REASON_CODES = ("PRICING", "DAMAGED", "SHORTAGE", "PROMOTION", "FREIGHT", "RETURN", "OTHER")


def _html(ctx: ReviewContext, request: Request, template: str, **values: Any) -> HTMLResponse:
    response = HTMLResponse("")
    flash = ctx.flash.pop(request, response)
    body = ctx.render(template, request=request, flash=flash, **values)
    out = HTMLResponse(body)
    for key, value in response.headers.items():
        if key.lower() == "set-cookie":
            out.headers.append(key, value)
    return out


def _decimal(text: str | None) -> Decimal | None:
    if not text or not text.strip():
        return None
    try:
        return Decimal(text.strip().replace(",", ""))
    except ArithmeticError:
        return None


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text and text.strip() else None
    except ValueError:
        return None


@dataclass
class _Query:
    values: dict[str, str]

    def with_(self, **changes: str | None) -> str:
        merged = {**self.values, **changes}
        return "?" + urlencode({k: v for k, v in merged.items() if v})


@router.get("/", response_class=HTMLResponse)
def queue(request: Request, auth: Auth) -> HTMLResponse:
    """The queue with filters, sort, search and bulk assignment."""
    ctx = context_of(request)
    q = request.query_params
    status = q.get("status") if q.get("status") in STATUSES else "active"
    kind = q.get("kind") if q.get("kind") in {k.value for k in ReviewKind} else None
    sort = q.get("sort") if q.get("sort") in SORTS else "due"
    assignee = q.get("assignee") or None
    if assignee == "me":
        assignee = auth.user.username
    filters = QueueFilter(
        status=status,  # type: ignore[arg-type]
        kind=ReviewKind(kind) if kind else None,
        customer=q.get("customer") or None,
        amount_min=_decimal(q.get("min")), amount_max=_decimal(q.get("max")),
        older_than_days=_int(q.get("older")), sla_breached=q.get("breached") == "1",
        assignee=assignee, text=q.get("q") or None,
        sort=sort,  # type: ignore[arg-type]
        descending=q.get("dir") == "desc",
    )
    page_no = max(_int(q.get("page")) or 1, 1)
    size = ctx.settings.page_size
    with read_transaction(ctx.engine) as session:
        page = search_queue(session, filters=filters, sla=ctx.sla, limit=size,
                            offset=(page_no - 1) * size)
        users = [u for u in list_users(session, active_only=True) if u.can("handler")]
        metrics = queue_metrics(session, sla=ctx.sla)
    kind_counts = {kind: (sum(ages.values()), metrics.breached_by_kind.get(kind, 0))
                   for kind, ages in sorted(metrics.open_by_kind_age.items())}
    query = _Query({k: v for k, v in q.items() if k != "page"})
    return _html(ctx, request, "queue.html", page=page, filters=filters, users=users,
                 kinds=list(ReviewKind), statuses=STATUSES, sorts=SORTS, query=query,
                 raw=q, page_no=page_no, pages=max((page.total + size - 1) // size, 1),
                 kind_counts=kind_counts, metrics=metrics, title="Review queue")


@router.get("/items/{item_id}", response_class=HTMLResponse)
def item_page(item_id: int, request: Request, auth: Auth) -> HTMLResponse:
    """One item with everything needed to decide it."""
    return item_response(request, item_id)


@dataclass
class Editor:
    """What the allocation editor shows: the best suggestion, or the handler's draft."""

    customer_id: str = ""
    apps: list[tuple[str, str]] = field(default_factory=list)
    adjs: list[tuple[str, str, str, str]] = field(default_factory=list)
    note: str = ""


def item_response(request: Request, item_id: int, *, editor: Editor | None = None,
                  flash: dict[str, str] | None = None, status: int = 200) -> HTMLResponse:
    """The item page; with ``editor`` the allocation editor keeps the handler's draft."""
    ctx = context_of(request)
    with read_transaction(ctx.engine) as session:
        try:
            item = get_review_item(session, item_id=item_id)
        except RecordNotFoundError:
            raise HTTPException(404, f"There is no review item {item_id}.") from None
        data = _item_data(ctx, session, item)
    if editor is not None:
        data["editor"] = editor
    if flash is not None:
        body = ctx.render("item.html", request=request, flash=flash,
                          title=f"#{item.item_id} {item.title}", **data)
        return HTMLResponse(body, status_code=status)
    return _html(ctx, request, "item.html", title=f"#{item.item_id} {item.title}", **data)


def _item_data(ctx: ReviewContext, session: Any, item: ReviewItem) -> dict[str, Any]:
    payment = get_payment(session, payment_id=item.payment_id) if item.payment_id else None
    remittances = list_remittances(session, payment_id=item.payment_id) if payment else []
    customers = get_customers(session)
    by_id = {c.customer_id: c for c in customers}
    decision = item.payload.get("decision")
    customer_id = item.payload.get("customer_id") or (
        decision.get("customer_id") if isinstance(decision, dict) else None)
    resolution = item.resolution or {}
    customer_id = resolution.get("customer_id") or customer_id
    family = [customer_id] + [c.customer_id for c in customers if c.parent_id == customer_id] \
        if isinstance(customer_id, str) else []
    open_items = get_open_items(session, customer_ids=family) if family else []
    suggestions = suggestions_of(item)
    documents = []
    for info in list_review_documents(session, item_id=item.item_id):
        _, content = get_review_document(session, item_id=item.item_id,
                                         document_id=info.document_id)
        documents.append((info, describe(info.content_type, content)))
    history = audit.history(session, entity_type="review_item", entity_id=item.item_id)
    users = [u for u in list_users(session, active_only=True) if u.can("handler")]
    approval = get_pending_approval(session, item_id=item.item_id)
    decisions = decision_history(session, payment_id=payment.payment_id) if payment else []
    posting = get_posting(session, payment_id=payment.payment_id) if payment else None
    best = suggestions[0] if suggestions else None
    raw_evidence = item.payload.get("evidence")
    evidence = [str(e) for e in raw_evidence] if isinstance(raw_evidence, list) else []
    suggested_docs = {a.doc_no for s in suggestions for a in s.applications}
    editor = Editor(
        customer_id=customer_id if isinstance(customer_id, str) else "",
        apps=[(a.doc_no, format_amount(a.amount)) for a in (best.applications if best else ())],
        adjs=[(j.type.value, j.doc_no, format_amount(j.amount),
               j.reason_code.value if j.reason_code else "")
              for j in (best.adjustments if best else ())])
    return {
        "editor": editor,
        "item": item, "payment": payment, "remittances": remittances,
        "customer": by_id.get(customer_id) if isinstance(customer_id, str) else None,
        "customer_id": customer_id if isinstance(customer_id, str) else "",
        "customers": customers, "open_items": open_items, "suggestions": suggestions,
        "best": best, "suggested_docs": suggested_docs, "documents": documents,
        "history": history, "users": users, "approval": approval, "decisions": decisions,
        "posting": posting, "is_payment": item.kind in PAYMENT_KINDS and payment is not None,
        "is_active": item.status in (ReviewStatus.OPEN, ReviewStatus.CLAIMED),
        "threshold": ctx.settings.approval_threshold,
        "open_total": sum((i.open_amount for i in open_items), ZERO),
        "reason_codes": REASON_CODES, "breached": item.is_open and (
            item.sla_due or item.created_at + ctx.sla) < utcnow(),
        "due": item.sla_due or item.created_at + ctx.sla,
        "payload_rest": {k: v for k, v in item.payload.items()
                         if k not in ("evidence", "payment", "decision", "reason")},
        "evidence": evidence,
    }


def _document(ctx: ReviewContext, item_id: int, document_id: int, part: int
              ) -> tuple[str, bytes, str]:
    with read_transaction(ctx.engine) as session:
        try:
            info, content = get_review_document(session, item_id=item_id,
                                                document_id=document_id)
            ctype, data = part_content(info.content_type, content, part)
        except (RecordNotFoundError, IndexError):
            raise HTTPException(404, "No such document.") from None
    return ctype, data, info.name


@router.get("/items/{item_id}/documents/{document_id}/{part}/body")
def document_body(item_id: int, document_id: int, part: int, request: Request,
                  auth: Auth) -> Response:
    """An HTML or text part, cleaned, for the sandboxed frame of the item page."""
    ctype, data, _ = _document(context_of(request), item_id, document_id, part)
    text = data.decode("utf-8", errors="replace")
    if ctype.split(";")[0].strip().lower() == "text/html":
        clean, blocked = sanitize_html(text)
    else:
        from markupsafe import escape

        clean, blocked = f"<pre>{escape(text)}</pre>", 0
    note = (f'<p class="o2c-blocked">{blocked} remote or active element(s) blocked.</p>'
            if blocked else "")
    page = ("<!doctype html><html><head><meta charset=\"utf-8\"><style>"
            "body{font:14px/1.45 system-ui,sans-serif;color:#1d2733;margin:12px;"
            "word-wrap:break-word}pre{white-space:pre-wrap;font:13px/1.4 ui-monospace,monospace}"
            "table{border-collapse:collapse}td,th{padding:2px 6px}img{max-width:100%}"
            ".o2c-blocked{background:#fff4e5;border:1px solid #f0c36d;padding:4px 8px;"
            "font-size:12px;color:#7a4b00}</style></head><body>"
            f"{note}{clean}</body></html>")
    return Response(page, media_type="text/html; charset=utf-8",
                    headers={"Content-Security-Policy": UNTRUSTED_CSP})


@router.get("/items/{item_id}/documents/{document_id}/{part}/page/{page}.png")
def document_page(item_id: int, document_id: int, part: int, page: int, request: Request,
                  auth: Auth) -> Response:
    """One page of a PDF part, rendered on the server."""
    ctype, data, _ = _document(context_of(request), item_id, document_id, part)
    if ctype != "application/pdf":
        raise HTTPException(404, "Not a PDF.")
    try:
        png = pdf_page_png(data, page)
    except IndexError:
        raise HTTPException(404, "No such page.") from None
    return Response(png, media_type="image/png",
                    headers={"Cache-Control": "private, max-age=3600"})


@router.get("/items/{item_id}/documents/{document_id}/{part}/image")
def document_image(item_id: int, document_id: int, part: int, request: Request,
                   auth: Auth) -> Response:
    """An image part (TIFF and BMP converted to PNG)."""
    ctype, data, _ = _document(context_of(request), item_id, document_id, part)
    if not ctype.startswith("image/"):
        raise HTTPException(404, "Not an image.")
    media, body = image_for_browser(ctype, data)
    return Response(body, media_type=media, headers={
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "private, max-age=3600"})


@router.get("/items/{item_id}/documents/{document_id}/{part}/download")
def document_download(item_id: int, document_id: int, part: int, request: Request,
                      auth: Auth) -> Response:
    """The part's bytes as a download (never rendered inline by the browser)."""
    _, data, name = _document(context_of(request), item_id, document_id, part)
    safe = "".join(ch for ch in name if ch.isalnum() or ch in "._-")[:100] or "document"
    return Response(data, media_type="application/octet-stream", headers={
        "Content-Disposition": f'attachment; filename="{safe}"',
        "Content-Security-Policy": "default-src 'none'; sandbox"})


@router.get("/metrics", response_class=HTMLResponse)
def metrics_page(request: Request, auth: Auth) -> HTMLResponse:
    """Open items by kind and age, SLA breaches, throughput per handler."""
    ctx = context_of(request)
    days = _int(request.query_params.get("days")) or 7
    with read_transaction(ctx.engine) as session:
        metrics = queue_metrics(session, sla=ctx.sla, window_days=min(max(days, 1), 90))
    return _html(ctx, request, "metrics.html", metrics=metrics, title="Queue metrics",
                 buckets=[label for label, _, _ in AGE_BUCKETS],
                 sla_hours=int(ctx.sla / timedelta(hours=1)))
