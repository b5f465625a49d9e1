"""Real-world bank statements from ../shared/realworld/bank, read as their MANIFEST says.

Every file is read through ``read_statement`` (format by content).  Where the source
projects state expected values (the MANIFEST's "Expected values", the genkgo
``*.expected.json`` snapshots, the mt940 ``_expected_summary.json`` digest and the camt
``_derived_xml_summary.json`` cross-check) ours are compared with them.  Files that are
invalid on purpose must give a :class:`StatementError`, never another exception.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bots.remittance_reader.bank import StatementEntry, StatementError, read_statement
from bots.remittance_reader.bank.bai2 import read_bai2

pytestmark = pytest.mark.materials


def _folder(materials_dir: Path, kind: str) -> Path:
    return materials_dir / "realworld" / "bank" / kind


def _amounts(entries: list[StatementEntry]) -> list[str]:
    return [f"{'' if e.credit else '-'}{e.amount}" for e in entries]


# --- BAI2 -----------------------------------------------------------------------------

# Detail (16) records per file as the MANIFEST counts them; moov_sample3 packs two more
# "16" records after a "/" on the same line (26 in all; its control totals confirm it).
BAI2_DETAILS = {
    "moj_account_trailer_amount_blank_example.bai2": 0,
    "moj_citi_example.bai2": 1,
    "moj_nwb_example.bai2": 5,
    "moj_svb_us_example.bai2": 2,
    "moov_sample1.bai2": 17,
    "moov_sample2.bai2": 4,
    "moov_sample3.bai2": 26,
}


def test_every_bai2_file_is_read_or_refused_as_the_manifest_says(materials_dir: Path) -> None:
    files = sorted(p.name for p in _folder(materials_dir, "bai2").glob("*.bai2"))
    damaged = {"moov_sample4-continuations-newline-delimited.bai2", "moov_sample5-issue113.bai2"}
    assert set(files) == {*BAI2_DETAILS, *damaged, "moov_sample-parseError.bai2"}

    for name, count in BAI2_DETAILS.items():
        assert len(read_statement(_folder(materials_dir, "bai2") / name)) == count, name


def test_bai2_parse_error_file_names_line_and_record_type(materials_dir: Path) -> None:
    # moov-io/bai2: "ERROR parsing file on line 1 (unsupported record type 00)"
    with pytest.raises(StatementError, match=r"line 1: unsupported record type '00'"):
        read_statement(_folder(materials_dir, "bai2") / "moov_sample-parseError.bai2")


@pytest.mark.parametrize(
    ("name", "details"),
    [("moov_sample4-continuations-newline-delimited.bai2", 17), ("moov_sample5-issue113.bai2", 20)],
)
def test_goldman_style_fixtures_have_totals_that_do_not_add_up(
    materials_dir: Path, name: str, details: int
) -> None:
    """Their 49 trailer says -1260161341762 for an account whose records sum to 7999960:
    refused by default, read in full when the operator says so."""
    path = _folder(materials_dir, "bai2") / name
    with pytest.raises(StatementError, match=r"account 107049932 control total -1260161341762"):
        read_statement(path)

    entries = read_bai2(path, check_totals=False)

    assert len(entries) == details
    # issue 113: a "/" inside the text does not end the record
    assert any("AB/GS/RPFILERP0001/RPBA0001" in e.bank_text for e in entries) == (
        name.endswith("issue113.bai2")
    )


def test_bai2_citi_nwb_and_svb_values(materials_dir: Path) -> None:
    folder = _folder(materials_dir, "bai2")
    (citi,) = read_statement(folder / "moj_citi_example.bai2")
    nwb = read_statement(folder / "moj_nwb_example.bai2")
    svb = read_statement(folder / "moj_svb_us_example.bai2")

    assert (citi.payment_id, citi.customer_ref) == ("1234567890", "RP12312312312312")
    assert (citi.amount, citi.currency, citi.credit) == (Decimal("0.01"), "GBP", True)
    assert citi.value_date == date(2015, 7, 15)
    assert citi.bank_text.startswith("FR:FP SIP INCOMING ENDT:20150715")
    assert _amounts(nwb) == ["-9.71", "-1.00", "-1.23", "-15.71", "0.89"]  # 699 debits, 399 credit
    assert nwb[4].bank_text.endswith("INTERNATIONAL-5373 CLIENT SECCY AC TFR")  # "CLIE"+"NT"
    assert [(e.value_date, e.amount) for e in svb] == [
        (date(2022, 2, 1), Decimal("4901.96")),
        (date(2022, 2, 2), Decimal("9058.00")),
    ]


# --- camt -----------------------------------------------------------------------------

CAMT_INVALID = {
    "genkgo_camt053.v2.wrong.xml": r"BkToCstmrStmt holds no Stmt element",
    "viafintech_camt_invalid_namespace.xml": r"no BkToCstmrStmt element",
}


def _genkgo_entries(snapshot: Any) -> Iterator[dict[str, Any]]:
    """Every Entry object in a genkgo/camt snapshot (a graph dump with back-references)."""
    if isinstance(snapshot, dict):
        if snapshot.get("__CLASS__") == "Genkgo\\Camt\\DTO\\Entry":
            yield snapshot
        for value in snapshot.values():
            yield from _genkgo_entries(value)
    elif isinstance(snapshot, list):
        for value in snapshot:
            yield from _genkgo_entries(value)


def test_every_camt_file_is_read_or_refused(materials_dir: Path) -> None:
    for path in sorted(_folder(materials_dir, "camt053").glob("*.xml")):
        if path.name in CAMT_INVALID:
            with pytest.raises(StatementError, match=CAMT_INVALID[path.name]):
                read_statement(path)
        else:
            read_statement(path)


def test_camt_entries_match_the_genkgo_snapshots(materials_dir: Path) -> None:
    folder = _folder(materials_dir, "camt053")
    snapshots = sorted(folder.glob("genkgo_*.expected.json"))
    assert len(snapshots) == 9
    for snapshot in snapshots:
        xml = folder / snapshot.name.replace(".expected.json", ".xml")
        ours = {
            (e.amount, e.currency, e.credit, e.value_date.isoformat(), e.payment_id or None)
            for e in read_statement(xml)
        }
        expected = {
            (
                abs(Decimal(e["getAmount"]["getAmount"])) / 100,
                e["getAmount"]["getCurrency"]["getCode"],
                e["getCreditDebitIndicator"] == "CRDT",
                e["getValueDate"]["0"][:10],
                e["getAccountServicerReference"],
            )
            for e in _genkgo_entries(json.loads(snapshot.read_text(encoding="utf-8")))
        }
        # The snapshot of the two-statement file keeps only the last statement's entry.
        assert expected <= ours, snapshot.name


def test_camt_totals_and_remittance_match_the_derived_summary(materials_dir: Path) -> None:
    """Split batches change the entry count, not the booked sums or the texts."""
    folder = _folder(materials_dir, "camt053")
    summary = json.loads((folder / "_derived_xml_summary.json").read_text(encoding="utf-8"))
    for name, message in summary.items():
        if name in CAMT_INVALID:
            continue
        booked = [e for s in message["statements"] for e in s["entries"]]
        entries = read_statement(folder / name)
        for credit in (True, False):
            cdi = "CRDT" if credit else "DBIT"
            assert sum(Decimal(e["amount"]) for e in booked if e["cdi"] == cdi) == sum(
                e.amount for e in entries if e.credit is credit
            ), (name, cdi)
        texts = " ".join(e.free_text for e in entries)
        for remittance in (r for e in booked for r in e["remittance"]):
            assert remittance.removeprefix("CdtrRef:").strip() in texts, (name, remittance)


def test_camt_values_stated_by_the_source_projects(materials_dir: Path) -> None:
    folder = _folder(materials_dir, "camt053")
    valid = read_statement(folder / "viafintech_camt053_valid_example.xml")
    v8 = read_statement(folder / "viafintech_camt053_valid_example_v8.xml")
    (instd,) = read_statement(folder / "viafintech_camt053_valid_example_with_instdamt.xml")
    batch = read_statement(folder / "viafintech_camt053_valid_example_with_batch.xml")
    notification = read_statement(folder / "viafintech_camt054_valid_example.xml")
    (minimal,) = read_statement(folder / "genkgo_camt053.v2.minimal.xml")

    assert (valid[0].amount, valid[0].credit, valid[0].value_date) == (
        Decimal("2.00"),
        False,
        date(2013, 12, 27),
    )
    assert valid[0].payment_id == "2013122710583450000"
    assert valid[0].free_text == "TEST BERWEISUNG MITTELS BLZUND KONTONUMMER - DTA"
    assert (valid[0].payer_account, valid[0].payer_bank_id) == (
        "DE09300606010012345671",
        "DAAEDEDDXXX",
    )
    assert valid[0].customer_ref == "EndToEndReference"
    assert v8[0].free_text == "INVOICE R77561"
    assert (v8[1].amount, v8[1].payer_name) == (Decimal("88.85"), "Finanz AG")
    assert v8[1].structured_ref == "RF38000000000000000000552"
    assert v8[1].customer_ref == "435A9287E088BDB1D97FAABD181C70C8"
    assert (v8[2].amount, v8[2].currency) == (Decimal("20.97"), "EUR")
    assert (instd.amount, instd.currency, instd.free_text) == (
        Decimal("4500.00"),
        "CHF",
        "Praxis am Weiher",
    )
    assert _amounts(batch) == ["-4753.74", "2688.00", "5000.00"]
    assert batch[1].free_text == "TERUGGAAF"
    # camt.054: the 24.00 credit carries two payments (15.00 and 9.00) and is split
    assert _amounts(notification) == ["15.00", "9.00", "56.56", "-6.00", "-15.53"]
    assert [e.free_text for e in notification[:2]] == ["Mitteilung 132", "Mitteilung 131"]
    assert (minimal.payer_account, minimal.structured_ref) == (
        "NL56AGDH9619008421",
        "4654654654654654",
    )


# --- MT940 ----------------------------------------------------------------------------


def test_every_mt940_file_matches_the_library_expectations(materials_dir: Path) -> None:
    folder = _folder(materials_dir, "mt940")
    summary = json.loads((folder / "_expected_summary.json").read_text(encoding="utf-8"))
    assert len(summary) == len(list(folder.glob("*.sta"))) == 15
    for expected_name, expected in summary.items():
        name = expected_name.replace(".expected.yml", ".sta")
        entries = read_statement(folder / name)
        assert len(entries) == expected["transaction_count"], name
        for entry, tx in zip(entries, expected["transactions"], strict=True):
            assert entry.amount == abs(Decimal(tx["amount"])), name
            assert entry.credit is (tx["status"] in ("C", "RD")), name
            assert entry.value_date.isoformat() == tx["date"], name
            assert entry.currency == tx["currency"], name
            reference = tx["bank_reference"] or ""
            assert entry.payment_id == ("" if reference == "NONREF" else reference), name


def test_mt940_payer_details_from_structured_and_german_fields(materials_dir: Path) -> None:
    folder = _folder(materials_dir, "mt940")
    sepa = read_statement(folder / "betterplace_sepa_snippet.sta")
    (february,) = read_statement(folder / "self_provided_february_30.sta")
    raiffeisen = read_statement(folder / "self_provided_raiffeisen_cmi.sta")

    assert (sepa[1].payer_name, sepa[1].payer_account, sepa[1].payer_bank_id) == (
        "Quentin Quast",
        "DE03508800500194791600",
        "DRESDEFF508",
    )
    assert sepa[1].free_text == "Strukturierter Verwendungszweck 30030004 DE"
    assert february.value_date == date(2016, 2, 29)  # the bank wrote 30 February
    assert "napi összevont utánvét" in raiffeisen[0].free_text  # a CP852 file
