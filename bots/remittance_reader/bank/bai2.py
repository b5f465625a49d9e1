"""BAI2 balance-reporting files: every ``16`` transaction detail as a statement entry.

Contract (FORMAT.md 1.4): the payment_id is the ``16`` record's bank reference, the
value date the as-of date of the enclosing ``02`` group, the amount is in cents (no
decimal point), and a type code 100-399 is a credit.  The ``16`` text continues in
``88`` records; a continued line that fills the 80 columns was cut by the bank and
is joined without a separator (``...SND BK:BANK O`` + ``F AMERICA``), after a
shorter line a space separates the parts.

Records end with ``/`` except the text of a ``16`` record, which runs to the end of
the line because it may hold ``/`` itself.  Banks also pack several records on one
line (``.../  49,-1600,11/``) or leave out the final ``/``; both are read.  Account,
group and file control totals (``49``/``98``/``99``) must add up: a mismatch means
the file is damaged or misread, so it is refused.  Record counts are not checked
(real files get them wrong while the amounts are right).

Payer fields are read from the text in the layouts US banks use: ACH
``ORIG CO NAME:``/``ORIG ID:``/``ADDENDA:``, wires ``ORIG:``/``ID:``/``SND BK:``/
``ORIG BK:``/``OBI:``, deposits ``REMITTER``/``MEMO``.  Other texts become free text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from bots.remittance_reader.bank.entry import StatementEntry, StatementError

__all__ = ["read_bai2"]

_CODES = frozenset({"01", "02", "03", "16", "49", "88", "98", "99"})
_LINE_WIDTH = 80
# "/" ending one record and another one starting on the same line (packed files).
_PACKED = re.compile(r"/\s+(?=(?:01|02|03|16|49|88|98|99),)")
# Currencies without minor units (ISO 4217 exponent 0) that BAI2 amounts may carry.
_NO_CENTS = frozenset({"JPY", "KRW", "CLP", "ISK", "VND", "XAF", "XOF"})


@dataclass
class _Record:
    code: str
    line: int
    body: str  # everything after "NN,"
    width: int  # length of the last physical line, for joining continued text
    detail: _Detail | None = None  # a 16 record's fields and text


@dataclass
class _Detail:
    type_code: str
    amount: str
    bank_ref: str
    customer_ref: str
    text: str


@dataclass
class _Account:
    number: str
    currency: str
    total: int = 0  # the control total of its 03 summaries and 16 details, in minor units


def read_bai2(path: Path, *, check_totals: bool = True) -> list[StatementEntry]:
    """Every ``16`` detail of a BAI2 file; raises :class:`StatementError` on bad files.

    ``check_totals=False`` reads a file whose trailers do not add up (an operator's
    decision for a file the bank cannot resend; never the default).
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise StatementError(f"{path.name}: cannot read: {exc}") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:  # BAI2 is ASCII; a bank's stray accented byte is Latin-1
        text = raw.decode("latin-1")
    return _Reader(path.name, check_totals).read(_records(path.name, text))


def _records(name: str, text: str) -> list[_Record]:
    """Logical records, with 88 continuations already merged into their record."""
    records: list[_Record] = []
    for n, raw in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), 1):
        line = raw.rstrip("\x1a")  # a DOS end-of-file mark on the last line
        if not line.strip():
            continue
        current = records[-1] if records else None
        if not re.match(r"\d\d,", line):
            # A 16 text broken over physical lines without an 88 (seen in real files).
            if current is not None and current.detail is not None:
                current.detail.text += _join_text(current.width, line)
                current.width = len(line)
                continue
            raise StatementError(f"{name} line {n}: not a BAI2 record: {line[:40]!r}")
        for piece in _split_packed(line):
            _add_piece(name, n, piece, len(line), records)
    return records


def _split_packed(line: str) -> list[str]:
    # A 16 text may legitimately contain "/"; only "/ " followed by a record code
    # starts another record.
    return [p for p in _PACKED.split(line) if p.strip()]


def _add_piece(name: str, n: int, piece: str, width: int, records: list[_Record]) -> None:
    code, body = piece[:2], piece[3:]
    if code not in _CODES:
        raise StatementError(f"{name} line {n}: unsupported record type {code!r}")
    current = records[-1] if records else None
    if code == "16":
        records.append(_Record(code, n, body, width, _detail(name, n, body)))
    elif code != "88":
        records.append(_Record(code, n, body, width))
    elif current is None:
        raise StatementError(f"{name} line {n}: continuation (88) with nothing to continue")
    elif current.detail is not None:
        text = current.detail.text
        if text.rstrip().endswith("/"):  # the 16 record was closed, the 88 goes on anyway
            text = text.rstrip()[:-1]
        current.detail.text = text + _join_text(current.width, body) if text.strip() else body
        current.width = width
    else:
        current.body = current.body.rstrip().removesuffix("/") + "," + body
        current.width = width


def _join_text(previous_width: int, more: str) -> str:
    # A full line was cut by the bank: glue; a shorter one ended a phrase: space.
    return more if previous_width == _LINE_WIDTH else " " + more.lstrip()


class _Reader:
    def __init__(self, name: str, check_totals: bool) -> None:
        self.name = name
        self.check_totals = check_totals
        self.entries: list[StatementEntry] = []

    def fail(self, record: _Record, why: str) -> StatementError:
        return StatementError(f"{self.name} line {record.line}: {why}")

    def read(self, records: list[_Record]) -> list[StatementEntry]:
        if not records or records[0].code != "01":
            first = records[0] if records else None
            raise StatementError(
                f"{self.name} line {first.line if first else 1}: "
                "a BAI2 file starts with a 01 file header"
            )
        file_total, groups = 0, 0
        as_of: date | None = None
        group_currency = "USD"  # the BAI2 default when no currency is given
        group_total = 0
        account: _Account | None = None
        for record in records[1:]:
            fields = record.body.rstrip().removesuffix("/").split(",")
            if record.code == "01":
                raise self.fail(record, "a second 01 file header")
            if record.code == "02":
                if as_of is not None:
                    raise self.fail(record, "02 group header inside an open group")
                as_of = self._date(record, fields, 3)
                group_currency = _field(fields, 5).upper() or "USD"
                group_total, groups = 0, groups + 1
            elif record.code == "03":
                if as_of is None or account is not None:
                    raise self.fail(record, "03 account header outside a group or account")
                currency = _field(fields, 1).upper() or group_currency
                account = _Account(_field(fields, 0).strip(), currency)
                account.total = self._summary_total(record, fields[2:])
            elif record.detail is not None:  # a 16 record
                if account is None or as_of is None:
                    raise self.fail(record, "16 transaction detail outside an account")
                account.total += self._entry(record, record.detail, account, as_of)
            elif record.code == "49":
                if account is None:
                    raise self.fail(record, "49 account trailer without an account")
                self._check_total(record, fields, account.total, f"account {account.number}")
                group_total += account.total
                account = None
            elif record.code == "98":
                if as_of is None or account is not None:
                    raise self.fail(record, "98 group trailer outside a group or inside an account")
                self._check_total(record, fields, group_total, "group")
                file_total += group_total
                as_of = None
            elif record.code == "99":
                if as_of is not None:
                    raise self.fail(record, "99 file trailer inside an open group")
                self._check_total(record, fields, file_total, "file")
                if _field(fields, 1).strip() and _int(_field(fields, 1)) != groups:
                    raise self.fail(record, f"99 declares {fields[1]} groups, file has {groups}")
                return self.entries
        raise StatementError(f"{self.name}: no 99 file trailer (the file is cut short)")

    def _date(self, record: _Record, fields: list[str], index: int) -> date:
        text = _field(fields, index).strip()
        try:
            return datetime.strptime(text, "%y%m%d").date()
        except ValueError:
            raise self.fail(record, f"as-of date {text!r} is not YYMMDD") from None

    def _summary_total(self, record: _Record, fields: list[str]) -> int:
        """Sum of the amounts of the 03 record's summary groups (type, amount, count, funds)."""
        total, i = 0, 0
        while i < len(fields):
            if not "".join(fields[i:]).strip():
                break
            code, amount = fields[i].strip(), _field(fields, i + 1).strip()
            if not code:  # banks differ on "...,,/" vs "...,,,/" before a continuation
                i += 1
                continue
            if not code.isdigit():
                raise self.fail(record, f"summary type code {code!r} is not a number")
            if amount:
                total += self._int(record, amount, "summary amount")
            i = _skip_funds(fields, i + 3, self.fail(record, "bad funds type in a summary"))
        return total

    def _check_total(self, record: _Record, fields: list[str], total: int, what: str) -> None:
        declared = _field(fields, 0).strip()
        if not declared:  # some banks leave a zero control total blank
            declared = "0"
        if self._int(record, declared, "control total") != total and self.check_totals:
            raise self.fail(
                record,
                f"{what} control total {declared} does not match the records' sum {total}",
            )

    def _int(self, record: _Record, text: str, what: str) -> int:
        value = _int(text)
        if value is None:
            raise self.fail(record, f"{what} {text!r} is not a whole number of cents")
        return value

    def _entry(self, record: _Record, detail: _Detail, account: _Account, as_of: date) -> int:
        """Append the 16 record's entry; return its amount in minor units."""
        if not (len(detail.type_code) == 3 and detail.type_code.isdigit()):
            raise self.fail(record, f"type code {detail.type_code!r} is not three digits")
        if not detail.amount.lstrip("+").isdigit():
            raise self.fail(record, f"amount {detail.amount!r} is not an unsigned number of cents")
        minor = int(detail.amount)
        amount = Decimal(minor) if account.currency in _NO_CENTS else Decimal(minor) / 100
        text = detail.text.rstrip().removesuffix("/").strip()
        payer = _payer(text)
        self.entries.append(
            StatementEntry(
                payment_id=detail.bank_ref,
                credit=100 <= int(detail.type_code) <= 399,
                value_date=as_of,
                amount=amount.quantize(Decimal("0.01")),
                currency=account.currency,
                payer_name=payer.name,
                payer_account=payer.account,
                payer_bank_id=payer.bank_id,
                free_text=payer.free_text,
                source_file=self.name,
                customer_ref=detail.customer_ref,
                bank_text=text,
                receiving_account=account.number,
            )
        )
        return minor


def _detail(name: str, line: int, body: str) -> _Detail:
    """The fields of a 16 record: type, amount, funds type (skipped), refs, then text."""
    rest = body

    def take() -> str:
        nonlocal rest
        value, sep, rest = rest.partition(",")
        if not sep:  # the record ended: the last field may carry the "/" terminator
            value = value.rstrip().removesuffix("/")
        return value.strip()

    type_code, amount, funds = take(), take(), take().upper()
    if funds in ("S", "V", "D"):  # availability fields between the amount and the refs
        count = take() if funds == "D" else ""
        if funds == "D" and not count.isdigit():
            raise StatementError(f"{name} line {line}: distribution count {count!r} is not a count")
        for _ in range({"S": 3, "V": 2, "D": 2 * int(count or 0)}[funds]):
            take()
    elif funds not in ("", "0", "1", "2", "Z"):
        raise StatementError(f"{name} line {line}: unknown funds type {funds!r}")
    bank_ref, customer_ref = take(), take()
    return _Detail(type_code, amount, bank_ref, customer_ref, rest)


def _skip_funds(fields: list[str], i: int, error: StatementError) -> int:
    """Index after the funds type at ``i`` and its extra fields."""
    funds = _field(fields, i).strip().upper()
    if funds == "S":  # immediate, one-day and two-or-more-day amounts
        return i + 4
    if funds == "V":  # value date and time
        return i + 3
    if funds == "D":  # a count, then (days, amount) pairs
        count = _field(fields, i + 1).strip()
        if not count.isdigit():
            raise error
        return i + 2 + 2 * int(count)
    if funds in ("", "0", "1", "2", "Z"):
        return i + 1
    raise error


def _field(fields: list[str], index: int) -> str:
    return fields[index] if index < len(fields) else ""


def _int(text: str) -> int | None:
    text = text.strip()
    return int(text) if re.fullmatch(r"[+-]?\d+", text) else None


@dataclass(frozen=True)
class _Payer:
    name: str = ""
    account: str = ""
    bank_id: str = ""
    free_text: str = ""


_LABEL = re.compile(
    r"(?:^|(?<=\s))(ORIG CO NAME|ORIG ID|DESC DATE|ENTRY DESCR|SEC|TRACE#|EED|IND ID|IND NAME|"
    r"WIRE TYPE|DATE|TIME|ET TRN|ORIG BK|ORIG|SND BK|INTERMEDIARY BK|ID):"
)
# Free-text labels run to the end of the text: what a payer typed may hold colons.
_FREE = re.compile(r"(?:^|\s)(?:ADDENDA|OBI):")
_DEPOSIT = re.compile(r"REMITTER (?P<name>.*?)(?: MEMO (?P<memo>.*))?$")


def _payer(text: str) -> _Payer:
    free = _FREE.search(text)
    head, free_text = (text[: free.start()], text[free.end() :]) if free else (text, "")
    labels = _labelled(head)
    values = dict(reversed(labels))  # the first occurrence of a label wins
    if "ORIG CO NAME" in values:  # ACH: the account is the originator's company id
        account = values.get("ORIG ID", "")
        return _Payer(
            values["ORIG CO NAME"], account, "ACH COMPANY ID" if account else "", free_text.strip()
        )
    if "ORIG" in values:  # wire: ORIG:<name> ID:<acct> SND BK:<bank> ID:<ABA> | ORIG BK:<BIC>
        bank_id = _id_after(labels, "SND BK") or values.get("ORIG BK", "")
        return _Payer(values["ORIG"], _id_after(labels, "ORIG"), bank_id, free_text.strip())
    deposit = _DEPOSIT.search(text)
    if deposit:
        return _Payer(deposit["name"].strip(), free_text=(deposit["memo"] or "").strip())
    return _Payer(free_text=text)


def _labelled(text: str) -> list[tuple[str, str]]:
    """``[(label, value), ...]`` in order of appearance."""
    found = list(_LABEL.finditer(text))
    return [
        (m[1], text[m.end() : found[i + 1].start() if i + 1 < len(found) else len(text)].strip())
        for i, m in enumerate(found)
    ]


def _id_after(labels: list[tuple[str, str]], label: str) -> str:
    """The value of the ``ID:`` right after ``label`` (wires name a party, then its id)."""
    keys = [key for key, _ in labels]
    if label not in keys:
        return ""
    i = keys.index(label) + 1
    return labels[i][1] if i < len(labels) and keys[i] == "ID" else ""
