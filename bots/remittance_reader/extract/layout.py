"""Positional tables: rows of aligned cells from words that carry x-extents.

Contract: the input is lines of :class:`Word` (text plus ``x0``/``x1``; ``top``/``bottom``
when the source has them).  Three sources feed it with the same code path:

* a fixed-width plain-text body (:func:`text_tables`): one word per run of non-blanks,
  x in character columns; ``|`` and tabs are explicit cell boundaries;
* a PDF text layer: pdfplumber ``extract_words`` boxes in points;
* OCR: tesseract ``image_to_data`` boxes in pixels.

The output is a list of tables, each a list of rows of cell strings with the header
row first when one was found (a repeated header on a later page is not repeated).
Every row has one cell per column; an empty cell is ``""``.  Cells keep their inner
spaces (``Remaining balance``, ``1 234,56``, ``12.50 CR``, ``$ 1,415.07``).  Lines that
are not part of a table (address blocks, ``Payee: ...`` labels, prose) are left out.

How: words closer than about one character width form a *phrase* (a candidate cell;
a currency sign set apart joins its amount).  A header line (two or more phrases,
words not numbers, no ``label:``; a second or third heading line stacks onto it) sets
the columns; each phrase of the lines below goes to the column it overlaps most, or
the nearest one, so a right-aligned amount lands under its right-aligned heading even
when cells to its left are empty.  A phrase that straddles two columns is split
between its words when one piece is an amount; a heading that sits over two data
columns (``Deduction Reason`` set tight) is split where the data says, and two
headings one column of data spans (``Net`` ``Paid`` set loose) are joined.  A line
with a single text phrase right under a row is that row's wrapped description.
Without a header, the columns come from the consensus of consecutive lines that each
carry an amount; at the top of a page they may continue the previous page's table
(:func:`find_tables` with ``previous``, :func:`join_pages`).  Page totals and
carried-forward lines that line up with the columns stay in the table (the
interpreter recognises them).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from statistics import median

from bots.remittance_reader.extract.document import Rows

__all__ = [
    "Table",
    "Word",
    "find_tables",
    "group_lines",
    "is_amount",
    "join_pages",
    "rows_from_words",
    "text_tables",
]


@dataclass(frozen=True, slots=True)
class Word:
    """One word (or one explicitly bounded cell) with its horizontal extent.

    ``hard`` marks a cell whose bounds were given by the source (a ``|`` or a tab in
    plain text): it is never merged with a neighbour nor split.
    """

    text: str
    x0: float
    x1: float
    top: float = 0.0
    bottom: float = 0.0
    hard: bool = False


@dataclass(slots=True)
class _Cell:
    words: list[Word]
    x0: float = field(init=False)
    x1: float = field(init=False)

    def __post_init__(self) -> None:
        self.x0 = min(w.x0 for w in self.words)
        self.x1 = max(w.x1 for w in self.words)

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)


@dataclass(slots=True)
class _Column:
    x0: float
    x1: float
    words: list[Word]  # the heading's words ([] when the table has no header)

    @property
    def label(self) -> str:
        return " ".join(w.text for w in self.words)


# An amount as printed: optional sign, currency, digits in groups of three, two decimals,
# optional trailing sign, currency or CR/DR.  Right-aligned in every layout we know.
_AMOUNT = re.compile(
    r"^[(\-+\u2212]?\s?(?:[$€£¥]|[A-Z]{3}\b)?\s?[(\-]?\s?"
    r"\d{1,3}(?:(?P<group>[.,'\u00a0\u202f ])\d{3}(?:(?P=group)\d{3})*)?(?P<dec>[.,])\d{2}"
    r"\s?\)?(?:-|\s?(?:CR|DR|[$€£¥]|[A-Z]{3}))?\)?$"
    r"|^[(\-+\u2212]?\s?(?:[$€£¥]|[A-Z]{3}\b)?\s?[(\-]?\s?\d{4,}(?P<dec2>[.,])\d{2}"
    r"\s?\)?(?:-|\s?(?:CR|DR|[$€£¥]|[A-Z]{3}))?\)?$",
    re.IGNORECASE,
)
_DIGIT = re.compile(r"\d")
_ALPHA = re.compile(r"[^\W\d_]")
_ALNUM = re.compile(r"[^\W_]")
_RULE = re.compile(r"^[\s\-=_+|:.*~]+$")


def is_amount(text: str) -> bool:
    """True when ``text`` reads as a printed amount with two decimals.

    The group separator must differ from the decimal mark (``1.234,56``, ``1,234.56``,
    ``1 234,56``); ``1.234.56`` is an OCR slip, not an amount.
    """
    m = _AMOUNT.match(text.strip())
    if m is None:
        return False
    return m.group("group") is None or m.group("group") != m.group("dec")


# --------------------------------------------------------------------------- sources


def text_tables(text: str) -> list[Rows]:
    """Every fixed-width or ``|``-separated table of a plain-text body.

    Rule lines (``----``, ``+---+``) are skipped without ending a table; a blank line
    or prose ends it.
    """
    lines: list[list[Word]] = []
    y = 0
    for raw in text.splitlines():
        if raw.strip() and _RULE.match(raw):
            continue  # a rule is decoration: it neither is a row nor breaks a table
        y += 1
        words = _text_words(raw, float(y))
        if words:
            lines.append(words)
    # Monospaced text: one space joins words, two or more separate cells.
    return rows_from_words(lines, gap=1.5)


def _text_words(raw: str, y: float) -> list[Word]:
    if "|" in raw or "\t" in raw:
        return _bounded_cells(raw, y)
    return [Word(m.group(), float(m.start()), float(m.end()), y, y + 1.0)
            for m in re.finditer(r"\S+", raw)]


def _bounded_cells(line: str, y: float) -> list[Word]:
    """Cells between explicit separators, each spanning its whole segment."""
    out: list[Word] = []
    expanded = ""
    bounds: list[tuple[int, int]] = []
    start = 0
    for ch in line:
        if ch in "|\t":
            bounds.append((start, len(expanded)))
            if ch == "\t":
                # a tab moves to the next stop of 8, and always separates
                expanded += " " * (8 - len(expanded) % 8)
            else:
                expanded += " "
            start = len(expanded)
        else:
            expanded += ch
    bounds.append((start, len(expanded)))
    for a, b in bounds:
        segment = expanded[a:b]
        if segment.strip():
            out.append(Word(" ".join(segment.split()), float(a), float(b), y, y + 1.0,
                            hard=True))
    return out


def group_lines(words: Iterable[Word]) -> list[list[Word]]:
    """Words grouped into text lines, top to bottom, left to right.

    Taken by the middle of each word: a word whose middle lies within the vertical
    band of the line's first word joins that line.
    """
    ordered = sorted(words, key=lambda w: ((w.top + w.bottom) / 2, w.x0))
    lines: list[list[Word]] = []
    for w in ordered:
        mid = (w.top + w.bottom) / 2
        if lines and lines[-1][0].top <= mid <= lines[-1][0].bottom:
            lines[-1].append(w)
        else:
            lines.append([w])
    return [sorted(line, key=lambda w: w.x0) for line in lines]


# --------------------------------------------------------------------------- core


@dataclass(frozen=True)
class Table:
    """One table of a page: its rows and where its columns are, to read the next page.

    ``continued`` is true for rows read with the columns of the previous page's table
    (a continuation page that does not repeat the heading): they have no header row
    and extend that table.
    """

    rows: Rows
    columns: tuple[tuple[str, float, float], ...]  # label, x0, x1 of each column
    continued: bool = False


def join_pages(tables: Sequence[Table]) -> list[Rows]:
    """The tables of a multi-page document, a table running over pages made one.

    A table continues the one before when it was read with its columns
    (``continued``) or when it repeats its heading; the repeated heading is dropped.
    """
    def norm(row: Sequence[str]) -> str:
        return " ".join(" ".join(row).lower().split())

    out: list[Rows] = []
    for table in tables:
        if out and table.rows and (table.continued or norm(table.rows[0]) == norm(out[-1][0])):
            out[-1] = out[-1] + (table.rows if table.continued else table.rows[1:])
        elif table.rows:
            out.append(list(table.rows))
    return out


def rows_from_words(lines: Sequence[Sequence[Word]], *, gap: float | None = None) -> list[Rows]:
    """Tables found in lines of words (one page, or one text body), as rows."""
    return [t.rows for t in find_tables(lines, gap=gap)]


def find_tables(
    lines: Sequence[Sequence[Word]],
    *,
    gap: float | None = None,
    previous: Table | None = None,
) -> list[Table]:
    """Tables found in lines of words (one page, or one text body).

    ``gap`` is the horizontal distance beyond which two words are different cells; by
    default about one character width, estimated from the words themselves.
    ``previous`` is the last table of the page before: lines at the top of this page
    that fit its columns, before any heading, continue it.
    """
    lines = [sorted(line, key=lambda w: w.x0) for line in lines if line]
    if not lines:
        return []
    threshold = gap if gap is not None else _char_width(lines)
    cells = [_phrases(line, threshold) for line in lines]
    pitch = _line_pitch(lines)
    tables: list[Table] = []
    used = [False] * len(lines)
    i = 0
    while i < len(lines):
        if not used[i] and _header_like(cells[i]):
            found = _table_below(i, lines, cells, pitch)
            if found is not None:
                rows, columns, last = found
                tables.append(Table(rows, tuple((c.label, c.x0, c.x1) for c in columns)))
                for k in range(i, last + 1):
                    used[k] = True
                i = last + 1
                continue
        i += 1
    first_header = min((k for k in range(len(lines)) if used[k]), default=len(lines))
    tables.extend(_headerless_tables(lines, cells, used, pitch, previous, first_header))
    return tables


def _char_width(lines: Sequence[Sequence[Word]]) -> float:
    widths = [(w.x1 - w.x0) / len(w.text) for line in lines for w in line
              if len(w.text) >= 3 and not w.hard]
    return median(widths) if widths else 1.0


def _line_pitch(lines: Sequence[Sequence[Word]]) -> float:
    mids = [median((w.top + w.bottom) / 2 for w in line) for line in lines]
    steps = [b - a for a, b in itertools.pairwise(mids) if b > a]
    heights = [w.bottom - w.top for line in lines for w in line]
    base = median(heights) if heights else 1.0
    if not steps:
        return base
    # the common step between consecutive lines, not a jump over a blank block
    small = [s for s in steps if s <= 3 * base] or steps
    return median(small)


def _phrases(line: Sequence[Word], gap: float) -> list[_Cell]:
    out: list[_Cell] = []
    current: list[Word] = []
    for w in line:
        if current and (w.hard or current[-1].hard or w.x0 - current[-1].x1 > gap):
            out.append(_Cell(current))
            current = []
        current.append(w)
    if current:
        out.append(_Cell(current))
    return _attach_currency(out, gap)


_CURRENCY = re.compile(r"^[$€£¥]$")


def _attach_currency(cells: list[_Cell], gap: float) -> list[_Cell]:
    """A currency sign set apart from its amount ("€    399,00") is part of that amount.

    Only a sign: a code (``USD``) apart from the amount is a currency column.
    """
    out: list[_Cell] = []
    for cell in cells:
        prev = out[-1] if out else None
        if (prev is not None and not (prev.words[-1].hard or cell.words[0].hard)
                and cell.x0 - prev.x1 <= 3 * gap
                and (_CURRENCY.match(prev.text) or _CURRENCY.match(cell.text))
                and is_amount(f"{prev.text} {cell.text}")):
            out[-1] = _Cell([*prev.words, *cell.words])
            continue
        out.append(cell)
    return out


def _header_like(cells: Sequence[_Cell]) -> bool:
    if len(cells) < 2:
        return False
    texts = [c.text for c in cells]
    # "Payee:   Northwind" and "Currency: USD" are labels and values, not headings
    if any(":" in t or is_amount(t) for t in texts):
        return False
    # headings are words; OCR debris of a rule line ("— a eee") is not
    wordy = sum(1 for t in texts if len(_ALPHA.findall(t)) >= 2)
    if wordy < max(2, 0.6 * len(texts)):
        return False
    joined = "".join(texts)
    return len(_DIGIT.findall(joined)) <= max(1, len(joined) // 10)


def _is_data_line(cells: Sequence[_Cell]) -> bool:
    return any(is_amount(c.text) for c in cells) or any(
        is_amount(" ".join(w.text for w in c.words[k:])) for c in cells for k in range(1, 3)
        if k < len(c.words)
    )


# ----------------------------------------------------------------- tables with header


def _table_below(
    h: int,
    lines: Sequence[Sequence[Word]],
    cells: Sequence[list[_Cell]],
    pitch: float,
) -> tuple[Rows, list[_Column], int] | None:
    """The table under the header line ``h``: rows, columns, index of its last line."""
    columns = [_Column(c.x0, c.x1, list(c.words)) for c in cells[h]]
    last_y = _mid(lines[h])
    k = h + 1
    # a heading set on two or three lines ("Invoice" over "Number", "Amount" over "Paid")
    while (k < len(lines) and k <= h + 2 and _mid(lines[k]) - last_y <= 1.6 * pitch
           and _heading_words(cells[k])):
        columns = _stack(columns, cells[k])
        last_y = _mid(lines[k])
        k += 1
    span0, span1 = columns[0].x0, columns[-1].x1
    width = span1 - span0
    members: list[int] = []
    skipped = 0
    while k < len(lines):
        y = _mid(lines[k])
        if y - last_y > 2.6 * pitch * (skipped + 1):
            break  # a blank block ends the table
        line_cells = cells[k]
        x0 = min(c.x0 for c in line_cells)
        x1 = max(c.x1 for c in line_cells)
        if x1 < span0 - 0.1 * width or x0 > span1 + 0.1 * width:
            break  # beside the table, not in it
        if (_same_header(line_cells, columns) or _is_data_line(line_cells)
                or _fills_columns(line_cells, columns) or (
            members and _continuation(line_cells, columns, lines[k], lines[members[-1]], pitch)
        )):
            # rows, totals, carried-forward amounts, a heading repeated (skipped below)
            # and wrapped cells
            members.append(k)
            last_y = y
            skipped = 0
        elif (skipped == 0 and k + 1 < len(lines) and not _header_like(line_cells)
              and (_is_data_line(cells[k + 1]) or _fills_columns(cells[k + 1], columns))):
            skipped = 1  # one stray line (OCR debris of a rule, a sub-caption) inside
        else:
            break
        k += 1
    data = [m for m in members if not _same_header(cells[m], columns)]
    if not any(len(cells[m]) >= 2 for m in data):
        return None
    columns = _refine_columns(columns, [cells[m] for m in data])
    rows: Rows = [[c.label for c in columns]]
    previous: list[str] | None = None
    pieces = crowded = 0
    for m in data:
        placed = _place(cells[m], columns)
        pieces += sum(len(p) for p in placed)
        crowded += sum(len(p) - 1 for p in placed if len(p) > 1)
        row = [" ".join(c.text for c in p) for p in placed]
        if previous is not None and len(cells[m]) == 1 and not _is_data_line(cells[m]):
            # a wrapped description line: append to the cell above it
            for idx, text in enumerate(row):
                if text:
                    previous[idx] = f"{previous[idx]} {text}".strip()
            continue
        rows.append(row)
        previous = row
    if crowded * 4 > pieces:
        return None  # the "heading" does not fit the lines below: not this table's header
    # a one-letter "heading" with nothing under it is a speck the OCR read as a letter
    keep = [i for i, label in enumerate(rows[0])
            if len(_ALNUM.findall(label)) >= 2 or any(r[i] for r in rows[1:])]
    rows = [[r[i] for i in keep] for r in rows]
    return rows, [columns[i] for i in keep], members[-1] if members else h


def _heading_words(line_cells: Sequence[_Cell]) -> bool:
    """Only words, no digits, no labels: a further line of a heading."""
    text = " ".join(c.text for c in line_cells)
    return (not _DIGIT.search(text) and ":" not in text
            and all(len(_ALPHA.findall(c.text)) >= 2 for c in line_cells))


def _stack(columns: list[_Column], line_cells: Sequence[_Cell]) -> list[_Column]:
    """Add a heading line to the columns: each phrase joins the heading it sits under."""
    out = list(columns)
    for cell in line_cells:
        hits = [i for i, c in enumerate(out) if _overlap(cell.x0, cell.x1, c.x0, c.x1) > 0]
        if hits:
            i = max(hits, key=lambda j: _overlap(cell.x0, cell.x1, out[j].x0, out[j].x1))
            col = out[i]
            out[i] = _Column(min(col.x0, cell.x0), max(col.x1, cell.x1),
                             [*col.words, *cell.words])
        else:
            out.append(_Column(cell.x0, cell.x1, list(cell.words)))
            out.sort(key=lambda c: c.x0)
    return out


def _fills_columns(line_cells: Sequence[_Cell], columns: Sequence[_Column]) -> bool:
    """A row whose amount was misread: three or more cells under distinct headings."""
    if len(line_cells) < 3 or any(c.text.endswith(":") for c in line_cells):
        return False
    hit = {_best_column(c, columns) for c in line_cells}
    return len(hit) >= 3 and any(_DIGIT.search(c.text) for c in line_cells)


def _mid(line: Sequence[Word]) -> float:
    return median((w.top + w.bottom) / 2 for w in line)


def _same_header(line_cells: Sequence[_Cell], columns: Sequence[_Column]) -> bool:
    return (" ".join(c.text for c in line_cells).lower()
            == " ".join(c.label for c in columns).lower())


def _continuation(
    line_cells: Sequence[_Cell],
    columns: Sequence[_Column],
    line: Sequence[Word],
    above: Sequence[Word] | None,
    pitch: float,
) -> bool:
    """A single text phrase under a text column, right below a row: a wrapped cell."""
    if len(line_cells) != 1 or _is_data_line(line_cells):
        return False
    cell = line_cells[0]
    if above is not None and _mid(line) - _mid(above) > 1.6 * pitch:
        return False
    idx = _best_column(cell, columns)
    return idx > 0 and cell.x1 <= columns[min(idx + 1, len(columns) - 1)].x0 + 0.5


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return min(a1, b1) - max(a0, b0)


def _best_column(cell: _Cell | Word, columns: Sequence[_Column]) -> int:
    best, best_score = 0, float("-inf")
    amount = is_amount(cell.text)
    for idx, col in enumerate(columns):
        ov = _overlap(cell.x0, cell.x1, col.x0, col.x1)
        if ov <= 0:
            # distance to the column; an amount is measured by its right edge
            ov = -abs(cell.x1 - col.x1) if amount else -max(col.x0 - cell.x1, cell.x0 - col.x1)
            ov -= 1e6  # any overlap beats any distance
        if ov > best_score:
            best, best_score = idx, ov
    return best


def _split_assign(cell: _Cell, columns: Sequence[_Column]) -> list[tuple[int, _Cell]]:
    """Columns for one phrase: whole, or split between words when it straddles columns."""
    whole = _best_column(cell, columns)
    touched = [i for i, c in enumerate(columns) if _overlap(cell.x0, cell.x1, c.x0, c.x1) > 0]
    if len(touched) < 2 or len(cell.words) < 2:
        return [(whole, cell)]
    parts: list[tuple[int, list[Word]]] = []
    for w in cell.words:
        idx = _best_column(w, columns)
        if parts and parts[-1][0] == idx:
            parts[-1][1].append(w)
        else:
            parts.append((idx, [w]))
    # Split only where the data says so: some piece must be an amount on its own,
    # else a long description that runs under the next heading would be cut.
    if len(parts) < 2 or not any(is_amount(" ".join(x.text for x in ws)) for _, ws in parts):
        return [(whole, cell)]
    return [(idx, _Cell(ws)) for idx, ws in parts]


def _place(line_cells: Sequence[_Cell], columns: Sequence[_Column]) -> list[list[_Cell]]:
    placed: list[list[_Cell]] = [[] for _ in columns]
    for cell in line_cells:
        for idx, piece in _split_assign(cell, columns):
            placed[idx].append(piece)
    # Two phrases in one column while a neighbour stays empty: the outer one belongs to
    # the neighbour when it reaches under that heading or not under its own.
    def belongs(piece: _Cell, here: _Column, there: _Column) -> bool:
        return (_overlap(piece.x0, piece.x1, there.x0, there.x1) > 0
                or _overlap(piece.x0, piece.x1, here.x0, here.x1) <= 0)

    for idx in range(len(columns)):
        while len(placed[idx]) >= 2:
            placed[idx].sort(key=lambda c: c.x0)
            if (idx + 1 < len(columns) and not placed[idx + 1]
                    and belongs(placed[idx][-1], columns[idx], columns[idx + 1])):
                placed[idx + 1].append(placed[idx].pop())
            elif (idx > 0 and not placed[idx - 1]
                    and belongs(placed[idx][0], columns[idx], columns[idx - 1])):
                placed[idx - 1].append(placed[idx].pop(0))
            else:
                break
    return [sorted(p, key=lambda c: c.x0) for p in placed]


def _assign(line_cells: Sequence[_Cell], columns: Sequence[_Column]) -> list[str]:
    return [" ".join(c.text for c in p) for p in _place(line_cells, columns)]


def _refine_columns(columns: list[_Column], data: Sequence[Sequence[_Cell]]) -> list[_Column]:
    """Fit the headings to the data under them.

    A heading that sits over two data columns (``Deduction Reason`` set tight) is split
    where the data says; two headings that one column of data spans (``Net`` ``Paid``
    set loose) are joined.
    """
    columns = _merge_columns(columns, data)
    changed = True
    while changed:
        changed = False
        for idx, col in enumerate(columns):
            if len(col.words) < 2 or any(a.x0 >= b.x0 for a, b in itertools.pairwise(col.words)):
                continue  # one word, or a heading stacked on two lines: nothing to cut
            under = [[w for cell in line_cells for j, piece in _split_assign(cell, columns)
                      if j == idx for w in piece.words] for line_cells in data]
            split = _best_split(col, [ws for ws in under if ws])
            if split is not None:
                left = _Column(col.x0, col.words[split - 1].x1, col.words[:split])
                right = _Column(col.words[split].x0, col.x1, col.words[split:])
                columns = [*columns[:idx], left, right, *columns[idx + 1:]]
                changed = True
                break
    return columns


def _merge_columns(columns: list[_Column], data: Sequence[Sequence[_Cell]]) -> list[_Column]:
    idx = 0
    while idx + 1 < len(columns):
        left, right = columns[idx], columns[idx + 1]
        spanning = apart = 0
        for line_cells in data:
            inside = [c for c in line_cells
                      if _overlap(c.x0, c.x1, left.x0, right.x1) > 0]
            if any(_overlap(c.x0, c.x1, left.x0, left.x1) > 0
                   and _overlap(c.x0, c.x1, right.x0, right.x1) > 0
                   and (len(c.words) == 1 or is_amount(c.text)) for c in inside):
                spanning += 1
            elif len(inside) >= 2:
                apart += 1
        if spanning and not apart and spanning * 2 >= len(data):
            columns = [*columns[:idx],
                       _Column(left.x0, right.x1, left.words + right.words),
                       *columns[idx + 2:]]
            continue
        idx += 1
    return columns


def _best_split(col: _Column, rows: Sequence[Sequence[Word]]) -> int | None:
    """Where to cut a heading so that the words under it fall apart the same way.

    A row votes for a cut between heading words ``s-1`` and ``s`` when its words under
    the heading divide there at a gap, into an amount on one side and something on the
    other; a row with a word across the cut, or one amount cut in two, votes against.
    ``Deduction Reason`` over ``50.00  Damaged goods`` is cut; over ``Price variance vs
    PO`` it is not.
    """
    best, best_votes = None, 0
    for s in range(1, len(col.words)):
        cut = (col.words[s - 1].x1 + col.words[s].x0) / 2
        votes = against = 0
        for words in rows:
            left = [w for w in words if w.x1 <= cut]
            right = [w for w in words if w.x0 >= cut]
            if len(left) + len(right) < len(words) or (
                    left and right and is_amount(" ".join(w.text for w in words))):
                against += 1  # a word across the cut, or one amount ("€ 399,00") cut
            elif left and right and (is_amount(" ".join(w.text for w in left))
                                     or is_amount(" ".join(w.text for w in right))):
                votes += 1
        if votes > against and votes > best_votes:
            best, best_votes = s, votes
    return best


# -------------------------------------------------------------- tables without header


def _headerless_tables(
    lines: Sequence[Sequence[Word]],
    cells: Sequence[list[_Cell]],
    used: Sequence[bool],
    pitch: float,
    previous: Table | None,
    first_header: int,
) -> list[Table]:
    """Runs of lines with an amount and aligned gaps, columns by consensus.

    A run above the page's first heading that fits the previous page's columns is read
    with them and continues that table.
    """
    tables: list[Table] = []
    run: list[int] = []
    wrapped: dict[int, list[int]] = {}  # a run line -> the wrapped lines below it

    def flush() -> None:
        # one line makes a table only when it has enough cells to be a row (ref, date,
        # amounts), so "Total  1,234.56" alone is not a table
        if len(run) >= 2 or (run and len(cells[run[0]]) >= 3):
            block = [cells[k] for k in run]
            found: tuple[Rows, list[_Column]] | None = None
            continued = False
            if previous is not None and run[-1] < first_header and not tables:
                columns = [_Column(x0, x1, []) for _, x0, x1 in previous.columns]
                if _fits(block, columns):
                    found, continued = ([_assign(line, columns) for line in block], columns), True
            if found is None:
                found = _consensus(block)
            if found is not None:
                rows, columns = found
                for row, k in zip(rows, run, strict=True):
                    for extra in wrapped.get(k, []):
                        for idx, text in enumerate(_assign(cells[extra], columns)):
                            if text:
                                row[idx] = f"{row[idx]} {text}".strip()
                labels = (previous.columns if continued and previous is not None
                          else tuple(("", c.x0, c.x1) for c in columns))
                tables.append(Table(rows, labels, continued=continued))
        run.clear()
        wrapped.clear()

    for k in range(len(lines)):
        ok = (not used[k] and len(cells[k]) >= 2 and _is_data_line(cells[k])
              and not any(c.text.endswith(":") for c in cells[k]))
        if ok and run and _mid(lines[k]) - _mid(lines[run[-1]]) > 2.6 * pitch:
            flush()
        if ok:
            run.append(k)
        elif (run and not used[k] and len(cells[k]) == 1 and not _is_data_line(cells[k])
              and cells[k][0].x0 > cells[run[-1]][0].x1  # not prose at the margin
              and _mid(lines[k]) - _mid(lines[wrapped.get(run[-1], [run[-1]])[-1]])
              <= 1.6 * pitch):
            wrapped.setdefault(run[-1], []).append(k)  # a description wrapped below its row
        else:
            flush()
    flush()
    return tables


def _fits(block: Sequence[Sequence[_Cell]], columns: Sequence[_Column]) -> bool:
    """Most phrases of the block fall inside the columns, one per column."""
    pieces = crowded = outside = 0
    for line in block:
        placed = _place(line, columns)
        pieces += sum(len(p) for p in placed)
        crowded += sum(len(p) - 1 for p in placed if len(p) > 1)
        outside += sum(1 for c in line
                       if all(_overlap(c.x0, c.x1, col.x0, col.x1) <= 0 for col in columns))
    return pieces > 0 and (crowded + outside) * 4 <= pieces


def _consensus(block: Sequence[Sequence[_Cell]]) -> tuple[Rows, list[_Column]] | None:
    """Columns where the phrases of most lines agree; a phrase straddling them is outvoted.

    Along x, count how many lines have a phrase there; a column is a stretch where
    more than a quarter of the lines have ink, so one long description does not glue
    two columns.
    """
    edges = sorted({x for line in block for c in line for x in (c.x0, c.x1)})
    limit = len(block) / 4
    spans: list[list[float]] = []
    for a, b in itertools.pairwise(edges):
        mid = (a + b) / 2
        cover = sum(1 for line in block if any(c.x0 <= mid <= c.x1 for c in line))
        if cover > limit:
            if spans and spans[-1][1] >= a:
                spans[-1][1] = b
            else:
                spans.append([a, b])
    if len(spans) < 2:
        return None
    columns = [_Column(a, b, []) for a, b in spans]
    return [_assign(line, columns) for line in block], columns
