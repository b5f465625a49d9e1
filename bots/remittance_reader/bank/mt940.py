"""SWIFT MT940 statements (and MT942 interim reports): every ``:61:`` line as an entry.

Contract (FORMAT.md 1.4): the payment_id is the bank reference after ``//`` in
``:61:``, the value date its first six digits (YYMMDD), mark ``C`` (or ``RD``, the
reversal of a debit) is a credit.  Payer and free text come from ``:86:``:

* structured ``/CODE/value`` details: ``/ORDP//NAME/<name>/ID/<account>/BIC/<bic>``
  (``BENM`` or ``CNTP`` when there is no ordering party), ``/ULTD//NAME/`` for the
  ultimate payer, ``/REMI/USTD//<text>/`` or ``/REMI/STRD/SCOR/<RF ref>/``, ``/EREF/``;
* German ``?20``...``?34`` sub-fields (as the library splits them): purpose, name,
  IBAN and BIC of the other party;
* anything else: the whole text is the free text.

``:86:`` lines are cut at 65 characters: a full line is glued to the next one (banks
cut words: ``NL11TRIO61474`` + ``89397``), after a shorter line a space separates them.

The tags themselves are parsed by the ``mt-940`` library (it copes with bank quirks:
header lines, funds codes, 30 February, ``:NS:`` blocks, CP852 files); this module
maps its result to :class:`StatementEntry` and turns its errors into
:class:`StatementError`.
"""

from __future__ import annotations

import logging
import re
from datetime import date
from itertools import pairwise
from pathlib import Path
from typing import Any

import mt940
from mt940.processors import transaction_details_post_processor

from bots.remittance_reader.bank.entry import StatementEntry, StatementError, exact_amount

__all__ = ["read_mt940"]

# The library logs the whole offending tag value at ERROR level before raising; that
# value is payer data, and the StatementError we raise already says what went wrong.
logging.getLogger("mt940").setLevel(logging.CRITICAL)

_LINE = 65
_NO_REF = frozenset({"", "NONREF", "NOTPROVIDED"})
_OPTIONS = mt940.Options(
    reversal_sign=True,
    case_insensitive_marks=True,
    unbounded_details=True,
    strip_bom=True,
    merge_keeps_values=True,
    applicant_iban=True,
)
_TOP = re.compile(
    r"/(EREF|KREF|MREF|ORDP|BENM|CNTP|ULTD|ULTB|ULTC|REMI|PURP|ISDT|CSID|MARF|RTRN|IREF|"
    r"TRCD|BUSP|SVCL|EXCH|OCMT|CHGS)/"
)
_PARTY = re.compile(r"/(NAME|ID|ADDR|BIC|CITY|CTRY)/")


def _keep_raw(
    transactions: Any, tag: Any, tag_dict: dict[str, Any], result: dict[str, Any]
) -> dict[str, Any]:
    # The library's German sub-field processor drops the raw text; keep it.
    result["raw_details"] = tag_dict.get("transaction_details") or ""
    return result


_PROCESSORS = {"post_transaction_details": [_keep_raw, transaction_details_post_processor]}


def read_mt940(path: Path) -> list[StatementEntry]:
    """Every ``:61:`` entry of an MT940/MT942 file; raises :class:`StatementError`."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise StatementError(f"{path.name}: cannot read: {exc}") from exc
    text = _drop_owner_info(_decode(raw))
    try:
        statements = mt940.parse_statements(text, processors=_PROCESSORS, options=_OPTIONS)
    except Exception as exc:  # the library raises assorted types for malformed input
        raise StatementError(f"{path.name}{_where(text, exc)}: {_reason(exc)}") from exc
    if not statements:
        raise StatementError(f"{path.name}: no MT940 statement (no :20: tag)")
    entries: list[StatementEntry] = []
    for number, statement in enumerate(statements, 1):
        account = str(statement.data.get("account_identification") or "").strip()
        for index, transaction in enumerate(statement.transactions, 1):
            where = f"{path.name} statement {number} entry {index}"
            entries.append(_entry(transaction.data, account, where, path.name))
    return entries


def _decode(raw: bytes) -> str:
    # SWIFT text is ASCII; banks' exports are UTF-8 or a DOS code page.  CP852 is the
    # library's own fallback and maps every byte, so decoding never fails.
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp852")


def _drop_owner_info(text: str) -> str:
    """Blank a ``:86:`` that follows a balance: it informs the account owner about the
    statement, and the library would append it to the last entry's details.  The lines
    are blanked, not removed, so error messages keep the file's line numbers."""
    kept: list[str] = []
    last_tag, dropping = "", False
    for line in text.replace("\r\n", "\n").split("\n"):
        tag = re.match(r":(\d\d[A-Z]?|NS):", line)
        if tag:
            dropping = tag[1] == "86" and last_tag in ("62", "62F", "62M", "64", "65")
            last_tag = tag[1]
        kept.append("" if dropping else line)
    return "\n".join(kept)


def _where(text: str, exc: Exception) -> str:
    """`` line N`` of the tag value the library could not parse, when it says which."""
    value = exc.args[2] if len(exc.args) >= 3 and isinstance(exc.args[2], str) else ""
    at = text.find(value.split("\n")[0]) if value else -1
    return f" line {text.count(chr(10), 0, at) + 1}" if at >= 0 else ""


def _reason(exc: Exception) -> str:
    if isinstance(exc, RuntimeError) and len(exc.args) >= 2:
        return f":{getattr(exc.args[1], 'id', '?')}: field does not match the MT940 layout"
    return f"not a readable MT940 statement ({exc.__class__.__name__}: {exc})"


def _entry(data: dict[str, Any], account: str, where: str, source: str) -> StatementEntry:
    status = str(data.get("status") or "").upper()
    amount = data.get("amount")
    value = data.get("date")
    if status not in ("C", "D", "RC", "RD") or amount is None or value is None:
        raise StatementError(f"{where}: :61: without a debit/credit mark, amount or date")
    details = _join_lines(str(data.get("raw_details") or ""))
    party = _structured(details) if details.startswith("/") else None
    if party is None:
        party = _german(data, details)
    own_ref = str(data.get("customer_reference") or "").strip()
    bank_ref = str(data.get("bank_reference") or "").strip()
    return StatementEntry(
        payment_id="" if bank_ref.upper() in _NO_REF else bank_ref,
        credit=status in ("C", "RD"),
        value_date=date(value.year, value.month, value.day),
        amount=exact_amount(abs(amount.amount), where),
        currency=str(data.get("currency") or amount.currency or "").upper(),
        payer_name=party.get("name", ""),
        payer_account=party.get("account", ""),
        payer_bank_id=party.get("bank_id", ""),
        free_text=party.get("free_text", ""),
        source_file=source,
        customer_ref=own_ref if own_ref.upper() not in _NO_REF else party.get("eref", ""),
        structured_ref=party.get("structured_ref", ""),
        ultimate_payer=party.get("ultimate", ""),
        bank_text=details,
        receiving_account=account,
    )


def _join_lines(details: str) -> str:
    lines = details.split("\n")
    joined = lines[0]
    for previous, line in pairwise(lines):
        joined += line if len(previous) >= _LINE else " " + line.lstrip()
    return joined.strip()


def _structured(text: str) -> dict[str, str] | None:
    """Fields of a ``/CODE/value/CODE/value`` text; None when it is not one."""
    found = list(_TOP.finditer(text))
    if not found or found[0].start() != 0:
        return None
    codes: dict[str, str] = {}
    for i, match in enumerate(found):
        end = found[i + 1].start() if i + 1 < len(found) else len(text)
        codes.setdefault(match[1], text[match.end() : end])
    payer = _party(codes.get("ORDP") or codes.get("BENM") or "")
    if not payer and "CNTP" in codes:  # ING: /CNTP/<account>/<bic>/<name>/<city>/
        account, bic, name = ([*codes["CNTP"].split("/"), "", "", ""])[:3]
        payer = {"account": account, "bank_id": bic, "name": name}
    remittance = codes.get("REMI", "")
    free_text, structured_ref = _remittance(remittance)
    eref = codes.get("EREF", "").strip("/ ")
    return {
        "name": payer.get("name", ""),
        "account": payer.get("account", ""),
        "bank_id": payer.get("bank_id", ""),
        "ultimate": _party(codes.get("ULTD", "")).get("name", ""),
        "free_text": free_text or structured_ref,
        "structured_ref": structured_ref,
        "eref": "" if eref.upper() in _NO_REF else eref,
    }


def _party(value: str) -> dict[str, str]:
    """``/NAME/<name>/ID/<account>/BIC/<bic>`` (after ``ORDP/``) as a dict."""
    found = list(_PARTY.finditer(value))
    fields: dict[str, str] = {}
    for i, match in enumerate(found):
        end = found[i + 1].start() if i + 1 < len(found) else len(value)
        fields.setdefault(match[1], value[match.end() : end].strip("/ "))
    return {
        key: fields[code]
        for key, code in (("name", "NAME"), ("account", "ID"), ("bank_id", "BIC"))
        if fields.get(code)
    }


def _remittance(value: str) -> tuple[str, str]:
    """``(free text, structured reference)`` of a ``/REMI/`` value."""
    body = value.removesuffix("/")
    kind, _, rest = body.partition("/")
    if kind == "USTD":  # USTD//<text>
        return rest.removeprefix("/").strip(), ""
    if kind == "STRD":  # STRD/<issuer: SCOR, CUR, ISO>/<reference>
        _issuer, _, reference = rest.partition("/")
        return "", reference.strip()
    return body.strip(), ""  # some banks write /REMI/<text>/ without a kind


def _german(data: dict[str, Any], details: str) -> dict[str, str]:
    """Fields from the library's ``?20``... split, or the plain text."""
    purpose = str(data.get("purpose") or "").strip()
    if not purpose and not data.get("applicant_name"):
        return {"free_text": details}
    return {
        "name": str(data.get("applicant_name") or "").strip(),
        "account": str(data.get("applicant_iban") or "").strip(),
        "bank_id": str(data.get("applicant_bin") or "").strip(),
        "free_text": purpose,
        "eref": str(data.get("end_to_end_reference") or "").strip(),
    }
