"""Postings per minute through the sandbox ERP's web UI, against its own HTTP limit.

Every posting is a customer payment with three invoice applications and one deduction
(reason code PRICING), posted by the erp_poster bot from the store's outbox exactly as
in production: claim, search the ERP for the payment_id, enter the payment on the
entry screen, save, read the saved document back and compare every amount, mark the
outbox entry posted.  Runs:

* ``ui x1``, ``ui x4``: the bot with 1 and 4 browser contexts (ERP seats);
* ``http``: the same payments sent as direct HTTP form posts (start the draft, save
  it with every row in one post, fetch the confirmation page): what the ERP itself can
  take, the ceiling for any UI robot.

The sandbox is started on loopback with a generated ledger and reset before each run,
so each run posts the same payments.  Usage::

    .venv/bin/python benchmarks/bench_erp_post.py --postings 60 [--traces] [--seats 1 4]
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bots.erp_poster import post_outbox  # noqa: E402
from fixtures.scale_data import generate  # noqa: E402
from shared.domain import Adjustment, Application, Decision, Payment  # noqa: E402
from shared.settings import ErpSettings  # noqa: E402
from shared.store import (  # noqa: E402
    enqueue_posting,
    make_engine,
    record_decision,
    upsert_payment,
    write_transaction,
)
from shared.store.migrate import upgrade  # noqa: E402

VALUE_DATE = date(2026, 3, 2)


def start_sandbox(workdir: Path, scenario: Path) -> tuple[subprocess.Popen[bytes], str, str]:
    port = 8700 + secrets.randbelow(200)
    token = secrets.token_urlsafe(12)
    command = [sys.executable, "-m", "cli.sandbox", "serve", "--port", str(port),
               "--db", str(workdir / "erp.sqlite3"), "--admin-token", token,
               "--scenario", str(scenario)]
    log = (workdir / "erp.log").open("wb")
    process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return process, url, token
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("sandbox ERP did not start")


def write_scenario(folder: Path, postings: int) -> list[tuple[Payment, Decision]]:
    """A generated ledger, and ``postings`` payments of three invoices + one deduction."""
    data = generate(payments=50, items=max(2000, 4 * postings), customers=60, seed=42)
    sys.path.insert(0, str(ROOT))
    from tests.unit.erp_poster.factories import write_ledger

    write_ledger(data, folder)
    parents = {c.parent_id for c in data.customers if c.parent_id}
    invoices: dict[str, list] = defaultdict(list)  # type: ignore[type-arg]
    for item in data.open_items:
        usable = item.doc_type.value == "INV" and item.open_amount > 20
        if usable and item.customer_id not in parents:
            invoices[item.customer_id].append(item)
    currency = {c.customer_id: c.currency for c in data.customers}
    out: list[tuple[Payment, Decision]] = []
    while len(out) < postings:
        progressed = False
        for customer, items in invoices.items():
            if len(items) < 3 or len(out) >= postings:
                continue
            three, invoices[customer] = items[:3], items[3:]
            deduction = Decimal("5.00")
            apps = [Application(doc_no=three[0].doc_no, amount=three[0].open_amount - deduction)]
            apps += [Application(doc_no=i.doc_no, amount=i.open_amount) for i in three[1:]]
            payment = Payment(payment_id=f"BENCH-{len(out) + 1:05d}",
                              amount=sum((a.amount for a in apps), Decimal(0)),
                              currency=currency[customer], value_date=VALUE_DATE)
            decision = Decision.auto(
                payment, applications=apps, customer_id=customer,
                adjustments=[Adjustment(type="deduction", doc_no=three[0].doc_no,
                                        amount=deduction, reason_code="PRICING")])
            out.append((payment, decision))
            progressed = True
        if not progressed:
            raise SystemExit(f"the generated ledger holds fewer than {postings} such payments")
    return out


def reset(url: str, token: str, scenario: Path) -> None:
    httpx.post(f"{url}/_admin/reset", json={"scenario_dir": str(scenario)},
               headers={"X-Admin-Token": token}, timeout=120).raise_for_status()


def run_ui(url: str, postings: list[tuple[Payment, Decision]], seats: int, traces: bool,
           workdir: Path) -> float:
    store = workdir / f"o2c-{seats}-{time.monotonic_ns()}.sqlite3"
    upgrade(f"sqlite:///{store}")
    engine = make_engine(f"sqlite:///{store}")
    with write_transaction(engine) as session:
        for payment, decision in postings:
            upsert_payment(session, payment=payment)
            enqueue_posting(session, payment_id=payment.payment_id,
                            decision_id=record_decision(session, decision=decision,
                                                        decided_by="bench"))
    erp = ErpSettings(base_url=url, username="poster", password="poster-pass",  # type: ignore[arg-type]
                      seats=seats, keep_traces=traces)
    started = time.perf_counter()
    report = post_outbox(engine, erp, evidence=workdir / "evidence")
    elapsed = time.perf_counter() - started
    engine.dispose()
    if report.posted != len(postings):
        raise SystemExit(f"ui x{seats}: posted {report.posted} of {len(postings)}: {report}")
    return elapsed


def run_http(url: str, postings: list[tuple[Payment, Decision]]) -> float:
    started = time.perf_counter()
    with httpx.Client(base_url=url, timeout=30) as client:
        page = client.get("/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token is not None
        client.post("/login", data={"username": "poster", "password": "poster-pass",
                                    "csrf_token": token.group(1), "next": "/"})
        form = client.get("/payments/new").text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert csrf is not None
        for payment, decision in postings:
            amount = f"{payment.amount:.2f}"
            started_draft = client.post("/payments/new", data={
                "csrf_token": csrf.group(1), "customer": str(decision.customer_id),
                "amount": amount, "currency": payment.currency,
                "payment_date": payment.value_date.isoformat(), "memo": payment.payment_id})
            draft = started_draft.headers["location"]
            fields: dict[str, str | list[str]] = {
                "csrf_token": csrf.group(1), "action": "save", "amount": amount,
                "memo": payment.payment_id, "row": [a.doc_no for a in decision.applications]}
            for app in decision.applications:
                fields[f"apply:{app.doc_no}"] = "on"
                fields[f"pay:{app.doc_no}"] = f"{app.amount:.2f}"
                fields[f"disc:{app.doc_no}"] = ""
            adj = decision.adjustments[0]
            fields.update({
                "new_adj_doc": adj.doc_no, "new_adj_type": adj.type.value,
                "new_adj_reason": adj.reason_code.value if adj.reason_code else "",
                "new_adj_amount": f"{adj.amount:.2f}"})
            saved = client.post(draft, data=fields)
            location = saved.headers.get("location", "")
            if not location.endswith("/saved"):
                raise SystemExit(f"http: {payment.payment_id} not saved ({saved.status_code})")
            client.get(location).raise_for_status()  # the confirmation page, to read back
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postings", type=int, default=60)
    parser.add_argument("--seats", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--traces", action="store_true",
                        help="record a Playwright trace per posting (the production default)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_erp_") as tmp:
        workdir = Path(tmp)
        scenario = workdir / "scenario"
        postings = write_scenario(scenario, args.postings)
        process, url, token = start_sandbox(workdir, scenario)
        try:
            results: list[tuple[str, float]] = []
            reset(url, token, scenario)
            results.append(("http", run_http(url, postings)))
            for seats in args.seats:
                reset(url, token, scenario)
                results.append((f"ui x{seats}", run_ui(url, postings, seats, args.traces,
                                                       workdir)))
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=10)
    http = dict(results)["http"]
    print(f"{args.postings} payments of 3 applications + 1 deduction each; "
          f"cpus {os.cpu_count()}; traces {'on' if args.traces else 'off'}")
    print(f"{'run':8} {'seconds':>8} {'per min':>8} {'s/posting':>10} {'vs http':>8}")
    for name, seconds in results:
        print(f"{name:8} {seconds:8.1f} {60 * args.postings / seconds:8.0f} "
              f"{seconds / args.postings:10.3f} {http / seconds:8.1%}")


if __name__ == "__main__":
    main()
