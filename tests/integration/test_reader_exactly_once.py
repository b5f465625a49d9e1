"""``o2c mail ingest`` as a process against a real Dovecot: each mail read exactly once.

The reader is killed (SIGKILL) mid-batch and started again until it finishes; its IMAP
connection is dropped by the server mid-batch; it is stopped with SIGTERM; it waits
with IDLE.  Every run ends in the same store and mailbox as one uninterrupted run of
the same batch (the ``reference``): one final row per mail, no remittance or review item
twice, every mail moved once.  The kills are timed by polling the store, not by sleeps
in the product.
"""

from __future__ import annotations

import email
import itertools
import os
import random
import re
import secrets
import shutil
import signal
import smtplib
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path

import pytest
from imapclient import IMAPClient
from sqlalchemy import func, select

from fixtures.mail_rig import Mailbox, MailRig
from fixtures.mail_rig.net import free_port
from shared.store import make_engine, read_transaction
from shared.store.migrate import upgrade
from shared.store.tables import MailMessageRow, RemittanceLineRow, RemittanceRow, ReviewItemRow

pytestmark = pytest.mark.integration

BATCH = 240  # ~6 ms a mail: the kill windows last a second or more
SENDER = "ap@customer.test"
_runs = itertools.count(1)


# ----------------------------------------------------------------- the batch


def _amount(value: Decimal) -> str:
    return f"{value:,.2f}"


def batch_mail(n: int, to: str, token: str) -> bytes:
    """Mail number ``n``: mostly remittances, some that do not add up, disputes, other."""
    rng = random.Random(n)
    msg = EmailMessage()
    msg["From"] = SENDER
    msg["To"] = to
    msg["Message-ID"] = f"<batch-{n}-{token}@customer.test>"
    docs = [f"INV-2026-{rng.randrange(100, 999_999):06d}" for _ in range(rng.randint(1, 3))]
    paid = [Decimal(rng.randrange(1_000, 900_000)) / 100 for _ in docs]
    kind = ("remittance", "remittance", "remittance", "remittance", "mismatch",
            "dispute", "dispute", "other", "remittance", "remittance")[n % 10]  # fmt: skip
    if kind in ("remittance", "mismatch"):
        total = sum(paid, Decimal("0.00")) + (Decimal("10.00") if kind == "mismatch" else 0)
        msg["Subject"] = f"Remittance advice {n}"
        lines = "\n".join(f"{doc}    {_amount(p)}" for doc, p in zip(docs, paid, strict=True))
        head = "Remittance advice\n\nInvoice            Paid\n"
        msg.set_content(f"{head}{lines}\n\nTotal paid: {_amount(total)}\n")
    elif kind == "dispute":
        msg["Subject"] = f"Invoice {docs[0]} disputed"
        msg.set_content(f"We dispute invoice {docs[0]}: the goods arrived damaged.\n")
    else:
        msg["Subject"] = "Statement request"
        msg.set_content("Could you send us a statement of account for last quarter?\n")
    return msg.as_bytes()


@pytest.fixture(scope="module")
def batch() -> list[bytes]:
    token = secrets.token_hex(4)
    return [batch_mail(n, "ar@example.test", token) for n in range(BATCH)]


# ----------------------------------------------------------------- running ingest


@dataclass
class Setup:
    box: Mailbox
    db: Path
    env: dict[str, str]
    workdir: Path

    @property
    def url(self) -> str:
        return f"sqlite:///{self.db}"


def make_setup(box: Mailbox, workdir: Path) -> Setup:
    workdir.mkdir(parents=True, exist_ok=True)
    db = workdir / "store.sqlite3"
    env = {k: v for k, v in os.environ.items() if not k.startswith("O2C_")}
    env.update(
        O2C_IMAP__ADAPTER="imap",
        O2C_IMAP__HOST=box.imap_host,
        O2C_IMAP__PORT=str(box.imap_port),
        O2C_IMAP__USE_SSL="false",
        O2C_IMAP__USERNAME=box.username,
        O2C_IMAP__PASSWORD=box.password,
        O2C_STORE__URL=f"sqlite:///{db}",
    )
    setup = Setup(box, db, env, workdir)
    upgrade(setup.url)
    return setup


class Ingest:
    """One ``o2c mail ingest`` process; its output goes to files (a pipe could fill up)."""

    def __init__(self, setup: Setup, *args: str) -> None:
        run = next(_runs)
        self.out_path = setup.workdir / f"ingest-{run}.out"
        self.err_path = setup.workdir / f"ingest-{run}.err"
        with self.out_path.open("wb") as out, self.err_path.open("wb") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "cli.app", "mail", "ingest", *args],
                cwd=setup.workdir,  # no stray .env
                env=setup.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
            )

    @property
    def stdout(self) -> str:
        return self.out_path.read_text()

    @property
    def stderr(self) -> str:
        return self.err_path.read_text()

    def wait(self, timeout: float = 60.0) -> int:
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            pytest.fail(f"ingest did not end within {timeout} s:\n{self.stderr[-3000:]}")

    def wait_until(self, condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if self.proc.poll() is not None:
                pytest.fail(f"ingest exited ({self.proc.returncode}) before {what}:\n"
                            f"{self.stderr[-3000:]}")  # fmt: skip
            if time.monotonic() > deadline:
                pytest.fail(f"no {what} within {timeout} s:\n{self.stderr[-3000:]}")
            time.sleep(0.005)


def run_to_end(setup: Setup, *args: str) -> Ingest:
    ingest = Ingest(setup, "--once", *args)
    code = ingest.wait()
    assert code == 0, ingest.stderr[-3000:]
    return ingest


@contextmanager
def running(setup: Setup, *args: str) -> Iterator[Ingest]:
    ingest = Ingest(setup, *args)
    try:
        yield ingest
    finally:
        if ingest.proc.poll() is None:
            ingest.proc.kill()
            ingest.proc.wait()


# ----------------------------------------------------------------- looking at the results


class Progress:
    """Rows of the mail table, read while ingest writes (WAL: readers never block)."""

    def __init__(self, db: Path) -> None:
        self._db = sqlite3.connect(db, isolation_level=None)

    def counts(self) -> tuple[int, int]:
        """(recorded, final): final rows are those whose results are committed."""
        total, final = self._db.execute(
            "SELECT count(*), coalesce(sum(status != 'received'), 0) FROM mail_messages"
        ).fetchone()
        return int(total), int(final)

    def final(self) -> int:
        return self.counts()[1]

    def reached(self, final: int) -> Callable[[], bool]:
        return lambda: self.final() >= final

    def close(self) -> None:
        self._db.close()


@contextmanager
def imap(box: Mailbox) -> Iterator[IMAPClient]:
    with IMAPClient(box.imap_host, port=box.imap_port, ssl=False, timeout=10) as client:
        client.login(box.username, box.password)
        yield client


def message_ids(box: Mailbox, folder: str) -> list[str]:
    with imap(box) as client:
        if not client.folder_exists(folder):
            return []
        client.select_folder(folder, readonly=True)
        uids = client.search("ALL")
        if not uids:
            return []
        data = client.fetch(uids, ["BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"])
    return [
        str(email.message_from_bytes(item[b"BODY[HEADER.FIELDS (MESSAGE-ID)]"])["Message-ID"])
        for item in data.values()
    ]


@dataclass(frozen=True)
class Outcome:
    """What a finished run left behind, keyed so that two mailboxes compare."""

    statuses: dict[int, str]  # uid -> status of its one row
    remittances: list[str]  # remittance ids, sorted, with repeats if any
    remittance_lines: int | None
    review_items: list[tuple[str, str]]  # (kind, key with the mailbox part cut off)
    folders: dict[str, str]  # Message-ID -> the folder it ended in


def outcome(setup: Setup, size: int) -> Outcome:
    """Check the exactly-once invariants of a finished run and return what it left."""
    engine = make_engine(setup.url)
    try:
        with read_transaction(engine) as session:
            m = MailMessageRow
            mails = session.execute(select(m.source, m.uidvalidity, m.uid, m.status)).all()
            remittances = list(session.scalars(select(RemittanceRow.remittance_id)))
            lines = session.scalar(select(func.count()).select_from(RemittanceLineRow))
            reviews = [
                (kind, key or "")
                for kind, key in session.execute(select(ReviewItemRow.kind, ReviewItemRow.key))
            ]
    finally:
        engine.dispose()
    uids = [m.uid for m in mails]
    assert len(mails) == size, "one row per mail"
    assert len(set(uids)) == size, "no mail recorded twice"
    assert len({(m.source, m.uidvalidity) for m in mails}) == 1
    assert all(m.status != "received" for m in mails), "every mail has a final status"
    assert len(set(remittances)) == len(remittances)
    assert len({key for _, key in reviews}) == len(reviews)

    placed = {folder: message_ids(setup.box, folder) for folder in ("INBOX", "Processed", "Failed")}
    assert placed["INBOX"] == [], "every mail was moved"
    everywhere = placed["Processed"] + placed["Failed"]
    assert len(everywhere) == size, "moved once each"
    assert len(set(everywhere)) == size, "no Message-ID twice"
    return Outcome(
        statuses={m.uid: m.status for m in mails},
        remittances=sorted(remittances),
        remittance_lines=lines,
        review_items=sorted(
            (kind, re.sub(r"^mail:.*:(\d+)$", r"mail:\1", key)) for kind, key in reviews
        ),
        folders={mid: folder for folder, ids in placed.items() for mid in ids},
    )


def moved(box: Mailbox, size: int) -> int:
    return size - len(message_ids(box, "INBOX"))


@pytest.fixture(scope="module")
def reference(
    mail_rig: MailRig, batch: list[bytes], tmp_path_factory: pytest.TempPathFactory
) -> Outcome:
    """The batch read by one uninterrupted run."""
    box = mail_rig.add_user(f"reference-{secrets.token_hex(3)}")
    mail_rig.deliver_many(box.address, batch)
    setup = make_setup(box, tmp_path_factory.mktemp("reference"))
    ingest = run_to_end(setup)
    assert f"mails read: {len(batch)} " in ingest.stdout
    result = outcome(setup, len(batch))
    # The batch exercises every path: remittances, review items, both folders.
    assert result.remittances and result.review_items
    assert Counter(result.statuses.values())["processed"] > 0
    return result


@pytest.fixture
def loaded(mail_rig: MailRig, mailbox: Mailbox, batch: list[bytes], tmp_path: Path) -> Setup:
    mail_rig.deliver_many(mailbox.address, batch)
    return make_setup(mailbox, tmp_path)


# ----------------------------------------------------------------- the tests


def test_sigkill_mid_batch_then_resume_reads_each_mail_exactly_once(
    loaded: Setup, reference: Outcome
) -> None:
    progress = Progress(loaded.db)
    final_at_kill = 0
    for threshold in (BATCH // 4, BATCH // 2, 3 * BATCH // 4):  # killed thrice, then to the end
        with running(loaded, "--once") as ingest:
            ingest.wait_until(progress.reached(threshold), f"{threshold} mails")
            ingest.proc.send_signal(signal.SIGKILL)
            assert ingest.wait() == -signal.SIGKILL
        recorded, final_at_kill = progress.counts()
        assert threshold <= final_at_kill < BATCH, "killed mid-batch"
        # Recorded before reading, committed with the results, moved after the commit:
        # at most the message in hand is recorded but unfinished, or finished but unmoved.
        assert recorded - final_at_kill <= 1
        assert final_at_kill - 1 <= moved(loaded.box, BATCH) <= final_at_kill

    last = run_to_end(loaded)
    progress.close()

    # The resumed run read only what the killed runs had not finished.
    assert f"mails read: {BATCH - final_at_kill} " in last.stdout
    assert outcome(loaded, BATCH) == reference


def drop_by_kick(rig: MailRig, box: Mailbox) -> None:
    _doveadm(rig, "kick", box.address)


def drop_by_kill(rig: MailRig, box: Mailbox) -> None:
    out = _doveadm(rig, "who", "-1", box.address)
    pids = re.findall(rf"^{re.escape(box.address)}\s+imap\s+(\d+)", out, re.M)
    assert pids, f"no imap session of {box.address} to kill"
    for pid in pids:
        os.kill(int(pid), signal.SIGKILL)


def _doveadm(rig: MailRig, *args: str) -> str:
    binary = shutil.which("doveadm") or "/usr/bin/doveadm"
    command = [binary, "-c", str(rig.base_dir / "dovecot.conf"), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=10, check=True).stdout


def test_connection_dropped_mid_batch_reconnects_and_completes(
    mail_rig: MailRig, loaded: Setup, reference: Outcome
) -> None:
    progress = Progress(loaded.db)
    drops = [(BATCH // 4, drop_by_kick), (BATCH // 2, drop_by_kill), (3 * BATCH // 4, drop_by_kick)]
    with running(loaded, "--once") as ingest:
        for threshold, drop in drops:
            ingest.wait_until(progress.reached(threshold), f"{threshold} mails")
            assert progress.final() < BATCH, "dropped mid-batch"
            drop(mail_rig, loaded.box)
        assert ingest.wait() == 0, ingest.stderr[-3000:]
    progress.close()

    assert f"mails read: {BATCH} " in ingest.stdout
    assert ingest.stderr.count("reconnecting in") >= len(drops)
    assert outcome(loaded, BATCH) == reference


def test_sigterm_stops_after_the_message_in_hand(loaded: Setup, reference: Outcome) -> None:
    progress = Progress(loaded.db)
    with running(loaded, "--once") as ingest:
        ingest.wait_until(progress.reached(BATCH // 3), f"{BATCH // 3} mails")
        ingest.proc.send_signal(signal.SIGTERM)
        assert ingest.wait(timeout=15) == 0, ingest.stderr[-3000:]
    recorded, final = progress.counts()
    assert BATCH // 3 <= final < BATCH, "stopped mid-batch"
    assert recorded == final, "nothing left half-done"
    assert moved(loaded.box, BATCH) == final, "everything finished was filed"
    assert "(stopped)" in ingest.stdout

    run_to_end(loaded)
    progress.close()
    assert outcome(loaded, BATCH) == reference


def test_watch_reads_new_mail_with_idle_and_exits_on_sigterm(
    mail_rig: MailRig, mailbox: Mailbox, batch: list[bytes], tmp_path: Path
) -> None:
    mail_rig.deliver_many(mailbox.address, batch[:3])
    setup = make_setup(mailbox, tmp_path)
    progress = Progress(setup.db)
    with running(setup, "--watch", "--wait-seconds", "120") as ingest:
        ingest.wait_until(lambda: "waiting for new mail" in ingest.stderr, "wait for mail")
        assert progress.counts() == (3, 3)

        with smtplib.SMTP(mailbox.smtp_host, mailbox.smtp_port, timeout=10) as smtp:
            smtp.sendmail(SENDER, [mailbox.address], batch[3])
        sent = time.monotonic()
        ingest.wait_until(lambda: progress.final() == 4, "the new mail read")
        latency = time.monotonic() - sent
        ingest.wait_until(lambda: ingest.stderr.count("waiting for new mail") == 2, "next wait")

        ingest.proc.send_signal(signal.SIGTERM)
        assert ingest.wait(timeout=10) == 0, ingest.stderr[-3000:]
    progress.close()

    assert latency < 5.0, f"new mail read {latency:.2f} s after it was sent"
    assert "mails read: 4 " in ingest.stdout
    assert message_ids(mailbox, "INBOX") == []
    assert len(message_ids(mailbox, "Processed") + message_ids(mailbox, "Failed")) == 4


@pytest.mark.parametrize("fault", ["unmigrated store", "wrong password", "server unreachable"])
def test_exit_status_says_what_to_do(mailbox: Mailbox, tmp_path: Path, fault: str) -> None:
    setup = make_setup(mailbox, tmp_path / "run")
    if fault == "unmigrated store":
        setup.env["O2C_STORE__URL"] = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    elif fault == "wrong password":
        setup.env["O2C_IMAP__PASSWORD"] = "not-the-password"
    else:
        setup.env["O2C_IMAP__PORT"] = str(free_port())  # nothing listens there
    ingest = Ingest(setup, "--once", "--reconnect-attempts", "2")
    code = ingest.wait()
    expected = {
        "unmigrated store": (2, "run o2c db upgrade"),
        "wrong password": (2, "login refused"),
        "server unreachable": (1, "run again to resume"),
    }[fault]
    assert (code, expected[1] in ingest.stderr) == (expected[0], True), ingest.stderr[-2000:]
    assert "not-the-password" not in ingest.stderr
