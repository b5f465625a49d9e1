"""OCR of remittance images and scanned pages into text and positional tables.

Contract: :func:`read_image` takes the bytes of a PNG, JPEG, TIFF (every frame of a
multi-page TIFF), GIF, BMP or WebP attachment and returns a
:class:`DocumentContent` with channel ``"image"``; :func:`ocr_page` is the primitive
``pdf.py`` uses for pages without a text layer.  Nothing here raises for bad content:
an unreadable image, a decompression bomb, a missing tesseract binary or an OCR run
past its time limit comes back as ``problem``.

Pipeline per page.  Each step was measured with
``benchmarks/eval_positional_channels.py`` on the 155 lines of the development
corpus's scans and images (reference and paid amount found in one row); the figure
after a step is the count without it, against 144 with the whole pipeline:

1. grayscale, flattened onto white (palette, alpha and 1-bit images alike);
2. scaled to 300 dpi (tesseract's LSTM reads 9-10 pt text best there; to 200: 134);
3. deskewed by the projection-profile angle when it is a quarter degree or more, so
   the rows of a tilted scan stay rows (141);
4. long horizontal rules whitened: a border touching digits reads as a minus sign or
   eats the reference (142);
5. a Gaussian blur of 1.2 px: joins broken fax strokes, softens specks and JPEG noise
   (105: the largest single gain);
6. tesseract ``--psm 6`` (one uniform block, so a borderless table row stays one
   line; psm 4: 138, psm 11: 124) with ``preserve_interword_spaces``;
7. a page read with mean confidence under 90 is read twice more (despeckled by a 3x3
   median, and unblurred) and the three readings vote word by word (143);
8. OCR debris trimmed, a reference split at its hyphens joined back, then rows through
   :mod:`layout` (the code text layers and plain text use) and OCR confusions repaired
   in amount columns only (``O``/``0``, ``l``/``1``, ``S``/``5``, ``$8.153.28``).

Tried and left out, each worse: autocontrast, Otsu binarization, a levels stretch,
dilating thin strokes, 400 dpi, psm 3.
"""

from __future__ import annotations

import io
import itertools
import os
import re
import time
import warnings
from collections import Counter
from dataclasses import dataclass, replace

from PIL import Image, ImageDraw, ImageFilter, ImageOps, UnidentifiedImageError

from bots.remittance_reader.extract.document import DocumentContent, Rows
from bots.remittance_reader.extract.layout import Table, Word, find_tables, is_amount, join_pages

__all__ = [
    "MAX_BYTES",
    "MAX_FRAMES",
    "MAX_PIXELS",
    "OCR_TIMEOUT_S",
    "TIME_BUDGET_S",
    "OcrError",
    "OcrPage",
    "ocr_page",
    "read_image",
    "tesseract_available",
]

MAX_PIXELS = 60_000_000  # a 300-dpi A3 page is 17.5 Mpx: four times that is no scan
MAX_FRAMES = 50  # pages of a multi-page TIFF read at most
MAX_BYTES = 40_000_000
OCR_TIMEOUT_S = 60  # per tesseract run; a 300-dpi page takes 1-2 s on one core
TIME_BUDGET_S = 120.0  # per image: no further frame is started past it
TARGET_DPI = 300
# tesseract's LSTM on one thread per run: more threads were slower (STACK.md)
_TESSERACT_ENV = {"OMP_THREAD_LIMIT": "1"}
TESSERACT_CONFIG = "--psm 6 -c preserve_interword_spaces=1"
BLUR_RADIUS = 1.2  # pixels at 300 dpi
# Mean word confidence under which a page is read three times and the readings vote.
# Clean renders score 93-96; speckled, faint or fax pages 50-90.
SECOND_PASS_BELOW = 90.0
ERASE_RULES = True
DESKEW = True


@dataclass(frozen=True)
class OcrPage:
    """What OCR read on one page: text in reading order and the tables found."""

    text: str
    tables: list[Table]  # with their column positions, to continue on the next page
    words: int  # words kept (conf > 0); 0 means nothing legible
    confidence: float  # mean tesseract confidence of those words, 0-100


class OcrError(Exception):
    """OCR could not run on a page (no tesseract, time limit); the message says why."""


def tesseract_available() -> bool:
    """True when the tesseract binary can be run."""
    import pytesseract

    try:
        pytesseract.get_tesseract_version()
    except (pytesseract.TesseractNotFoundError, OSError):
        return False
    return True


def read_image(data: bytes, name: str) -> DocumentContent:
    """Text and tables of an image attachment (all frames of a TIFF)."""
    if not data:
        return DocumentContent(name, "image", problem="The image file is empty.")
    if len(data) > MAX_BYTES:
        return DocumentContent(name, "image", problem=(
            f"The image is {len(data) // 1_000_000} MB, more than the "
            f"{MAX_BYTES // 1_000_000} MB we read."))
    started = time.monotonic()
    texts: list[str] = []
    tables: list[Table] = []
    problem: str | None = None
    try:
        image, count = _open(data)
        for index in range(count):
            if time.monotonic() - started > TIME_BUDGET_S:
                problem = (f"Reading stopped after {index} of {count} pages: the image took "
                           f"longer than {TIME_BUDGET_S:.0f} s.")
                break
            frame, dpi = _frame(image, index)
            page = ocr_page(frame, dpi=dpi, previous=tables[-1] if tables else None)
            texts.append(page.text)
            tables.extend(page.tables)
    except (_BadImage, OcrError) as exc:
        problem = str(exc)
    if problem is None and not any(t.strip() for t in texts):
        problem = "No text could be read in the image."
    return DocumentContent(name, "image", "\n\n".join(texts), join_pages(tables), problem,
                           len(texts))


class _BadImage(Exception):
    pass


def _open(data: bytes) -> tuple[Image.Image, int]:
    """The image and its frame count, every frame's size checked before any is decoded."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            count = getattr(image, "n_frames", 1)
            if count > MAX_FRAMES:
                raise _BadImage(f"The image has {count} pages, more than the "
                                f"{MAX_FRAMES} we read.")
            for index in range(count):
                image.seek(index)
                if image.width * image.height > MAX_PIXELS:
                    raise _BadImage(
                        f"The image is {image.width}x{image.height} pixels, too large to be "
                        "a scanned page (possible decompression bomb).")
            return image, count
    except _BadImage:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _BadImage("The image is too large to be a scanned page "
                        "(possible decompression bomb).") from exc
    except UnidentifiedImageError as exc:
        raise _BadImage("The attachment is not an image format we can read.") from exc
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise _BadImage(f"The image is damaged and cannot be read ({exc}).") from exc


def _frame(image: Image.Image, index: int) -> tuple[Image.Image, float | None]:
    """One frame, decoded, with its stated resolution (dpi) if any."""
    try:
        image.seek(index)
        dpi = image.info.get("dpi")
        frame = image.copy()
        frame.load()
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        # truncated or corrupt data surfaces as any of these from Pillow's decoders
        raise _BadImage(f"The image is damaged and cannot be read ({exc}).") from exc
    return frame, (float(dpi[0]) if dpi and dpi[0] else None)


# ------------------------------------------------------------------------- OCR page


def ocr_page(
    image: Image.Image, *, dpi: float | None = None, previous: Table | None = None
) -> OcrPage:
    """OCR one page image; ``dpi`` is its resolution when known (PDF render, TIFF tag).

    ``previous`` is the last table of the page before (see ``layout.find_tables``).

    Raises :class:`OcrError` when tesseract is missing or runs past ``OCR_TIMEOUT_S``.
    """
    page = normalise(image, dpi)
    words = _recognise(smooth(page))
    confidence = _mean_conf(words)
    if confidence < SECOND_PASS_BELOW:
        # A poor page (speckled, faint, fax): read it twice more, despeckled and as is,
        # and let the three readings vote word by word.  Clean pages never pay for this.
        words = _vote([words, _recognise(despeckle(page)), _recognise(page)])
        confidence = _mean_conf(words)
    lines = _lines(words)
    text = "\n".join(" ".join(w.text for w in line) for line in lines)
    tables = [replace(t, rows=repair_amounts(_join_hyphens(t.rows)))
              for t in find_tables(lines, previous=previous)]
    return OcrPage(text, tables, len(words), confidence)


@dataclass(frozen=True, slots=True)
class _OcrWord:
    word: Word
    conf: float
    line: tuple[int, int, int]  # tesseract's block, paragraph, line


def _recognise(image: Image.Image) -> list[_OcrWord]:
    import pytesseract

    for name, value in _TESSERACT_ENV.items():
        os.environ.setdefault(name, value)
    try:
        data = pytesseract.image_to_data(image, config=TESSERACT_CONFIG,
                                         output_type=pytesseract.Output.DICT,
                                         timeout=OCR_TIMEOUT_S)
    except pytesseract.TesseractNotFoundError as exc:
        raise OcrError("OCR is not available on this machine (tesseract is not "
                       "installed).") from exc
    except RuntimeError as exc:  # pytesseract reports its timeout as RuntimeError
        raise OcrError(f"OCR of a page took longer than {OCR_TIMEOUT_S} s and was "
                       "stopped.") from exc
    except pytesseract.TesseractError as exc:
        raise OcrError(f"OCR failed on a page ({exc.message}).") from exc
    out: list[_OcrWord] = []
    for i, raw in enumerate(data["text"]):
        text = _clean(str(raw))
        conf = float(str(data["conf"][i]))
        if not text or conf <= 0:
            continue
        left, top = int(str(data["left"][i])), int(str(data["top"][i]))
        width, height = int(str(data["width"][i])), int(str(data["height"][i]))
        key = (int(str(data["block_num"][i])), int(str(data["par_num"][i])),
               int(str(data["line_num"][i])))
        out.append(_OcrWord(Word(text, left, left + width, top, top + height), conf, key))
    return out


def _mean_conf(words: list[_OcrWord]) -> float:
    return sum(w.conf for w in words) / len(words) if words else 0.0


def _overlap(a: Word, b: Word) -> float:
    """Intersection over union of two word boxes."""
    dx = min(a.x1, b.x1) - max(a.x0, b.x0)
    dy = min(a.bottom, b.bottom) - max(a.top, b.top)
    if dx <= 0 or dy <= 0:
        return 0.0
    inter = dx * dy
    union = (a.x1 - a.x0) * (a.bottom - a.top) + (b.x1 - b.x0) * (b.bottom - b.top) - inter
    return inter / union if union > 0 else 0.0


def _vote(readings: list[list[_OcrWord]]) -> list[_OcrWord]:
    """Majority of the readings per word box; a tie goes to the most confident one.

    The first reading gives the words and their lines; the others vote on the text of
    each word whose box they read too (intersection over union >= 0.6).
    """
    first, others = readings[0], readings[1:]
    out: list[_OcrWord] = []
    used: list[set[int]] = [set() for _ in others]
    for a in first:
        votes: list[tuple[str, float]] = [(a.word.text, a.conf)]
        for r, reading in enumerate(others):
            scores = [_overlap(a.word, b.word) for b in reading]
            best = max(range(len(reading)), key=scores.__getitem__, default=None)
            if best is not None and scores[best] >= 0.6:
                votes.append((reading[best].word.text, reading[best].conf))
                used[r].add(best)
        texts = [t for t, _ in votes]
        text, conf = max(votes, key=lambda v: (texts.count(v[0]), v[1]))
        out.append(_OcrWord(Word(text, a.word.x0, a.word.x1, a.word.top, a.word.bottom),
                            conf, a.line))
    # a word both other readings found, alike, where the first found nothing
    if len(others) == 2:
        for i, b in enumerate(others[0]):
            if i in used[0] or any(_overlap(b.word, a.word) > 0 for a in out):
                continue
            if any(_overlap(b.word, c.word) >= 0.6 and c.word.text == b.word.text
                   for c in others[1]):
                out.append(_OcrWord(b.word, b.conf, _line_at(out, b.word)))
    return out


def _line_at(words: list[_OcrWord], w: Word) -> tuple[int, int, int]:
    mid = (w.top + w.bottom) / 2
    for other in words:
        if other.word.top <= mid <= other.word.bottom:
            return other.line
    return (-1, -1, round(mid))


def _lines(words: list[_OcrWord]) -> list[list[Word]]:
    """Words grouped by tesseract's own line ids (they follow a tilted baseline)."""
    grouped: dict[tuple[int, int, int], list[Word]] = {}
    for w in words:
        grouped.setdefault(w.line, []).append(w.word)
    lines = [_stitch(sorted(ws, key=lambda w: w.x0)) for ws in grouped.values()]
    lines = [line for line in lines if line]
    lines.sort(key=lambda ws: sorted(w.top for w in ws)[len(ws) // 2])
    return lines


def _stitch(line: list[Word]) -> list[Word]:
    """Join the pieces of a code split at its hyphens ("NWINV" "-" "2026" "-001900").

    A monospaced hyphen sits in its own character cell, so OCR returns it apart, with
    up to a character of white on each side.  Pieces are joined only when both are
    code-like (capitals, digits, hyphens) and close; a dash between ordinary words or
    after an amount ("248.49 - short shipment") stays apart, and a lone dash left over
    is dropped as punctuation.
    """
    sized = [w for w in line if len(w.text) >= 3]
    width = (sum((w.x1 - w.x0) / len(w.text) for w in sized) / len(sized)) if sized else 0.0
    out: list[Word] = []
    for w in line:
        prev = out[-1] if out else None
        if (prev is not None and width and w.x0 - prev.x1 <= width
                and (w.text.startswith("-") or prev.text.endswith("-"))
                and _CODE.match(prev.text) and _CODE.match(w.text)):
            out.pop()
            w = Word(prev.text + w.text, prev.x0, w.x1, min(prev.top, w.top),
                     max(prev.bottom, w.bottom))
        out.append(w)
    return [w for w in out if w.text.strip("-")]


# Specks, rule lines and table borders come back as punctuation-only "words" or stick
# to a real word ("__INV2026001851", "|1,288.23"): they are debris, not text.
_LEADING_DEBRIS = re.compile(r"^(?:[_—–~|‘’'\"“”„`«»;:,.°=*\\]+|-(?=[A-Za-z]))+")
_TRAILING_DEBRIS = re.compile(r"[_—–~|‘’'\"“”„`«»;,°=*.:]+$")
_ALNUM = re.compile(r"[^\W_]")
_HYPHENS = {"-", "–", "—", "‐", "·"}
_CODE = re.compile(r"^(?:-|-?[A-Z0-9]+(?:-[A-Z0-9]+)*-?)$")
# "INV- 2026" / "2026 -001663": monospaced scans set the hyphen apart
_HYPHEN_GAP = re.compile(r"(?<=[A-Za-z0-9])- +(?=[A-Za-z0-9])|(?<=\d) +-(?=\d)")


def _clean(text: str) -> str:
    if text.strip() in _HYPHENS:
        return "-"  # kept for now: it may join a reference ("NWINV - 2026"), see _stitch
    text = _LEADING_DEBRIS.sub("", text.strip())
    tail = _TRAILING_DEBRIS.search(text)
    # "Disc." and "No.:" keep their marks; "2233__." and "980,00." lose them
    if tail and not (set(tail.group()) <= set(".:") and text[: tail.start()][-1:].isalpha()):
        text = text[: tail.start()]
    return text if _ALNUM.search(text) else ""


def _join_hyphens(table: Rows) -> Rows:
    """Close a gap on one side of a hyphen inside non-amount cells (not " - ")."""
    out: Rows = []
    for row in table:
        fixed = []
        for cell in row:
            if not is_amount(cell):
                cell = _HYPHEN_GAP.sub("-", cell)
                if cell.endswith("-") and re.search(r"[A-Za-z]", cell):
                    cell = cell[:-1]  # "INV-2026-002082-": a speck read as a dash
            fixed.append(cell)
        out.append(fixed)
    return out


# --------------------------------------------------------------------- preprocessing


def normalise(image: Image.Image, dpi: float | None) -> Image.Image:
    """Grayscale on white, about ``TARGET_DPI``, deskewed: the geometry every pass shares."""
    gray = _flatten(image)
    source_dpi = dpi or _guess_dpi(gray)
    scale = TARGET_DPI / source_dpi
    if scale > 1.15 or scale < 0.6:
        scale = min(scale, 4.0)
        size = (max(1, round(gray.width * scale)), max(1, round(gray.height * scale)))
        gray = gray.resize(size, Image.Resampling.LANCZOS)
    angle = skew_angle(gray) if DESKEW else 0.0
    if abs(angle) >= 0.25:
        gray = gray.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True,
                           fillcolor=255)
    if ERASE_RULES:
        # horizontal rules only: a vertical line through text (a scanner streak) would
        # take a stroke of every digit it crosses with it
        gray = erase_rules(gray)
    return gray


def erase_rules(page: Image.Image, *, cell: int = 8, min_inch: float = 1.0) -> Image.Image:
    """Whiten horizontal rules (table borders, underlines) at least ``min_inch`` long.

    A rule touching the digits above or below it is what turns ``3.758,33`` into
    ``-3.758,33`` or a reference into nothing.  Rows of ink are averaged over cells of
    ``cell`` pixels; a run of nearly solid cells that long is a rule, not text.
    """
    width, height = page.size
    ink = page.point(lambda v: 255 if v < 150 else 0)
    cols = max(1, width // cell)
    cells = ink.resize((cols, height), Image.Resampling.BOX).tobytes()
    need = max(2, round(min_inch * TARGET_DPI / cell))
    runs: list[tuple[int, int, int]] = []
    for y in range(height):
        row = cells[y * cols:(y + 1) * cols]
        if max(row) < 190:
            continue
        start = -1
        for x in range(cols + 1):
            solid = x < cols and row[x] >= 190
            if solid and start < 0:
                start = x
            elif not solid and start >= 0:
                if x - start >= need:
                    runs.append((y, start, x))
                start = -1
    if not runs:
        return page
    out = page.copy()
    draw = ImageDraw.Draw(out)
    for y, a, b in runs:
        draw.rectangle((a * cell - cell, y - 1, b * cell + cell, y + 1), fill=255)
    return out


def smooth(page: Image.Image) -> Image.Image:
    """A light Gaussian blur: joins broken fax strokes, softens speckle and JPEG noise."""
    return page.filter(ImageFilter.GaussianBlur(BLUR_RADIUS))


def despeckle(page: Image.Image) -> Image.Image:
    """A 3x3 median: removes salt-and-pepper specks (and thins hairlines, hence pass 2)."""
    return page.filter(ImageFilter.MedianFilter(3))


def _flatten(image: Image.Image) -> Image.Image:
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and
                                                "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("L")
    if image.mode == "I;16" or image.mode.startswith("I"):
        return ImageOps.autocontrast(image.convert("I").point(lambda v: v / 256).convert("L"))
    return image.convert("L")


def _guess_dpi(image: Image.Image) -> float:
    """Without a stated resolution, assume the image is a whole A4/Letter page."""
    short = min(image.width, image.height)
    return max(short / 8.4, 50.0)


def skew_angle(image: Image.Image, limit: float = 5.0, step: float = 0.1) -> float:
    """Rotation (degrees, counter-clockwise) that makes text rows horizontal.

    Projection profile: on a small inverted copy, the angle whose row sums vary most
    is the one where rows of text and the white between them line up.
    """
    small = image.copy()
    small.thumbnail((800, 800))
    # ink white on black, so the corners a rotation uncovers add nothing
    inverted = small.point(lambda v: 255 if v < 160 else 0)

    def score(angle: float) -> float:
        turned = inverted.rotate(angle, resample=Image.Resampling.BILINEAR, fillcolor=0)
        column = turned.resize((1, turned.height), Image.Resampling.BOX)
        sums = list(column.tobytes())
        return float(sum((a - b) ** 2 for a, b in itertools.pairwise(sums)))

    coarse = max((k * 0.5 for k in range(int(-limit * 2), int(limit * 2) + 1)), key=score)
    fine = [coarse + step * k for k in range(-5, 6)]
    return max(fine, key=score)


# ------------------------------------------------------------------ amount repairs

_CONFUSABLE = str.maketrans({"O": "0", "o": "0", "D": "0", "Q": "0", "l": "1", "I": "1",
                             "|": "1", "i": "1", "S": "5", "s": "5", "B": "8", "Z": "2",
                             "z": "2", "G": "6", "§": "5"})
# The number inside a cell: starts and ends with a digit or a letter OCR takes for one.
_BODY = re.compile(r"[\dOoDQlI|iSsBZzG§](?:[\dOoDQlI|iSsBZzG.,' ]*[\dOoDQlI|iSsBZzG])?")


def repair_amounts(table: Rows) -> Rows:
    """Fix OCR slips in cells of amount columns; other columns are never touched.

    A column holds amounts when at least one of its cells reads as an amount and most
    of them do, as printed or once repaired: "Sold 1O units" in a note column stays.
    """
    if len(table) < 2:
        return table
    width = max(len(r) for r in table)
    body = table[1:]
    decimal = _decimal_mark(body)
    # "S1,032.65" is "$1,032.65" when the other amounts of the table carry a dollar sign
    dollar = any("$" in c for r in body for c in r)
    numeric = []
    for col in range(width):
        cells = [r[col] for r in body if col < len(r) and r[col].strip()]
        printed = sum(1 for c in cells if is_amount(c))
        repaired = sum(1 for c in cells if not is_amount(c)
                       and is_amount(_repair(c, decimal, dollar)))
        numeric.append(printed > 0 and (printed + repaired) * 2 > len(cells))
    out: Rows = []
    for r_index, row in enumerate(table):
        fixed = list(row)
        for col, cell in enumerate(row):
            if r_index and col < len(numeric) and numeric[col] and cell and not is_amount(cell):
                fixed[col] = _repair(cell, decimal, dollar)
        out.append(fixed)
    return out


def _decimal_mark(body: Rows) -> str:
    """The decimal mark most amounts of the table use."""
    marks: Counter[str] = Counter()
    for row in body:
        for cell in row:
            if is_amount(cell):
                m = re.search(r"([.,])\d{2}\D*$", cell)
                if m:
                    marks[m.group(1)] += 1
    return marks.most_common(1)[0][0] if marks else "."


def _repair(cell: str, decimal: str, dollar: bool = False) -> str:
    """``$8.153.28`` -> ``$8,153.28``; ``1O4.5O`` -> ``104.50``; ``2,392 63`` -> ``2,392.63``.

    Returns the cell unchanged unless the repaired text is an amount.
    """
    text = cell.strip()
    if dollar and re.match(r"^-?S\s?\d", text):
        text = text.replace("S", "$", 1)
    found = list(_BODY.finditer(text))
    if len(found) != 1:
        return cell
    m = found[0]
    body = m.group().translate(_CONFUSABLE)
    tail = re.fullmatch(r"(.*\d)[.,' ](\d{2})", body)
    if tail is None:
        return cell
    # the last separator before two digits is the decimal mark; the others group
    group = "," if decimal == "." else "."
    head = re.sub(r"[.,]", group, tail.group(1))
    candidate = f"{text[: m.start()]}{head}{decimal}{tail.group(2)}{text[m.end():]}"
    return candidate if is_amount(candidate) else cell
