"""Pages per second for text-layer PDFs and for OCR, and OCR's overhead (not a test).

Reads the PDF attachments of a scenario's mailbox (default ../shared/bench/cashapp-dev):
pages with a text layer through ``extract.pdf.read_pdf``; image-only pages rendered at
300 dpi, then (a) our ``extract.ocr.ocr_page`` (pre-processing, tesseract with word
boxes, table layout) and (b) tesseract alone (``pytesseract.image_to_string`` on the
same rendered image, no pre-processing, no parsing).  Overhead = (a) / (b).

    OMP_THREAD_LIMIT=1 .venv/bin/python benchmarks/bench_pdf_ocr.py [--corpus DIR] [--limit 10]
"""

from __future__ import annotations

import argparse
import email
import io
import os
import platform
import time
from email import policy
from pathlib import Path

import pdfplumber
import pytesseract

from bots.remittance_reader.extract.ocr import ocr_page
from bots.remittance_reader.extract.pdf import read_pdf


def _pdfs(corpus: Path) -> list[bytes]:
    found = []
    for eml in sorted((corpus / "mail").glob("*.eml")):
        message = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
        for part in message.walk():
            if part.get_content_type() == "application/pdf":
                payload = part.get_payload(decode=True)
                if isinstance(payload, bytes):
                    found.append(payload)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path,
                        default=Path(__file__).resolve().parents[2] / "shared/bench/cashapp-dev")
    parser.add_argument("--limit", type=int, default=10, help="scanned PDFs to OCR")
    args = parser.parse_args()
    text_pdfs, scans = [], []
    for data in _pdfs(args.corpus):
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            (text_pdfs if pdf.pages[0].chars else scans).append(data)
    started, pages = time.perf_counter(), 0
    for data in text_pdfs:
        pages += read_pdf(data, "x.pdf").pages
    text_s = time.perf_counter() - started
    images = []
    for data in scans[: args.limit]:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            images += [p.to_image(resolution=300).original for p in pdf.pages]
    started = time.perf_counter()
    for image in images:
        ocr_page(image, dpi=300)
    ours = time.perf_counter() - started
    started = time.perf_counter()
    for image in images:
        pytesseract.image_to_string(image)
    alone = time.perf_counter() - started
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")),
               platform.processor())
    print(f"machine : {os.cpu_count()} CPUs, {cpu}; OMP_THREAD_LIMIT="
          f"{os.environ.get('OMP_THREAD_LIMIT', 'unset')}; tesseract "
          f"{pytesseract.get_tesseract_version()}")
    print("command : OMP_THREAD_LIMIT=1 .venv/bin/python benchmarks/bench_pdf_ocr.py "
          f"--limit {args.limit}")
    print(f"text-layer PDFs : {len(text_pdfs)} files, {pages} pages in {text_s:.2f} s "
          f"= {pages / text_s:.1f} pages/s")
    print(f"OCR (ours)      : {len(images)} pages in {ours:.2f} s = {len(images) / ours:.2f} "
          "pages/s")
    print(f"tesseract alone : {len(images)} pages in {alone:.2f} s = "
          f"{len(images) / alone:.2f} pages/s")
    print(f"OCR overhead    : {ours / alone:.2f}x tesseract alone (pre-processing, word boxes, "
          "layout)")


if __name__ == "__main__":
    main()
