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
from dataclasses import dataclass, field

from bots.remittance_reader.extract.document import Channel, DocumentContent, Rows
from bots.remittance_reader.extract.layout import Word, group_lines, rows_from_words
from bots.remittance_reader.extract.ocr import OcrError, ocr_page

__all__ = ["MAX_BYTES", "MAX_PAGES", "RENDER_DPI", "TIME_BUDGET_S", "read_pdf"]

log = logging.getLogger(__name__)

MAX_BYTES = 25_000_000  # a remittance PDF is kilobytes; a 50-page 300-dpi scan ~15 MB
MAX_PAGES = 50
RENDER_DPI = 300
TIME_BUDGET_S = 120.0  # a 50-page scan at ~1.5 s a page stays inside it
# A page with fewer characters than this in its text layer is treated as a scan
# (scanners often stamp a date or a page number as text on an image page).
MIN_TEXT_CHARS = 20


@dataclass
class _Reading:
    texts: list[str] = field(default_factory=list)
    tables: list[Rows] = field(default_factory=list)
    ocr_pages: int = 0
    problem: str | None = None


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
                except Exception as exc:
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
    except Exception as exc:
        log.info("pdf %s: cannot open: %r", name, exc)
        return DocumentContent(name, "pdf", problem="The PDF is damaged and cannot be opened.")
    pages = len(reading.texts)
    channel: Channel = "scan" if reading.ocr_pages * 2 > pages else "pdf"
    problem = reading.problem
    if problem is None and not any(t.strip() for t in reading.texts):
        problem = "No text could be read in the PDF."
    return DocumentContent(name, channel, "\n\n".join(reading.texts),
                           _join_pages(reading.tables), problem, pages)


def _read_page(page: object, reading: _Reading) -> None:
    from pdfplumber.page import Page

    assert isinstance(page, Page)
    chars = [c for c in page.chars if c.get("text", "").strip()]
    if len(chars) >= MIN_TEXT_CHARS or not page.images:
        words = [
            Word(str(w["text"]), float(w["x0"]), float(w["x1"]), float(w["top"]),
                 float(w["bottom"]))
            for w in page.extract_words(keep_blank_chars=False, use_text_flow=False)
        ]
        reading.texts.append(page.extract_text() or "")
        reading.tables.extend(rows_from_words(group_lines(words)))
        return
    image = page.to_image(resolution=RENDER_DPI).original
    result = ocr_page(image, dpi=RENDER_DPI)
    reading.texts.append(result.text)
    reading.tables.extend(result.tables)
    reading.ocr_pages += 1


def _join_pages(tables: list[Rows]) -> list[Rows]:
    """A table whose heading repeats on the next page continues the one before."""
    out: list[Rows] = []
    for table in tables:
        if out and table and out[-1] and _norm(table[0]) == _norm(out[-1][0]):
            out[-1] = out[-1] + table[1:]
        else:
            out.append(table)
    return out


def _norm(row: list[str]) -> str:
    return " ".join(" ".join(row).lower().split())
