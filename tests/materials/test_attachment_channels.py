"""Row recall of the attachment channels on the cashapp-dev mailbox.

For every XLSX, CSV, X12 820, ZIP and forwarded remittance in ``truth/documents.jsonl``
(read here for scoring only), each truth line's ``ref_as_printed`` and ``paid`` must sit
in one row of the tables our readers produce from the mail.  For forwarded mails whose
original is a text or HTML body, the rows are that body's (HTML tables, or text lines
split on runs of spaces).  ZIPs and forwards holding a PDF need ``extract.pdf``.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bots.remittance_reader.extract.attachments import read_attachment
from bots.remittance_reader.extract.tables import html_tables
from bots.remittance_reader.mail.message import parse_message
from shared.money import MoneyParseError, parse_amount

pytestmark = pytest.mark.materials

CHANNELS = ["xlsx", "csv", "edi820", "zip", "forwarded"]
_CELLS = re.compile(r"\s*\|\s*|\t+|\s{2,}")


def _truth(materials_dir: Path, channel: str) -> list[dict[str, Any]]:
    path = materials_dir / "bench" / "cashapp-dev" / "truth" / "documents.jsonl"
    docs = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [d for d in docs if d["channel"] == channel and d["lines"]]


def _amount(cell: str) -> Decimal | None:
    try:
        return parse_amount(cell)
    except (MoneyParseError, ValueError, ArithmeticError):
        return None


def _rows(raw: bytes) -> list[list[str]]:
    """Every table row our code finds in the mail."""
    mail = parse_message(raw)
    rows: list[list[str]] = []
    for part in mail.parts:
        for doc in read_attachment(part.name, part.content_type, part.data):
            for table in doc.tables:
                rows += table
    if mail.forwarded:
        rows += [row for table in html_tables(mail.html) for row in table]
        rows += [_CELLS.split(line.strip()) for line in mail.text.splitlines()]
    return rows


@pytest.mark.parametrize("channel", CHANNELS)
def test_every_truth_line_is_one_of_our_rows(materials_dir: Path, channel: str) -> None:
    mail_dir = materials_dir / "bench" / "cashapp-dev"
    documents = _truth(materials_dir, channel)
    assert documents, f"no {channel} documents in truth"
    found = total = 0
    missed: list[str] = []
    for doc in documents:
        rows = _rows((mail_dir / doc["file"]).read_bytes())
        for line in doc["lines"]:
            total += 1
            paid = Decimal(line["paid"])
            if any(line["ref_as_printed"] in row and any(_amount(c) == paid for c in row)
                   for row in rows):
                found += 1
            else:
                missed.append(f"{doc['file']}: {line['ref_as_printed']} {paid}")
    assert found == total, f"{channel}: {found}/{total} lines; missed {missed[:10]}"
