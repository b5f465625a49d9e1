"""The bench's bank folder (../shared/bench/cashapp-dev/bank): every payment, once.

FORMAT.md 1.4: every credit entry is one payment and each payment appears in exactly
one file.  ``truth/payments.jsonl`` (read here for checking only; the pipeline never
reads it) lists them; the readers must find each with its amount, currency and value
date, as a credit, exactly once, and no other credits.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from bots.remittance_reader.bank import StatementFormat, detect_format, read_statement

pytestmark = pytest.mark.materials


def test_every_payment_is_one_credit_and_there_are_no_others(materials_dir: Path) -> None:
    scenario = materials_dir / "bench" / "cashapp-dev"
    truth = {
        p["payment_id"]: p
        for p in map(json.loads, (scenario / "truth" / "payments.jsonl").read_text().splitlines())
    }
    files = sorted((scenario / "bank").iterdir())
    credits = [e for path in files for e in read_statement(path) if e.credit]

    assert len(truth) == 500
    assert {detect_format(p) for p in files} == set(StatementFormat)
    seen = Counter(e.payment_id for e in credits)
    assert [pid for pid, n in seen.items() if n > 1] == []
    assert sorted(seen) == sorted(truth)
    for entry in credits:
        expected = truth[entry.payment_id]
        assert (f"{entry.amount:.2f}", entry.currency, entry.value_date.isoformat()) == (
            expected["amount"],
            expected["currency"],
            expected["value_date"],
        ), entry.payment_id
        assert f"bank/{entry.source_file}" == expected["bank_file"]


def test_every_credit_names_its_payer_and_keeps_the_account_the_bank_gave(
    materials_dir: Path,
) -> None:
    """The payer fields are filled wherever the bank gave them (FORMAT.md 1.4 layouts)."""
    bank = materials_dir / "bench" / "cashapp-dev" / "bank"
    credits = [e for path in sorted(bank.iterdir()) for e in read_statement(path) if e.credit]

    assert [e.payment_id for e in credits if not e.payer_name] == []
    # wires "ORIG:<name> ID:<acct>", ACH "ORIG ID:", MT940 "/ID/<acct>": never lost
    with_id = [e for e in credits if " ID:" in e.bank_text or "/ID/" in e.bank_text]
    assert len(with_id) > 200
    assert [e.payment_id for e in with_id if not e.payer_account] == []
