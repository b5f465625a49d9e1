"""Attachment routing: by the bytes first, then by type and name; never an exception."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable

import pytest
from openpyxl import Workbook

from bots.remittance_reader.extract import attachments
from bots.remittance_reader.extract.attachments import attachment_kind, read_attachment
from bots.remittance_reader.extract.document import DocumentContent

CSV = b"Invoice #,Net Paid\r\nINV-2026-000451,950.00\r\n"
EDI = (b"ISA*00*          *00*          *ZZ*ACME           *ZZ*NORTHWIND      "
       b"*260228*0915*U*00401*000000001*0*P*>~GS*RA*A*N*20260228*0915*1*X*004010~"
       b"ST*820*0001~BPR*C*950*C*ACH************20260228~RMR*IV*INV-2026-000451**950~"
       b"SE*4*0001~GE*1*1~IEA*1*000000001~")
PDF = b"%PDF-1.4\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(16)


def _xlsx() -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Invoice #", "Net Paid"])
    sheet.append(["INV-2026-000451", 950.0])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content_type", "data", "kind"),
    [
        ("remit.dat", "application/octet-stream", _xlsx(), "xlsx"),  # bytes beat the label
        ("remit.csv", "application/vnd.ms-excel", CSV, "csv"),
        ("remit.txt", "text/plain", EDI, "edi820"),
        ("820.edi", "application/edi-x12", EDI, "edi820"),
        ("scan", "application/octet-stream", PDF, "pdf"),
        ("photo.bin", "application/octet-stream", PNG, "image"),
        ("scan.tif", "image/tiff", b"II*\x00" + bytes(8), "image"),
        ("bmw.csv", "text/csv", b"BMW,12.00\r\n", "csv"),  # "BM" but not a bitmap
        ("advice.zip", "application/zip", _zip({"a.csv": CSV}), "zip"),
        ("advice.html", "text/html", b"<table></table>", "html"),
        ("letter.docx", "application/octet-stream", _zip({"[Content_Types].xml": b""}), "other"),
        ("sheet.ods", "application/octet-stream", _zip({"mimetype": b"x"}), "other"),
        ("smime.p7s", "application/pkcs7-signature", b"\x30\x82", "signature"),
        ("letter.doc", "application/msword", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "other"),
        ("old.xls", "application/vnd.ms-excel", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "xlsx"),
        ("winmail.dat", "application/ms-tnef", b"\x78\x9f\x3e\x22", "other"),
    ],
)
def test_kind(name: str, content_type: str, data: bytes, kind: str) -> None:
    assert attachment_kind(name, content_type, data) == kind


def test_xlsx_csv_and_edi_are_read_into_tables() -> None:
    for name, ctype, data, channel in (("a.xlsx", "application/octet-stream", _xlsx(), "xlsx"),
                                       ("a.csv", "text/csv", CSV, "csv"),
                                       ("a.edi", "application/edi-x12", EDI, "edi820")):
        [doc] = read_attachment(name, ctype, data)
        assert doc.channel == channel and doc.problem is None
        assert any("INV-2026-000451" in row for row in doc.tables[0])


def test_html_attachment_gives_its_tables() -> None:
    html = (b"<html><body><p>Payment Amount: 950.00 &euro;</p>"
            b"<table><tr><td>INV-2026-000451</td><td>950.00</td></tr></table>")
    [doc] = read_attachment("advice.html", "text/html", html)
    assert doc.channel == "html"
    assert doc.tables == [[["INV-2026-000451", "950.00"]]]
    assert doc.text == "Payment Amount: 950.00 €\nINV-2026-000451\t950.00"


def test_zip_members_are_routed_and_named_after_the_archive() -> None:
    data = _zip({"a.csv": CSV, "b.xlsx": _xlsx(), "../evil.csv": CSV})
    docs = read_attachment("advice.zip", "application/zip", data)
    by_name = {d.name: d for d in docs}
    assert by_name["advice.zip/a.csv"].channel == "csv"
    assert by_name["advice.zip/b.xlsx"].channel == "xlsx"
    [refused] = [d for d in docs if d.problem]
    assert refused.name == "advice.zip" and "path outside the archive" in refused.problem


def test_zip_in_zip_is_opened_once_but_not_twice() -> None:
    inner = _zip({"a.csv": CSV})
    once = read_attachment("outer.zip", "application/zip", _zip({"inner.zip": inner}))
    assert [d.name for d in once] == ["outer.zip/inner.zip/a.csv"]
    twice = read_attachment("outer.zip", "application/zip",
                            _zip({"middle.zip": _zip({"inner.zip": inner})}))
    assert [d.problem for d in twice] == [
        "outer.zip/middle.zip/inner.zip: a ZIP nested more than 1 level(s) deep was not opened"]


def test_pdf_and_images_go_to_their_readers(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[str, bytes]] = []

    def fake(channel: str) -> Callable[[], Callable[[bytes, str], DocumentContent]]:
        def read(data: bytes, name: str) -> DocumentContent:
            seen.append((channel, data))
            return DocumentContent(name, "pdf" if channel == "pdf" else "image")
        return lambda: read

    monkeypatch.setattr(attachments, "_pdf_reader", fake("pdf"))
    monkeypatch.setattr(attachments, "_image_reader", fake("image"))
    read_attachment("a.pdf", "application/pdf", PDF)
    read_attachment("b.png", "image/png", PNG)
    read_attachment("in.zip", "application/zip", _zip({"c.pdf": PDF}))
    assert seen == [("pdf", PDF), ("image", PNG), ("pdf", PDF)]


def test_missing_or_failing_reader_is_a_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(attachments, "_pdf_reader", lambda: None)
    [doc] = read_attachment("a.pdf", "application/pdf", PDF)
    assert doc.problem == "a.pdf: no pdf reader installed"

    def broken(data: bytes, name: str) -> DocumentContent:
        raise RuntimeError("boom")

    monkeypatch.setattr(attachments, "_image_reader", lambda: broken)
    [doc] = read_attachment("b.png", "image/png", PNG)
    assert (doc.channel, doc.problem) == ("image", "b.png could not be read (boom)")


def test_empty_unknown_and_signature_attachments() -> None:
    assert read_attachment("a.pdf", "application/pdf", b"")[0].problem == "a.pdf is empty (0 bytes)"
    [doc] = read_attachment("letter.doc", "application/msword", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
    assert (doc.channel, doc.problem) == (
        "other", "attachment type application/msword (letter.doc) not read")
    assert read_attachment("smime.p7s", "application/pkcs7-signature", b"\x30\x82") == []
