"""The payment entry screen in real Chromium against the real sandbox ERP server.

Drives the screen only through the erp_poster page objects, the way the poster will,
and checks what the ERP posted through its own read-back page and its export CLI.
"""

from __future__ import annotations

import json
import subprocess
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Page

from bots.erp_poster.pages import (
    DocumentNotInGrid,
    GridLine,
    PaymentEntryPage,
    PaymentListPage,
    PaymentRejected,
    PaymentViewPage,
)
from tests.plugins.sandbox_erp import REPO_ROOT, SandboxErp, posted_payments

pytestmark = [pytest.mark.integration, pytest.mark.browser]

O2C = Path(REPO_ROOT) / ".venv" / "bin" / "o2c"


def exported_payments(erp: SandboxErp) -> list[dict[str, object]]:
    """``o2c sandbox export payments`` on the server's database file, parsed."""
    done = subprocess.run(
        [str(O2C), "sandbox", "export", "payments", "--db", str(erp.db_path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


def test_group_payment_with_credit_deduction_and_on_account_is_posted_and_exported(
    erp_page: Page, clean_sandbox_erp: SandboxErp
) -> None:
    entry = PaymentEntryPage(erp_page, clean_sandbox_erp.url)
    entry.start(
        "C00001",
        amount=Decimal("20000.00"),
        memo="FC260302000001",
        payment_date=date(2026, 3, 2),
        method="wire",
    )
    # C00001 is a group parent: INV-...424 is a subsidiary's, INV-...590 sits on page 2.
    entry.apply_lines(
        [
            GridLine("INV-2026-000414", Decimal("10741.94")),
            GridLine("INV-2026-000424", Decimal("1489.77")),
            GridLine("INV-2026-000590", Decimal("5700.00"), discount=Decimal("116.74")),
        ]
    )
    entry.apply_credit("CM-2026-00020", Decimal("-191.56"))
    entry.add_adjustment("INV-2026-000590", "deduction", Decimal("20.33"), "FREIGHT")
    entry.recalculate()
    totals = entry.read_totals()
    assert totals.applied == Decimal("17740.15")
    assert totals.adjustments == Decimal("137.07")
    assert totals.on_account == Decimal("2259.85")

    document_no = entry.save()
    assert document_no.startswith("PMT-")
    posted = PaymentViewPage(erp_page, clean_sandbox_erp.url).read()  # the confirmation page

    expected = {
        "payment_id": "FC260302000001",
        "document_no": document_no,
        "customer_id": "C00001",
        "amount": "20000.00",
        "currency": "USD",
        "value_date": "2026-03-02",
        "applications": [
            {"doc_no": "INV-2026-000414", "amount": "10741.94"},
            {"doc_no": "INV-2026-000424", "amount": "1489.77"},
            {"doc_no": "INV-2026-000590", "amount": "5700.00"},
            {"doc_no": "CM-2026-00020", "amount": "-191.56"},
        ],
        "adjustments": [
            {
                "type": "discount",
                "doc_no": "INV-2026-000590",
                "amount": "116.74",
                "reason_code": None,
            },
            {
                "type": "deduction",
                "doc_no": "INV-2026-000590",
                "amount": "20.33",
                "reason_code": "FREIGHT",
            },
        ],
        "on_account": "2259.85",
    }
    assert posted.to_record() == expected
    assert exported_payments(clean_sandbox_erp) == [expected]

    view = PaymentViewPage(erp_page, clean_sandbox_erp.url)
    view.open(document_no)
    assert view.read() == posted
    assert PaymentListPage(erp_page, clean_sandbox_erp.url).find_document_numbers(
        "FC260302000001"
    ) == [document_no]


def test_over_application_is_refused_inline_and_nothing_is_posted(
    erp_page: Page, clean_sandbox_erp: SandboxErp
) -> None:
    entry = PaymentEntryPage(erp_page, clean_sandbox_erp.url)
    entry.start("C00007", amount=Decimal("12711.02"), memo="FC-OVER-1")
    # INV-2026-000465 was part paid: 12,211.02 of 12,711.02 is still due.
    entry.apply("INV-2026-000465", Decimal("12711.02"))
    with pytest.raises(PaymentRejected) as refused:
        entry.save()
    assert refused.value.errors == [
        "Payment 12,711.02 on INV-2026-000465 exceeds the amount due 12,211.02."
    ]
    assert entry.apply_checkbox("INV-2026-000465").is_checked()  # the screen kept the entry
    assert posted_payments(erp_page, clean_sandbox_erp) == []
    assert PaymentListPage(erp_page, clean_sandbox_erp.url).find_document_numbers("FC-OVER") == []


def test_item_on_page_two_is_reached_by_filter_and_ticks_survive_paging(
    erp_page: Page, clean_sandbox_erp: SandboxErp
) -> None:
    entry = PaymentEntryPage(erp_page, clean_sandbox_erp.url)
    entry.start("C00001", amount=Decimal("15000.00"), memo="FC-PAGE-2")
    first_page = entry.visible_documents()
    assert len(first_page) == 25
    assert "INV-2026-000590" not in first_page

    entry.apply("INV-2026-000407", Decimal("5000.00"))  # page 1, unfiltered
    entry.next_page()
    assert "INV-2026-000579" in entry.visible_documents()
    entry.apply("INV-2026-000579", Decimal("1000.00"))  # page 2, unfiltered
    entry.filter_grid("INV-2026-000590")
    assert entry.visible_documents() == ["INV-2026-000590"]
    entry.apply("INV-2026-000590", Decimal("5837.07"))
    with pytest.raises(DocumentNotInGrid):
        entry.apply("INV-2026-999999", Decimal("1.00"))
    entry.recalculate()
    assert entry.read_totals().applied == Decimal("11837.07")

    document_no = entry.save()
    posted = PaymentViewPage(erp_page, clean_sandbox_erp.url).read()
    assert posted.document_no == document_no
    assert [(a.doc_no, a.amount) for a in posted.applications] == [
        ("INV-2026-000407", Decimal("5000.00")),
        ("INV-2026-000579", Decimal("1000.00")),
        ("INV-2026-000590", Decimal("5837.07")),
    ]
    assert posted.on_account == Decimal("3162.93")
