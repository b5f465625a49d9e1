"""``o2c review ...``: the review queue from a terminal, for scripts and for people.

The same actions as the web page (``shared.review.actions``), with the same rules: a
role per user, optimistic locking (``--version`` is the version you looked at; without
it the current one is taken, for scripts that just read and act), every step in the
audit log under the ``--as`` user.  Anyone who can run this command can reach the
database, so ``--as`` is trusted here; the web page is where sign-in is enforced.

    o2c review user add alice --role handler --name "Alice Martin"
    o2c review serve                       # the web page (settings: review.host/port)
    o2c review list --kind unmatched_payment --breached
    o2c review show 12
    o2c review accept 12 --rank 1 --as alice
    o2c review allocate 12 --customer C00002 --apply INV-2026-000407=13368.45 --as alice
    o2c review metrics --json
"""

from __future__ import annotations

import json
import sys
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from shared.review.actions import Outcome
    from shared.settings import Settings

app = typer.Typer(help="The review queue: list, show and decide items; users; the web page.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
users_app = typer.Typer(help="People who may sign in to the review page.",
                        no_args_is_help=True, add_completion=False)
app.add_typer(users_app, name="user")
console = Console()

UrlOption = Annotated[str | None, typer.Option("--url", help="Store URL; default: settings.",
                                               show_default=False)]
AsOption = Annotated[str, typer.Option("--as", help="Act as this user (must exist).")]
VersionOption = Annotated[int | None, typer.Option(
    "--version", help="The item version you looked at (default: the current one).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _settings() -> Settings:
    from shared.settings import load_settings

    return load_settings()


def _engine(url: str | None) -> Engine:
    from shared.store import engine_from_settings, make_engine

    return make_engine(url) if url else engine_from_settings(_settings().store)


def _fail(message: str) -> typer.Exit:
    console.print(f"[red]{message}[/]")
    return typer.Exit(1)


# --- users ------------------------------------------------------------------------------

def _password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = typer.prompt("Password", hide_input=True)
    if typer.prompt("Repeat", hide_input=True) != first:
        raise _fail("the passwords differ")
    return str(first)


@users_app.command("add")
def user_add(
    username: str,
    role: Annotated[str, typer.Option(help="viewer, handler, approver or admin.")] = "handler",
    name: Annotated[str, typer.Option(help="Display name.")] = "",
    password_stdin: Annotated[bool, typer.Option(
        help="Read the password from standard input (scripts) instead of a prompt.")] = False,
    url: UrlOption = None,
) -> None:
    """Add a user who may sign in to the review page."""
    from shared.errors import ConflictingDataError
    from shared.review.passwords import hash_password
    from shared.store import write_transaction
    from shared.store.review_users import add_user

    try:
        hashed = hash_password(_password(password_stdin))
        with write_transaction(_engine(url)) as session:
            add_user(session, username=username, display_name=name or username, role=role,
                     password_hash=hashed, actor="cli")
    except (ValueError, ConflictingDataError) as exc:
        raise _fail(str(exc)) from None
    console.print(f"user {username} added as {role}")


@users_app.command("set")
def user_set(
    username: str,
    role: Annotated[str | None, typer.Option(help="New role.")] = None,
    name: Annotated[str | None, typer.Option(help="New display name.")] = None,
    new_password: Annotated[bool, typer.Option(
        "--password", help="Set a new password (prompt, or stdin with --password-stdin).")] = False,
    password_stdin: Annotated[bool, typer.Option(help="Read the password from stdin.")] = False,
    active: Annotated[bool | None, typer.Option("--active/--disabled",
                                                help="Allow or stop sign-in.")] = None,
    url: UrlOption = None,
) -> None:
    """Change a user's role, name, password or whether they may sign in."""
    from shared.errors import RecordNotFoundError
    from shared.review.passwords import hash_password
    from shared.store import write_transaction
    from shared.store.review_users import update_user

    try:
        hashed = hash_password(_password(password_stdin)) if new_password else None
        with write_transaction(_engine(url)) as session:
            user = update_user(session, username=username, actor="cli", role=role,
                               display_name=name, password_hash=hashed, active=active)
    except (ValueError, RecordNotFoundError) as exc:
        raise _fail(str(exc)) from None
    console.print(f"user {user.username}: {user.role}, {'active' if user.active else 'disabled'}")


@users_app.command("list")
def user_list(url: UrlOption = None) -> None:
    """Every user and their role."""
    from shared.store import read_transaction
    from shared.store.review_users import list_users

    with read_transaction(_engine(url)) as session:
        users = list_users(session)
    table = Table("username", "name", "role", "active")
    for user in users:
        table.add_row(user.username, user.display_name, user.role, "yes" if user.active else "no")
    console.print(table)


# --- reading the queue ------------------------------------------------------------------

@app.command("list")
def list_items(
    kind: Annotated[str | None, typer.Option(help="Only this kind.")] = None,
    status: Annotated[str, typer.Option(
        help="active (open+claimed), open, claimed, approval, closed or all.")] = "active",
    assignee: Annotated[str | None, typer.Option(help="A username, or - for unassigned.")] = None,
    customer: Annotated[str | None, typer.Option(help="Customer id or name (part).")] = None,
    search: Annotated[str | None, typer.Option("--search", "-q", help="Text search.")] = None,
    min_amount: Annotated[str | None, typer.Option("--min", help="Smallest amount.")] = None,
    max_amount: Annotated[str | None, typer.Option("--max", help="Largest amount.")] = None,
    older_than: Annotated[int | None, typer.Option(help="Opened at least N days ago.")] = None,
    breached: Annotated[bool, typer.Option(help="Only items past their SLA.")] = False,
    sort: Annotated[str, typer.Option(help="due, age, amount, kind or customer.")] = "due",
    limit: Annotated[int, typer.Option(help="At most this many.")] = 100,
    as_json: JsonOption = False,
    url: UrlOption = None,
) -> None:
    """The queue, most urgent first, with the web page's filters."""
    from shared.domain import ReviewKind
    from shared.store import read_transaction
    from shared.store.review_queue import QueueFilter, search_queue

    settings = _settings()
    filters = QueueFilter(
        status=status,  # type: ignore[arg-type]
        kind=ReviewKind(kind) if kind else None, customer=customer, text=search,
        amount_min=Decimal(min_amount) if min_amount else None,
        amount_max=Decimal(max_amount) if max_amount else None,
        older_than_days=older_than, sla_breached=breached, assignee=assignee,
        sort=sort,  # type: ignore[arg-type]
    )
    with read_transaction(_engine(url)) as session:
        page = search_queue(session, filters=filters,
                            sla=timedelta(hours=settings.review.sla_hours), limit=limit)
    if as_json:
        typer.echo(json.dumps([{
            "item_id": r.item.item_id, "kind": r.item.kind.value, "status": r.item.status.value,
            "title": r.item.title, "payment_id": r.item.payment_id,
            "amount": None if r.amount is None else str(r.amount), "currency": r.currency,
            "customer_id": r.customer_id, "assignee": r.item.assignee,
            "version": r.item.version, "due": r.due.isoformat(), "breached": r.breached,
            "awaiting_approval": r.awaiting_approval} for r in page.rows], indent=2))
        return
    table = Table("#", "kind", "title", "amount", "customer", "assignee", "due", "v",
                  title=f"{page.total} item(s)")
    for r in page.rows:
        due = f"[red]{r.due:%Y-%m-%d %H:%M} late[/]" if r.breached else f"{r.due:%Y-%m-%d %H:%M}"
        table.add_row(str(r.item.item_id), r.item.kind.value, r.item.title[:60],
                      "" if r.amount is None else f"{r.amount:,.2f} {r.currency}",
                      r.customer_id or "", r.item.assignee or "",
                      "awaiting approval" if r.awaiting_approval else due, str(r.item.version))
    console.print(table)


@app.command()
def show(item_id: int, as_json: JsonOption = False, url: UrlOption = None) -> None:
    """One item: payload, suggestions, history."""
    from shared import audit
    from shared.errors import RecordNotFoundError
    from shared.store import get_review_item, read_transaction

    with read_transaction(_engine(url)) as session:
        try:
            item = get_review_item(session, item_id=item_id)
        except RecordNotFoundError as exc:
            raise _fail(str(exc)) from None
        history = audit.history(session, entity_type="review_item", entity_id=item_id)
    data: dict[str, Any] = item.model_dump(mode="json")
    data["history"] = [{"at": e.at.isoformat(), "actor": e.actor, "action": e.action,
                        "reason": e.reason} for e in history]
    if as_json:
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    console.print(f"[bold]#{item.item_id} {item.title}[/]")
    console.print(f"{item.kind.value} · {item.status.value} · assignee {item.assignee or '-'} · "
                  f"version {item.version}")
    console.print_json(json.dumps({"payload": data["payload"],
                                   "suggestions": data["suggestions"],
                                   "resolution": data["resolution"]}, ensure_ascii=False))
    for entry in history:
        console.print(f"{entry.at:%Y-%m-%d %H:%M} {entry.actor} {entry.action}"
                      + (f" — {entry.reason}" if entry.reason else ""))


@app.command()
def metrics(
    days: Annotated[int, typer.Option(help="Throughput window in days.")] = 7,
    as_json: JsonOption = False,
    url: UrlOption = None,
) -> None:
    """Open items by kind and age, SLA breaches, throughput per handler."""
    from shared.store import read_transaction
    from shared.store.review_queue import queue_metrics

    settings = _settings()
    with read_transaction(_engine(url)) as session:
        m = queue_metrics(session, sla=timedelta(hours=settings.review.sla_hours),
                          window_days=days)
    if as_json:
        typer.echo(json.dumps({
            "open_total": m.open_total, "breached_total": m.breached_total,
            "awaiting_approval": m.awaiting_approval, "unassigned": m.unassigned,
            "open_by_kind_age": m.open_by_kind_age, "breached_by_kind": m.breached_by_kind,
            "throughput": {k: {"day": d, "window": w} for k, (d, w) in m.throughput.items()},
            "window_days": m.window_days, "median_hours_to_close": m.median_hours_to_close,
        }, indent=2))
        return
    table = Table("kind", *next(iter(m.open_by_kind_age.values()), {}).keys(), "past SLA",
                  title=f"{m.open_total} open, {m.breached_total} past SLA, "
                        f"{m.awaiting_approval} awaiting approval")
    for kind, ages in sorted(m.open_by_kind_age.items()):
        table.add_row(kind, *(str(n) for n in ages.values()), str(m.breached_by_kind.get(kind, 0)))
    console.print(table)
    through = Table("handler", "last 24 h", f"last {days} days", title="Throughput")
    for who, (day, window) in m.throughput.items():
        through.add_row(who, str(day), str(window))
    console.print(through)


# --- acting -----------------------------------------------------------------------------

def _act(url: str | None, actor: str, item_id: int, version: int | None,
         run: Any) -> None:
    """Run one action as ``actor`` in one transaction; print what happened."""
    from shared.errors import InvalidTransitionError, RecordNotFoundError, StaleVersionError
    from shared.review.actions import ActionRefused
    from shared.store import get_review_item, write_transaction
    from shared.store.review_users import get_user

    try:
        with write_transaction(_engine(url)) as session:
            user = get_user(session, username=actor)
            if not user.active:
                raise ActionRefused("disabled", f"user {actor} is disabled")
            seen = version if version is not None else get_review_item(
                session, item_id=item_id).version
            outcome: Outcome = run(session, user, seen)
    except ActionRefused as exc:
        raise _fail(exc.message) from None
    except StaleVersionError as exc:
        raise _fail(f"item {item_id} changed since version {exc.expected} (now "
                    f"{exc.actual}): nothing saved; look again with `o2c review show`") from None
    except (InvalidTransitionError, RecordNotFoundError) as exc:
        raise _fail(f"{exc}: nothing saved") from None
    console.print(outcome.message or outcome.status)


def _threshold() -> Decimal:
    return _settings().review.approval_threshold


@app.command()
def claim(item_id: int, actor: AsOption, version: VersionOption = None,
          url: UrlOption = None) -> None:
    """Take an item."""
    from shared.review import actions

    _act(url, actor, item_id, version, lambda s, u, v: actions.claim(
        s, u, item_id=item_id, version=v))


@app.command()
def release(item_id: int, actor: AsOption, version: VersionOption = None,
            url: UrlOption = None) -> None:
    """Give an item back to the queue."""
    from shared.review import actions

    _act(url, actor, item_id, version, lambda s, u, v: actions.release(
        s, u, item_id=item_id, version=v))


@app.command()
def assign(item_id: int, assignee: str, actor: AsOption, version: VersionOption = None,
           url: UrlOption = None) -> None:
    """Give an item to a handler (``-`` for nobody)."""
    from shared.review import actions

    _act(url, actor, item_id, version, lambda s, u, v: actions.assign(
        s, u, item_id=item_id, version=v, assignee=None if assignee == "-" else assignee))


@app.command()
def comment(item_id: int, text: str, actor: AsOption, url: UrlOption = None) -> None:
    """Add a comment to an item's history."""
    from shared.review import actions

    _act(url, actor, item_id, None, lambda s, u, v: actions.comment(
        s, u, item_id=item_id, text=text))


@app.command()
def accept(item_id: int, actor: AsOption,
           rank: Annotated[int, typer.Option(help="Suggestion number (1 = best).")] = 1,
           note: Annotated[str | None, typer.Option(help="A note for the record.")] = None,
           version: VersionOption = None, url: UrlOption = None) -> None:
    """Resolve a payment as the bot's suggestion says (queued for posting)."""
    from shared.review import actions

    threshold = _threshold()
    _act(url, actor, item_id, version, lambda s, u, v: actions.accept_suggestion(
        s, u, item_id=item_id, version=v, rank=rank, threshold=threshold, note=note))


def _pair(text: str) -> tuple[str, str]:
    doc, sep, amount = text.partition("=")
    if not sep:
        raise typer.BadParameter(f"{text!r}: write DOC=AMOUNT")
    return doc.strip(), amount.strip()


@app.command()
def allocate(
    item_id: int,
    actor: AsOption,
    customer: Annotated[str, typer.Option(help="The paying customer's id.")],
    apply: Annotated[list[str], typer.Option(
        help="DOC=AMOUNT applied (repeat); credit memos negative.")],
    adjust: Annotated[list[str] | None, typer.Option(
        help="TYPE:DOC=AMOUNT[:REASON] (deduction, discount, bank_fee; repeat).")] = None,
    note: Annotated[str | None, typer.Option(help="A note for the record.")] = None,
    version: VersionOption = None,
    url: UrlOption = None,
) -> None:
    """Resolve a payment with your own allocation; the rest goes on account."""
    from shared.domain import Application
    from shared.review import actions

    applications = tuple(Application(doc_no=d, amount=actions.parse_amount(a, what=d))
                         for d, a in map(_pair, apply))
    adjustments = []
    for spec in adjust or []:
        kind, _, rest = spec.partition(":")
        pair, _, reason = rest.partition(":")
        doc, amount = _pair(pair)
        adjustments.append(actions.adjustment_from_form(
            kind, doc, actions.parse_amount(amount, what=doc), reason or None))
    allocation = actions.Allocation(customer_id=customer, applications=applications,
                                    adjustments=tuple(adjustments), note=note,
                                    evidence=("allocated with o2c review allocate",))
    threshold = _threshold()
    _act(url, actor, item_id, version, lambda s, u, v: actions.apply_allocation(
        s, u, item_id=item_id, version=v, allocation=allocation, threshold=threshold))


@app.command("on-account")
def on_account(item_id: int, actor: AsOption,
               customer: Annotated[str, typer.Option(help="The customer's id.")],
               note: Annotated[str | None, typer.Option(help="A note.")] = None,
               version: VersionOption = None, url: UrlOption = None) -> None:
    """Resolve a payment as unapplied cash on a customer's account."""
    from shared.review import actions

    _act(url, actor, item_id, version, lambda s, u, v: actions.put_on_account(
        s, u, item_id=item_id, version=v, customer_id=customer, note=note))


@app.command("send-back")
def send_back(item_id: int, actor: AsOption,
              note: Annotated[str, typer.Option(help="Where the money goes.")],
              refund: Annotated[bool, typer.Option(
                  "--refund/--wrong-pocket", help="Refund to the payer, or wrong pocket.")
              ] = False,
              version: VersionOption = None, url: UrlOption = None) -> None:
    """Close a payment that is not ours to apply (wrong pocket, refund)."""
    from shared.review import actions

    _act(url, actor, item_id, version, lambda s, u, v: actions.send_back_payment(
        s, u, item_id=item_id, version=v, outcome="refund" if refund else "wrong_pocket",
        note=note))


@app.command()
def close(item_id: int, actor: AsOption,
          note: Annotated[str, typer.Option(help="What was done.")],
          reject: Annotated[bool, typer.Option(help="Reject (not a real case).")] = False,
          version: VersionOption = None, url: UrlOption = None) -> None:
    """Close an item that posts nothing, with a note."""
    from shared.review import actions

    _act(url, actor, item_id, version, lambda s, u, v: actions.close_item(
        s, u, item_id=item_id, version=v, note=note, reject=reject))


@app.command()
def dispute(item_id: int, actor: AsOption,
            amount: Annotated[str, typer.Option(help="Disputed amount.")],
            note: Annotated[str, typer.Option(help="What the customer disputes.")],
            doc: Annotated[list[str] | None, typer.Option(help="Document (repeat).")] = None,
            reason: Annotated[str, typer.Option(help="Reason code.")] = "OTHER",
            url: UrlOption = None) -> None:
    """Open a dispute item for a customer's short payment."""
    from shared.domain import ReasonCode
    from shared.review import actions

    _act(url, actor, item_id, None, lambda s, u, v: actions.open_dispute(
        s, u, item_id=item_id, doc_nos=doc or [], amount=actions.parse_amount(amount),
        reason_code=ReasonCode(reason), note=note))


@app.command()
def approve(item_id: int, actor: AsOption, version: VersionOption = None,
            url: UrlOption = None) -> None:
    """Confirm a write-off proposal waiting for an approver (not your own)."""
    from shared.review import actions

    _act(url, actor, item_id, version, lambda s, u, v: actions.approve_proposal(
        s, u, item_id=item_id, version=v))


@app.command("return")
def return_(item_id: int, actor: AsOption,
            note: Annotated[str, typer.Option(help="Why it goes back.")],
            version: VersionOption = None, url: UrlOption = None) -> None:
    """Send a write-off proposal back to its maker."""
    from shared.review import actions

    _act(url, actor, item_id, version, lambda s, u, v: actions.return_proposal(
        s, u, item_id=item_id, version=v, note=note))


# --- the web page and sample data -------------------------------------------------------

@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (default: settings).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: settings).")] = None,
    secure_cookies: Annotated[bool, typer.Option(
        help="Mark cookies Secure (when served over HTTPS behind a proxy).")] = False,
    url: UrlOption = None,
) -> None:
    """Serve the review web page (sign in with a user from `o2c review user add`)."""
    import uvicorn

    from shared.review.web import create_review_app

    settings = _settings()
    app_ = create_review_app(_engine(url), settings.review, secure_cookies=secure_cookies)
    bind_host, bind_port = host or settings.review.host, port or settings.review.port
    console.print(f"review queue on http://{bind_host}:{bind_port}/")
    uvicorn.run(app_, host=bind_host, port=bind_port, log_level="warning")


@app.command()
def sample(
    users: Annotated[bool, typer.Option(help="Also add the sample users (alice, bob, carol, "
                                             "victor, admin).")] = True,
    url: UrlOption = None,
) -> None:
    """Fill the store with a sample queue over the sandbox ERP's default ledger."""
    from fixtures.review_sample import SAMPLE_USERS, seed_sample_queue, seed_users
    from fixtures.sandbox_erp import __file__ as sandbox_init
    from shared.ledger_files import read_customers, read_open_items
    from shared.store import upsert_customers, upsert_open_items, write_transaction
    from shared.store.migrate import upgrade

    target = url or _settings().store.connection_url()
    upgrade(target)
    engine = _engine(target)
    ledger = Path(sandbox_init).parent / "default_data" / "ledger"
    with write_transaction(engine) as session:
        upsert_customers(session, customers=read_customers(ledger / "customers.csv"))
        upsert_open_items(session, items=read_open_items(ledger / "open_items.csv"))
    queue = seed_sample_queue(engine)
    console.print(f"sample queue: items {queue.matched}..{queue.bad_document}")
    if users:
        seed_users(engine)
        for username, _, role, password in SAMPLE_USERS:
            console.print(f"  {username:7} {role:9} password {password}")


@app.command()
def screenshots(
    out: Annotated[Path, typer.Option(help="Folder for the PNG files.")] = Path(
        "docs/screenshots"),
) -> None:
    """Take the README's screenshots of the list and item pages (sample data, Chromium)."""
    from fixtures.review_screens import take_screenshots

    for path in take_screenshots(out):
        console.print(f"wrote {path}")


