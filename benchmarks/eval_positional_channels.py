"""Row recall of the positional readers on the development corpus (not a test).

For every remittance whose advice is positional (channel ``pdf``, ``scan``, ``image``;
``zip`` and ``forwarded`` when they carry a PDF) and every ``text`` remittance (body
through ``layout.text_tables``), this reads the document the way the bot will and
checks, for each truth line, that its ``ref_as_printed`` and its ``paid`` amount sit in
the same row of some table.  It reports recall per channel and, with ``-v``, every
missed line with the row that came closest.

    .venv/bin/python benchmarks/eval_positional_channels.py [--corpus DIR] [-v] [--only 0071]

It reads ``truth/`` and is for development only: the bot never does.
"""

from __future__ import annotations

import argparse
import email
import io
import json
import sys
import time
import zipfile
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from email import policy
from email.message import EmailMessage
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bots.remittance_reader.extract.document import DocumentContent  # noqa: E402
from bots.remittance_reader.extract.layout import text_tables  # noqa: E402
from bots.remittance_reader.extract.ocr import read_image  # noqa: E402
from bots.remittance_reader.extract.pdf import read_pdf  # noqa: E402
from shared.money import MoneyParseError, parse_amount  # noqa: E402

DEFAULT_CORPUS = REPO.parent / "shared" / "bench" / "cashapp-dev"
CHANNELS = ("text", "pdf", "scan", "image", "zip", "forwarded")


def _documents(msg: EmailMessage, channel: str) -> Iterator[DocumentContent]:
    """The documents of one mail that the positional readers handle."""
    for part in msg.walk():
        ctype = part.get_content_type()
        name = part.get_filename() or ""
        if ctype == "message/rfc822":
            inner = part.get_payload()
            for sub in inner if isinstance(inner, list) else [inner]:
                yield from _documents(sub, channel)
            continue
        if part.is_multipart():
            continue
        data = part.get_payload(decode=True) or b""
        if ctype == "application/pdf" or name.lower().endswith(".pdf"):
            yield read_pdf(data, name)
        elif ctype.startswith("image/"):
            yield read_image(data, name)
        elif ctype == "application/zip" or name.lower().endswith(".zip"):
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                for info in zf.infolist():
                    if info.filename.lower().endswith(".pdf"):
                        yield read_pdf(zf.read(info), info.filename)
        elif ctype == "text/plain" and not part.get_filename() and channel != "html":
            body = part.get_content()
            yield DocumentContent("body", "text", body, text_tables(body))


def _amount(cell: str) -> Decimal | None:
    try:
        return parse_amount(cell)
    except (MoneyParseError, ValueError, ArithmeticError):
        return None


def _norm(text: str) -> str:
    return "".join(text.split()).upper()


def _row_has(row: list[str], ref: str, paid: Decimal) -> bool:
    nref = _norm(ref)
    has_ref = any(_norm(c) == nref or nref in _norm(c).split() for c in row) or any(
        nref in c.upper().split() for c in row
    )
    return has_ref and any(_amount(c) == paid for c in row if c.strip())


def _closest(tables: list[list[list[str]]], ref: str) -> list[str] | None:
    nref = _norm(ref)
    for table in tables:
        for row in table:
            if any(nref in _norm(c) for c in row):
                return row
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument("--only", default="", help="mail number prefix, e.g. 0071")
    args = parser.parse_args()

    truth = [json.loads(x) for x in (args.corpus / "truth" / "documents.jsonl").open()]
    found: dict[str, int] = defaultdict(int)
    total: dict[str, int] = defaultdict(int)
    docs: dict[str, int] = defaultdict(int)
    seconds: dict[str, float] = defaultdict(float)
    problems: list[str] = []
    for doc in truth:
        channel = doc.get("channel")
        if doc["kind"] != "remittance" or channel not in CHANNELS or not doc["lines"]:
            continue
        if args.only and not Path(doc["file"]).name.startswith(args.only):
            continue
        raw = (args.corpus / doc["file"]).read_bytes()
        msg = email.message_from_bytes(raw, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        started = time.perf_counter()
        contents = list(_documents(msg, channel))
        seconds[channel] += time.perf_counter() - started
        tables = [t for c in contents for t in c.tables]
        problems += [f"{doc['file']}: {c.name}: {c.problem}" for c in contents if c.problem]
        docs[channel] += 1
        for line in doc["lines"]:
            total[channel] += 1
            paid = Decimal(line["paid"])
            if any(_row_has(row, line["ref_as_printed"], paid) for t in tables for row in t):
                found[channel] += 1
            elif args.verbose:
                near = _closest(tables, line["ref_as_printed"])
                print(f"MISS {doc['file']} [{channel} {doc['layout']}] "
                      f"{line['ref_as_printed']} paid={paid} closest={near}")
    print(f"{'channel':<10} {'docs':>5} {'lines':>6} {'found':>6} {'recall':>8} {'s/doc':>7}")
    for channel in CHANNELS:
        if total[channel]:
            print(f"{channel:<10} {docs[channel]:>5} {total[channel]:>6} {found[channel]:>6} "
                  f"{found[channel] / total[channel]:>8.2%} "
                  f"{seconds[channel] / docs[channel]:>7.2f}")
    for p in problems:
        print("problem:", p)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
