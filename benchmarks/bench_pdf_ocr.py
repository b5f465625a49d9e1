"""Throughput of the positional readers (a benchmark, not a test).

Reads the PDF and image attachments of the development corpus one after the other
(one process, one core's worth of tesseract) and reports:

* pages/s for text-layer PDFs (``read_pdf``: pdfplumber words, layout, tables);
* pages/s for OCR'd pages (``read_pdf`` on scans: render at 300 dpi + OCR + layout;
  ``read_image`` on PNG/JPEG/TIFF);
* the OCR overhead against tesseract alone: ``pytesseract.image_to_string`` with its
  defaults on the very same page images (rendered beforehand, not timed), versus our
  ``ocr_page`` on them (pre-processing, one to three tesseract readings, layout).

    .venv/bin/python benchmarks/bench_pdf_ocr.py [--corpus DIR] [--limit N]
                                                 [--second-pass-below 0]
"""

from __future__ import annotations

import argparse
import email
import io
import os
import platform
import shlex
import sys
import time
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # as in production (see STACK.md)

import pdfplumber  # noqa: E402
import pytesseract  # noqa: E402
from PIL import Image  # noqa: E402

from bots.remittance_reader.extract import ocr  # noqa: E402
from bots.remittance_reader.extract.pdf import RENDER_DPI, read_pdf  # noqa: E402

DEFAULT_CORPUS = REPO.parent / "shared" / "bench" / "cashapp-dev"


@dataclass
class Tally:
    files: int = 0
    pages: int = 0
    seconds: float = 0.0
    sources: list[tuple[str, bytes]] = field(default_factory=list)  # OCR'd files

    @property
    def rate(self) -> float:
        return self.pages / self.seconds if self.seconds else 0.0


def _attachments(corpus: Path) -> list[tuple[str, bytes]]:
    out = []
    for path in sorted((corpus / "mail").glob("*.eml")):
        msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        assert isinstance(msg, EmailMessage)
        for part in msg.walk():
            name = part.get_filename() or ""
            ctype = part.get_content_type()
            if ctype == "application/pdf" or ctype.startswith("image/"):
                out.append((name, part.get_payload(decode=True) or b""))
    return out


def _page_images(name: str, data: bytes) -> list[tuple[Image.Image, float | None]]:
    """The page images OCR sees, rendered the way read_pdf / read_image get them."""
    if name.lower().endswith(".pdf"):
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            return [(p.to_image(resolution=RENDER_DPI).original, float(RENDER_DPI))
                    for p in pdf.pages]
    image = Image.open(io.BytesIO(data))
    frames = []
    for index in range(getattr(image, "n_frames", 1)):
        image.seek(index)
        dpi = image.info.get("dpi")
        frame = image.copy()
        frame.load()
        frames.append((frame, float(dpi[0]) if dpi else None))
    return frames


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--limit", type=int, default=0, help="at most N OCR pages (0: all)")
    parser.add_argument("--second-pass-below", type=float, default=ocr.SECOND_PASS_BELOW,
                        help="mean confidence under which a page is read three times "
                             "(0: never)")
    args = parser.parse_args()
    ocr.SECOND_PASS_BELOW = args.second_pass_below

    text, scans, images = Tally(), Tally(), Tally()
    for name, data in _attachments(args.corpus):
        if name.lower().endswith(".pdf"):
            started = time.perf_counter()
            doc = read_pdf(data, name)
            elapsed = time.perf_counter() - started
            tally = scans if doc.channel == "scan" else text
        else:
            started = time.perf_counter()
            doc = ocr.read_image(data, name)
            elapsed = time.perf_counter() - started
            tally = images
        tally.files += 1
        tally.pages += doc.pages
        tally.seconds += elapsed
        if tally is not text:
            tally.sources.append((name, data))
        if args.limit and scans.pages + images.pages >= args.limit:
            break

    # the same page images for both, rendered (untimed) one file at a time
    pages = 0
    ours = alone = 0.0
    for name, data in scans.sources + images.sources:
        for image, dpi in _page_images(name, data):
            pages += 1
            started = time.perf_counter()
            ocr.ocr_page(image, dpi=dpi)
            ours += time.perf_counter() - started
            started = time.perf_counter()
            pytesseract.image_to_string(image)
            alone += time.perf_counter() - started

    command = " ".join(shlex.quote(a) for a in [".venv/bin/python", *sys.argv])
    print(f"command : {command}")
    print(f"machine : nproc={os.cpu_count()}  cpu={_cpu_model()}  "
          f"python={platform.python_version()}  tesseract={pytesseract.get_tesseract_version()}"
          f"  OMP_THREAD_LIMIT={os.environ.get('OMP_THREAD_LIMIT')}")
    print(f"ocr     : second reading when mean confidence < {ocr.SECOND_PASS_BELOW:g}")
    print(f"corpus  : {args.corpus}")
    print()
    print(f"{'reader':<34} {'files':>5} {'pages':>5} {'seconds':>8} {'pages/s':>8}")
    for label, t in (("read_pdf, text layer", text), ("read_pdf, scanned (render + OCR)", scans),
                     ("read_image (PNG/JPEG/TIFF)", images)):
        print(f"{label:<34} {t.files:>5} {t.pages:>5} {t.seconds:>8.2f} {t.rate:>8.2f}")
    both = Tally(scans.files + images.files, scans.pages + images.pages,
                 scans.seconds + images.seconds)
    print(f"{'all OCR pages':<34} {both.files:>5} {both.pages:>5} {both.seconds:>8.2f} "
          f"{both.rate:>8.2f}")
    print()
    print(f"OCR on the same {pages} page images (rendering not timed):")
    print(f"  ocr_page (ours)               {ours:8.2f} s  {pages / ours:6.2f} pages/s")
    print(f"  image_to_string (tesseract)   {alone:8.2f} s  {pages / alone:6.2f} pages/s")
    print(f"  overhead                      {ours / alone:8.2f} x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
