"""``o2c review ...`` as a script would use it: real processes on a real SQLite store."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]


def o2c(*args: str, stdin: str | None = None, ok: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "cli.app", "review", *args], cwd=REPO,
                          input=stdin, capture_output=True, text=True, timeout=120)
    if ok:
        assert done.returncode == 0, done.stdout + done.stderr
    return done


def test_the_queue_from_a_terminal(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    o2c("sample", "--url", url)
    o2c("user", "add", "dana", "--role", "handler", "--name", "Dana", "--password-stdin",
        "--url", url, stdin="dana-secret-42\n")
    short = o2c("user", "add", "erin", "--password-stdin", "--url", url, stdin="short\n",
                ok=False)
    assert short.returncode == 1 and "at least 10 characters" in short.stdout

    items = json.loads(o2c("list", "--json", "--kind", "unmatched_payment", "--url", url).stdout)
    assert [i["payment_id"] for i in items][:1] == ["FT2603020004"]  # most overdue first
    matched = next(i for i in items if i["payment_id"] == "FT2603020001")
    assert (matched["amount"], matched["customer_id"], matched["breached"]) == (
        "14858.22", "C00002", True)

    stale = o2c("accept", str(matched["item_id"]), "--as", "dana", "--version", "7",
                "--url", url, ok=False)
    assert stale.returncode == 1 and "nothing saved" in stale.stdout
    done = o2c("accept", str(matched["item_id"]), "--as", "dana", "--rank", "1",
               "--version", str(matched["version"]), "--url", url)
    assert "queued for posting" in done.stdout
    viewer = o2c("claim", str(items[0]["item_id"]), "--as", "victor", "--url", url, ok=False)
    assert "viewer" in viewer.stdout

    shown = json.loads(o2c("show", str(matched["item_id"]), "--json", "--url", url).stdout)
    assert shown["status"] == "resolved" and shown["history"][-1]["actor"] == "dana"
    metrics = json.loads(o2c("metrics", "--json", "--url", url).stdout)
    assert metrics["open_total"] == 8 and metrics["throughput"] == {
        "dana": {"day": 1, "window": 1}}
