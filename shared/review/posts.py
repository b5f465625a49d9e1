"""The review page's actions: one POST route per action, all CSRF-checked.

Each route reads the form, calls :mod:`shared.review.actions` inside one write
transaction, and redirects back (303) with a flash message.  Lost races and refused
input become messages that say what happened and that nothing was saved; the page the
person lands on shows the item as it is now.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from shared.domain import Application, ReasonCode
from shared.errors import (
    BusinessError,
    InvalidTransitionError,
    RecordNotFoundError,
    StaleVersionError,
)
from shared.review import actions
from shared.review.actions import ActionRefused, Allocation, Outcome
from shared.review.auth import checked_form, logout, signed_in
from shared.review.context import ReviewContext, context_of
from shared.review.pages import Editor, item_response
from shared.store import get_review_item, read_transaction, write_transaction
from shared.store.review_users import UserSession

__all__ = ["router"]

router = APIRouter()
Form = Annotated[FormData, Depends(checked_form)]
Auth = Annotated[UserSession, Depends(signed_in)]


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _version(form: FormData) -> int:
    try:
        return int(_text(form, "version"))
    except ValueError:
        raise ActionRefused("no_version", "the form did not say which version of the item "
                            "you saw; reload the page") from None


def _lost_race(ctx: ReviewContext, item_id: int, what: Exception) -> str:
    with read_transaction(ctx.engine) as session:
        try:
            item = get_review_item(session, item_id=item_id)
        except RecordNotFoundError:
            return f"Review item {item_id} does not exist."
    who = f" by {item.assignee}" if item.assignee else ""
    if isinstance(what, StaleVersionError):
        return (f"Someone else changed item #{item_id} while you had it open (it is now "
                f"{item.status.value}{who}). Nothing you entered was saved; the page shows "
                "the item as it is now.")
    return (f"Item #{item_id} is {item.status.value}{who}: your action was not applied. "
            "Nothing you entered was saved.")


async def _act(request: Request, auth: UserSession, item_id: int | None,
               run: Callable[[Session], Outcome], back: str | None = None) -> Response:
    ctx = context_of(request)

    def work() -> tuple[str, str, Outcome | None]:
        try:
            with write_transaction(ctx.engine) as session:
                outcome = run(session)
        except ActionRefused as exc:
            return "error", exc.message, None
        except (StaleVersionError, InvalidTransitionError) as exc:
            return "error", _lost_race(ctx, item_id or 0, exc), None
        except RecordNotFoundError:
            return "error", "That item or user does not exist (any more).", None
        except BusinessError as exc:  # e.g. the payment's amount changed meanwhile
            return "error", f"{exc.message} Nothing was saved.", None
        except ValueError as exc:  # a form value the domain refuses (pydantic)
            first = str(exc).splitlines()
            return "error", f"That input is not valid: {first[-1] if first else exc}. " \
                "Nothing was saved.", None
        kind = "warn" if outcome.status == "awaiting_approval" else "ok"
        return kind, outcome.message, outcome

    kind, message, _ = await run_in_threadpool(work)
    target = back or (f"/items/{item_id}" if item_id else "/")
    response = RedirectResponse(target, status_code=303)
    ctx.flash.set(response, kind, message)
    return response


@router.post("/logout")
def sign_out(request: Request, form: Form) -> Response:
    """End this browser's session."""
    return logout(request)


@router.post("/items/{item_id}/claim")
async def claim(item_id: int, request: Request, auth: Auth, form: Form) -> Response:
    return await _act(request, auth, item_id, lambda s: actions.claim(
        s, auth.user, item_id=item_id, version=_version(form)))


@router.post("/items/{item_id}/release")
async def release(item_id: int, request: Request, auth: Auth, form: Form) -> Response:
    return await _act(request, auth, item_id, lambda s: actions.release(
        s, auth.user, item_id=item_id, version=_version(form)))


@router.post("/items/{item_id}/assign")
async def assign(item_id: int, request: Request, auth: Auth, form: Form) -> Response:
    return await _act(request, auth, item_id, lambda s: actions.assign(
        s, auth.user, item_id=item_id, version=_version(form),
        assignee=_text(form, "assignee") or None, note=_text(form, "note") or None))


@router.post("/items/{item_id}/comment")
async def comment(item_id: int, request: Request, auth: Auth, form: Form) -> Response:
    return await _act(request, auth, item_id, lambda s: actions.comment(
        s, auth.user, item_id=item_id, text=_text(form, "text")))


@router.post("/items/{item_id}/accept")
async def accept(item_id: int, request: Request, auth: Auth, form: Form) -> Response:
    ctx = context_of(request)

    def run(s: Session) -> Outcome:
        try:
            rank = int(_text(form, "rank"))
        except ValueError:
            raise ActionRefused("no_suggestion", "pick a suggestion") from None
        return actions.accept_suggestion(s, auth.user, item_id=item_id,
                                         version=_version(form), rank=rank,
                                         threshold=ctx.settings.approval_threshold,
                                         note=_text(form, "note") or None)

    return await _act(request, auth, item_id, run)


def allocation_from_form(form: FormData) -> Allocation:
    """The allocation editor's rows (empty rows are skipped)."""
    customer_id = _text(form, "customer_id")
    if not customer_id:
        raise ActionRefused("pick_customer", "pick the customer first")
    applications = []
    docs = form.getlist("app_doc")
    amounts = form.getlist("app_amount")
    for doc, amount in zip(docs, amounts, strict=False):
        doc, amount = str(doc).strip(), str(amount).strip()
        if not doc and not amount:
            continue
        if not doc or not amount:
            raise ActionRefused("incomplete_line", "every applied line needs a document "
                                "and an amount")
        value = actions.parse_amount(amount, what=doc)
        if value == 0:
            continue
        applications.append(Application(doc_no=doc, amount=value))
    adjustments = []
    rows = zip(form.getlist("adj_type"), form.getlist("adj_doc"), form.getlist("adj_amount"),
               form.getlist("adj_reason"), strict=False)
    for adj_type, doc, amount, reason in rows:
        doc, amount = str(doc).strip(), str(amount).strip()
        if not doc and not amount:
            continue
        if not doc or not amount:
            raise ActionRefused("incomplete_line", "every adjustment needs a document and an "
                                "amount")
        adjustments.append(actions.adjustment_from_form(
            str(adj_type), doc, actions.parse_amount(amount, what=doc), str(reason) or None))
    return Allocation(customer_id=customer_id, applications=tuple(applications),
                      adjustments=tuple(adjustments), note=_text(form, "note") or None,
                      evidence=("allocated by hand in the review queue",))


@router.post("/items/{item_id}/allocate")
async def allocate(item_id: int, request: Request, auth: Auth, form: Form) -> Response:
    """Apply the editor's allocation; refused input comes back with the draft kept."""
    ctx = context_of(request)

    def run() -> Outcome | str:
        try:
            with write_transaction(ctx.engine) as session:
                return actions.apply_allocation(
                    session, auth.user, item_id=item_id, version=_version(form),
                    allocation=allocation_from_form(form),
                    threshold=ctx.settings.approval_threshold)
        except BusinessError as exc:  # ActionRefused and the store's data checks
            return exc.message
        except ValueError as exc:  # a value the domain refuses (pydantic)
            lines = str(exc).splitlines()
            return f"That input is not valid: {lines[-1] if lines else exc}."

    try:
        result = await run_in_threadpool(run)
    except (StaleVersionError, InvalidTransitionError, RecordNotFoundError) as exc:
        response = RedirectResponse(f"/items/{item_id}", status_code=303)
        ctx.flash.set(response, "error", await run_in_threadpool(_lost_race, ctx, item_id, exc))
        return response
    if isinstance(result, str):
        draft = Editor(
            customer_id=_text(form, "customer_id"),
            apps=[(str(d), str(a)) for d, a in zip(form.getlist("app_doc"),
                                                   form.getlist("app_amount"), strict=False)
                  if str(d).strip() or str(a).strip()],
            adjs=[(str(t), str(d), str(a), str(r)) for t, d, a, r in zip(
                form.getlist("adj_type"), form.getlist("adj_doc"), form.getlist("adj_amount"),
                form.getlist("adj_reason"), strict=False) if str(d).strip() or str(a).strip()],
            note=_text(form, "note"))
        return await run_in_threadpool(lambda: item_response(
            request, item_id, editor=draft, status=422,
            flash={"k": "error", "m": f"{result} Nothing was saved; your entries are kept "
                                      "below."}))
    response = RedirectResponse(f"/items/{item_id}", status_code=303)
    ctx.flash.set(response, "warn" if result.status == "awaiting_approval" else "ok",
                  result.message)
    return response


@router.post("/items/{item_id}/on-account")
async def on_account(item_id: int, request: Request, auth: Auth, form: Form) -> Response:
    return await _act(request, auth, item_id, lambda s: actions.put_on_account(
        s, auth.user, item_id=item_id, version=_version(form),
        customer_id=_text(form, "customer_id"), note=_text(form, "note") or None))


@router.post("/items/{item_id}/send-back")
async def send_back(item_id: int, request: Request, auth: Auth, form: Form) -> Response:
    outcome = _text(form, "outcome")
    if outcome not in ("wrong_pocket", "refund"):
        outcome = "refund"
    return await _act(request, auth, item_id, lambda s: actions.send_back_payment(
        s, auth.user, item_id=item_id, version=_version(form),
        outcome=outcome, note=_text(form, "note")))  # type: ignore[arg-type]


@router.post("/items/{item_id}/dispute")
async def dispute(item_id: int, request: Request, auth: Auth, form: Form) -> Response:
    def run(s: Session) -> Outcome:
        try:
            code = ReasonCode(_text(form, "reason_code") or "OTHER")
        except ValueError:
            raise ActionRefused("bad_reason", "pick a reason code") from None
        return actions.open_dispute(
            s, auth.user, item_id=item_id,
            doc_nos=_text(form, "documents").replace(";", ",").split(","),
            amount=actions.parse_amount(_text(form, "amount"), what="disputed amount"),
            reason_code=code, note=_text(form, "note"))

    return await _act(request, auth, item_id, run)


@router.post("/items/{item_id}/close")
async def close(item_id: int, request: Request, auth: Auth, form: Form) -> Response:
    return await _act(request, auth, item_id, lambda s: actions.close_item(
        s, auth.user, item_id=item_id, version=_version(form), note=_text(form, "note"),
        reject=_text(form, "outcome") == "reject"))


@router.post("/items/{item_id}/approve")
async def approve(item_id: int, request: Request, auth: Auth, form: Form) -> Response:
    return await _act(request, auth, item_id, lambda s: actions.approve_proposal(
        s, auth.user, item_id=item_id, version=_version(form)))


@router.post("/items/{item_id}/return")
async def return_(item_id: int, request: Request, auth: Auth, form: Form) -> Response:
    return await _act(request, auth, item_id, lambda s: actions.return_proposal(
        s, auth.user, item_id=item_id, version=_version(form), note=_text(form, "note")))


@router.post("/bulk-assign")
async def bulk_assign(request: Request, auth: Auth, form: Form) -> Response:
    """Assign the ticked items (``id:version`` each) to one handler; each item on its own."""
    ctx = context_of(request)
    assignee = _text(form, "assignee")
    picked = [str(v) for v in form.getlist("item")]
    back = "/" + (f"?{_text(form, 'back')}" if _text(form, "back") else "")
    back = back if back.startswith("/") and not back.startswith("//") else "/"

    def work() -> tuple[str, str]:
        done, failed = 0, []
        for value in picked:
            try:
                item_id, version = (int(x) for x in value.split(":", 1))
            except ValueError:
                continue
            try:
                with write_transaction(ctx.engine) as session:
                    actions.assign(session, auth.user, item_id=item_id, version=version,
                                   assignee=None if assignee == "-" else assignee or None)
                done += 1
            except ActionRefused as exc:
                return "error", exc.message
            except (StaleVersionError, InvalidTransitionError):
                failed.append(f"#{item_id}")
        if not picked:
            return "error", "Tick the items to assign first."
        message = f"{done} item(s) assigned to {assignee if assignee != '-' else 'nobody'}."
        if failed:
            return "warn", (message + f" Not assigned (changed by someone meanwhile): "
                            f"{', '.join(failed)}.")
        return "ok", message

    kind, message = await run_in_threadpool(work)
    response = RedirectResponse(back, status_code=303)
    ctx.flash.set(response, kind, message)
    return response
