"""A cash-application run killed mid-posting, then run again: nothing lost, nothing twice.

``o2c run cash-application`` (the Prefect flow, in process) against the demo world is
killed with SIGKILL, process group and all, once the ERP has some but not all of the
run's postings.  The rerun reads nothing again (the mails were moved, the payments are
stored), decides nothing twice, and finishes the postings: the ERP ends with every
automatic decision exactly once, and the review queue with every other payment once.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from fixtures.demo_env import DemoWorld
from shared.store import make_engine, read_transaction
from shared.store.tables import DecisionRow, PostingRow, ReviewItemRow

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.browser]

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[DemoWorld]:
    with DemoWorld(tmp_path / "world") as started:
        yield started


def _env(world: DemoWorld, tmp_path: Path) -> dict[str, str]:
    return {**os.environ, **world.settings_env(tmp_path),
            "O2C_ERP__SEATS": "1",
            # The killed run's claim runs out after this; the rerun waits for it.
            "O2C_ERP__LEASE_SECONDS": "25", "O2C_ERP__TIMEOUT_MS": "10000",
            "PREFECT_HOME": str(tmp_path / "prefect")}


def _command(world: DemoWorld) -> list[str]:
    return [sys.executable, "-m", "cli.app", "run", "cash-application",
            "--ledger", str(world.scenario / "ledger"),
            "--statements", str(world.scenario / "bank")]


def _erp_payment_ids(world: DemoWorld) -> list[str]:
    export = subprocess.run(
        [sys.executable, "-m", "cli.app", "sandbox", "export", "payments", "--format", "jsonl",
         "--db", str(world.workdir / "erp.sqlite3")],
        capture_output=True, text=True, timeout=60, check=True, cwd=REPO)
    return sorted(json.loads(line)["payment_id"] for line in export.stdout.splitlines()
                  if line.strip())


def test_a_run_killed_while_posting_is_finished_by_the_next_run(
        world: DemoWorld, tmp_path: Path) -> None:
    env = _env(world, tmp_path)
    log = (tmp_path / "first.log").open("wb")
    first = subprocess.Popen(_command(world), cwd=REPO, env=env, stdout=log,
                             stderr=subprocess.STDOUT, start_new_session=True)
    engine = make_engine(env["O2C_STORE__URL"])
    killed_at = None
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and first.poll() is None:
        try:
            with read_transaction(engine) as session:
                posted = session.scalar(select(func.count()).select_from(PostingRow)
                                        .where(PostingRow.state == "posted")) or 0
                queued = session.scalar(select(func.count()).select_from(PostingRow)) or 0
        except Exception:  # the store is not created yet
            posted = queued = 0
        if 0 < posted < queued:
            os.killpg(first.pid, signal.SIGKILL)
            killed_at = posted
            break
        time.sleep(0.2)
    first.wait(timeout=30)
    assert killed_at is not None, (tmp_path / "first.log").read_text()[-3000:]
    assert len(_erp_payment_ids(world)) < queued  # the kill left postings undone

    second = subprocess.run(_command(world), cwd=REPO, env=env, capture_output=True,
                            text=True, timeout=600)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]

    with read_transaction(engine) as session:
        auto = sorted(session.scalars(select(DecisionRow.payment_id)
                                      .where(DecisionRow.kind == "auto")))
        reviewed = list(session.scalars(select(DecisionRow.payment_id)
                                        .where(DecisionRow.kind == "review")))
        decisions = session.scalar(select(func.count()).select_from(DecisionRow))
        review_items = list(session.scalars(select(ReviewItemRow.key)
                                            .where(ReviewItemRow.key.like("payment:%"))))
    assert decisions == len(auto) + len(reviewed)  # every payment decided exactly once
    assert _erp_payment_ids(world) == auto  # every automatic decision posted exactly once
    assert sorted(review_items) == sorted(f"payment:{p}" for p in reviewed)
