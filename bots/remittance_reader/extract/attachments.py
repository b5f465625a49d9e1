"""One attachment to the documents it holds: the channel router.

Contract: :func:`read_attachment` never raises.  The kind is decided by the bytes
first (what a file *is*), then by the declared content type and file name (what the
sender *says*), because mailers label XLSX as ``application/octet-stream`` and CSV as
``application/vnd.ms-excel``:

==========================  ===========================================  ==========
kind                        read by                                      channel
==========================  ===========================================  ==========
PDF                         ``extract.pdf.read_pdf``                     pdf / scan
PNG JPEG TIFF GIF BMP       ``extract.ocr.read_image``                   image
XLSX (ZIP + workbook.xml)   ``extract.spreadsheet.read_xlsx``            xlsx
other ZIP                   ``extract.archive.expand_zip``, each member  (member's)
                            routed again, named ``archive.zip/member``
CSV, TXT                    ``extract.csv_file.read_csv``                csv / text
X12 (starts with ``ISA``)   ``extract.edi820.read_edi820``               edi820
HTML                        ``extract.tables.html_tables``               html
DOCX, ODS... (ZIP-based)    not read                                     other
S/MIME or PGP signature     nothing (no document)                        --
anything else, empty data   ``problem`` set                              other
==========================  ===========================================  ==========

A reader that fails unexpectedly is caught here and reported as that document's
``problem``, so one bad attachment never loses the rest of the mail.
"""

from __future__ import annotations

import io
import logging
import mimetypes
import re
import zipfile
from collections.abc import Callable
from html import unescape
from typing import Literal

from bots.remittance_reader.extract.archive import ArchiveLimits, expand_zip
from bots.remittance_reader.extract.csv_file import read_csv
from bots.remittance_reader.extract.document import Channel, DocumentContent
from bots.remittance_reader.extract.edi820 import read_edi820
from bots.remittance_reader.extract.spreadsheet import read_xlsx
from bots.remittance_reader.extract.tables import html_tables
from bots.remittance_reader.mail.message import decode_text

__all__ = ["Kind", "attachment_kind", "read_attachment"]

log = logging.getLogger(__name__)

Kind = Literal["pdf", "image", "xlsx", "zip", "csv", "edi820", "html", "signature", "other"]

_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*", b"GIF87a",
                b"GIF89a")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_SIGNATURES = {"application/pkcs7-signature", "application/x-pkcs7-signature",
               "application/pgp-signature"}
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?([\w-]+)", re.IGNORECASE)
_SCRIPT_STYLE = re.compile(r"<(script|style)\b.*?</\1>", re.IGNORECASE | re.DOTALL)
_BLOCK_END = re.compile(r"<br\s*/?>|</(?:p|div|tr|li|h\d|table)>", re.IGNORECASE)
_CELL_END = re.compile(r"</t[dh]>", re.IGNORECASE)
_TAGS = re.compile(r"<[^>]+>")
_Reader = Callable[[bytes, str], DocumentContent]


def _is_bmp(data: bytes) -> bool:
    # "BM" alone also starts CSV lines ("BMW,..."): the header must give the file size.
    return data[:2] == b"BM" and len(data) > 26 and int.from_bytes(data[2:6], "little") == len(
        data)


def _zip_names(data: bytes) -> set[str]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return set()


def attachment_kind(name: str, content_type: str, data: bytes) -> Kind:
    """What the attachment is (see the table in the module docstring)."""
    head = data[:1024]
    ctype = content_type.lower().split(";")[0].strip()
    ext = name.lower().rpartition(".")[2] if "." in name else ""
    if b"%PDF-" in head:
        return "pdf"
    if head.startswith(_IMAGE_MAGIC) or _is_bmp(data):
        return "image"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        names = _zip_names(data)
        if "xl/workbook.xml" in names:
            return "xlsx"
        # Word, PowerPoint and OpenDocument files are ZIPs too, but not archives to open.
        return "other" if names & {"[Content_Types].xml", "mimetype"} else "zip"
    if head.startswith(_OLE_MAGIC):  # old .xls, .doc, .msg, or an encrypted .xlsx
        return "xlsx" if ext in ("xls", "xlsx", "xlsm") else "other"
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"ISA"):
        return "edi820"
    if ctype in _SIGNATURES or ext in ("p7s", "sig", "asc"):
        return "signature"
    if ctype == "text/html" or ext in ("htm", "html"):
        return "html"
    if ext in ("edi", "x12", "820") or ctype in ("application/edi-x12", "application/edi"):
        return "edi820"
    if ctype == "application/pdf" or ext == "pdf":
        return "pdf"
    if ctype.startswith("image/") or ext in ("png", "jpg", "jpeg", "tif", "tiff", "gif", "bmp"):
        return "image"
    if ext in ("csv", "txt", "tsv") or ctype in ("text/csv", "text/plain",
                                                 "text/tab-separated-values"):
        return "csv"
    return "other"


def _pdf_reader() -> _Reader | None:
    try:
        from bots.remittance_reader.extract.pdf import read_pdf
    except ImportError:
        return None
    return read_pdf


def _image_reader() -> _Reader | None:
    try:
        from bots.remittance_reader.extract.ocr import read_image
    except ImportError:
        return None
    return read_image


def _html_text(markup: str) -> str:
    """Visible text, one line per block element or table row, cells tab-separated."""
    text = _SCRIPT_STYLE.sub(" ", markup)
    text = _BLOCK_END.sub("\n", text)
    text = _CELL_END.sub("\t", text)
    text = unescape(_TAGS.sub(" ", text))
    lines = ("\t".join(" ".join(cell.split()) for cell in line.split("\t") if cell.strip())
             for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def _read_html(data: bytes, name: str) -> DocumentContent:
    found = _META_CHARSET.search(data[:4096])
    markup = decode_text(data, found.group(1).decode("ascii") if found else None)
    return DocumentContent(name, "html", text=_html_text(markup), tables=html_tables(markup))


_READERS: dict[str, tuple[_Reader, Channel]] = {
    "xlsx": (read_xlsx, "xlsx"),
    "csv": (read_csv, "csv"),
    "edi820": (read_edi820, "edi820"),
    "html": (_read_html, "html"),
}


def _call(reader: _Reader | None, data: bytes, name: str, channel: Channel) -> DocumentContent:
    if reader is None:
        return DocumentContent(name, channel, problem=f"{name}: no {channel} reader installed")
    try:
        return reader(data, name)
    except Exception as exc:  # a reader bug must not lose the rest of the mail
        log.exception("reader for %s failed on %s", channel, name)
        return DocumentContent(name, channel, problem=f"{name} could not be read ({exc})")


def read_attachment(
    name: str,
    content_type: str,
    data: bytes,
    *,
    limits: ArchiveLimits | None = None,
    depth: int = 0,
) -> list[DocumentContent]:
    """The documents one attachment holds: one, several (a ZIP), or none (a signature)."""
    if not data:
        return [DocumentContent(name, "other", problem=f"{name} is empty (0 bytes)")]
    kind = attachment_kind(name, content_type, data)
    if kind == "signature":
        return []
    if kind == "zip":
        expanded = expand_zip(data, name, limits=limits, depth=depth)
        documents = [DocumentContent(name, "other", problem=p) for p in expanded.problems]
        for member in expanded.members:
            ctype = mimetypes.guess_type(member.name, strict=False)[0] or ""
            documents += read_attachment(f"{name}/{member.name}", ctype, member.data,
                                         limits=limits, depth=depth + 1)
        if not documents:
            documents.append(DocumentContent(name, "other", problem=f"{name} holds no files"))
        return documents
    if kind == "pdf":
        return [_call(_pdf_reader(), data, name, "pdf")]
    if kind == "image":
        return [_call(_image_reader(), data, name, "image")]
    if kind in _READERS:
        reader, channel = _READERS[kind]
        return [_call(reader, data, name, channel)]
    label = content_type or "unknown type"
    return [DocumentContent(name, "other", problem=f"attachment type {label} ({name}) not read")]
