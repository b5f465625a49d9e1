"""PDF remittances: text layer through pdfplumber, image-only pages through OCR.

Contract: :func:`read_pdf` takes the bytes of a PDF attachment and returns a
:class:`DocumentContent`.  Pages with a text layer give their words' boxes to
:mod:`layout` (channel ``"pdf"``); pages without one (a scan, a fax) are rendered at
300 dpi by pdfplumber's pypdfium2 backend and read by :func:`ocr.ocr_page` (channel
``"scan"`` when most pages needed OCR).  A table that runs over several pages with its
heading repeated comes back as one table.

Never raises for bad content: encrypted without an empty password, corrupt, truncated,
zero-byte, not a PDF at all, more than ``MAX_PAGES`` pages or ``MAX_BYTES`` bytes, or
past the ``TIME_BUDGET_S`` per document: ``problem`` says which, in a sentence.  When
some pages were read before a page failed, their text and tables are kept and
``problem`` names the page.

Time is bounded per page (tesseract's own timeout) and per document (pages are not
started once the budget is spent); pdfminer's parse of one page is not interruptible,
which ``MAX_BYTES`` keeps small in practice.
"""

from __future__ import annotations

import io
import logging
import time
from collections import Counter
from dataclasses import dataclass, field

from bots.remittance_reader.extract.document import Channel, DocumentContent
from bots.remittance_reader.extract.layout import Table, Word, find_tables, group_lines, join_pages
from bots.remittance_reader.extract.ocr import OcrError, ocr_page

__all__ = ["MAX_BYTES", "MAX_PAGES", "RENDER_DPI", "TIME_BUDGET_S", "read_pdf"]

log = logging.getLogger(__name__)

MAX_BYTES = 25_000_000  # a remittance PDF is kilobytes; a 50-page 300-dpi scan ~15 MB
MAX_PAGES = 50
RENDER_DPI = 300
# Per document: no page is started past it.  Clean scanned pages take 1-2 s, poor ones
# (read three times) 3-5 s, text pages 0.05 s: 50 clean scans fit, 30 poor ones do.
TIME_BUDGET_S = 150.0
# A page with fewer characters than this in its text layer is treated as a scan
# (scanners often stamp a date or a page number as text on an image page).
MIN_TEXT_CHARS = 20


@dataclass
class _Reading:
    texts: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    ocr_pages: int = 0
    problem: str | None = None

    @property
    def last(self) -> Table | None:
        return self.tables[-1] if self.tables else None


def read_pdf(data: bytes, name: str) -> DocumentContent:
    """Text and tables of a PDF attachment (see the module docstring)."""
    if not data:
        return DocumentContent(name, "pdf", problem="The PDF file is empty (0 bytes).")
    if len(data) > MAX_BYTES:
        return DocumentContent(name, "pdf", problem=(
            f"The PDF is {len(data) / 1e6:.0f} MB, more than the {MAX_BYTES // 1_000_000} MB "
            "we read; please ask for a smaller file."))
    if b"%PDF" not in data[:1024]:
        return DocumentContent(name, "pdf", problem="The attachment is not a PDF file.")
    import pdfplumber
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect
    from pdfplumber.utils.exceptions import PdfminerException

    started = time.monotonic()
    reading = _Reading()
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            count = len(pdf.pages)
            if count == 0:
                return DocumentContent(name, "pdf", problem="The PDF has no pages.")
            if count > MAX_PAGES:
                return DocumentContent(name, "pdf", problem=(
                    f"The PDF has {count} pages, more than the {MAX_PAGES} we read."),
                    pages=0)
            for number, page in enumerate(pdf.pages, start=1):
                if time.monotonic() - started > TIME_BUDGET_S:
                    reading.problem = (f"Reading stopped after {number - 1} of {count} pages: "
                                       f"the document took longer than {TIME_BUDGET_S:.0f} s.")
                    break
                try:
                    _read_page(page, reading)
                except OcrError as exc:
                    reading.problem = f"Page {number}: {exc}"
                    break
                except Exception as exc:  # pdfminer and pdfium raise anything on bad input
                    log.info("pdf %s: page %d unreadable: %r", name, number, exc)
                    reading.problem = f"Page {number} of the PDF is damaged and cannot be read."
                    break
    except PdfminerException as exc:
        cause = exc.args[0] if exc.args else exc
        if isinstance(cause, PDFPasswordIncorrect | PDFEncryptionError):
            return DocumentContent(name, "pdf", problem=(
                "The PDF is password-protected; ask the sender for an unprotected copy."))
        log.info("pdf %s: cannot open: %r", name, cause)
        return DocumentContent(name, "pdf", problem="The PDF is damaged and cannot be opened.")
    except Exception as exc:  # a reader never raises for bad content (document.py)
        log.info("pdf %s: cannot open: %r", name, exc)
        return DocumentContent(name, "pdf", problem="The PDF is damaged and cannot be opened.")
    pages = len(reading.texts)
    channel: Channel = "scan" if reading.ocr_pages * 2 > pages else "pdf"
    problem = reading.problem
    if problem is None and not any(t.strip() for t in reading.texts):
        problem = "No text could be read in the PDF."
    return DocumentContent(name, channel, "\n\n".join(reading.texts),
                           join_pages(reading.tables), problem, pages)


def _turn(chars: list[dict[str, object]]) -> int:
    """How far most glyphs are turned on the page as displayed: 0, 90, 180 or 270.

    Read from each character's text matrix: a page turned by /Rotate (or drawn
    sideways) shows its glyphs turned; one whose content compensates does not.
    """
    turns: Counter[int] = Counter()
    for c in chars:
        matrix = c.get("matrix")
        if not isinstance(matrix, tuple | list) or len(matrix) < 2:
            continue
        a, b = float(matrix[0]), float(matrix[1])
        turns[(0 if a > 0 else 180) if abs(a) >= abs(b) else (90 if b < 0 else 270)] += 1
    return turns.most_common(1)[0][0] if turns else 0


def _upright(raw: list[dict[str, object]], rotation: int, width: float, height: float
             ) -> list[Word]:
    """Word boxes as the text reads when the glyphs are shown turned by ``rotation``.

    pdfplumber gives the boxes of the page as displayed, so on a page turned by 90 or
    270 degrees the lines run down the page, and on 180 and 270 each word comes out
    spelled backwards (its characters taken in display order).  Turn the boxes back so
    that lines run left to right, top to bottom, and respell the words.
    """
    out = []
    for w in raw:
        text = str(w["text"])
        x0, x1 = float(str(w["x0"])), float(str(w["x1"]))
        top, bottom = float(str(w["top"])), float(str(w["bottom"]))
        if rotation == 90:
            x0, x1, top, bottom = top, bottom, width - x1, width - x0
        elif rotation == 180:
            x0, x1, top, bottom, text = width - x1, width - x0, height - bottom, height - top, \
                text[::-1]
        elif rotation == 270:
            x0, x1, top, bottom, text = height - bottom, height - top, x0, x1, text[::-1]
        out.append(Word(text, x0, x1, top, bottom))
    return out


def _read_page(page: object, reading: _Reading) -> None:
    from pdfplumber.page import Page

    assert isinstance(page, Page)
    chars = [c for c in page.chars if c.get("text", "").strip()]
    if len(chars) >= MIN_TEXT_CHARS or not page.images:
        rotation = _turn(chars)
        words = _upright(page.extract_words(keep_blank_chars=False, use_text_flow=False),
                         rotation, float(page.width), float(page.height))
        lines = group_lines(words)
        # pdfplumber's own text keeps the page's reading order, but not on a turned page
        reading.texts.append((page.extract_text() or "") if rotation == 0 else
                             "\n".join(" ".join(w.text for w in line) for line in lines))
        reading.tables.extend(find_tables(lines, previous=reading.last))
        return
    image = page.to_image(resolution=RENDER_DPI).original
    result = ocr_page(image, dpi=RENDER_DPI, previous=reading.last)
    reading.texts.append(result.text)
    reading.tables.extend(result.tables)
    reading.ocr_pages += 1
