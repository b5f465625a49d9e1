"""``o2c erp post`` as a user runs it: real processes, the real sandbox ERP, real Chromium.

The issue's "Done means": a sandbox seeded with ``o2c sandbox seed --scenario DIR``,
the correct decisions for that scenario posted with ``o2c erp post``, and the ERP's
own export (``o2c sandbox export payments``) equal to those decisions, line for line.
Once on the project's generated demo scenario (runs anywhere), once on the team's
cashapp-dev scenario (``materials``: needs ../shared).  Plus: a second run posts
nothing, and a run killed with SIGKILL mid-batch, then run again, posts every payment
exactly once.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from fixtures.demo_data import generate_scenario
from shared.store import upsert_payment, write_transaction
from tests.plugins.sandbox_erp import REPO_ROOT, SandboxErp
from tests.unit.erp_poster.factories import (
    decision_line,
    generated_batch,
    make_store,
    write_ledger,
)

pytestmark = [pytest.mark.integration, pytest.mark.browser]

O2C = str(Path(REPO_ROOT) / ".venv" / "bin" / "o2c")


def o2c(*args: str, env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [O2C, *args], capture_output=True, text=True, env=env, timeout=timeout, cwd=REPO_ROOT
    )


def poster_env(erp: SandboxErp, workdir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("O2C_")}
    env.update(
        O2C_STORE__URL=f"sqlite:///{workdir / 'o2c.sqlite3'}",
        O2C_DATA_DIR=str(workdir / "var"),
        O2C_ERP__BASE_URL=erp.url,
        O2C_ERP__USERNAME="poster",
        O2C_ERP__PASSWORD="poster-pass",
        O2C_LOGGING__LEVEL="WARNING",
        **extra,
    )
    return env


def truth_to_decisions(truth_file: Path, out: Path) -> dict[str, dict[str, Any]]:
    """The correct decisions (FORMAT.md 3.1 lines) from a scenario's truth; auto ones by id."""
    auto: dict[str, dict[str, Any]] = {}
    with out.open("w", encoding="utf-8") as handle:
        for text in truth_file.read_text(encoding="utf-8").splitlines():
            truth = json.loads(text)
            exception = truth["exception"]
            line = {
                "payment_id": truth["payment_id"],
                "decision": "review" if exception else "auto",
                "customer_id": truth["customer_id"],
                "applications": [] if exception else truth["applications"],
                "adjustments": [] if exception else truth["adjustments"],
                "on_account": "0.00" if exception else truth["on_account"],
                "reason": exception,
                "confidence": None if exception else 1.0,
                "suggestions": [],
            }
            if not exception:
                auto[line["payment_id"]] = line
            handle.write(json.dumps(line) + "\n")
    return auto


def export_payments(erp: SandboxErp, env: dict[str, str]) -> list[dict[str, Any]]:
    done = o2c("sandbox", "export", "payments", "--db", str(erp.db_path), env=env)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


def assert_export_equals(lines: list[dict[str, Any]], auto: dict[str, dict[str, Any]]) -> None:
    """One export line per auto decision, each equal to it (lines inside in any order)."""
    memos = Counter(line["payment_id"] for line in lines)
    assert [m for m, n in memos.items() if n > 1] == [], "a payment was posted twice"
    assert set(memos) == set(auto)
    for line in lines:
        want = auto[line["payment_id"]]
        for key in ("applications", "adjustments"):
            assert sorted(map(json.dumps, line[key])) == sorted(map(json.dumps, want[key])), (
                line["payment_id"], key)
        assert (line["customer_id"], line["on_account"]) == (
            want["customer_id"], want["on_account"]), line["payment_id"]


def seed_post_export_twice(
    erp: SandboxErp, scenario: Path, tmp_path: Path, **env_extra: str
) -> tuple[dict[str, dict[str, Any]], list[str]]:
    env = poster_env(erp, tmp_path, **env_extra)
    seeded = o2c("sandbox", "seed", "--scenario", str(scenario), "--db", str(erp.db_path), env=env)
    assert seeded.returncode == 0, seeded.stderr
    auto = truth_to_decisions(scenario / "truth" / "payments.jsonl", tmp_path / "decisions.jsonl")
    assert o2c("db", "upgrade", env=env).returncode == 0

    first = o2c("erp", "post", str(tmp_path / "decisions.jsonl"), "--statements",
                str(scenario / "bank"), env=env, timeout=900)
    assert first.returncode == 0, first.stdout + first.stderr
    assert f"posted: {len(auto)};" in first.stdout, first.stdout
    exported = export_payments(erp, env)
    assert_export_equals(exported, auto)

    second = o2c("erp", "post", str(tmp_path / "decisions.jsonl"), env=env)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "posted: 0; found already posted: 0;" in second.stdout, second.stdout
    assert export_payments(erp, env) == exported
    return auto, [first.stdout, second.stdout]


def test_o2c_erp_post_makes_the_export_equal_to_the_decisions_on_generated_data(
    sandbox_erp: SandboxErp, tmp_path: Path
) -> None:
    scenario = generate_scenario(tmp_path / "demo")
    auto, _ = seed_post_export_twice(sandbox_erp, scenario, tmp_path)
    assert len(auto) >= 8


@pytest.mark.materials
def test_o2c_erp_post_makes_the_export_equal_to_the_cashapp_dev_truth(
    sandbox_erp: SandboxErp, materials_dir: Path, tmp_path: Path
) -> None:
    scenario = materials_dir / "bench" / "cashapp-dev"
    auto, _ = seed_post_export_twice(
        sandbox_erp, scenario, tmp_path, O2C_ERP__SEATS="2", O2C_ERP__KEEP_TRACES="false"
    )
    assert len(auto) == 465


def _posted_count(erp: SandboxErp) -> int:
    import sqlite3

    with sqlite3.connect(erp.db_path) as db:
        return int(db.execute("select count(*) from payments").fetchone()[0])


def test_killed_mid_batch_and_run_again_posts_each_payment_exactly_once(
    sandbox_erp: SandboxErp, tmp_path: Path
) -> None:
    batch = generated_batch(45, seed=5)
    scenario = write_ledger(batch, tmp_path / "scenario")
    sandbox_erp.reset(scenario)
    _, engine = make_store(tmp_path / "o2c.sqlite3")
    with write_transaction(engine) as session:  # the pipeline stored the payments
        for payment in batch.payments:
            upsert_payment(session, payment=payment)
    engine.dispose()
    by_id = {p.payment_id: p for p in batch.payments}
    lines = [decision_line(by_id[pid], t) for pid, t in batch.truth.items()]
    (tmp_path / "decisions.jsonl").write_text("".join(f"{line}\n" for line in lines))
    auto = {json.loads(x)["payment_id"]: json.loads(x) for x in lines
            if json.loads(x)["decision"] == "auto"}
    # A short lease so the rerun takes the dead run's claim over soon.
    env = poster_env(sandbox_erp, tmp_path, O2C_ERP__LEASE_SECONDS="4",
                     O2C_ERP__TIMEOUT_MS="3000")
    command = [O2C, "erp", "post", str(tmp_path / "decisions.jsonl")]

    kills = 0
    for kill_after in (5, 15):
        run = subprocess.Popen(command, env=env, cwd=REPO_ROOT, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while _posted_count(sandbox_erp) < kill_after and run.poll() is None:
            assert time.monotonic() < deadline, "the poster made no progress"
            time.sleep(0.02)
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)  # the poster and its browser, mid-batch
            kills += 1
        run.wait(timeout=30)
    assert kills == 2
    assert 0 < _posted_count(sandbox_erp) < len(auto)

    final = o2c("erp", "post", str(tmp_path / "decisions.jsonl"), env=env, timeout=600)
    assert final.returncode == 0, final.stdout + final.stderr
    assert_export_equals(export_payments(sandbox_erp, env), auto)
