"""ISO 20022 camt.053 statements (also camt.052 reports and camt.054 notifications).

Contract (FORMAT.md 1.4): one entry per ``Ntry``; the payment_id is
``Ntry/AcctSvcrRef`` (else the single ``TxDtls/Refs/AcctSvcrRef``, else ``NtryRef``),
the value date ``ValDt/Dt`` (``DtTm`` or the booking date when a bank leaves it
out), ``CdtDbtInd=CRDT`` is a credit.  For a credit the payer is ``RltdPties/Dbtr``
(``Pty/Nm`` from version 001.08 on, ``Nm`` before), ``DbtrAcct`` IBAN or ``Othr/Id``,
``RltdAgts/DbtrAgt`` BIC (``BICFI``/``BIC``) or clearing member id, ``UltmtDbtr``; for a
debit the same fields of the creditor.  Free text is ``RmtInf``: every ``Ustrd``,
then the ``Strd`` creditor references (ISO 11649 ``RF...``, also in
``structured_ref``), referred document numbers and additional remittance text.

An entry whose ``TxDtls`` are several payments (a batch booking) is split into one
entry per ``TxDtls`` when each carries its own amount and they add up to the booked
amount; each then gets its own ``Refs/AcctSvcrRef`` or ``<entry ref>/<n>``.
Entries not booked yet (status ``PDNG``/``INFO``, in reports and notifications) are
left out: they come again, booked, in a later statement.

Namespaces ``camt.05[234].001.02`` to ``.13`` are read: the elements used here have
the same paths in all of them.  XML is parsed without DTDs, entities or network.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from lxml import etree

from bots.remittance_reader.bank.entry import StatementEntry, StatementError, exact_amount

__all__ = ["read_camt053"]

_NAMESPACE = re.compile(r"urn:iso:std:iso:20022:tech:xsd:camt\.(05[234])\.001\.(\d\d)")
_MESSAGES = {
    "052": ("BkToCstmrAcctRpt", "Rpt"),
    "053": ("BkToCstmrStmt", "Stmt"),
    "054": ("BkToCstmrDbtCdtNtfctn", "Ntfctn"),
}
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def read_camt053(path: Path) -> list[StatementEntry]:
    """Every booked entry of a camt.052/053/054 file; raises :class:`StatementError`."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise StatementError(f"{path.name}: cannot read: {exc}") from exc
    # Bank files never declare a DTD; refusing one up front rules out entity tricks.
    if b"<!DOCTYPE" in data[:4096].upper():
        raise StatementError(f"{path.name}: has a DOCTYPE, which camt files never have")
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        msg = f"{path.name} line {exc.lineno}: not well-formed XML: {exc.msg}"
        raise StatementError(msg) from exc
    namespace = etree.QName(root).namespace or ""
    match = _NAMESPACE.fullmatch(namespace)
    if not match or not 2 <= int(match[2]) <= 13:
        raise StatementError(
            f"{path.name}: unsupported namespace {namespace or '(none)'!r} "
            "(expected ISO 20022 camt.052/053/054 version 001.02 to 001.13)"
        )
    return _Reader(path.name, namespace).read(root, *_MESSAGES[match[1]])


@dataclass(frozen=True)
class _Party:
    name: str = ""
    account: str = ""
    bank_id: str = ""
    ultimate: str = ""


class _Reader:
    def __init__(self, name: str, namespace: str) -> None:
        self.name = name
        self.ns = namespace

    def q(self, path: str) -> str:
        return "/".join(f"{{{self.ns}}}{step}" for step in path.split("/"))

    def text(self, element: etree._Element | None, *paths: str) -> str:
        """Stripped text of the first of ``paths`` present under ``element``."""
        for path in paths:
            found = element.find(self.q(path)) if element is not None else None
            if found is not None and (found.text or "").strip():
                return (found.text or "").strip()
        return ""

    def all(self, element: etree._Element, path: str) -> list[etree._Element]:
        return list(element.iterfind(self.q(path)))

    def fail(self, element: etree._Element, where: str, why: str) -> StatementError:
        return StatementError(f"{self.name} line {element.sourceline} ({where}): {why}")

    def read(self, root: etree._Element, message: str, report: str) -> list[StatementEntry]:
        body = root.find(self.q(message))
        if body is None:
            raise StatementError(f"{self.name}: no {message} element in the document")
        reports = self.all(body, report)
        if not reports:
            raise StatementError(f"{self.name}: {message} holds no {report} element")
        entries: list[StatementEntry] = []
        for n, statement in enumerate(reports, 1):
            account = self.text(statement, "Acct/Id/IBAN", "Acct/Id/Othr/Id")
            for m, entry in enumerate(self.all(statement, "Ntry"), 1):
                entries += self.entry(entry, f"{report} {n} Ntry {m}", account)
        return entries

    def entry(self, ntry: etree._Element, where: str, account: str) -> list[StatementEntry]:
        status = self.text(ntry, "Sts/Cd", "Sts/Prtry", "Sts")
        if status and status != "BOOK":
            return []
        indicator = self.text(ntry, "CdtDbtInd")
        if indicator not in ("CRDT", "DBIT"):
            raise self.fail(ntry, where, f"CdtDbtInd {indicator!r} is neither CRDT nor DBIT")
        credit = indicator == "CRDT"
        amount, currency = self.amount(ntry, where)
        value_date = self.value_date(ntry, where)
        details = self.all(ntry, "NtryDtls/TxDtls")
        ref = self.text(ntry, "AcctSvcrRef")
        parts = self.split(details, amount, currency) if len(details) > 1 else None

        def make(pid: str, amt: Decimal, txs: list[etree._Element]) -> StatementEntry:
            party = self.party(txs[0], credit) if len(txs) == 1 else _Party()
            texts, refs = self.remittance(txs)
            return StatementEntry(
                payment_id=pid,
                credit=credit,
                value_date=value_date,
                amount=amt,
                currency=currency,
                payer_name=party.name,
                payer_account=party.account,
                payer_bank_id=party.bank_id,
                free_text=" ".join(texts),
                source_file=self.name,
                customer_ref=self.end_to_end(txs),
                structured_ref=" ".join(refs),
                ultimate_payer=party.ultimate,
                bank_text=self.narrative(ntry, txs),
                receiving_account=account,
            )

        if parts is not None:
            return [
                make(self.text(tx, "Refs/AcctSvcrRef") or f"{ref}/{n}", amt, [tx])
                for n, (tx, amt) in enumerate(parts, 1)
            ]
        if not ref and len(details) == 1:
            ref = self.text(details[0], "Refs/AcctSvcrRef")
        return [make(ref or self.text(ntry, "NtryRef"), amount, details)]

    def amount(self, element: etree._Element, where: str) -> tuple[Decimal, str]:
        node = element.find(self.q("Amt"))
        if node is None or not (node.text or "").strip():
            raise self.fail(element, where, "no Amt")
        currency = (node.get("Ccy") or "").strip().upper()
        if not re.fullmatch(r"[A-Z]{3}", currency):
            raise self.fail(node, where, f"Amt has no currency code (Ccy={currency!r})")
        return exact_amount(node.text or "", f"{self.name} line {node.sourceline}"), currency

    def value_date(self, ntry: etree._Element, where: str) -> date:
        text = self.text(ntry, "ValDt/Dt", "ValDt/DtTm", "BookgDt/Dt", "BookgDt/DtTm")
        if not text:
            raise self.fail(ntry, where, "neither ValDt nor BookgDt")
        try:
            return datetime.fromisoformat(text).date() if "T" in text else date.fromisoformat(text)
        except ValueError:
            raise self.fail(ntry, where, f"value date {text!r} is not an ISO date") from None

    def split(
        self, details: list[etree._Element], total: Decimal, currency: str
    ) -> list[tuple[etree._Element, Decimal]] | None:
        """``[(TxDtls, amount)]`` when the batch adds up in the entry currency, else None."""
        parts = []
        for tx in details:
            node = tx.find(self.q("Amt"))
            if node is None:
                node = tx.find(self.q("AmtDtls/TxAmt/Amt"))
            if node is None or (node.get("Ccy") or "").upper() != currency:
                return None
            try:
                parts.append((tx, exact_amount(node.text or "", "TxDtls")))
            except StatementError:
                return None
        return parts if sum(a for _, a in parts) == total else None

    def party(self, tx: etree._Element, credit: bool) -> _Party:
        side = "Dbtr" if credit else "Cdtr"
        parties = tx.find(self.q("RltdPties"))
        name = self.text(parties, f"{side}/Pty/Nm", f"{side}/Nm", f"{side}/Agt/FinInstnId/Nm")
        if not name and credit:  # some banks name only the initiating party
            name = self.text(parties, "InitgPty/Pty/Nm", "InitgPty/Nm")
        return _Party(
            name=name,
            account=self.text(parties, f"{side}Acct/Id/IBAN", f"{side}Acct/Id/Othr/Id"),
            bank_id=self.text(
                tx,
                f"RltdAgts/{side}Agt/FinInstnId/BICFI",
                f"RltdAgts/{side}Agt/FinInstnId/BIC",
                f"RltdAgts/{side}Agt/FinInstnId/ClrSysMmbId/MmbId",
            ),
            ultimate=self.text(parties, f"Ultmt{side}/Pty/Nm", f"Ultmt{side}/Nm"),
        )

    def remittance(self, txs: list[etree._Element]) -> tuple[list[str], list[str]]:
        """``(free-text parts, creditor references)`` of the transactions' RmtInf."""
        texts: list[str] = []
        refs: list[str] = []
        for tx in txs:
            for info in self.all(tx, "RmtInf"):
                texts += [t for u in self.all(info, "Ustrd") if (t := (u.text or "").strip())]
                for strd in self.all(info, "Strd"):
                    ref = self.text(strd, "CdtrRefInf/Ref")
                    refs += [ref] if ref else []
                    nodes = self.all(strd, "RfrdDocInf/Nb") + self.all(strd, "AddtlRmtInf")
                    texts += [ref] if ref else []
                    texts += [t for n in nodes if (t := (n.text or "").strip())]
        return texts, refs

    def end_to_end(self, txs: list[etree._Element]) -> str:
        ids = [self.text(tx, "Refs/EndToEndId") for tx in txs]
        return " ".join(i for i in ids if i and i.upper() != "NOTPROVIDED")

    def narrative(self, ntry: etree._Element, txs: list[etree._Element]) -> str:
        texts = [self.text(ntry, "AddtlNtryInf")] + [self.text(tx, "AddtlTxInf") for tx in txs]
        return " ".join(dict.fromkeys(t for t in texts if t))  # banks often repeat it
