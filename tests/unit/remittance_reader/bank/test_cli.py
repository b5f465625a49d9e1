"""``o2c bank read``: JSON lines on stdout, one error line per bad file on stderr.

The first test runs the command as an operator does, in its own process through
``cli.app`` (so the group's registration is tested too); the others call the Typer
app in-process.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from cli.bank import app
from tests.unit.remittance_reader.bank.samples import BAI2_STATEMENT, MT940_STATEMENT

REPO_ROOT = Path(__file__).resolve().parents[4]


def _o2c(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli.app", *map(str, args)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_reads_good_files_reports_bad_ones_and_exits_1(tmp_path: Path) -> None:
    mt940 = tmp_path / "gbp.sta"
    mt940.write_text(MT940_STATEMENT)
    bai2 = tmp_path / "usd.txt"  # the name does not matter, the content does
    bai2.write_text(BAI2_STATEMENT)
    broken = tmp_path / "broken.bai"
    broken.write_text("00,0004,1/2/345,06/0321,0829,001,80,1,2/\n")

    result = _o2c("bank", "read", mt940, broken, tmp_path / "missing.xml", bai2, "--credits-only")

    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.returncode == 1
    assert [line["payment_id"] for line in lines] == [
        "TMB26030238398",
        "TMB26030300001",
        "TMB26030276569",
        "FC260302734272",
    ]
    assert lines[0] == {
        "payment_id": "TMB26030238398",
        "credit": True,
        "value_date": "2026-03-02",
        "amount": "9617.79",
        "currency": "GBP",
        "payer_name": "JANSEN INDUSTRIE NV",
        "payer_account": "NL11TRIO6147489397",
        "payer_bank_id": "",
        "free_text": "REF:440225 INV 2026-02024",
        "source_file": "gbp.sta",
    }
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == [
        "error: broken.bai line 1: unsupported record type '00'",
        "error: missing.xml: cannot read: [Errno 2] No such file or directory: "
        f"'{tmp_path / 'missing.xml'}'",
    ]
    assert "Traceback" not in result.stderr
    assert "4 credits from 2 of 4 file(s); 2 could not be read" in result.stderr


def test_all_entries_with_details_and_exit_0(tmp_path: Path) -> None:
    mt940 = tmp_path / "gbp.sta"
    mt940.write_text(MT940_STATEMENT)

    result = CliRunner().invoke(app, ["read", "--details", str(mt940)])

    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.exit_code == 0, result.stderr
    assert [line["credit"] for line in lines] == [True, True, False, True]
    assert lines[1]["structured_ref"] == "RF182026000451"
    assert lines[1]["ultimate_payer"] == "SEVERN VALLEY PLASTICS"
    assert result.stderr == "4 entries from 1 of 1 file(s)\n"


def test_help_explains_the_command() -> None:
    result = CliRunner().invoke(app, ["read", "--help"])

    assert result.exit_code == 0
    assert "--credits-only" in result.stdout
    assert "recognised from the content" in result.stdout
