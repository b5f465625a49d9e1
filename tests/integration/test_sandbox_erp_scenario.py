"""Starting the sandbox ERP on a benchmark scenario folder (``--scenario``)."""

from __future__ import annotations

import csv
import re
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Page

from bots.erp_poster.pages import LoginPage
from tests.plugins.sandbox_erp import REPO_ROOT, start_sandbox_erp

pytestmark = [pytest.mark.integration, pytest.mark.browser, pytest.mark.materials]


def test_serve_with_scenario_loads_the_cashapp_dev_ledger(
    materials_dir: Path, tmp_path: Path, page: Page
) -> None:
    scenario = materials_dir / "bench" / "cashapp-dev"
    with (scenario / "ledger" / "open_items.csv").open(newline="", encoding="utf-8") as fh:
        ledger = list(csv.DictReader(fh))
    expected_open = sum(1 for row in ledger if Decimal(row["open_amount"]) != 0)

    erp = start_sandbox_erp(tmp_path / "erp", scenario_dir=scenario)
    try:
        login = LoginPage(page, erp.url)
        login.open()
        login.log_in("clerk", "clerk-pass")
        page.goto(f"{erp.url}/open-items")
        pages = page.get_by_role("navigation", name="Pages").inner_text()
        assert re.search(rf"of {expected_open} ", pages)

        done = subprocess.run(
            [
                str(REPO_ROOT / ".venv" / "bin" / "o2c"),
                "sandbox",
                "export",
                "open-items",
                "--db",
                str(erp.db_path),
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        exported = list(csv.DictReader(done.stdout.splitlines()))
        assert len(exported) == expected_open
        by_doc = {row["doc_no"]: row for row in ledger}
        for row in exported:
            assert row == by_doc[row["doc_no"]]  # same layout, same values
    finally:
        erp.stop()
