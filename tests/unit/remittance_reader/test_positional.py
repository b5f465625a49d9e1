"""Positional readers: fixed-width text tables, PDFs and images, and their bad inputs."""

from __future__ import annotations

import io

import pytest
from PIL import Image, ImageDraw, ImageFont

from bots.remittance_reader.extract.layout import text_tables
from bots.remittance_reader.extract.ocr import read_image
from bots.remittance_reader.extract.pdf import read_pdf
from bots.remittance_reader.extract.tables import lines_from_tables
from tests.unit.remittance_reader.tesseract import needs_tesseract

BODY = """Payment Amount: $5,292.46

Invoice #      Invoice Date  PO Number  Gross Amount  Discount  Deduction   Net Paid  Description
-------------------------------------------------------------------------------------------------
INV2026001358  11/02/2026    WHI-26498     £3,820.64              £129.09  £3,691.55  Freight
INV2026002409  27/02/2026    WHI-45051     £1,600.91                       £1,600.91
-------------------------------------------------------------------------------------------------
TOTAL PAYMENT: £5,292.46
"""


def test_fixed_width_table_keeps_empty_cells_in_their_columns() -> None:
    lines = lines_from_tables(text_tables(BODY))
    assert [(x.ref_as_printed, str(x.gross), str(x.deduction), str(x.paid)) for x in lines] == [
        ("INV2026001358", "3820.64", "129.09", "3691.55"),
        ("INV2026002409", "1600.91", "0.00", "1600.91"),
    ]


@pytest.mark.parametrize("data", [b"", b"not a pdf at all", b"%PDF-1.7\n1 0 obj\n<<", b"\x00" * 64])
def test_bad_pdf_bytes_give_a_problem_not_an_exception(data: bytes) -> None:
    content = read_pdf(data, "bad.pdf")
    assert content.problem


@pytest.mark.parametrize("data", [b"", b"GIF89a broken", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40])
def test_bad_image_bytes_give_a_problem_not_an_exception(data: bytes) -> None:
    content = read_image(data, "bad.png")
    assert content.problem


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in ("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
                 "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"):
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            continue
    return ImageFont.load_default()


@needs_tesseract
def test_image_of_a_remittance_table_is_read_by_ocr() -> None:
    image = Image.new("L", (1700, 500), 255)
    draw = ImageDraw.Draw(image)
    font = _font(34)
    rows = [("Invoice #", "Gross", "Net Paid"), ("INV-2026-000451", "1,000.00", "950.00"),
            ("INV-2026-000452", "2,500.00", "2,500.00")]
    for n, (ref, gross, paid) in enumerate(rows):
        y = 60 + n * 80
        draw.text((60, y), ref, font=font, fill=0)
        draw.text((800, y), gross, font=font, fill=0)
        draw.text((1300, y), paid, font=font, fill=0)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", dpi=(300, 300))
    content = read_image(buffer.getvalue(), "scan.png")
    lines = lines_from_tables(content.tables)
    assert content.problem is None
    assert [(x.ref_as_printed, str(x.paid)) for x in lines] == [
        ("INV-2026-000451", "950.00"), ("INV-2026-000452", "2500.00")]
