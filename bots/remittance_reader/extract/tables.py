"""From table rows to remittance lines, whatever the layout and language.

Contract: :func:`lines_from_tables` takes the tables of one document (rows of cell
texts, as every channel reader returns them) and gives one :class:`ExtractedLine` per
document line.  It never raises for odd content; rows it cannot read are left out, and
the caller cross-checks the lines against the advice's stated total.

How columns are found:

* a **header row** names them through a synonym list in several languages
  (``Invoice #``, ``Your Ref``, ``N° facture``, ``Rechnungsnummer``; ``Net Paid``,
  ``Montant réglé``, ``Zahlbetrag``...).  "Our Ref" on a customer's advice is *their*
  number and is never taken for ours; when several columns could hold the reference,
  the one whose cells look most like our documents wins (``looks_like_ref``);
* a later table without a header (the next page of a multi-page advice) keeps the
  columns of the last header;
* without any header, the reference is the cell that looks like one of our documents,
  the last amount on the row is what was paid and the first is the gross.

Total, sub-total, carried-forward and page-total rows are not lines.  A deduction
written into a description (``Deduction 248.49 - short shipment``) counts when it
explains the difference between gross and paid.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from html.parser import HTMLParser

from shared.money import ZERO, MoneyParseError, parse_amount

__all__ = [
    "ExtractedLine",
    "RefTest",
    "html_tables",
    "lines_from_rows",
    "lines_from_tables",
    "looks_like_doc_no",
]

RefTest = Callable[[str], bool]

# Our document numbers in the spellings customers use when they print them whole.
_DOC_REF = re.compile(r"^[A-Z]{0,6}[-\s/]?20\d{2}[-\s/]?\d{5,6}$", re.IGNORECASE)
_AMOUNT = re.compile(
    r"^(?:[A-Z]{3}\s?)?\(?[-+]?\s?[$€£]?\s?\d[\d.,' \u00a0\u202f]*\)?\s?(?:-|CR|DR|[$€£]|[A-Z]{3})?"
    r"(?:\s?(?:-|CR))?$",
    re.IGNORECASE,
)
_TOTAL_ROW = re.compile(
    r"\b(total|totals|sum|subtotal|sub-total|summe|gesamt|zwischensumme|übertrag|uebertrag|"
    r"carried|brought|forward|report|montant total|totale|importe total|balance c/f|"
    r"page \d+ of|seite \d+)\b|total\b",
    re.IGNORECASE,
)
_INLINE_DISCOUNT = re.compile(
    r"(?:discount|disc\.?|skonto|escompte|remise|descuento|sconto|korting)\b[^0-9]{0,12}?"
    r"(?:\d{1,2}(?:[.,]\d+)?\s?%[^0-9]{0,12})?([-(]?[$€£]?\s?\d[\d.,' ]*\d\)?)",
    re.IGNORECASE,
)
_INLINE_DEDUCTION = re.compile(
    r"(?:deduct\w*|short\s?paid|abzug|kürzung|retenue|déduction|deduccion|deducción|"
    r"trattenuta|korting)\s*:?\s*([-(]?[$€£]?\s?\d[\d.,' ]*\d\)?)",
    re.IGNORECASE,
)


def _fold(text: str) -> str:
    """Lower case, accents removed, punctuation to spaces: ``N° Facture`` -> ``n facture``."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^a-z0-9#%]+", " ", plain.lower()).split())


# Header synonyms by field, already folded.  Order inside a field does not matter;
# a cell is matched whole first, then by its leading words.
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "ref": (
        "invoice", "invoice #", "invoice no", "invoice nr", "invoice number", "inv no",
        "inv #", "inv", "your ref", "your reference", "your invoice", "your document",
        "your doc", "document", "document no", "document number", "doc no", "doc #",
        "reference", "ref", "supplier invoice", "supplier invoice number",
        "supplier invoice no", "vendor invoice", "vendor invoice number", "bill no",
        "n facture", "no facture", "numero facture", "facture", "votre reference",
        "votre ref", "rechnung", "rechnungsnr", "rechnungsnummer", "rechnungs nr",
        "ihre rechnung", "ihr zeichen", "ihre referenz", "beleg", "belegnr", "belegnummer",
        "factura", "no factura", "n factura", "num factura", "numero factura",
        "su referencia", "fattura", "n fattura", "numero fattura", "vostro riferimento",
        "factuur", "factuurnummer", "factuur nr", "uw referentie", "fatura",
        "numero da fatura", "sua referencia", "document ref", "invoice ref",
        "invoice reference",
    ),
    "their_ref": (
        "our ref", "our reference", "our doc", "our document", "voucher", "voucher no",
        "payment no", "payment number", "check no", "notre reference", "notre ref",
        "unser zeichen", "unsere referenz", "nuestra referencia", "nostro riferimento",
        "onze referentie", "ap doc", "ap document", "vendor no", "supplier no",
    ),
    "po": ("po", "po #", "po no", "po number", "purchase order", "bestellung",
           "bestellnummer", "commande", "bon de commande", "pedido", "ordine"),
    "gross": (
        "gross", "gross amount", "invoice amount", "invoice amt", "inv amount", "inv amt",
        "amount due", "original amount", "document amount", "amount", "invoice total",
        "open amount", "montant ttc", "montant facture", "montant brut", "montant",
        "brutto", "bruttobetrag", "rechnungsbetrag", "betrag", "importe", "importe bruto",
        "importe factura", "importo", "importo lordo", "bedrag", "factuurbedrag",
        "valor", "valor bruto",
    ),
    "discount": (
        "discount", "discount taken", "disc", "disc taken", "cash discount", "early pay discount",
        "skonto", "escompte", "remise", "descuento", "pronto pago", "sconto", "korting",
        "desconto",
    ),
    "deduction": (
        "deduction", "deductions", "deduction amount", "adjustment", "adjustments",
        "short paid", "short pay", "withheld", "abzug", "abzuge", "kurzung", "retenue",
        "deduction montant", "deduccion", "deducciones", "ajuste", "trattenuta",
        "inhouding", "deducao",
    ),
    "reason": (
        "reason", "deduction reason", "adjustment reason", "reason code", "motif",
        "grund", "abzugsgrund", "motivo", "reden", "causale",
    ),
    "description": (
        "description", "details", "remark", "remarks", "comment", "comments", "memo",
        "note", "notes", "text", "bemerkung", "beschreibung", "libelle", "descripcion",
        "descrizione", "omschrijving", "descricao",
    ),
    "paid": (
        "net paid", "amount paid", "paid", "paid amount", "net", "net amount", "payment",
        "payment amount", "amount remitted", "remitted", "net payment", "pay amount",
        "montant regle", "montant paye", "net a payer", "regle", "zahlbetrag",
        "gezahlt", "bezahlt", "auszahlung", "zahlung", "nettobetrag", "importe pagado",
        "pagado", "importe neto", "importo pagato", "pagato", "netto", "betaald",
        "betaald bedrag", "valor pago", "pago",
    ),
    "date": ("date", "invoice date", "doc date", "document date", "datum", "rechnungsdatum",
             "date facture", "fecha", "data"),
    "currency": ("curr", "currency", "ccy", "cur", "devise", "wahrung", "moneda", "valuta"),
}
_BY_NAME = {name: field for field, names in _SYNONYMS.items() for name in names}
_AMOUNT_FIELDS = ("gross", "discount", "deduction", "paid")


@dataclass(frozen=True)
class ExtractedLine:
    """One document line of a remittance as printed (amounts as Decimal)."""

    ref_as_printed: str
    gross: Decimal | None
    deduction: Decimal
    discount: Decimal
    paid: Decimal
    reason: str


def looks_like_doc_no(text: str) -> bool:
    """True for a cell printed like one of our document numbers (any prefix)."""
    return bool(_DOC_REF.match(text.strip()))


# -- HTML --------------------------------------------------------------------------


class _TableParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list[str]]] = []
        self._stack: list[list[list[str]]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._stack.append([])
        elif tag == "tr" and self._stack:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "br" and self._cell is not None:
            self._cell.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None and self._stack:
            self._stack[-1].append(self._row)
            self._row = None
        elif tag == "table" and self._stack:
            self.tables.append(self._stack.pop())

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def html_tables(html: str) -> list[list[list[str]]]:
    """Every ``<table>`` of an HTML body as rows of cell texts (inner tables first)."""
    parser = _TableParser()
    try:
        parser.feed(html)
        parser.close()
    except (AssertionError, ValueError):  # pragma: no cover - html.parser is lenient
        pass
    parser.tables.extend(parser._stack)
    return [t for t in parser.tables if t]


# -- columns -----------------------------------------------------------------------


def _field_of(cell: str) -> str | None:
    name = _fold(cell)
    if not name:
        return None
    if name in _BY_NAME:
        return _BY_NAME[name]
    words = name.split()
    for size in range(len(words) - 1, 0, -1):
        if (field := _BY_NAME.get(" ".join(words[:size]))) is not None:
            return field
    return None


@dataclass(frozen=True)
class _Columns:
    ref: int
    fields: dict[str, int]

    def get(self, row: Sequence[str], field: str) -> str:
        idx = self.ref if field == "ref" else self.fields.get(field)
        return row[idx].strip() if idx is not None and idx < len(row) else ""


def _header(row: Sequence[str]) -> dict[str, list[int]] | None:
    found: dict[str, list[int]] = {}
    for idx, cell in enumerate(row):
        if (field := _field_of(cell)) is not None:
            found.setdefault(field, []).append(idx)
    has_amount = any(f in found for f in ("paid", "gross"))
    has_ref = "ref" in found or "their_ref" in found or "po" in found
    return found if has_amount and has_ref and len(found) >= 2 else None


def _columns(header: dict[str, list[int]], body: Sequence[Sequence[str]],
             looks_like_ref: RefTest) -> _Columns | None:
    """Pick the reference column: named ones first, the most ref-like cells winning."""
    candidates = header.get("ref", []) + header.get("po", []) + header.get("their_ref", [])

    def hits(idx: int) -> int:
        return sum(1 for row in body if idx < len(row) and looks_like_ref(row[idx].strip()))

    scored = sorted(candidates, key=lambda i: (hits(i), i in header.get("ref", [])),
                    reverse=True)
    ref = next((i for i in scored if hits(i) > 0), None)
    if ref is None:
        named = header.get("ref", [])
        if not named:
            return None
        ref = named[0]
    fields: dict[str, int] = {}
    for field, indexes in header.items():
        if field in ("ref", "their_ref"):
            continue
        usable = [i for i in indexes if i != ref]
        if usable:
            # Two columns of one kind ("Amount", "Amount Paid"): the last is the paid one
            # for "paid"; the first otherwise.
            fields[field] = usable[-1] if field == "paid" else usable[0]
    if "paid" not in fields and "gross" in header and len(header["gross"]) > 1:
        fields["paid"] = header["gross"][-1]
    return _Columns(ref, fields)


# -- rows --------------------------------------------------------------------------


def _amount(cell: str) -> Decimal | None:
    text = cell.strip()
    if not text or not _AMOUNT.match(text) or not any(ch.isdigit() for ch in text):
        return None
    try:
        return parse_amount(text)
    except MoneyParseError:
        return None


def _is_total_row(row: Sequence[str], looks_like_ref: RefTest) -> bool:
    joined = " ".join(row)
    return bool(_TOTAL_ROW.search(joined)) and not any(looks_like_ref(c.strip()) for c in row)


def _inline_adjustment(text: str, difference: Decimal) -> tuple[str, Decimal, str] | None:
    """A deduction or discount written in a description, when it is the difference."""
    for kind, pattern in (("discount", _INLINE_DISCOUNT), ("deduction", _INLINE_DEDUCTION)):
        for match in pattern.finditer(text):
            amount = _amount(match.group(1))
            if amount is not None and abs(amount) == difference:
                reason = text[match.end():].strip(" -:–—,;")
                return kind, abs(amount), reason or text
    return None


def _with_inline(gross: Decimal, paid: Decimal, notes: str,
                 line: ExtractedLine) -> ExtractedLine:
    found = _inline_adjustment(notes, gross - paid)
    if found is None:
        return line
    kind, amount, reason = found
    if kind == "discount":
        return ExtractedLine(line.ref_as_printed, gross, ZERO, amount, paid, "")
    return ExtractedLine(line.ref_as_printed, gross, amount, ZERO, paid, reason)


def _with_columns(row: Sequence[str], cols: _Columns) -> ExtractedLine | None:
    ref = cols.get(row, "ref")
    if not ref or _fold(ref) in _BY_NAME:
        return None
    amounts = {f: _amount(cols.get(row, f)) for f in _AMOUNT_FIELDS}
    gross, paid = amounts["gross"], amounts["paid"]
    deduction = abs(amounts["deduction"] or ZERO)
    discount = abs(amounts["discount"] or ZERO)
    if paid is None:
        if gross is None:
            return None
        paid = gross - deduction - discount if gross >= 0 else gross
    reason = cols.get(row, "reason") or (cols.get(row, "description") if deduction else "")
    line = ExtractedLine(ref, gross, deduction, discount, paid, reason)
    if gross is not None and deduction == 0 and discount == 0 and gross > paid:
        notes = " ".join(cols.get(row, f) for f in ("description", "reason"))
        return _with_inline(gross, paid, notes, line)
    return line


def _without_header(row: Sequence[str], looks_like_ref: RefTest) -> ExtractedLine | None:
    refs = [c.strip() for c in row if looks_like_ref(c.strip())]
    amounts = [a for c in row if not looks_like_ref(c.strip()) and (a := _amount(c)) is not None]
    if len(refs) != 1 or not amounts:
        return None
    gross = amounts[0] if len(amounts) > 1 else None
    paid = amounts[-1]
    line = ExtractedLine(refs[0], gross, ZERO, ZERO, paid, "")
    if gross is not None and gross > paid:
        notes = " ".join(c for c in row if _amount(c) is None and c.strip() != refs[0])
        return _with_inline(gross, paid, notes, line)
    return line


def lines_from_tables(
    tables: Sequence[Sequence[Sequence[str]]], looks_like_ref: RefTest = looks_like_doc_no
) -> list[ExtractedLine]:
    """Document lines of every table of one document (see the module docstring)."""
    out: list[ExtractedLine] = []
    header: dict[str, list[int]] | None = None
    cols: _Columns | None = None
    for table in tables:
        for n, row in enumerate(table):
            if (found := _header(row)) is not None:
                header = found
                cols = _columns(header, table[n + 1:], looks_like_ref)
                continue
            if not any(cell.strip() for cell in row) or _is_total_row(row, looks_like_ref):
                continue
            line = (_with_columns(row, cols) if cols is not None
                    else _without_header(row, looks_like_ref))
            if line is not None:
                out.append(line)
    return out


def lines_from_rows(
    rows: Sequence[Sequence[str]], looks_like_ref: RefTest = looks_like_doc_no
) -> list[ExtractedLine]:
    """Document lines of a single table."""
    return lines_from_tables([rows], looks_like_ref)
