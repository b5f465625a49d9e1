"""prefect.yaml for real, set up for a team: Prefect server and store on PostgreSQL.

As docs/operations.md says: the store on PostgreSQL, migrated by the operator
(``o2c db upgrade``), a Prefect server with its database on PostgreSQL (own port, own
PREFECT_HOME, scheduler off so the cron schedules do not fire), the work pool and the
``erp-seats`` limit, a worker with its ``O2C_*`` settings.  The test deploys
every deployment of prefect.yaml with ``prefect deploy --all``, starts a worker, and
triggers the cash-application deployment against the demo world (sandbox ERP, Dovecot
mailbox, demo scenario).  Then checks what an operator would: the run completed, the
ERP holds exactly the automatic decisions, the rest is in the review queue, and the run
published its summary and its table.  Run a second time, it posts nothing new.
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

import httpx
import pytest
from sqlalchemy import func, select

from fixtures.demo_env import DemoWorld
from fixtures.mail_rig.net import free_port
from fixtures.postgres_rig import PostgresServer
from shared.store import make_engine, read_transaction
from shared.store.tables import DecisionRow, PostingRow, ReviewItemRow

pytestmark = [pytest.mark.integration, pytest.mark.browser]

REPO = Path(__file__).resolve().parents[2]
PREFECT = str(Path(sys.executable).with_name("prefect"))


class PrefectRig:
    """A Prefect server and a process worker in one temp home, stopped together."""

    def __init__(self, home: Path, env: dict[str, str]) -> None:
        self.home = home
        self.port = free_port()
        self.api = f"http://127.0.0.1:{self.port}/api"
        self.env = {**os.environ, **env, "PREFECT_HOME": str(home),
                    "PREFECT_API_URL": self.api, "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                    "PREFECT_WORKER_QUERY_SECONDS": "1", "O2C_HOME": str(REPO)}
        self.processes: list[subprocess.Popen[bytes]] = []

    def start_server(self) -> None:
        self._spawn("server", [PREFECT, "server", "start", "--host", "127.0.0.1", "--port",
                               str(self.port), "--analytics-off", "--no-scheduler", "--no-ui"])
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.api}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"Prefect server did not start; see {self.home / 'server.log'}")

    def start_worker(self) -> None:
        self._spawn("worker", [PREFECT, "worker", "start", "--pool", "o2c-process"])

    def cli(self, *args: str, timeout: float = 120) -> str:
        done = subprocess.run([PREFECT, *args], cwd=REPO, env=self.env, capture_output=True,
                              text=True, timeout=timeout)
        assert done.returncode == 0, f"prefect {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def _spawn(self, name: str, command: list[str]) -> None:
        log = (self.home / f"{name}.log").open("wb")
        # Own process group: one signal stops the process and its children.
        self.processes.append(subprocess.Popen(command, cwd=REPO, env=self.env, stdout=log,
                                               stderr=subprocess.STDOUT,
                                               start_new_session=True))

    def stop(self) -> None:
        for process in reversed(self.processes):  # the worker before the server
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()


@pytest.fixture
def world(tmp_path: Path) -> Iterator[DemoWorld]:
    with DemoWorld(tmp_path / "world") as started:
        yield started


@pytest.fixture
def store_url(postgres_server: PostgresServer) -> Iterator[str]:
    url = postgres_server.create_database("o2c_deployed")
    subprocess.run([sys.executable, "-m", "cli.app", "db", "upgrade"], cwd=REPO, check=True,
                   env={**os.environ, "O2C_STORE__URL": url}, capture_output=True, timeout=120)
    yield url
    postgres_server.drop_database("o2c_deployed")


@pytest.fixture
def rig(tmp_path: Path, world: DemoWorld, store_url: str,
        postgres_server: PostgresServer) -> Iterator[PrefectRig]:
    home = tmp_path / "prefect"
    home.mkdir()
    prefect_db = postgres_server.create_database("prefect_server").replace(
        "postgresql+psycopg://", "postgresql+asyncpg://")
    settings = {**world.settings_env(tmp_path), "O2C_STORE__URL": store_url,
                "O2C_ERP__SEATS": "2", "PREFECT_API_DATABASE_CONNECTION_URL": prefect_db}
    prefect = PrefectRig(home, settings)
    try:
        prefect.start_server()
        yield prefect
    finally:
        prefect.stop()
        postgres_server.drop_database("prefect_server")


def _run_deployment(rig: PrefectRig, name: str) -> dict[str, object]:
    out = rig.cli("deployment", "run", name, "--watch", "--watch-interval", "1",
                  "--watch-timeout", "600", timeout=660)
    assert "Completed" in out, out
    runs = json.loads(httpx.post(f"{rig.api}/flow_runs/filter", json={
        "sort": "EXPECTED_START_TIME_DESC", "limit": 1}, timeout=10).text)
    return runs[0]


def _posted_in_erp(world: DemoWorld) -> list[dict[str, object]]:
    export = subprocess.run(
        [sys.executable, "-m", "cli.app", "sandbox", "export", "payments", "--format", "jsonl",
         "--db", str(world.workdir / "erp.sqlite3")],
        capture_output=True, text=True, timeout=60, check=True, cwd=REPO)
    return [json.loads(line) for line in export.stdout.splitlines() if line.strip()]


def test_the_cash_application_deployment_runs_on_a_worker(
        rig: PrefectRig, world: DemoWorld, store_url: str) -> None:
    rig.cli("work-pool", "create", "o2c-process", "--type", "process")
    rig.cli("global-concurrency-limit", "create", "erp-seats", "--limit", "2")
    deployed = rig.cli("--no-prompt", "deploy", "--all")
    for deployment in ("cash-application/business-hours", "review-follow-up/every-half-hour",
                       "daily-cash-report/morning"):
        assert deployment in deployed, deployed
    rig.start_worker()

    flow_run = _run_deployment(rig, "cash-application/business-hours")

    engine = make_engine(store_url)
    with read_transaction(engine) as session:
        auto = set(session.scalars(select(DecisionRow.payment_id)
                                   .where(DecisionRow.kind == "auto")))
        reviewed = set(session.scalars(select(DecisionRow.payment_id)
                                       .where(DecisionRow.kind == "review")))
        posted = set(session.scalars(select(PostingRow.payment_id)
                                     .where(PostingRow.state == "posted")))
        open_items = session.scalar(select(func.count()).select_from(ReviewItemRow)
                                    .where(ReviewItemRow.status == "open"))
    assert auto and reviewed, "the demo scenario has both kinds"
    assert posted == auto  # every automatic decision is in the ERP ...
    erp = _posted_in_erp(world)
    assert sorted(p["payment_id"] for p in erp) == sorted(auto)  # ... once, and nothing else
    assert open_items >= len(reviewed)
    engine.dispose()

    artifacts = json.loads(httpx.post(f"{rig.api}/artifacts/filter", json={
        "artifacts": {"flow_run_id": {"any_": [flow_run["id"]]}}}, timeout=10).text)
    by_key = {a["key"]: a for a in artifacts}
    summary = by_key["cash-application"]["data"]
    assert "auto-match rate" in summary and "review backlog" in summary
    assert f"| decided automatically | {len(auto)} |" in summary
    table = by_key["cash-application-table"]["data"]
    rows = json.loads(table) if isinstance(table, str) else table
    outcomes = {row["payment"]: row["outcome"] for row in rows}
    assert {p for p, o in outcomes.items() if o == "posted"} == auto
    assert {p for p, o in outcomes.items() if o == "in review"} == reviewed

    # A second run (the next schedule) reads nothing new and posts nothing twice.
    _run_deployment(rig, "cash-application/business-hours")
    assert sorted(p["payment_id"] for p in _posted_in_erp(world)) == sorted(auto)
