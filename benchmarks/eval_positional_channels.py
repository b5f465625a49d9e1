"""Row recall of the positional readers on the development corpus (not a test).

For every remittance whose advice is positional (channel ``pdf``, ``scan``, ``image``;
``zip`` and ``forwarded`` when they carry a PDF or a plain-text table) and every
``text`` remittance (body through ``layout.text_tables``), this reads the document the
way the bot will and checks, for each truth line:

* ``strict``: its ``ref_as_printed`` (spaces ignored) and its ``paid`` amount sit in
  the same row of some table: the target measure;
* ``fuzzy``: the same with the reference compared on letters and digits only and one
  character of slack, which is what the matcher downstream tolerates for OCR;
* ``fields``: the lead's interpreter (``tables.lines_from_tables``) gives that line with
  the right gross, deduction, discount and paid, i.e. every amount is in its column.

It reports these per channel and, with ``-v``, every strict miss with the closest row.

    .venv/bin/python benchmarks/eval_positional_channels.py [--corpus DIR] [-v] [--only 0071]
                                                            [--second-pass-below 0]

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

from bots.remittance_reader.extract import ocr  # noqa: E402
from bots.remittance_reader.extract.document import DocumentContent  # noqa: E402
from bots.remittance_reader.extract.layout import text_tables  # noqa: E402
from bots.remittance_reader.extract.ocr import read_image  # noqa: E402
from bots.remittance_reader.extract.pdf import read_pdf  # noqa: E402
from bots.remittance_reader.extract.tables import lines_from_tables  # noqa: E402
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


def _alnum(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch.isalnum())


def _near(a: str, b: str) -> bool:
    """Equal, or one substitution, insertion or deletion apart."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long_ = sorted((a, b), key=len)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


def _row_has(row: list[str], ref: str, paid: Decimal, *, fuzzy: bool = False) -> bool:
    if not any(_amount(c) == paid for c in row if c.strip()):
        return False
    if fuzzy:
        return any(_near(_alnum(c), _alnum(ref)) for c in row if c.strip())
    nref = _norm(ref)
    return any(_norm(c) == nref for c in row) or any(nref in c.upper().split() for c in row)


def _fields_ok(lines: list[object], truth: dict[str, str]) -> bool:
    want = (_norm(truth["ref_as_printed"]), Decimal(truth["paid"]),
            Decimal(truth["deduction"]), Decimal(truth["discount"]))
    for x in lines:
        got = (_norm(getattr(x, "ref_as_printed", "")), getattr(x, "paid", None),
               abs(getattr(x, "deduction", 0)), abs(getattr(x, "discount", 0)))
        if got == want and getattr(x, "gross", None) in (None, Decimal(truth["gross"])):
            return True
    return False


def _closest(tables: list[list[list[str]]], ref: str) -> list[str] | None:
    nref = _alnum(ref)
    for table in tables:
        for row in table:
            if any(_near(_alnum(c), nref) for c in row):
                return row
    return None


def _html_only(msg: EmailMessage) -> bool:
    """A forwarded advice whose table is HTML: not a positional document."""
    kinds = {p.get_content_type() for p in msg.walk()}
    has_file = any(k == "application/pdf" or k.startswith("image/") or k.endswith("zip")
                   for k in kinds)
    html = any(p.get_content_type() == "text/html" and "<table" in p.get_content().lower()
               for p in msg.walk() if not p.is_multipart()
               and p.get_content_type() == "text/html")
    return html and not has_file


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument("--only", default="", help="mail number prefix, e.g. 0071")
    parser.add_argument("--second-pass-below", type=float, default=ocr.SECOND_PASS_BELOW,
                        help="mean confidence under which an OCR page is read three times "
                             "(0: never)")
    args = parser.parse_args()
    ocr.SECOND_PASS_BELOW = args.second_pass_below

    truth = [json.loads(x) for x in (args.corpus / "truth" / "documents.jsonl").open()]
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
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
        if channel == "forwarded" and _html_only(msg):
            continue
        started = time.perf_counter()
        contents = list(_documents(msg, channel))
        seconds[channel] += time.perf_counter() - started
        tables = [t for c in contents for t in c.tables]
        interpreted = [x for c in contents for x in lines_from_tables(c.tables)]
        problems += [f"{doc['file']}: {c.name}: {c.problem}" for c in contents if c.problem]
        n = counts[channel]
        n["docs"] += 1
        for line in doc["lines"]:
            n["lines"] += 1
            paid = Decimal(line["paid"])
            rows = [row for t in tables for row in t]
            strict = any(_row_has(row, line["ref_as_printed"], paid) for row in rows)
            n["strict"] += strict
            n["fuzzy"] += strict or any(
                _row_has(row, line["ref_as_printed"], paid, fuzzy=True) for row in rows)
            n["fields"] += _fields_ok(interpreted, line)
            if not strict and args.verbose:
                near = _closest(tables, line["ref_as_printed"])
                print(f"MISS {doc['file']} [{channel} {doc['layout']}] "
                      f"{line['ref_as_printed']} paid={paid} closest={near}")
    print(f"corpus: {args.corpus}")
    print(f"{'channel':<10} {'docs':>5} {'lines':>6} {'strict':>8} {'fuzzy':>8} {'fields':>8} "
          f"{'s/doc':>6}")
    for channel in CHANNELS:
        n = counts[channel]
        if n["lines"]:
            print(f"{channel:<10} {n['docs']:>5} {n['lines']:>6} "
                  f"{n['strict'] / n['lines']:>8.1%} {n['fuzzy'] / n['lines']:>8.1%} "
                  f"{n['fields'] / n['lines']:>8.1%} {seconds[channel] / n['docs']:>6.2f}")
    for p in problems:
        print("problem:", p)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
