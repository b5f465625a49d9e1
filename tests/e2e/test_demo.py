"""The README's main job, end to end: the demo posts exactly the right payments.

Runs ``o2c demo --no-serve`` (real Dovecot + SMTP, real sandbox ERP, real Chromium),
then reads the ERP's own posted-payments export and compares it with the demo
scenario's truth: every determinable payment posted once, as the policy says, and
nothing else posted.
"""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.browser]


def _key(line: dict) -> tuple:
    return (
        sorted((a["doc_no"], Decimal(a["amount"])) for a in line["applications"]),
        sorted((a["type"], a["doc_no"], Decimal(a["amount"])) for a in line["adjustments"]),
        Decimal(line["on_account"]),
    )


def test_demo_posts_every_determinable_payment_once_and_nothing_else(tmp_path: Path) -> None:
    workdir = tmp_path / "demo"
    run = subprocess.run(
        [sys.executable, "-m", "cli.app", "demo", "--no-serve", "--workdir", str(workdir),
         "--review-port", "0"],
        capture_output=True, text=True, timeout=240,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "review queue http://127.0.0.1:" in run.stdout

    export = subprocess.run(
        [sys.executable, "-m", "cli.app", "sandbox", "export", "payments", "--format", "jsonl",
         "--db", str(workdir / "erp.sqlite3")],
        capture_output=True, text=True, timeout=60, check=True,
    )
    posted = [json.loads(line) for line in export.stdout.splitlines() if line.strip()]
    truth = [json.loads(line) for line in
             (workdir / "scenario" / "truth" / "payments.jsonl").read_text().splitlines()]
    expected = {t["payment_id"]: _key(t) for t in truth if t["determinable"]}

    assert len(posted) == len({p["payment_id"] for p in posted}), "a payment was posted twice"
    assert {p["payment_id"]: _key(p) for p in posted} == expected
