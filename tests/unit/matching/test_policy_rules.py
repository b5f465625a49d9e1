"""The business policy (FORMAT.md section 2) on small hand-built batches.

Every case goes through the public entry :func:`shared.matching.decide_batch` and is
checked on the decisions.jsonl shape (FORMAT.md 3.1): exact applications, adjustments,
on-account amount as two-decimal strings, the decision kind, and for exceptions that the
reason names the exception.

This module holds the factories the other ``test_policy_*`` modules and
``test_amount_only`` import, and the cross-cutting rules: order (1), conservation and
overpayment (2, 9), group payments (10), money edge cases, safety and linking.  The
allocation rules (3-8) are in ``test_policy_allocation``, the exceptions (12) in
``test_policy_exceptions``, amount-only matching (11) in ``test_amount_only``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from shared.domain import (
    Customer,
    Decision,
    DecisionKind,
    DocType,
    OpenItem,
    Payment,
    ReasonCode,
    Remittance,
    RemittanceLine,
)
from shared.matching import decide_batch

# -- factories -------------------------------------------------------------------------

CID = "C00001"
ACCOUNT = "123456789"
DAY = date(2026, 3, 2)
DISCOUNT_DATE = date(2026, 3, 10)


def customer(cid: str = CID, name: str = "Acme Corporation, Inc.", *,
             account: str | None = ACCOUNT, iban: str | None = None, currency: str = "USD",
             parent: str | None = None, aliases: Sequence[str] = ()) -> Customer:
    """A customer whose payments are identified firmly by a known bank account."""
    accounts = []
    if account:
        accounts.append(f"ABA:021000021/ACCT:{account}")
    if iban:
        accounts.append(f"IBAN:{iban}")
    return Customer(customer_id=cid, name=name, aliases=tuple(aliases), parent_id=parent,
                    currency=currency, bank_accounts=tuple(accounts))


def item(doc_no: str, amount: str, *, cid: str = CID, open_amount: str | None = None,
         currency: str = "USD", discount: str | None = None,
         discount_date: date = DISCOUNT_DATE, po: str | None = None) -> OpenItem:
    """An open item; the doc type comes from the prefix, ``open_amount`` defaults to all."""
    return OpenItem(
        doc_no=doc_no, doc_type=DocType(doc_no.split("-")[0]), customer_id=cid, po_number=po,
        doc_date=date(2026, 2, 1), due_date=date(2026, 3, 3), currency=currency,
        amount=Decimal(amount), open_amount=Decimal(open_amount or amount),
        discount_date=discount_date if discount else None,
        discount_amount=Decimal(discount) if discount else None)


def payment(pid: str, amount: str, text: str | None = None, *, value_date: date = DAY,
            account: str | None = ACCOUNT, name: str | None = "ACME CORP",
            currency: str = "USD") -> Payment:
    """A bank credit; by default from the known account of customer ``C00001``."""
    return Payment(payment_id=pid, amount=Decimal(amount), currency=currency,
                   value_date=value_date, payer_name=name, payer_account=account, text=text)


def line(doc_no: str | None, paid: str, *, printed: str | None = None, deduction: str = "0.00",
         discount: str = "0.00", reason: ReasonCode | None = None) -> RemittanceLine:
    """A remittance line; ``paid`` is net of deduction and discount."""
    return RemittanceLine(ref_as_printed=printed or doc_no or "?", doc_no=doc_no,
                          paid=Decimal(paid), deduction=Decimal(deduction),
                          discount=Decimal(discount), reason_code=reason)


def remittance(rid: str, *lines: RemittanceLine, cid: str | None = CID, total: str | None = None,
               payment_ref: str | None = None, problem: str | None = None,
               currency: str | None = None) -> Remittance:
    """A remittance advice as the reader returns it (``total`` defaults to the lines)."""
    paid = sum((x.paid for x in lines), Decimal("0.00"))
    return Remittance(remittance_id=rid, source=f"mail/{rid}.eml", customer_id=cid,
                      total_paid=Decimal(total) if total else paid, payment_ref=payment_ref,
                      problem=problem, currency=currency, lines=tuple(lines))


def decide(payments: Sequence[Payment], *, customers: Iterable[Customer] = (),
           items: Iterable[OpenItem] = (),
           remittances: Iterable[Remittance] = ()) -> dict[str, Decision]:
    """Run the batch; every payment gets one decision, and none is a matcher crash."""
    customers = list(customers) or [customer()]
    decisions = decide_batch(list(payments), customers=customers, open_items=list(items),
                             remittances=list(remittances))
    assert sorted(d.payment_id for d in decisions) == sorted(p.payment_id for p in payments)
    amounts = {p.payment_id: p.amount for p in payments}
    for d in decisions:
        assert "matcher failed" not in (d.reason or ""), d.evidence
        assert_balanced(d, amounts[d.payment_id])
        json.loads(d.to_json_line())  # serialisable, amounts as strings
    return {d.payment_id: d for d in decisions}


# -- expectations ------------------------------------------------------------------------

Adj = dict[tuple[str, str], tuple[str, str | None]]


def posted(d: Decision) -> dict[str, Any]:
    """What the scorer compares, from the decisions.jsonl object (amounts as strings)."""
    j = d.to_json()
    return {
        "decision": j["decision"],
        "applications": {a["doc_no"]: a["amount"] for a in j["applications"]},
        "adjustments": {(a["type"], a["doc_no"]): (a["amount"], a["reason_code"])
                        for a in j["adjustments"]},
        "on_account": j["on_account"],
    }


def auto(applications: dict[str, str], adjustments: Adj | None = None,
         on_account: str = "0.00") -> dict[str, Any]:
    return {"decision": "auto", "applications": applications,
            "adjustments": adjustments or {}, "on_account": on_account}


REVIEW = {"decision": "review", "applications": {}, "adjustments": {}, "on_account": "0.00"}


def assert_exception(d: Decision, name: str) -> None:
    """Review, nothing posted, the exception named in the reason (FORMAT.md 2.12)."""
    assert posted(d) == REVIEW, d.evidence
    assert d.exception is not None and d.exception.value == name, (d.reason, d.evidence)
    assert name in (d.reason or "")


def assert_review(d: Decision, *, not_exception: bool = True) -> None:
    assert posted(d) == REVIEW, (d.reason, d.evidence)
    if not_exception:
        assert d.exception is None, d.reason


def assert_balanced(d: Decision, amount: Decimal) -> None:
    """Rule 2 for the decision and for every suggestion shown to the reviewer."""
    if d.kind is DecisionKind.AUTO:
        assert d.on_account >= 0
        assert d.applied + d.on_account == amount
    for s in d.suggestions:
        assert s.on_account >= 0
        assert sum((a.amount for a in s.applications), Decimal(0)) + s.on_account == amount


def first_suggestion(d: Decision) -> dict[str, Any]:
    assert d.suggestions, (d.reason, d.evidence)
    j = d.suggestions[0].to_json()
    return {
        "applications": {a["doc_no"]: a["amount"] for a in j["applications"]},
        "adjustments": {(a["type"], a["doc_no"]): (a["amount"], a["reason_code"])
                        for a in j["adjustments"]},
        "on_account": j["on_account"],
    }


INV_A = "INV-2026-000101"
INV_B = "INV-2026-000102"
INV_C = "INV-2026-000103"
CM_1 = "CM-2026-00012"


# -- rule 1: ledger and order ----------------------------------------------------------------


def test_rule1_the_later_payment_by_value_date_is_the_duplicate() -> None:
    later = payment("P-LATE", "1000.00", f"PMT {INV_A}", value_date=date(2026, 3, 4))
    earlier = payment("P-EARLY", "1000.00", f"PMT {INV_A}", value_date=date(2026, 3, 2))
    got = decide([later, earlier], items=[item(INV_A, "1000.00")])  # list order reversed
    assert posted(got["P-EARLY"]) == auto({INV_A: "1000.00"})
    assert_exception(got["P-LATE"], "duplicate")


def test_rule1_decisions_come_back_in_value_date_order() -> None:
    payments = [payment("P3", "1.00", value_date=date(2026, 3, 5)),
                payment("P1", "1.00", value_date=date(2026, 3, 2)),
                payment("P2", "1.00", value_date=date(2026, 3, 3))]
    decisions = decide_batch(payments, customers=[customer()], open_items=[])
    assert [d.payment_id for d in decisions] == ["P1", "P2", "P3"]


def test_rule1_a_partly_paid_invoice_stays_open_for_the_rest() -> None:
    first = payment("P1", "400.00", f"PARTIAL PAYMENT {INV_A}", value_date=date(2026, 3, 2))
    rest = payment("P2", "600.00", f"{INV_A} BALANCE", value_date=date(2026, 3, 3))
    got = decide([rest, first], items=[item(INV_A, "1000.00")])
    assert posted(got["P1"]) == auto({INV_A: "400.00"})
    assert posted(got["P2"]) == auto({INV_A: "600.00"})


def test_rule1_an_invoice_closed_with_a_bank_fee_is_closed_for_later_payments() -> None:
    first = payment("P1", "990.00", f"INV {INV_A}", value_date=date(2026, 3, 2))
    again = payment("P2", "990.00", f"INV {INV_A}", value_date=date(2026, 3, 3))
    got = decide([first, again], items=[item(INV_A, "1000.00")])
    assert posted(got["P1"]) == auto({INV_A: "990.00"},
                                     {("bank_fee", INV_A): ("10.00", None)})
    assert_exception(got["P2"], "duplicate")


def test_rule1_a_document_open_before_the_batch_is_not_a_duplicate() -> None:
    part_paid = item(INV_A, "1000.00", open_amount="300.00")  # paid before the batch
    got = decide([payment("P1", "300.00", INV_A)], items=[part_paid])
    assert posted(got["P1"]) == auto({INV_A: "300.00"})


# -- rules 2 and 9: conservation, overpayment on account ----------------------------------------


def test_rule9_bank_text_names_the_invoice_and_pays_more() -> None:
    got = decide([payment("P1", "1200.00", f"PAYMENT {INV_A}")], items=[item(INV_A, "1000.00")])
    assert posted(got["P1"]) == auto({INV_A: "1000.00"}, on_account="200.00")


def test_rule9_overpayment_of_any_size_goes_on_account() -> None:
    got = decide([payment("P1", "9000.01", INV_A)], items=[item(INV_A, "0.01")])
    assert posted(got["P1"]) == auto({INV_A: "0.01"}, on_account="9000.00")


def test_rule9_remittance_pays_the_original_amount_of_a_part_paid_invoice() -> None:
    part_paid = item(INV_A, "1000.00", open_amount="600.00")
    advice = remittance("R1", line(INV_A, "1000.00"))
    got = decide([payment("P1", "1000.00", "PAYMENT")], items=[part_paid], remittances=[advice])
    assert posted(got["P1"]) == auto({INV_A: "600.00"}, on_account="400.00")


def test_rule9_remittance_original_amount_among_other_documents() -> None:
    items = [item(INV_A, "1000.00", open_amount="600.00"), item(INV_B, "250.00")]
    advice = remittance("R1", line(INV_A, "1000.00"), line(INV_B, "250.00"))
    got = decide([payment("P1", "1250.00", "REMITTANCE TO FOLLOW")], items=items,
                 remittances=[advice])
    assert posted(got["P1"]) == auto({INV_A: "600.00", INV_B: "250.00"}, on_account="400.00")


def test_rule2_two_remittance_lines_for_one_invoice_add_up() -> None:
    advice = remittance("R1", line(INV_A, "600.00"), line(INV_A, "400.00"))
    got = decide([payment("P1", "1000.00", "PAYMENT")], items=[item(INV_A, "1000.00")],
                 remittances=[advice])
    assert posted(got["P1"]) == auto({INV_A: "1000.00"})


# -- rule 10: group payments ----------------------------------------------------------------


def _group() -> list[Customer]:
    return [customer(CID, "Acme Holdings Inc"),
            customer("C00002", "Acme West LLC", account="555000111", parent=CID),
            customer("C00009", "Unrelated Widgets Ltd", account="999888777")]


def test_rule10_parent_pays_a_subsidiary_invoice_named_in_the_bank_text() -> None:
    items = [item(INV_A, "700.00", cid="C00002")]
    got = decide([payment("P1", "700.00", f"INV {INV_A}")], customers=_group(), items=items)
    assert posted(got["P1"]) == auto({INV_A: "700.00"})
    assert got["P1"].customer_id == CID


def test_rule10_parent_pays_its_own_and_subsidiaries_invoices_by_remittance() -> None:
    items = [item(INV_A, "700.00", cid="C00002"), item(INV_B, "300.00", cid=CID),
             item(INV_C, "45.50", cid="C00002")]
    advice = remittance("R1", line(INV_A, "700.00"), line(INV_B, "300.00"),
                        line(INV_C, "45.50"))
    got = decide([payment("P1", "1045.50", "ACME GROUP PAYMENT")], customers=_group(),
                 items=items, remittances=[advice])
    assert posted(got["P1"]) == auto({INV_A: "700.00", INV_B: "300.00", INV_C: "45.50"})
    assert got["P1"].customer_id == CID


# -- money edge cases ------------------------------------------------------------------------


def test_money_amounts_are_two_decimal_strings_and_credit_memos_negative() -> None:
    items = [item(INV_A, "1281.03"), item(CM_1, "-250.00")]
    advice = remittance("R1", line(INV_A, "1281.03"), line(CM_1, "-250.00"))
    got = decide([payment("P1", "1031.03")], items=items, remittances=[advice])
    line_ = json.loads(got["P1"].to_json_line())
    assert line_["decision"] == "auto"
    assert {a["doc_no"]: a["amount"] for a in line_["applications"]} == {
        INV_A: "1281.03", CM_1: "-250.00"}
    assert line_["adjustments"] == []
    assert line_["on_account"] == "0.00"
    assert all(isinstance(a["amount"], str) for a in line_["applications"])


def test_money_the_smallest_amount() -> None:
    got = decide([payment("P1", "0.01", INV_A)], items=[item(INV_A, "0.01")])
    assert posted(got["P1"]) == auto({INV_A: "0.01"})


def test_money_a_large_amount_keeps_every_cent() -> None:
    items = [item(INV_A, "9999999.99"), item(INV_B, "0.01")]
    got = decide([payment("P1", "9999999.99", f"{INV_A}")], items=items)
    assert posted(got["P1"]) == auto({INV_A: "9999999.99"})
    advice = remittance("R1", line(INV_A, "9999999.99"), line(INV_B, "0.01"))
    got = decide([payment("P2", "10000000.00")], items=items, remittances=[advice])
    assert posted(got["P2"]) == auto({INV_A: "9999999.99", INV_B: "0.01"})


def test_money_eur_and_usd_payments_of_one_customer_group_in_one_batch() -> None:
    iban = "DE89370400440532013000"
    customers = [customer(CID, "Acme Holdings Inc"),
                 customer("C00003", "Acme Europe GmbH", account=None, iban=iban,
                          currency="EUR", parent=CID)]
    items = [item(INV_A, "1000.00"), item(INV_B, "1000.00", cid="C00003", currency="EUR"),
             item(INV_C, "512.40", cid="C00003", currency="EUR")]
    payments = [
        payment("P-USD", "1000.00", f"INV {INV_A}"),
        payment("P-EUR", "1000.00", f"RECHNUNG {INV_B}", account=iban,
                name="ACME EUROPE GMBH", currency="EUR"),
        payment("P-EUR2", "512.40", f"{INV_C}", currency="EUR"),  # the parent pays in EUR
    ]
    got = decide(payments, customers=customers, items=items)
    assert posted(got["P-USD"]) == auto({INV_A: "1000.00"})
    assert posted(got["P-EUR"]) == auto({INV_B: "1000.00"})
    assert got["P-EUR"].customer_id == "C00003"
    assert posted(got["P-EUR2"]) == auto({INV_C: "512.40"})
    assert got["P-EUR2"].customer_id == CID


# -- safety ------------------------------------------------------------------------------


def test_safety_a_remittance_with_a_problem_is_reviewed() -> None:
    items = [item(INV_A, "1000.00"), item(INV_B, "250.00")]
    advice = remittance("R1", line(INV_A, "1000.00"), line(INV_B, "250.00"), total="1300.00",
                        problem="lines add up to 1250.00, the advice says 1300.00")
    got = decide([payment("P1", "1300.00", f"PMT {INV_A}")], items=items, remittances=[advice])
    assert_review(got["P1"])
    assert "cannot be trusted" in (got["P1"].reason or "")
    assert got["P1"].suggestions  # balanced: checked by decide()


def test_safety_a_remittance_with_a_problem_never_posts() -> None:
    advice = remittance("R1", line(INV_A, "1000.00"), total="1000.00",
                        problem="OCR: reference column unreadable, refs matched by near digits")
    got = decide([payment("P1", "1000.00", f"PMT {INV_A}")], items=[item(INV_A, "1000.00")],
                 remittances=[advice])
    assert_review(got["P1"])


def test_safety_an_unresolved_remittance_line_sends_the_payment_to_review() -> None:
    items = [item(INV_A, "1000.00"), item(INV_B, "500.00")]
    advice = remittance("R1", line(INV_A, "1000.00"), line(None, "500.00", printed="INV 99-17"))
    got = decide([payment("P1", "1500.00", f"PMT {INV_A}")], items=items, remittances=[advice])
    assert_review(got["P1"])
    assert "INV 99-17" in (got["P1"].reason or "")


def test_safety_a_known_account_paying_an_unrelated_customers_documents_is_reviewed() -> None:
    items = [item(INV_A, "700.00", cid="C00009")]
    got = decide([payment("P1", "700.00", f"INV {INV_A}")], customers=_group(), items=items)
    assert_review(got["P1"])
    assert got["P1"].customer_id == CID


def test_safety_a_known_account_with_an_unrelated_customers_remittance_is_reviewed() -> None:
    items = [item(INV_A, "1000.00", cid="C00009")]
    advice = remittance("R1", line(INV_A, "1000.00"), cid="C00009", payment_ref="62144")
    got = decide([payment("P1", "1000.00", "PMT 62144")], customers=_group(), items=items,
                 remittances=[advice])
    assert_review(got["P1"])


def test_safety_review_suggestions_balance_the_payment() -> None:
    # Short by 40.00: not a bank fee, nothing stated; the proposal must still balance.
    items = [item(INV_A, "1000.00"), item(INV_B, "200.00")]
    advice = remittance("R1", line(INV_A, "900.00"), total="1000.00",
                        problem="lines add up to 900.00, the advice says 1000.00")
    got = decide([payment("P1", "1000.00", f"{INV_A}"),
                  payment("P2", "160.00", f"{INV_B}", value_date=date(2026, 3, 3))],
                 items=items, remittances=[advice])
    for d in got.values():
        assert d.kind is DecisionKind.REVIEW
        for s in d.suggestions:
            assert s.total == Decimal(d.payment_amount or 0)


# -- linking --------------------------------------------------------------------------------


def test_linking_payment_ref_in_the_text_links_despite_a_bank_fee() -> None:
    items = [item(INV_A, "1000.00"), item(INV_B, "1000.00")]
    mine = remittance("R1", line(INV_A, "1000.00"), payment_ref="62144")
    other = remittance("R2", line(INV_B, "1000.00"), payment_ref="70001")
    got = decide([payment("P1", "985.00", "ACME PAYMENT 62144")], items=items,
                 remittances=[other, mine])
    assert posted(got["P1"]) == auto({INV_A: "985.00"}, {("bank_fee", INV_A): ("15.00", None)})


def test_linking_repeated_sends_do_not_double_anything() -> None:
    items = [item(INV_A, "1000.00"), item(INV_B, "250.00"), item(INV_C, "1000.00")]
    send = [line(INV_A, "1000.00"), line(INV_B, "250.00")]
    first, again = remittance("R1", *send), remittance("R1-resend", *send)
    later = payment("P2", "1250.00", "ACME PAYMENT", value_date=date(2026, 3, 5))
    got = decide([payment("P1", "1250.00", "ACME PAYMENT"), later], items=items,
                 remittances=[first, again])
    assert posted(got["P1"]) == auto({INV_A: "1000.00", INV_B: "250.00"})
    # The copy is not a second advice: the later payment is not applied to it.
    assert not {INV_A, INV_B} & set(posted(got["P2"])["applications"])
