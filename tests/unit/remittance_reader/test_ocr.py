"""OCR reader: images drawn here with Pillow, read back into rows; bad images give a
problem, never an exception; amount repairs touch amount columns only."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from bots.remittance_reader.extract import ocr
from bots.remittance_reader.extract.layout import Word
from bots.remittance_reader.extract.ocr import read_image, repair_amounts
from tests.unit.remittance_reader.tesseract import needs_tesseract

ROWS = [
    ("Document", "Date", "Gross", "Deduction", "Net Paid"),
    ("INV-2026-000451", "02/01/2026", "1,000.00", "20.00", "980.00"),
    ("INV-2026-000452", "02/03/2026", "250.00", "", "250.00"),
    ("CM-2026-00012", "02/04/2026", "-120.00", "", "-120.00"),
]


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    return ImageFont.truetype(str(path), size) if path.exists() else ImageFont.load_default()


def advice_image(*, dpi: int = 150, rows: list[tuple[str, ...]] | None = None,
                 angle: float = 0.0) -> Image.Image:
    """A page with a small remittance table: text left-aligned, amounts right-aligned."""
    scale = dpi / 100
    page = Image.new("L", (int(850 * scale), int(1100 * scale)), 255)
    draw = ImageDraw.Draw(page)
    font = _font(int(13 * scale))
    draw.text((80 * scale, 80 * scale), "Remittance advice", fill=0, font=_font(int(20 * scale)))
    draw.text((80 * scale, 130 * scale), "Payee: Northwind Components Ltd", fill=0, font=font)
    lefts = (80, 260)
    rights = (500, 600, 760)
    for n, row in enumerate(rows or ROWS):
        y = (220 + 28 * n) * scale
        for x, text in zip(lefts, row[:2], strict=True):
            draw.text((x * scale, y), text, fill=0, font=font)
        for x, text in zip(rights, row[2:], strict=True):
            draw.text((x * scale - draw.textlength(text, font=font), y), text, fill=0,
                      font=font)
    return page.rotate(angle, expand=True, fillcolor=255) if angle else page


def _bytes(image: Image.Image, fmt: str, **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def _has_rows(tables: list[list[list[str]]]) -> bool:
    rows = [row for t in tables for row in t]
    return (["INV-2026-000451", "02/01/2026", "1,000.00", "20.00", "980.00"] in rows
            and ["INV-2026-000452", "02/03/2026", "250.00", "", "250.00"] in rows)


@needs_tesseract
@pytest.mark.parametrize(("fmt", "params"), [
    ("PNG", {"dpi": (150, 150)}),
    ("JPEG", {"quality": 85}),  # no resolution stated: taken as a whole page
])
def test_png_and_jpeg_give_aligned_rows(fmt: str, params: dict[str, object]) -> None:
    doc = read_image(_bytes(advice_image(), fmt, **params), f"advice.{fmt.lower()}")
    assert doc.problem is None
    assert (doc.channel, doc.pages) == ("image", 1)
    assert "Northwind" in doc.text
    assert _has_rows(doc.tables)
    assert doc.tables[0][0] == ["Document", "Date", "Gross", "Deduction", "Net Paid"]


@needs_tesseract
def test_every_frame_of_a_multi_page_tiff_is_read() -> None:
    second = [ROWS[0], ("INV-2026-000999", "02/09/2026", "75.00", "", "75.00")]
    frames = [advice_image(dpi=200).convert("1"), advice_image(dpi=200, rows=second)
              .convert("1")]
    data = _bytes(frames[0], "TIFF", save_all=True, append_images=frames[1:],
                  compression="group4", dpi=(200, 200))
    doc = read_image(data, "fax.tif")
    assert doc.problem is None and doc.pages == 2
    assert _has_rows(doc.tables)
    rows = [row for t in doc.tables for row in t]
    assert ["INV-2026-000999", "02/09/2026", "75.00", "", "75.00"] in rows


@needs_tesseract
def test_a_tilted_scan_is_deskewed_so_rows_stay_rows() -> None:
    page = advice_image(dpi=200, angle=1.5)
    doc = read_image(_bytes(page, "PNG", dpi=(200, 200)), "tilted.png")
    assert _has_rows(doc.tables)


def test_skew_angle_is_measured() -> None:
    page = advice_image(dpi=100, angle=2.0)
    assert ocr.skew_angle(page) == pytest.approx(-2.0, abs=0.3)


def _png_header_only(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


@pytest.mark.parametrize(("data", "words"), [
    (b"", "empty"),
    (b"not an image at all" * 10, "not an image"),
    (_png_header_only(40_000, 40_000), "too large"),  # 1.6 gigapixels: a bomb
    (_png_header_only(9_000, 8_000), "too large"),  # under Pillow's limit, over ours
])
def test_bad_images_give_a_problem_not_an_exception(data: bytes, words: str) -> None:
    doc = read_image(data, "bad.png")
    assert doc.problem is not None and words in doc.problem
    assert doc.tables == []


def test_truncated_image_gives_a_problem() -> None:
    whole = _bytes(advice_image(dpi=100), "PNG")
    doc = read_image(whole[: len(whole) // 2], "cut.png")
    assert doc.problem is not None and "damaged" in doc.problem


def test_missing_tesseract_gives_a_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    import pytesseract

    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", "/nonexistent/tesseract")
    doc = read_image(_bytes(advice_image(dpi=100), "PNG"), "advice.png")
    assert doc.problem is not None and "tesseract" in doc.problem


@needs_tesseract
def test_ocr_past_its_time_limit_gives_a_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ocr, "OCR_TIMEOUT_S", 0.001)
    doc = read_image(_bytes(advice_image(dpi=100), "PNG"), "advice.png")
    assert doc.problem is not None and "longer than" in doc.problem


def test_amount_repairs_touch_amount_columns_only() -> None:
    table = [
        ["Invoice", "Note", "Gross", "Paid"],
        ["INV-2O26-000451", "Sold 1O units", "$1,O32.65", "S1,032.65"],
        ["INV-2026-000452", "Invoice", "$8.153.28", "$2,392 63"],
        ["INV-2026-000453", "", "$100.00", "$100.00"],
    ]
    fixed = repair_amounts(table)
    assert fixed[1] == ["INV-2O26-000451", "Sold 1O units", "$1,032.65", "$1,032.65"]
    assert fixed[2] == ["INV-2026-000452", "Invoice", "$8,153.28", "$2,392.63"]
    assert fixed[3] == table[3]


def test_amount_repair_follows_the_documents_decimal_comma() -> None:
    table = [["Ref", "Betrag"], ["A", "1.234,56"], ["B", "2.345.67"], ["C", "99,00"]]
    assert repair_amounts(table)[2] == ["B", "2.345,67"]


def test_a_hyphen_read_apart_is_joined_back_into_the_reference() -> None:
    line = [Word("NWINV", 196, 282, 0, 20), Word("-", 295, 299, 0, 20),
            Word("2026", 313, 375, 0, 20), Word("-001900", 389, 508, 0, 20),
            Word("248.49", 700, 800, 0, 20), Word("-", 820, 830, 0, 20),
            Word("short", 850, 930, 0, 20)]
    assert [w.text for w in ocr._stitch(line)] == ["NWINV-2026-001900", "248.49", "short"]


@pytest.mark.parametrize(("raw", "clean"), [
    ("“INV-2026-002082", "INV-2026-002082"), ("INV-2026-002233__.", "INV-2026-002233"),
    ("980,00.", "980,00"), ("602.75-", "602.75-"), ("Disc.", "Disc."), ("No.:", "No.:"),
    ("|", ""), ("—", "-"), ("(12.50)", "(12.50)"),
])
def test_debris_around_words_is_trimmed(raw: str, clean: str) -> None:
    assert ocr._clean(raw) == clean


def test_frames_are_not_started_past_the_time_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ocr, "TIME_BUDGET_S", -1.0)
    doc = read_image(_bytes(advice_image(dpi=100), "PNG"), "advice.png")
    assert doc.problem is not None and "longer than" in doc.problem
    assert doc.pages == 0
