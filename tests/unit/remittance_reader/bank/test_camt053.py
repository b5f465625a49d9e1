"""camt.053/054: entries, payer parties across versions, batches, and refused files."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from bots.remittance_reader.bank.camt053 import read_camt053
from bots.remittance_reader.bank.entry import StatementError
from tests.unit.remittance_reader.bank.samples import CAMT_CREDIT_V08, NS02, NS08, camt_document

CREDIT_V02_STRUCTURED = """
      <Ntry>
        <Amt Ccy="EUR">8.850</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Sts>BOOK</Sts>
        <BookgDt><DtTm>2014-12-31T13:15:00+01:00</DtTm></BookgDt>
        <NtryDtls><TxDtls>
          <Refs><AcctSvcrRef>TX-REF-1</AcctSvcrRef><EndToEndId>NOTPROVIDED</EndToEndId></Refs>
          <RltdPties>
            <Dbtr><Nm>LAURENTIAN CONTROLS</Nm></Dbtr>
            <DbtrAcct><Id><Othr><Id>53286263</Id></Othr></Id></DbtrAcct>
          </RltdPties>
          <RltdAgts><DbtrAgt><FinInstnId><BIC>UGFACA2X</BIC></FinInstnId></DbtrAgt></RltdAgts>
          <RmtInf><Strd>
            <RfrdDocInf><Nb>INV-2026-000395</Nb></RfrdDocInf>
            <CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp><Ref>RF742026000395</Ref>
            </CdtrRefInf>
          </Strd></RmtInf>
        </TxDtls></NtryDtls>
      </Ntry>"""

DEBIT = """
      <Ntry>
        <Amt Ccy="EUR">37007.00</Amt>
        <CdtDbtInd>DBIT</CdtDbtInd>
        <Sts><Cd>BOOK</Cd></Sts>
        <ValDt><Dt>2026-03-02</Dt></ValDt>
        <AcctSvcrRef>OUT-1</AcctSvcrRef>
        <NtryDtls><TxDtls><RltdPties>
          <Dbtr><Pty><Nm>Northwind Components Ltd</Nm></Pty></Dbtr>
          <Cdtr><Pty><Nm>ACME SUPPLIES</Nm></Pty></Cdtr>
          <CdtrAcct><Id><IBAN>DE11373738984295982335</IBAN></Id></CdtrAcct>
        </RltdPties></TxDtls></NtryDtls>
        <AddtlNtryInf>SEPA UEBERWEISUNG LIEFERANT</AddtlNtryInf>
      </Ntry>"""


def _batch(second_amount: str) -> str:
    return f"""
      <Ntry>
        <Amt Ccy="EUR">24.00</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Sts><Cd>BOOK</Cd></Sts>
        <ValDt><Dt>2026-03-04</Dt></ValDt>
        <AcctSvcrRef>BATCH-7</AcctSvcrRef>
        <NtryDtls>
          <TxDtls><Amt Ccy="EUR">15.00</Amt>
            <RltdPties><Dbtr><Pty><Nm>RUTSCHMANN PIA</Nm></Pty></Dbtr></RltdPties>
            <RmtInf><Ustrd>Mitteilung 132</Ustrd></RmtInf></TxDtls>
          <TxDtls><Refs><AcctSvcrRef>OWN-REF-2</AcctSvcrRef></Refs>
            <Amt Ccy="EUR">{second_amount}</Amt>
            <RltdPties><Dbtr><Pty><Nm>BERNASCONI MARIA</Nm></Pty></Dbtr></RltdPties>
            <RmtInf><Ustrd>Mitteilung 131</Ustrd></RmtInf></TxDtls>
        </NtryDtls>
      </Ntry>"""


def _write(tmp_path: Path, text: str, name: str = "stmt.xml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_v08_credit_with_party_agent_ultimate_payer_and_unstructured_text(
    tmp_path: Path,
) -> None:
    (entry,) = read_camt053(_write(tmp_path, camt_document(NS08, CAMT_CREDIT_V08)))

    assert entry.payment_id == "RHB260302M577579"
    assert entry.credit is True
    assert entry.value_date == date(2026, 3, 3)  # ValDt, not the booking date
    assert (entry.amount, entry.currency) == (Decimal("1554.73"), "EUR")
    assert entry.payer_name == "BILL.COM PAYABLES OBO WURTH"
    assert entry.ultimate_payer == "Würth-Becker Antriebe GmbH"
    assert (entry.payer_account, entry.payer_bank_id) == ("DE05186304546595093097", "GCSTCAAA")
    assert entry.free_text == "INV-2026-002387 PO 4711"
    assert entry.customer_ref == "37917"
    assert entry.receiving_account == "DE74318487956467650318"


def test_v02_structured_reference_other_account_and_booking_date_fallback(
    tmp_path: Path,
) -> None:
    (entry,) = read_camt053(_write(tmp_path, camt_document(NS02, CREDIT_V02_STRUCTURED)))

    assert entry.payment_id == "TX-REF-1"  # no Ntry/AcctSvcrRef: the single TxDtls's one
    assert entry.amount == Decimal("8.85")  # "8.850": trailing zeros are fine
    assert entry.value_date == date(2014, 12, 31)  # no ValDt: the booking date as written
    assert (entry.payer_name, entry.payer_account) == ("LAURENTIAN CONTROLS", "53286263")
    assert entry.payer_bank_id == "UGFACA2X"
    assert entry.structured_ref == "RF742026000395"
    assert entry.free_text == "RF742026000395 INV-2026-000395"
    assert entry.customer_ref == ""  # NOTPROVIDED


def test_debit_names_the_party_paid(tmp_path: Path) -> None:
    (entry,) = read_camt053(_write(tmp_path, camt_document(NS08, DEBIT)))

    assert entry.credit is False
    assert (entry.payer_name, entry.payer_account) == ("ACME SUPPLIES", "DE11373738984295982335")
    assert entry.bank_text == "SEPA UEBERWEISUNG LIEFERANT"


def test_batch_whose_transactions_add_up_is_split_into_payments(tmp_path: Path) -> None:
    first, second = read_camt053(_write(tmp_path, camt_document(NS08, _batch("9.00"))))

    assert (first.payment_id, first.amount, first.payer_name) == (
        "BATCH-7/1",
        Decimal("15.00"),
        "RUTSCHMANN PIA",
    )
    assert (second.payment_id, second.amount, second.free_text) == (
        "OWN-REF-2",
        Decimal("9.00"),
        "Mitteilung 131",
    )


def test_batch_that_does_not_add_up_stays_one_entry_without_a_payer(tmp_path: Path) -> None:
    (entry,) = read_camt053(_write(tmp_path, camt_document(NS08, _batch("8.00"))))

    assert (entry.payment_id, entry.amount) == ("BATCH-7", Decimal("24.00"))
    assert entry.payer_name == ""
    assert entry.free_text == "Mitteilung 132 Mitteilung 131"


def test_pending_entries_are_left_out(tmp_path: Path) -> None:
    pending = CAMT_CREDIT_V08.replace("<Cd>BOOK</Cd>", "<Cd>PDNG</Cd>")

    entries = read_camt053(_write(tmp_path, camt_document(NS08, pending + DEBIT)))

    assert [e.payment_id for e in entries] == ["OUT-1"]


def test_camt054_notification_is_read_like_a_statement(tmp_path: Path) -> None:
    ns = "urn:iso:std:iso:20022:tech:xsd:camt.054.001.04"
    text = camt_document(ns, CAMT_CREDIT_V08, "BkToCstmrDbtCdtNtfctn", "Ntfctn")

    (entry,) = read_camt053(_write(tmp_path, text))

    assert (entry.payment_id, entry.credit) == ("RHB260302M577579", True)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", r"line 1: not well-formed XML"),
        ("<Document><BkToCstmrStmt>", r"line 1: not well-formed XML"),
        (
            '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"/>',
            r"unsupported namespace 'urn:iso:std:iso:20022:tech:xsd:pain\.001\.001\.03'",
        ),
        ("<Document/>", r"unsupported namespace '\(none\)'"),
        (
            f'<Document xmlns="{NS02}"><BkToCstmrStmt><GrpHdr/></BkToCstmrStmt></Document>',
            r"BkToCstmrStmt holds no Stmt element",
        ),
        (f'<Document xmlns="{NS02}"></Document>', r"no BkToCstmrStmt element"),
        (
            '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x "y">]><Document>&x;</Document>',
            r"has a DOCTYPE",
        ),
        (
            camt_document(
                NS08,
                CAMT_CREDIT_V08.replace(">1554.73</Amt>\n        <Cdt", ">1554.735</Amt>\n <Cdt"),
            ),
            r"line 10: amount '1554\.735' has more than two decimal places",
        ),
        (
            camt_document(NS08, CAMT_CREDIT_V08.replace("<CdtDbtInd>CRDT", "<CdtDbtInd>CRED")),
            r"line 9 \(Stmt 1 Ntry 1\): CdtDbtInd 'CRED' is neither CRDT nor DBIT",
        ),
        (
            camt_document(
                NS08,
                CAMT_CREDIT_V08.replace(
                    '<Amt Ccy="EUR">1554.73</Amt>\n        <Cdt', "<Amt>1554.73</Amt>\n        <Cdt"
                ),
            ),
            r"Amt has no currency code",
        ),
        (
            camt_document(NS08, DEBIT.replace("2026-03-02", "2026-02-30")),
            r"value date '2026-02-30' is not an ISO date",
        ),
    ],
)
def test_invalid_files_raise_statement_error(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(StatementError, match=r"^bad\.xml.*" + message):
        read_camt053(_write(tmp_path, text, "bad.xml"))
