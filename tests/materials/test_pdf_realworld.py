"""Real-world PDFs from ../shared/realworld/pdf through ``read_pdf``.

Every file is read without an exception and within a time bound; encrypted and
corrupt ones come back with a problem; where ``pdf/MANIFEST.md`` gives expected values
(the source projects' own tests) we check ours against them.
"""

from __future__ import annotations

import json
import re
import time
import unicodedata
from decimal import Decimal
from functools import cache
from pathlib import Path

import pytest

from bots.remittance_reader.extract.document import DocumentContent
from bots.remittance_reader.extract.pdf import read_pdf
from shared.money import MoneyParseError, parse_amount

pytestmark = pytest.mark.materials

# Generous: the slowest text PDF (16 pages) reads in ~6 s, an OCR'd page in ~1-4 s.
SECONDS_PER_FILE = 60.0

PASSWORD_PROTECTED = [
    "pypdf_enc_r2-user-password.pdf",
    "pypdf_enc_r4-aes-user-password.pdf",
    "pypdf_enc_r6-both-passwords.pdf",
    "pdfplumber_password-example.pdf",
    "samplefiles_libreoffice-writer-password.pdf",
    "pdfjs_encrypted-attachment.pdf",
]
# Encrypted but opened with the empty user password, as a viewer would.
OPENS_WITHOUT_PASSWORD = ["pypdf_enc_r3-empty-password.pdf", "pypdf_enc_r5-owner-password.pdf"]
UNREADABLE = [
    "pdfplumber_empty.pdf",  # 0 bytes
    "pdfjs_poppler-937-0-fuzzed.pdf",  # bad /Pages tree
    "pdfjs_GHOSTSCRIPT-698804-1-fuzzed.pdf",  # corrupt xref: no page reachable
    "pdfplumber_issue-297-example.pdf",  # no page at all
]


def _pdf_dir(materials_dir: Path) -> Path:
    return materials_dir / "realworld" / "pdf"


@cache
def _read(path: Path) -> tuple[DocumentContent, float]:
    started = time.monotonic()
    doc = read_pdf(path.read_bytes(), path.name)
    return doc, time.monotonic() - started


def _doc(materials_dir: Path, name: str) -> DocumentContent:
    return _read(_pdf_dir(materials_dir) / name)[0]


def _rows(doc: DocumentContent) -> list[list[str]]:
    return [row for table in doc.tables for row in table]


def test_every_pdf_is_read_without_exception_in_bounded_time(materials_dir: Path) -> None:
    files = sorted(_pdf_dir(materials_dir).glob("*.pdf"))
    assert len(files) == 47
    for path in files:
        doc, seconds = _read(path)
        assert isinstance(doc, DocumentContent)
        assert seconds < SECONDS_PER_FILE, (path.name, seconds)
        assert doc.problem is not None or doc.text.strip() or path.name == (
            "samplefiles_imagemagick-CCITTFaxDecode.pdf"), path.name


@pytest.mark.parametrize("name", PASSWORD_PROTECTED)
def test_password_protected_pdfs_say_so(materials_dir: Path, name: str) -> None:
    doc = _doc(materials_dir, name)
    assert doc.problem is not None and "password" in doc.problem
    assert doc.tables == [] and doc.text == ""


@pytest.mark.parametrize("name", [*OPENS_WITHOUT_PASSWORD, "pypdf_enc_unencrypted.pdf"])
def test_pdfs_with_an_empty_user_password_are_read(materials_dir: Path, name: str) -> None:
    doc = _doc(materials_dir, name)
    assert doc.problem is None
    assert doc.text.splitlines() == ["pdfencryptiontest", "password:asdfzxcv"]


def test_r6_user_password_file_is_refused_or_read_correctly(materials_dir: Path) -> None:
    # pdfminer opens this AES-256 R6 file without its user password; either outcome is
    # acceptable as long as what we return is the real text, never garbage.
    doc = _doc(materials_dir, "pypdf_enc_r6-user-password.pdf")
    assert ("password" in (doc.problem or "")
            or doc.text.splitlines() == ["pdfencryptiontest", "password:asdfzxcv"])


@pytest.mark.parametrize("name", UNREADABLE)
def test_corrupt_pdfs_give_a_problem(materials_dir: Path, name: str) -> None:
    doc = _doc(materials_dir, name)
    assert doc.problem is not None
    assert doc.tables == []


@pytest.mark.parametrize(("name", "expected"), [
    ("pdfjs_helloworld-bad.pdf", "Hello, world!"),  # xref offsets all wrong
    ("pdfjs_xref_command_missing.pdf", "Reduced test-case"),
    ("pdfminer_zen_of_python_corrupted.pdf", "zen_of_python.txt"),  # corrupt zlib stream
])
def test_damaged_pdfs_still_give_their_text(materials_dir: Path, name: str, expected: str
                                             ) -> None:
    assert expected in _doc(materials_dir, name).text


def test_crazyones_text_matches_pypdf_expected_text(materials_dir: Path) -> None:
    expected = (_pdf_dir(materials_dir) / "pypdf_crazyones.expected.txt").read_text()
    doc = _doc(materials_dir, "pypdf_crazyones.pdf")
    # pdfplumber expands the ligatures (ﬁ, ﬀ) the expected file keeps
    assert doc.text.splitlines() == unicodedata.normalize("NFKC", expected).splitlines()


@pytest.mark.parametrize("name", [
    "samplefiles_imagemagick-CCITTFaxDecode.pdf",
    "samplefiles_grayscale-image.pdf",
    "pdfjs_scan-bad.pdf",
])
def test_image_only_pages_go_to_ocr(materials_dir: Path, name: str) -> None:
    assert _doc(materials_dir, name).channel == "scan"


def test_page_count_of_multi_page_files(materials_dir: Path) -> None:
    catalogue = json.loads((_pdf_dir(materials_dir) / "samplefiles_files.expected.json")
                           .read_text())["data"]
    pages = {Path(entry["path"]).name: entry["pages"] for entry in catalogue}
    for name in ("pdflatex-4-pages.pdf", "multicolumn.pdf", "habibi-rotated.pdf"):
        assert _doc(materials_dir, f"samplefiles_{name}").pages == pages[name]


def test_retail_table_keeps_dollar_amounts_whole(materials_dir: Path) -> None:
    # pdfplumber test_edges_strict: the last row of the product/price table
    rows = _rows(_doc(materials_dir, "pdfplumber_issue-140-example.pdf"))
    assert ["", "0085648100300", "CENTRAL KMA", "LILYS 55% DARK CHOC BAR", "415", "$ 0.61",
            "$ 253.15", "0.0000", ""] in rows


def test_multi_page_ruled_report_keeps_its_columns(materials_dir: Path) -> None:
    # pdfplumber test_ca_warn_report, row 1 (spaces inside cells removed as upstream does)
    doc = _doc(materials_dir, "pdfplumber_WARN-Report-for-7-1-2015-to-03-25-2016.pdf")
    assert doc.pages == 16
    squeezed = [["".join(cell.split()) for cell in row] for row in _rows(doc)]
    assert ["06/22/2015", "03/25/2016", "07/01/2015", "MaximIntegratedProduct", "SanJose",
            "150", "ClosurePermanent"] in squeezed


def test_whitespace_table_rows_of_the_senate_report(materials_dir: Path) -> None:
    # pdfplumber test_text_tolerance: the last transaction row of the cropped table
    rows = _rows(_doc(materials_dir, "pdfplumber_senate-expenditures.pdf"))
    hits = [r for r in rows if r[:1] == ["DHAW20190070"]]
    assert hits and hits[0][1:5] == ["09/09/2019", "CITIBANK-TRAVELCBACARD", "08/12/2019",
                                     "08/14/2019"]


@pytest.mark.parametrize("name", ["pdfplumber_nics-background-checks-2015-11.pdf",
                                  "pdfplumber_nics-background-checks-2015-11-rotated.pdf"])
def test_ruled_table_totals_row_sums_the_states(materials_dir: Path, name: str) -> None:
    # pdfplumber test: every numeric column's cells sum to twice the totals row (the
    # rotated copy, set sideways by /Rotate, must read the same)
    (table,) = _doc(materials_dir, name).tables
    states, totals = table[1:-1], table[-1]
    assert totals[0] == "Totals" and len(states) == 55
    for col in (1, 2, 3, 20):
        column = sum(int(r[col].replace(",", "") or 0) for r in states)
        assert column == int(totals[col].replace(",", ""))


def _amounts(text: str) -> set[Decimal]:
    found = set()
    for token in re.findall(r"\d[\d.,' ]*\d", text):
        try:
            found.add(parse_amount(token))
        except MoneyParseError:
            continue
    return found


INVOICES = ["AmazonWebServices", "AzureInterior", "FlipkartInvoice", "NetpresseInvoice",
            "QualityHosting", "SammyMaystoneLinesTest", "coolblue1", "coolblue2", "free_fiber",
            "oyo", "saeco"]


@pytest.mark.parametrize("stem", INVOICES)
def test_invoice_number_and_total_are_in_the_text(materials_dir: Path, stem: str) -> None:
    (expected,) = json.loads((_pdf_dir(materials_dir) / f"invoice2data_{stem}.expected.json")
                             .read_text())
    doc = _doc(materials_dir, f"invoice2data_{stem}.pdf")
    assert doc.problem is None
    flat = " ".join(doc.text.split())
    assert expected["invoice_number"].lstrip("#") in flat
    if "amount" in expected:
        assert Decimal(str(expected["amount"])).quantize(Decimal("0.01")) in _amounts(flat)


@pytest.mark.parametrize("stem", ["AmazonWebServices", "coolblue1", "coolblue2", "saeco"])
def test_invoice_lines_sit_in_one_row_with_their_price(materials_dir: Path, stem: str) -> None:
    (expected,) = json.loads((_pdf_dir(materials_dir) / f"invoice2data_{stem}.expected.json")
                             .read_text())
    rows = _rows(_doc(materials_dir, f"invoice2data_{stem}.pdf"))
    for line in expected["lines"]:
        if "name" not in line:
            continue  # a note line ("Serienummer: ..."), not an item
        price = Decimal(str(line.get("price_unit", line.get("price_subtotal"))))
        price = price.quantize(Decimal("0.01"))
        name = " ".join(str(line["name"]).split())
        assert any(any(name in " ".join(c.split()) for c in row)
                   and any(_amount_or_none(c) == price for c in row) for row in rows), name


def _amount_or_none(cell: str) -> Decimal | None:
    try:
        return parse_amount(cell)
    except MoneyParseError:
        return None
