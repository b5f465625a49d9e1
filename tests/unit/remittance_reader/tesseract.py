"""Tests that need the tesseract binary: skipped on a machine without it, never in CI.

``scripts/bootstrap.sh`` installs tesseract; a user's machine may lack it, and then
the OCR tests say so instead of failing.  In CI (``CI`` set) they always run, so a
missing tesseract fails them rather than passing as skipped tests.
"""

from __future__ import annotations

import os

import pytest

from bots.remittance_reader.extract.ocr import tesseract_available

__all__ = ["needs_tesseract"]

needs_tesseract = pytest.mark.skipif(
    not os.environ.get("CI") and not tesseract_available(),
    reason="tesseract is not installed (scripts/bootstrap.sh installs it)")
