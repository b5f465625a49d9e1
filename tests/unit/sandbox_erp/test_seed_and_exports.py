"""Seeding the sandbox ERP and exporting from it, without the web layer."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import openpyxl
import pytest

from fixtures.sandbox_erp.db import Database
from fixtures.sandbox_erp.exports import OPEN_ITEM_COLUMNS, export, payment_records
from fixtures.sandbox_erp.models import Customer, OpenItem, PaymentDraft
from fixtures.sandbox_erp.posting import PaymentRefused, bill_delivery, post_payment
from fixtures.sandbox_erp.seed import DEFAULT_DATA_DIR, ScenarioError, reset_database
from shared.money import to_money

CUSTOMERS = """customer_id,name,aliases,parent_id,currency,terms,country,remit_emails,bank_accounts
C2,Child Co,Child|Kid Co,C1,USD,2/10NET30,US,ap@child.test,
C1,Parent Inc.,,,USD,NET30,US,,ABA:1/ACCT:2
"""
OPEN_ITEMS = (
    ",".join(OPEN_ITEM_COLUMNS)
    + """
INV-2026-000001,INV,C2,PO-1,2026-02-01,2026-03-03,USD,100.00,100.00,2026-02-11,2.00
CM-2026-00001,CM,C1,,2026-02-02,2026-03-04,USD,-25.50,-25.50,,
DM-2026-00001,DM,C1,PO-2,2026-02-03,2026-03-05,USD,10.00,4.00,,
"""
)


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    (tmp_path / "scenario" / "ledger").mkdir(parents=True)
    (tmp_path / "scenario" / "ledger" / "customers.csv").write_text(CUSTOMERS)
    (tmp_path / "scenario" / "ledger" / "open_items.csv").write_text(OPEN_ITEMS)
    (tmp_path / "scenario" / "scenario.json").write_text(
        json.dumps(
            {
                "as_of": "2026-03-02",
                "receiving_accounts": [{"bank": "Bank A", "currency": "USD", "account": "123"}],
            }
        )
    )
    return tmp_path / "scenario"


def test_a_scenario_loads_with_children_before_parents_and_negative_credits(
    erp_database: Database, scenario: Path
) -> None:
    summary = reset_database(erp_database, scenario)
    assert (summary.customers, summary.open_items, summary.deposit_accounts) == (2, 3, 1)
    with erp_database.read() as db:
        child = db.get(Customer, "C2")
        assert child is not None and child.parent_id == "C1"
        assert child.alias_list == ["Child", "Kid Co"]
        credit = db.get(OpenItem, "CM-2026-00001")
        assert credit is not None and credit.open_amount == to_money("-25.50")
        assert db.get(OpenItem, "DM-2026-00001").open_amount == to_money("4.00")  # type: ignore[union-attr]


def test_the_open_items_export_round_trips_the_ledger_file(
    erp_database: Database, scenario: Path
) -> None:
    reset_database(erp_database, scenario)
    with erp_database.read() as db:
        text = export(db, "open-items", "csv").decode()
        workbook = openpyxl.load_workbook(io.BytesIO(export(db, "open-items", "xlsx")))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0]) == OPEN_ITEM_COLUMNS
    original = {r["doc_no"]: r for r in csv.DictReader(io.StringIO(OPEN_ITEMS))}
    assert {r["doc_no"]: r for r in rows} == original
    sheet = workbook["Open items"]
    assert [c.value for c in sheet[1]] == list(OPEN_ITEM_COLUMNS)
    assert sheet.max_row == 4


def test_a_missing_ledger_file_is_a_scenario_error(erp_database: Database, tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"customers\.csv"):
        reset_database(erp_database, tmp_path)


def test_the_default_data_has_a_group_with_two_grid_pages_and_memos(
    erp_database: Database,
) -> None:
    summary = reset_database(erp_database)
    assert summary.open_items == 47 and summary.sales_orders == 3
    with erp_database.read() as db:
        kinds = {i.doc_type for i in db.query(OpenItem)}
        group = db.query(OpenItem).filter(
            OpenItem.customer_id.in_(["C00001", "C00002", "C00003"]),
            OpenItem.doc_type.in_(["INV", "DM"]),
        )
        assert kinds == {"INV", "CM", "DM"} and group.count() > 25
    assert (DEFAULT_DATA_DIR / "ledger" / "open_items.csv").is_file()


def _draft(db: object, **fields: object) -> PaymentDraft:
    from datetime import date

    draft = PaymentDraft(
        customer_id="C00007",
        currency="USD",
        payment_date=date(2026, 3, 2),
        method="wire",
        deposit_account="1010",
        memo="FC-UNIT",
        created_by="clerk",
        **fields,
    )
    db.add(draft)  # type: ignore[attr-defined]
    db.flush()  # type: ignore[attr-defined]
    return draft


def test_posting_closes_documents_and_exports_the_decision_shape(erp_database: Database) -> None:
    from fixtures.sandbox_erp.models import DraftAdjustment, DraftApplication

    reset_database(erp_database)
    with erp_database.write() as db:
        draft = _draft(db, amount=to_money("13000.00"))
        draft.applications.append(
            DraftApplication(doc_no="INV-2026-000465", amount=to_money("12200.00"))
        )
        draft.adjustments.append(
            DraftAdjustment(
                position=1,
                doc_no="INV-2026-000465",
                type="bank_fee",
                reason_code=None,
                amount=to_money("11.02"),
            )
        )
        db.flush()
        payment = post_payment(db, draft.id, "clerk")
        again = post_payment(db, draft.id, "clerk")  # a second Save returns the same payment
        assert again.document_no == payment.document_no == "PMT-000001"
    with erp_database.read() as db:
        assert db.get(OpenItem, "INV-2026-000465").open_amount == to_money("0.00")  # type: ignore[union-attr]
        records = payment_records(db)
        lines = export(db, "payments", "jsonl").decode().splitlines()
    assert records == [json.loads(lines[0])]
    assert records[0] == {
        "payment_id": "FC-UNIT",
        "document_no": "PMT-000001",
        "customer_id": "C00007",
        "amount": "13000.00",
        "currency": "USD",
        "value_date": "2026-03-02",
        "applications": [{"doc_no": "INV-2026-000465", "amount": "12200.00"}],
        "adjustments": [
            {
                "type": "bank_fee",
                "doc_no": "INV-2026-000465",
                "amount": "11.02",
                "reason_code": None,
            }
        ],
        "on_account": "800.00",
    }


def test_a_refused_posting_writes_nothing(erp_database: Database) -> None:
    from fixtures.sandbox_erp.models import DraftApplication, Payment

    reset_database(erp_database)
    with erp_database.write() as db:
        draft = _draft(db, amount=to_money("100.00"))
        draft.applications.append(
            DraftApplication(doc_no="INV-2026-000465", amount=to_money("100.00"))
        )
        draft.applications.append(
            DraftApplication(doc_no="INV-2026-000413", amount=to_money("1.00"))
        )
        db.flush()
        with pytest.raises(PaymentRefused) as refused:
            post_payment(db, draft.id, "clerk")
    assert refused.value.problems[0].message == (
        "INV-2026-000413 is not an open item of customer C00007."
    )
    with erp_database.read() as db:
        assert db.query(Payment).count() == 0
        assert db.get(OpenItem, "INV-2026-000465").open_amount == to_money("12211.02")  # type: ignore[union-attr]


def test_billing_a_delivery_creates_the_next_invoice_number(erp_database: Database) -> None:
    reset_database(erp_database)
    with erp_database.write() as db:
        invoice = bill_delivery(db, "DEL-000202", "clerk")
        assert invoice.doc_no == "INV-2026-000598"  # the default data ends at ...597
    with erp_database.read() as db:
        item = db.get(OpenItem, "INV-2026-000598")
        assert item is not None
        assert item.amount == to_money("2802.00") and item.open_amount == item.amount
        assert item.discount_amount == to_money("56.04")  # C00004 pays 2/10 net 30
        assert [line.item for line in item.lines] == ["GBX-R40", "SHF-20H7"]
