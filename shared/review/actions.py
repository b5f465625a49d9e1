"""What a person can do with a review item, for the web page and the CLI alike.

Each action takes the store session (the caller owns the transaction), the acting
:class:`~shared.store.review_users.ReviewUser`, the item id and the ``version`` the
person saw; the store's compare-and-set makes a stale page lose instead of overwrite.
Actions check the role themselves (the web layer checks too), validate the handler's
input against the ledger and the payment, and write the audit log through the store.

Resolving a payment item records a :class:`~shared.domain.Decision` by the handler and
queues it in the outbox, the same path as the matcher's automatic decisions, so the
erp_poster posts it.  A posting failure's payment is re-queued with the new decision.
Adjustments (deductions, discounts, bank fees, write-offs) above the authority
threshold are not resolved: they wait for an approver who is not the maker.

Errors a person can fix are :class:`ActionRefused` (a ``BusinessError`` with a code
and a message written for the handler); lost races are the store's
``StaleVersionError`` / ``InvalidTransitionError``.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from pydantic import ValidationError
from sqlalchemy.orm import Session

from shared.domain import (
    Adjustment,
    AdjustmentType,
    Application,
    Decision,
    OpenItem,
    Payment,
    ReasonCode,
    ReviewItem,
    ReviewKind,
    ReviewStatus,
    Suggestion,
)
from shared.errors import BusinessError, RecordNotFoundError, StaleVersionError
from shared.money import ZERO, format_amount
from shared.store import (
    claim_review_item,
    enqueue_posting,
    get_customers,
    get_payment,
    get_posting,
    get_review_item,
    open_review_item,
    record_decision,
    release_review_item,
    requeue_posting,
    resolve_review_item,
)
from shared.store.outbox import PostingState
from shared.store.review import assign_review_item, comment_review_item, lock_review_item
from shared.store.review_approvals import (
    approve,
    get_pending_approval,
    request_approval,
    return_approval,
)
from shared.store.review_queue import open_items_by_doc
from shared.store.review_users import ReviewUser, get_user

__all__ = [
    "ActionRefused",
    "Allocation",
    "Outcome",
    "accept_suggestion",
    "apply_allocation",
    "approve_proposal",
    "assign",
    "claim",
    "close_item",
    "comment",
    "open_dispute",
    "parse_amount",
    "put_on_account",
    "release",
    "return_proposal",
    "send_back_payment",
    "suggestions_of",
]

PAYMENT_KINDS = frozenset({ReviewKind.UNMATCHED_PAYMENT, ReviewKind.PARTIAL_MATCH,
                           ReviewKind.POSTING_FAILURE})


class ActionRefused(BusinessError):
    """Raised when a handler's action cannot be done as asked (bad input, no rights).

    ``message`` is written for the handler and shown on the page as is.
    """


@dataclass(frozen=True, slots=True)
class Outcome:
    """What an action did: ``resolved``, ``awaiting_approval``, ``changed`` or ``opened``."""

    status: Literal["resolved", "awaiting_approval", "changed", "opened", "commented"]
    item: ReviewItem | None = None
    message: str = ""
    decision_id: int | None = None
    new_item_id: int | None = None


@dataclass(frozen=True)
class Allocation:
    """A handler's allocation of one payment: documents, adjustments, the rest on account."""

    customer_id: str
    applications: tuple[Application, ...] = ()
    adjustments: tuple[Adjustment, ...] = ()
    note: str | None = None
    evidence: tuple[str, ...] = field(default=())

    @property
    def applied(self) -> Decimal:
        return sum((a.amount for a in self.applications), ZERO)

    @property
    def adjusted(self) -> Decimal:
        """Closed without cash: what the write-off authority is measured on."""
        return sum((j.amount for j in self.adjustments), ZERO)

    def to_json(self) -> dict[str, Any]:
        return {"customer_id": self.customer_id,
                "applications": [a.to_json() for a in self.applications],
                "adjustments": [j.to_json() for j in self.adjustments],
                "note": self.note, "evidence": list(self.evidence)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Allocation:
        return cls(customer_id=str(data["customer_id"]),
                   applications=tuple(Application(**a) for a in data.get("applications") or ()),
                   adjustments=tuple(Adjustment(**j) for j in data.get("adjustments") or ()),
                   note=data.get("note"), evidence=tuple(data.get("evidence") or ()))


def parse_amount(text: str, *, what: str = "amount") -> Decimal:
    """A machine-format amount from a form (``1234.50``; a comma as thousands is dropped)."""
    cleaned = (text or "").strip().replace(",", "").replace(" ", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ActionRefused("bad_amount", f"{what}: {text!r} is not an amount") from None
    if not value.is_finite() or value != value.quantize(Decimal("0.01")):
        raise ActionRefused("bad_amount", f"{what}: {text!r} must have at most two decimals")
    return value.quantize(Decimal("0.01"))


def _require(user: ReviewUser, role: str) -> None:
    if not user.can(role):
        raise ActionRefused("forbidden", f"your role ({user.role}) cannot do this: "
                            f"it needs {role} or higher")


def _item_at(session: Session, item_id: int, version: int) -> ReviewItem:
    """The item, if it is still at the version the person saw; StaleVersionError if not.

    Checked before anything else, so a person who lost a race hears that, not a
    consequence of the winner's change (such as "already queued").
    """
    item = lock_review_item(session, item_id=item_id)
    if item.version != version:
        raise StaleVersionError("review_item", item_id, version, item.version)
    return item


def _payment_of(session: Session, item: ReviewItem) -> Payment:
    if item.kind not in PAYMENT_KINDS or item.payment_id is None:
        raise ActionRefused("not_a_payment", "this item is not about a payment: "
                            "close it with a note instead")
    payment = get_payment(session, payment_id=item.payment_id)
    if payment is None:
        raise ActionRefused("no_payment", f"payment {item.payment_id} is not in the store")
    return payment


def suggestions_of(item: ReviewItem) -> list[Suggestion]:
    """The item's suggestions as models (ones that do not parse are left out)."""
    out = []
    for raw in item.suggestions:
        if not isinstance(raw, dict):
            continue
        try:
            out.append(Suggestion.model_validate(raw))
        except ValidationError:
            continue
    return out


# --- the item's owner -------------------------------------------------------------------

def claim(session: Session, user: ReviewUser, *, item_id: int, version: int) -> Outcome:
    """Take an open item."""
    _require(user, "handler")
    item = claim_review_item(session, item_id=item_id, expected_version=version,
                             assignee=user.username)
    return Outcome("changed", item, "You have the item.")


def release(session: Session, user: ReviewUser, *, item_id: int, version: int) -> Outcome:
    """Give an item back to the queue (its assignee, or an approver/admin)."""
    _require(user, "handler")
    item = get_review_item(session, item_id=item_id)
    if item.assignee not in (None, user.username) and not user.can("approver"):
        raise ActionRefused("not_yours", f"the item is {item.assignee}'s; ask them or a lead")
    item = release_review_item(session, item_id=item_id, expected_version=version,
                               actor=user.username)
    return Outcome("changed", item, "Item back in the queue.")


def assign(session: Session, user: ReviewUser, *, item_id: int, version: int,
           assignee: str | None, note: str | None = None) -> Outcome:
    """Give the item to ``assignee`` (a handler or above), or to nobody."""
    _require(user, "handler")
    if assignee:
        try:
            target = get_user(session, username=assignee)
        except RecordNotFoundError:
            raise ActionRefused("unknown_user", f"there is no user {assignee!r}") from None
        if not target.can("handler"):
            raise ActionRefused("not_a_handler", f"{assignee} is a {target.role}: "
                                "only handlers, approvers and admins take items")
    if get_pending_approval(session, item_id=item_id) is not None:
        raise ActionRefused("awaiting_approval", "a proposal on this item waits for an "
                            "approver; approve or return it first")
    item = assign_review_item(session, item_id=item_id, expected_version=version,
                              actor=user.username, assignee=assignee or None, reason=note)
    return Outcome("changed", item, f"Assigned to {assignee}." if assignee else "Unassigned.")


def comment(session: Session, user: ReviewUser, *, item_id: int, text: str) -> Outcome:
    """Add a comment to the item's history (viewers may not; it is part of the record)."""
    _require(user, "handler")
    if not text.strip():
        raise ActionRefused("empty_comment", "write something to comment")
    comment_review_item(session, item_id=item_id, actor=user.username, text=text)
    return Outcome("commented", None, "Comment added.")


# --- deciding a payment -----------------------------------------------------------------

def accept_suggestion(session: Session, user: ReviewUser, *, item_id: int, version: int,
                      rank: int, threshold: Decimal, note: str | None = None) -> Outcome:
    """Resolve the payment as the bot's suggestion number ``rank`` (1 = best) says."""
    _require(user, "handler")
    item = _item_at(session, item_id, version)
    suggestions = suggestions_of(item)
    if not 1 <= rank <= len(suggestions):
        raise ActionRefused("no_suggestion", f"there is no suggestion {rank}")
    chosen = suggestions[rank - 1]
    customer_id = _customer_for(session, item, chosen)
    allocation = Allocation(customer_id=customer_id, applications=chosen.applications,
                            adjustments=chosen.adjustments, note=note,
                            evidence=(f"suggestion {rank} accepted by {user.username}",
                                      *chosen.evidence))
    return apply_allocation(session, user, item_id=item_id, version=version,
                            allocation=allocation, threshold=threshold)


def _customer_for(session: Session, item: ReviewItem, suggestion: Suggestion) -> str:
    known = item.payload.get("customer_id")
    if isinstance(known, str) and known:
        return known
    decision = item.payload.get("decision")
    if isinstance(decision, dict) and isinstance(decision.get("customer_id"), str):
        return str(decision["customer_id"])
    docs = [a.doc_no for a in suggestion.applications]
    owners = {i.customer_id for i in open_items_by_doc(session, doc_nos=docs).values()}
    if len(owners) == 1:
        return owners.pop()
    raise ActionRefused("pick_customer", "the suggestion does not say whose payment this "
                        "is: pick the customer in the allocation editor")


def apply_allocation(session: Session, user: ReviewUser, *, item_id: int, version: int,
                     allocation: Allocation, threshold: Decimal) -> Outcome:
    """Resolve the payment with the handler's allocation, or file it for approval.

    The remainder (payment minus applied) goes on account.  Adjustments adding up to
    more than ``threshold`` wait for an approver (maker-checker).
    """
    _require(user, "handler")
    item = _item_at(session, item_id, version)
    payment = _payment_of(session, item)
    decision = _checked_decision(session, payment, allocation)
    if allocation.adjusted > threshold:
        request_approval(session, item_id=item_id, expected_version=version,
                         actor=user.username, amount=allocation.adjusted,
                         proposal={"action": "allocate", "allocation": allocation.to_json()},
                         note=allocation.note)
        return Outcome("awaiting_approval", get_review_item(session, item_id=item_id),
                       f"Adjustments of {format_amount(allocation.adjusted)} are above your "
                       f"authority of {format_amount(threshold)}: an approver must confirm.")
    return _post(session, user, item, version, decision, allocation, on_behalf=False)


def _checked_decision(session: Session, payment: Payment, allocation: Allocation) -> Decision:
    customers = {c.customer_id: c for c in get_customers(session)}
    customer = customers.get(allocation.customer_id)
    if customers and customer is None:
        raise ActionRefused("unknown_customer", f"customer {allocation.customer_id} is not in "
                            "the customer master")
    if customer is not None and customer.currency != payment.currency:
        raise ActionRefused("currency", f"{customer.customer_id} is billed in "
                            f"{customer.currency}, the payment is in {payment.currency}")
    family = {allocation.customer_id} | {c.customer_id for c in customers.values()
                                          if c.parent_id == allocation.customer_id}
    lines: list[Application | Adjustment] = [*allocation.applications, *allocation.adjustments]
    items = open_items_by_doc(session, doc_nos=[line.doc_no for line in lines])
    used: dict[str, Decimal] = {}
    for line in lines:
        doc = items.get(line.doc_no)
        if doc is None:
            raise ActionRefused("unknown_document", f"{line.doc_no} is not an open item")
        if doc.customer_id not in family:
            raise ActionRefused("other_customer", f"{line.doc_no} belongs to "
                                f"{doc.customer_id}, not to {allocation.customer_id}")
        used[line.doc_no] = used.get(line.doc_no, ZERO) + line.amount
    for doc_no, amount in used.items():
        _check_fits(items[doc_no], amount)
    if allocation.applied > payment.amount:
        raise ActionRefused("over_applied", f"applied {format_amount(allocation.applied)} is "
                            f"more than the payment of {format_amount(payment.amount)}")
    if not allocation.applications:
        raise ActionRefused("nothing_applied", "apply at least one document (or use "
                            "'Put on account')")
    try:
        return Decision.auto(payment, applications=allocation.applications,
                             adjustments=allocation.adjustments,
                             customer_id=allocation.customer_id,
                             evidence=allocation.evidence)
    except ValidationError as exc:
        raise ActionRefused("invalid_allocation", _first_error(exc)) from None


def _check_fits(doc: OpenItem, amount: Decimal) -> None:
    if doc.is_credit:
        if not (doc.open_amount <= amount < 0):
            raise ActionRefused("credit_amount", f"credit memo {doc.doc_no} is applied as a "
                                f"negative amount down to {format_amount(doc.open_amount)}")
    elif not (0 < amount <= doc.open_amount):
        raise ActionRefused("too_much", f"{doc.doc_no} has {format_amount(doc.open_amount)} "
                            f"open; {format_amount(amount)} does not fit")


def _first_error(exc: ValidationError) -> str:
    errors = exc.errors()
    return str(errors[0]["msg"]).removeprefix("Value error, ") if errors else str(exc)


def _post(session: Session, user: ReviewUser, item: ReviewItem, version: int,
          decision: Decision, allocation: Allocation, *, on_behalf: bool,
          maker: str | None = None) -> Outcome:
    # ``user`` acts (and is in the audit log); with maker-checker the decision is the
    # maker's, confirmed by ``user``.
    assert item.payment_id is not None
    posting = get_posting(session, payment_id=item.payment_id)
    if posting is not None and posting.state is not PostingState.FAILED:
        raise ActionRefused("already_queued", f"payment {item.payment_id} is already "
                            f"{posting.state.value} in the outbox"
                            + (f" as {posting.erp_document_no}" if posting.erp_document_no
                               else ""))
    decision_id = record_decision(session, decision=decision, decided_by=maker or user.username)
    if posting is None:
        enqueue_posting(session, payment_id=item.payment_id, decision_id=decision_id)
    else:
        requeue_posting(session, payment_id=item.payment_id, decision_id=decision_id,
                        actor=user.username, reason=f"decided in review item {item.item_id}")
    resolution: dict[str, Any] = {"action": "allocate", "decision_id": decision_id,
                                  "decision": decision.to_json(),
                                  "customer_id": allocation.customer_id}
    if maker:
        resolution["proposed_by"] = maker
        resolution["approved_by"] = user.username
    resolved = resolve_review_item(session, item_id=item.item_id, expected_version=version,
                                   actor=user.username, resolution=resolution,
                                   reason=allocation.note, on_behalf_of_assignee=on_behalf)
    on_account = decision.on_account
    return Outcome("resolved", resolved,
                   f"Payment {item.payment_id} queued for posting: "
                   f"{format_amount(decision.applied)} applied"
                   + (f", {format_amount(on_account)} on account" if on_account else "")
                   + ".", decision_id=decision_id)


def put_on_account(session: Session, user: ReviewUser, *, item_id: int, version: int,
                   customer_id: str, note: str | None = None) -> Outcome:
    """Resolve a payment as wholly unapplied cash on the customer's account.

    The domain's ``Decision`` applies at least one document, so a payment applied to
    nothing cannot go through the outbox: the resolution says ``posting: manual`` and
    the handler enters the on-account receipt in the ERP.
    """
    _require(user, "handler")
    item = _item_at(session, item_id, version)
    payment = _payment_of(session, item)
    customers = {c.customer_id: c for c in get_customers(session)}
    if customers and customer_id not in customers:
        raise ActionRefused("unknown_customer", f"customer {customer_id!r} is not in the "
                            "customer master")
    resolved = resolve_review_item(
        session, item_id=item_id, expected_version=version, actor=user.username,
        resolution={"action": "on_account", "customer_id": customer_id,
                    "amount": format_amount(payment.amount), "currency": payment.currency,
                    "posting": "manual"}, reason=note)
    return Outcome("resolved", resolved, f"{payment.currency} {format_amount(payment.amount)} "
                   f"put on account of {customer_id} (enter the on-account receipt in the "
                   "ERP: a posting with no document is not automated).")


def send_back_payment(session: Session, user: ReviewUser, *, item_id: int, version: int,
                      outcome: Literal["wrong_pocket", "refund"], note: str) -> Outcome:
    """Resolve a payment that is not ours to apply: wrong pocket (another company of
    the group received it) or refund to the payer.  Nothing is posted in our ledger."""
    _require(user, "handler")
    if not note.strip():
        raise ActionRefused("note_needed", "say where the money goes (company, account) "
                            "in the note")
    item = _item_at(session, item_id, version)
    payment = _payment_of(session, item)
    resolved = resolve_review_item(
        session, item_id=item_id, expected_version=version, actor=user.username,
        resolution={"action": outcome, "amount": format_amount(payment.amount),
                    "currency": payment.currency}, reason=note.strip())
    label = "wrong pocket" if outcome == "wrong_pocket" else "refund"
    return Outcome("resolved", resolved, f"Payment {payment.payment_id} closed as {label}.")


def close_item(session: Session, user: ReviewUser, *, item_id: int, version: int,
               note: str, reject: bool = False) -> Outcome:
    """Close an item that posts nothing (a document read by hand, a promise noted, a
    dispute settled), or reject it (not a real case) — with a note either way."""
    _require(user, "handler")
    if not note.strip():
        raise ActionRefused("note_needed", "say in a note what was done")
    item = _item_at(session, item_id, version)
    if item.kind in PAYMENT_KINDS and not reject:
        raise ActionRefused("payment_needs_decision", "a payment is resolved by allocating "
                            "it, putting it on account, or sending it back")
    resolved = resolve_review_item(session, item_id=item_id, expected_version=version,
                                   actor=user.username, reject=reject,
                                   resolution={"action": "reject" if reject else "close"},
                                   reason=note.strip())
    return Outcome("resolved", resolved, "Item rejected." if reject else "Item closed.")


def open_dispute(session: Session, user: ReviewUser, *, item_id: int, doc_nos: Iterable[str],
                 amount: Decimal, reason_code: ReasonCode, note: str) -> Outcome:
    """Open a dispute item for the customer's short payment on ``doc_nos``.

    The source item is left as it is (apply the cash, dispute the rest); both items
    point at each other through the dispute's payload and the source's history.
    """
    _require(user, "handler")
    item = get_review_item(session, item_id=item_id)
    docs = [d.strip() for d in doc_nos if d.strip()]
    if amount <= 0:
        raise ActionRefused("bad_amount", "the disputed amount must be positive")
    if not note.strip():
        raise ActionRefused("note_needed", "say what the customer disputes")
    customer = item.payload.get("customer_id")
    dispute = open_review_item(
        session, kind=ReviewKind.DISPUTE, actor=user.username,
        title=f"Dispute {format_amount(amount)} {reason_code.value} on "
              f"{', '.join(docs) or 'payment ' + str(item.payment_id)}"[:300],
        payment_id=item.payment_id,
        key=f"dispute:{item_id}:{secrets.token_hex(4)}",
        payload={"from_item": item_id, "documents": docs, "amount": format_amount(amount),
                 "reason_code": reason_code.value, "customer_id": customer,
                 "note": note.strip()},
    )
    comment_review_item(session, item_id=item_id, actor=user.username,
                        text=f"Opened dispute #{dispute.item_id}: {note.strip()}")
    return Outcome("opened", dispute, f"Dispute #{dispute.item_id} opened.",
                   new_item_id=dispute.item_id)


# --- maker-checker ----------------------------------------------------------------------

def approve_proposal(session: Session, user: ReviewUser, *, item_id: int,
                     version: int) -> Outcome:
    """Confirm the waiting proposal (approver, not its maker) and resolve the item."""
    _require(user, "approver")
    _item_at(session, item_id, version)
    pending = get_pending_approval(session, item_id=item_id)
    if pending is None:
        raise ActionRefused("nothing_waiting", "no proposal waits for approval on this item")
    if pending.requested_by == user.username:
        raise ActionRefused("maker_checker", "you proposed this write-off: another approver "
                            "must confirm it")
    approve(session, item_id=item_id, actor=user.username)
    item = get_review_item(session, item_id=item_id)
    payment = _payment_of(session, item)
    allocation = Allocation.from_json(pending.proposal["allocation"])
    decision = _checked_decision(session, payment, allocation)
    outcome = _post(session, user, item, version, decision, allocation, on_behalf=True,
                    maker=pending.requested_by)
    return Outcome("resolved", outcome.item, f"Approved. {outcome.message}",
                   decision_id=outcome.decision_id)


def return_proposal(session: Session, user: ReviewUser, *, item_id: int, version: int,
                    note: str) -> Outcome:
    """Send the waiting proposal back to its maker with a note."""
    _require(user, "approver")
    if not note.strip():
        raise ActionRefused("note_needed", "tell the handler why in a note")
    _item_at(session, item_id, version)
    pending = get_pending_approval(session, item_id=item_id)
    if pending is None:
        raise ActionRefused("nothing_waiting", "no proposal waits for approval on this item")
    return_approval(session, item_id=item_id, expected_version=version, actor=user.username,
                    note=note.strip())
    return Outcome("changed", get_review_item(session, item_id=item_id),
                   f"Proposal returned to {pending.requested_by}.")


def adjustment_from_form(kind: str, doc_no: str, amount: Decimal,
                         reason_code: str | None) -> Adjustment:
    """An adjustment line from the editor (type, document, amount, reason code)."""
    try:
        adj_type = AdjustmentType(kind)
        code = None
        if adj_type is AdjustmentType.DEDUCTION:
            code = ReasonCode(reason_code) if reason_code else ReasonCode.OTHER
        return Adjustment(type=adj_type, doc_no=doc_no, amount=amount, reason_code=code)
    except (ValueError, ValidationError) as exc:
        message = _first_error(exc) if isinstance(exc, ValidationError) else str(exc)
        raise ActionRefused("bad_adjustment", f"adjustment on {doc_no}: {message}") from None


def is_open_for(item: ReviewItem) -> bool:
    """Whether a person can still act on the item."""
    return item.status in (ReviewStatus.OPEN, ReviewStatus.CLAIMED)
