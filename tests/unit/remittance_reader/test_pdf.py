"""PDF reader: text layers through layout.py, image-only pages through OCR, bad files
come back with a problem and never an exception.  Every PDF is built here."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from bots.remittance_reader.extract import pdf as pdf_module
from bots.remittance_reader.extract.pdf import read_pdf
from tests.unit.remittance_reader.tesseract import needs_tesseract

Line = list[tuple[float, str]]  # (x in points, text) on one baseline


def make_pdf(pages: list[list[tuple[float, Line]]], *, encrypt: bool = False,
             rotate: int = 0) -> bytes:
    """A PDF whose pages show Helvetica text at (x, y) positions (y from the top)."""
    objects: list[bytes] = []
    page_ids = []
    font_id = 3 + 2 * len(pages)
    for n, page in enumerate(pages):
        ops = ["BT", "/F1 9 Tf"]
        for y, line in page:
            for x, text in line:
                esc = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
                ops.append(f"1 0 0 1 {x} {792 - y} Tm ({esc}) Tj")
        ops.append("ET")
        stream = "\n".join(ops).encode("latin-1")
        page_id, content_id = 3 + 2 * n, 4 + 2 * n
        page_ids.append(page_id)
        objects.append(b"")  # placeholders keep ids = index + 1
        objects.append(b"")
        objects[page_id - 3] = (
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Rotate {rotate} "
            f"/Resources << /Font << /F1 {font_id} 0 R >> >> /Contents {content_id} 0 R >>"
        ).encode()
        objects[content_id - 3] = (f"<< /Length {len(stream)} >>\nstream\n".encode()
                                   + stream + b"\nendstream")
    kids = " ".join(f"{i} 0 R" for i in page_ids)
    body = [b"<< /Type /Catalog /Pages 2 0 R >>",
            f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode(),
            *objects,
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    trailer_extra = ""
    if encrypt:
        # a standard security handler whose user password is not empty: unknown to us
        body.append(b"<< /Filter /Standard /V 1 /R 2 /P -4 /O <" + b"11" * 32
                    + b"> /U <" + b"22" * 32 + b"> >>")
        trailer_extra = f" /Encrypt {len(body)} 0 R /ID [<{'ab' * 16}> <{'ab' * 16}>]"
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, obj in enumerate(body, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + obj + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(body) + 1}\n0000000000 65535 f \n".encode())
    for off in offsets:
        out.write(f"{off:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(body) + 1} /Root 1 0 R{trailer_extra} >>\n"
              f"startxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


HEADER: Line = [(40, "Invoice #"), (150, "Invoice Date"), (270, "Gross"), (330, "Discount"),
                (420, "Net Paid"), (480, "Description")]


def _row(ref: str, date: str, gross: str, disc: str, paid: str, note: str) -> Line:
    # amounts right-aligned the way a report writer sets them (Helvetica digits: 5 pt)
    def right(edge: float, text: str) -> tuple[float, str]:
        return (edge - 5.0 * len(text), text)

    cells = [(40.0, ref), (150.0, date), right(294, gross), right(366, disc),
             right(455, paid), (480.0, note)]
    return [(x, t) for x, t in cells if t]


def test_text_layer_gives_aligned_rows_with_empty_cells() -> None:
    data = make_pdf([[
        (60, [(40, "Payment Advice")]),
        (80, [(40, "Payee:"), (200, "Northwind Components Ltd")]),
        (120, HEADER),
        (134, _row("INV-2026-000451", "02/01/2026", "1,000.00", "20.00", "980.00",
                   "Remaining balance")),
        (148, _row("INV-2026-000452", "02/03/2026", "250.00", "", "250.00", "")),
        (170, [(360, "Total: 1,230.00")]),
    ]])
    doc = read_pdf(data, "advice.pdf")
    assert doc.problem is None
    assert (doc.channel, doc.pages) == ("pdf", 1)
    assert "Payment Advice" in doc.text
    (table, *_) = doc.tables
    assert table[0] == ["Invoice #", "Invoice Date", "Gross", "Discount", "Net Paid",
                        "Description"]
    assert table[1] == ["INV-2026-000451", "02/01/2026", "1,000.00", "20.00", "980.00",
                        "Remaining balance"]
    assert table[2] == ["INV-2026-000452", "02/03/2026", "250.00", "", "250.00", ""]


@pytest.mark.parametrize("rotate", [90, 180, 270])
def test_a_page_set_sideways_is_read_upright(rotate: int) -> None:
    data = make_pdf([[(120, HEADER), (134, _row("INV-2026-000451", "02/01/2026", "1,000.00",
                                                "20.00", "980.00", "Remaining balance"))]],
                    rotate=rotate)
    doc = read_pdf(data, "sideways.pdf")
    assert ["INV-2026-000451", "02/01/2026", "1,000.00", "20.00", "980.00",
            "Remaining balance"] in doc.tables[0]
    assert "INV-2026-000451 02/01/2026" in doc.text


def test_table_over_two_pages_with_repeated_heading_is_one_table() -> None:
    page1 = [(120, HEADER), (134, _row("INV-2026-000451", "02/01/2026", "10.00", "", "10.00",
                                       "")),
             (148, [(330, "Carried forward"), (425, "10.00")])]
    page2 = [(60, HEADER), (74, _row("INV-2026-000452", "02/02/2026", "20.00", "", "20.00",
                                     ""))]
    doc = read_pdf(make_pdf([page1, page2]), "two.pdf")
    assert doc.problem is None and doc.pages == 2
    (table,) = doc.tables
    refs = [row[0] for row in table]
    assert refs.count("Invoice #") == 1
    assert "INV-2026-000451" in refs and "INV-2026-000452" in refs


def test_continuation_page_without_heading_keeps_the_columns() -> None:
    page1 = [(120, HEADER), (134, _row("INV-2026-000451", "02/01/2026", "10.00", "", "10.00",
                                       ""))]
    page2 = [(60, _row("INV-2026-000452", "02/02/2026", "20.00", "1.00", "19.00", "")),
             (74, _row("INV-2026-000453", "02/03/2026", "30.00", "", "30.00", ""))]
    (table,) = read_pdf(make_pdf([page1, page2]), "cont.pdf").tables
    assert table[-2] == ["INV-2026-000452", "02/02/2026", "20.00", "1.00", "19.00", ""]
    assert table[-1] == ["INV-2026-000453", "02/03/2026", "30.00", "", "30.00", ""]


@pytest.mark.parametrize(("data", "words"), [
    (b"", "empty"),
    (b"\x00\x01garbage" * 100, "not a PDF"),
    (b"%PDF-1.4\n" + bytes(range(256)) * 20, "damaged"),
])
def test_bad_bytes_give_a_problem_not_an_exception(data: bytes, words: str) -> None:
    doc = read_pdf(data, "bad.pdf")
    assert doc.problem is not None and words in doc.problem
    assert doc.tables == []


def test_truncated_pdf_gives_a_problem_or_what_could_be_read() -> None:
    whole = make_pdf([[(120, HEADER), (134, _row("INV-2026-000451", "02/01/2026", "10.00",
                                                 "", "10.00", ""))]])
    for cut in (len(whole) // 4, len(whole) // 2, len(whole) - 40):
        doc = read_pdf(whole[:cut], "cut.pdf")  # must not raise
        assert doc.problem is not None or doc.tables


def test_encrypted_pdf_with_unknown_password_gives_a_problem() -> None:
    data = make_pdf([[(100, [(40, "secret")])]], encrypt=True)
    doc = read_pdf(data, "locked.pdf")
    assert doc.problem is not None and "password" in doc.problem


def test_too_many_pages_or_bytes_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    data = make_pdf([[(100, [(40, f"page {n}")])] for n in range(3)])
    monkeypatch.setattr(pdf_module, "MAX_PAGES", 2)
    assert "3 pages" in (read_pdf(data, "long.pdf").problem or "")
    monkeypatch.setattr(pdf_module, "MAX_BYTES", 100)
    assert "MB" in (read_pdf(data, "big.pdf").problem or "")


def test_time_budget_stops_between_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    data = make_pdf([[(100, [(40, f"page {n}")])] for n in range(3)])
    monkeypatch.setattr(pdf_module, "TIME_BUDGET_S", -1.0)
    doc = read_pdf(data, "slow.pdf")
    assert doc.problem is not None and "longer than" in doc.problem


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    return ImageFont.truetype(str(path), size) if path.exists() else ImageFont.load_default()


@needs_tesseract
def test_image_only_pdf_is_read_by_ocr_as_a_scan() -> None:
    page = Image.new("L", (1700, 2200), 255)  # letter size at 200 dpi
    draw = ImageDraw.Draw(page)
    font = _font(30)
    rows = [("Invoice #", "Gross", "Net Paid"), ("INV-2026-000451", "1,000.00", "980.00"),
            ("INV-2026-000452", "250.00", "250.00")]
    for n, (ref, gross, paid) in enumerate(rows):
        y = 400 + 60 * n
        draw.text((150, y), ref, fill=0, font=font)
        draw.text((1000 - draw.textlength(gross, font=font), y), gross, fill=0, font=font)
        draw.text((1500 - draw.textlength(paid, font=font), y), paid, fill=0, font=font)
    buffer = io.BytesIO()
    page.save(buffer, "PDF", resolution=200)
    doc = read_pdf(buffer.getvalue(), "scan.pdf")
    assert doc.problem is None
    assert doc.channel == "scan"
    assert ["INV-2026-000451", "1,000.00", "980.00"] in doc.tables[0]
    assert ["INV-2026-000452", "250.00", "250.00"] in doc.tables[0]


def test_image_only_pdf_without_tesseract_gives_a_problem(monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    import pytesseract

    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", "/nonexistent/tesseract")
    page = Image.new("L", (850, 1100), 255)
    ImageDraw.Draw(page).text((100, 100), "INV-2026-000451  980.00", fill=0, font=_font(20))
    buffer = io.BytesIO()
    page.save(buffer, "PDF", resolution=100)
    doc = read_pdf(buffer.getvalue(), "scan.pdf")
    assert doc.problem is not None and "tesseract" in doc.problem
