"""What every channel reader returns: the text and tables of one document.

A *document* is one thing a remittance can be printed on: the mail body (plain or
HTML), or one attachment (PDF, scan, image, XLSX, CSV, X12 820 ...).  Each channel
reader turns its bytes into a :class:`DocumentContent`; one interpreter
(``extract.tables.lines_from_rows``) then turns the tables into remittance lines, so a
new layout or channel never needs a second copy of the column rules.

Contract for channel readers: never raise for bad content.  A document that cannot be
read (encrypted, corrupt, too large, empty scan) comes back with ``problem`` set to a
sentence a person understands, and the batch goes on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = ["Channel", "DocumentContent", "Rows"]

Channel = Literal["text", "html", "pdf", "scan", "image", "xlsx", "csv", "edi820", "other"]

Rows = list[list[str]]
"""A table as rows of cell texts, header row(s) included, in reading order."""


@dataclass(frozen=True)
class DocumentContent:
    """The readable content of one document of a mail."""

    name: str  # "body", or the attachment's file name as sent
    channel: Channel
    text: str = ""  # all readable text, in reading order (header blocks, totals, notes)
    tables: list[Rows] = field(default_factory=list)
    problem: str | None = None  # why the document could not be read, if it could not
    pages: int = 0  # pages read (PDF, TIFF); 0 when the notion does not apply
