"""ImapMailSource against a real Dovecot (the mail rig): reconnects, UIDVALIDITY, IDLE.

Connections are dropped from the server side, the way an outage drops them: ``doveadm
kick`` (the server says BYE and closes) or SIGKILL of the user's imap process (the
socket just closes).  Nothing stands in for IMAP.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import signal
import smtplib
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email.utils import make_msgid
from pathlib import Path

import pytest
from imapclient import IMAPClient

from fixtures.mail_rig import Mailbox, MailRig
from fixtures.mail_rig.net import free_port
from shared.errors import ConfigurationError, ExternalServiceError, is_retryable
from shared.mail.sources import (
    FolderMailSource,
    ImapMailSource,
    NewMailWaiter,
    Reconnect,
    mail_source_from_settings,
)
from shared.settings import ImapSettings

pytestmark = pytest.mark.integration

# Reconnect at once in tests; the pauses themselves are checked on the policy.
FAST = Reconnect(attempts=4, first_delay=0.01, factor=2.0, max_delay=0.05)


# ----------------------------------------------------------------- helpers


def doveadm(rig: MailRig, *args: str) -> str:
    binary = shutil.which("doveadm") or "/usr/bin/doveadm"
    conf = rig.base_dir / "dovecot.conf"
    done = subprocess.run(
        [binary, "-c", str(conf), *args], capture_output=True, text=True, timeout=10, check=True
    )
    return done.stdout


def kick(rig: MailRig, box: Mailbox) -> None:
    """The server says BYE to every session of ``box`` and closes it."""
    doveadm(rig, "kick", box.address)


def kill_sessions(rig: MailRig, box: Mailbox) -> int:
    """SIGKILL the server's imap processes of ``box``: its clients see the socket close."""
    out = doveadm(rig, "who", "-1", box.address)
    pids = [int(pid) for pid in re.findall(rf"^{re.escape(box.address)}\s+imap\s+(\d+)", out, re.M)]
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    return len(pids)


DROPS: dict[str, Callable[[MailRig, Mailbox], object]] = {
    "kick": kick,
    "kill": kill_sessions,
}


def message(to: str, n: int) -> bytes:
    return (
        f"From: ap@customer.test\r\nTo: {to}\r\nSubject: Remittance advice {n}\r\n"
        f"Message-ID: {make_msgid(f'n{n}', domain='customer.test')}\r\n\r\n"
        f"Remittance advice\r\nINV-2026-{n:06d}    1,234.56\r\n"
    ).encode()


def send(box: Mailbox, raw: bytes) -> None:
    with smtplib.SMTP(box.smtp_host, box.smtp_port, timeout=10) as smtp:
        smtp.sendmail("ap@customer.test", [box.address], raw)


@contextmanager
def imap(box: Mailbox) -> Iterator[IMAPClient]:
    with IMAPClient(box.imap_host, port=box.imap_port, ssl=False, timeout=10) as client:
        client.login(box.username, box.password)
        yield client


def folder_bodies(box: Mailbox, folder: str) -> list[bytes]:
    with imap(box) as client:
        client.select_folder(folder, readonly=True)
        uids = client.search("ALL")
        data = client.fetch(uids, ["BODY.PEEK[]"]) if uids else {}
        return [data[uid][b"BODY[]"] for uid in sorted(uids)]


def open_source(
    box: Mailbox, *, use_idle: bool = True, poll_interval: float = 5.0
) -> ImapMailSource:
    return ImapMailSource(
        box.imap_host, box.imap_port, box.username, box.password,
        reconnect=FAST, use_idle=use_idle, poll_interval=poll_interval,
    )  # fmt: skip


def later(delay: float, action: Callable[[], object]) -> threading.Timer:
    timer = threading.Timer(delay, action)
    timer.start()
    return timer


# ----------------------------------------------------------------- reading and filing


def test_reads_unseen_and_files_into_folders_it_creates(
    mail_rig: MailRig, mailbox: Mailbox
) -> None:
    raws = [message(mailbox.address, n) for n in range(3)]
    uids = mail_rig.deliver_many(mailbox.address, raws)

    with open_source(mailbox) as source:
        got = list(source.fetch_new())
        assert [m.raw for m in got] == raws
        assert [m.key for m in got] == [f"{source.uidvalidity}:{uid}" for uid in uids]
        where = f"imap://{mailbox.address}@{mailbox.imap_host}:{mailbox.imap_port}/INBOX"
        assert {m.source for m in got} == {where}
        with imap(mailbox) as client:
            assert {"Processed", "Failed"} <= {name for *_, name in client.list_folders()}
            client.select_folder("INBOX", readonly=True)
            assert sorted(client.search("UNSEEN")) == uids  # BODY.PEEK leaves them unseen

        source.mark_processed(got[0])
        source.mark_processed(got[1], failed=True)
        source.mark_processed(got[0])  # again (a crash after the MOVE): a no-op
        assert [m.raw for m in source.fetch_new()] == [raws[2]]

    assert folder_bodies(mailbox, "INBOX") == [raws[2]]
    assert folder_bodies(mailbox, "Processed") == [raws[0]]
    assert folder_bodies(mailbox, "Failed") == [raws[1]]


def test_folders_named_in_settings_are_used(mail_rig: MailRig, mailbox: Mailbox) -> None:
    settings = ImapSettings(
        adapter="imap", host=mailbox.imap_host, port=mailbox.imap_port, use_ssl=False,
        username=mailbox.username, password=mailbox.password,
        processed_folder="Done/Remittances", failed_folder="Done/Unreadable",
    )  # fmt: skip
    raw = message(mailbox.address, 1)
    mail_rig.deliver(mailbox.address, raw)

    source = mail_source_from_settings(settings)
    assert isinstance(source, ImapMailSource)
    with source:
        (got,) = source.fetch_new()
        source.mark_processed(got, failed=True)

    assert folder_bodies(mailbox, "Done/Unreadable") == [raw]
    assert folder_bodies(mailbox, "Done/Remittances") == []


def test_settings_choose_the_adapter(tmp_path: Path) -> None:
    folder = mail_source_from_settings(ImapSettings(adapter="folder", drop_folder=tmp_path))
    assert isinstance(folder, FolderMailSource)
    assert not isinstance(folder, NewMailWaiter)  # IDLE is optional: folders have none
    with pytest.raises(ConfigurationError, match="O2C_IMAP__PASSWORD"):
        mail_source_from_settings(ImapSettings(adapter="imap"))


# ----------------------------------------------------------------- dropped connections


@pytest.mark.parametrize("drop", sorted(DROPS))
def test_pass_survives_dropped_connections(
    mail_rig: MailRig, mailbox: Mailbox, drop: str, caplog: pytest.LogCaptureFixture
) -> None:
    raws = [message(mailbox.address, n) for n in range(5)]
    mail_rig.deliver_many(mailbox.address, raws)
    caplog.set_level(logging.INFO, logger="shared.mail.sources")

    with open_source(mailbox) as source:
        messages = source.fetch_new()
        seen = [next(messages)]
        source.mark_processed(seen[0])
        DROPS[drop](mail_rig, mailbox)  # dropped between two fetches
        seen.append(next(messages))
        DROPS[drop](mail_rig, mailbox)  # dropped between a fetch and its MOVE
        source.mark_processed(seen[1])
        for got in messages:
            seen.append(got)
            source.mark_processed(got)
        reconnects = source.reconnects

    assert [m.raw for m in seen] == raws
    assert len({m.key for m in seen}) == 5
    assert reconnects == 2
    assert folder_bodies(mailbox, "INBOX") == []
    assert folder_bodies(mailbox, "Processed") == raws
    assert sum("reconnecting" in r.getMessage() for r in caplog.records) == 2


def test_refused_login_is_a_configuration_error_at_once(mailbox: Mailbox) -> None:
    started = time.monotonic()
    with pytest.raises(ConfigurationError, match="login refused") as refused:
        ImapMailSource(
            mailbox.imap_host, mailbox.imap_port, mailbox.username, "wrong password",
            reconnect=Reconnect(attempts=5, first_delay=1.0),
        )  # fmt: skip
    assert time.monotonic() - started < 1.0  # not retried
    assert not is_retryable(refused.value)
    assert "wrong password" not in str(refused.value)


def test_gives_up_with_external_service_error_after_the_attempts(
    caplog: pytest.LogCaptureFixture,
) -> None:
    port = free_port()  # nothing listens there
    policy = Reconnect(attempts=3, first_delay=0.1, factor=2.0)
    started = time.monotonic()
    with pytest.raises(ExternalServiceError) as failed:
        ImapMailSource("127.0.0.1", port, "ar@example.test", "secret", reconnect=policy)
    elapsed = time.monotonic() - started

    assert failed.value.service == "imap"
    assert is_retryable(failed.value)  # an orchestrator may run the step again later
    assert "failed 3 times" in str(failed.value)
    assert isinstance(failed.value.__cause__, ConnectionRefusedError)
    assert 0.3 <= elapsed < 2.0  # paused 0.1 s, then 0.2 s
    assert sum("reconnecting" in r.getMessage() for r in caplog.records) == 2


def test_server_gone_for_good_ends_the_pass_with_an_application_error() -> None:
    with MailRig() as rig:
        box = rig.add_user("ar", "secret")
        rig.deliver_many(box.address, [message(box.address, n) for n in range(2)])
        source = open_source(box)
        messages = source.fetch_new()
        next(messages)
        rig.stop()
        with pytest.raises(ExternalServiceError, match="fetch on imap://"):
            next(messages)
        source.close()


def test_reconnect_pauses_grow_to_a_cap() -> None:
    policy = Reconnect(attempts=8, first_delay=0.25, factor=2.0, max_delay=3.0)
    assert [policy.delay(n) for n in range(1, 7)] == [0.25, 0.5, 1.0, 2.0, 3.0, 3.0]
    for bad in ({"attempts": 0}, {"first_delay": -1.0}, {"factor": 0.5}):
        with pytest.raises(ValueError, match="unusable reconnect policy"):
            Reconnect(**bad)


# ----------------------------------------------------------------- UIDVALIDITY


def test_uidvalidity_change_starts_a_new_generation(
    mail_rig: MailRig, mailbox: Mailbox, caplog: pytest.LogCaptureFixture
) -> None:
    first, second, newcomer = (message(mailbox.address, n) for n in range(3))
    mail_rig.deliver_many(mailbox.address, [first, second])

    source = open_source(mailbox)
    old_validity = source.uidvalidity
    messages = source.fetch_new()
    held = next(messages)  # uid 1 of the old generation, not yet filed
    assert held.raw == first

    # The mailbox is recreated (new UIDVALIDITY) while the reader holds a message: uid 1
    # now names another message, and the held one comes back as uid 2.
    kick(mail_rig, mailbox)
    mail_rig.reset(mailbox.address)
    mail_rig.deliver_many(mailbox.address, [newcomer, first])
    # Dovecot takes a new UIDVALIDITY from the clock's seconds: force a change.
    assert old_validity is not None
    doveadm(mail_rig, "mailbox", "update", "-u", mailbox.address,
            "--uid-validity", str(old_validity + 1), "INBOX")  # fmt: skip

    source.mark_processed(held)
    assert source.uidvalidity != old_validity
    assert folder_bodies(mailbox, "Processed") == [first]  # found again, not uid 1

    rest = list(messages)  # the pass starts again under the new UIDVALIDITY
    assert [m.raw for m in rest] == [newcomer]
    assert rest[0].key == f"{source.uidvalidity}:1"
    source.close()
    assert any("UIDVALIDITY changed" in r.getMessage() for r in caplog.records)


# ----------------------------------------------------------------- waiting for mail


@pytest.mark.parametrize("use_idle", [True, False], ids=["idle", "polling"])
def test_wait_for_new_wakes_on_delivery(mailbox: Mailbox, use_idle: bool) -> None:
    with open_source(mailbox, use_idle=use_idle, poll_interval=0.2) as source:
        assert list(source.fetch_new()) == []
        raw = message(mailbox.address, 1)
        timer = later(0.3, lambda: send(mailbox, raw))
        started = time.monotonic()
        assert source.wait_for_new(20.0) is True
        woke = time.monotonic() - started
        timer.join()
        (got,) = source.fetch_new()
    assert got.raw.endswith(raw)  # SMTP delivery prepends trace headers
    assert 0.3 <= woke < 5.0


def test_wait_for_new_sees_mail_that_came_before_waiting(
    mail_rig: MailRig, mailbox: Mailbox
) -> None:
    with open_source(mailbox) as source:
        assert list(source.fetch_new()) == []
        mail_rig.deliver(mailbox.address, message(mailbox.address, 1))
        started = time.monotonic()
        assert source.wait_for_new(20.0) is True
        assert time.monotonic() - started < 1.0


def test_wait_for_new_times_out_or_stops(mailbox: Mailbox) -> None:
    with open_source(mailbox) as source:
        started = time.monotonic()
        assert source.wait_for_new(0.6) is False
        assert 0.6 <= time.monotonic() - started < 2.0

        stop = threading.Event()
        later(0.2, stop.set)
        started = time.monotonic()
        assert source.wait_for_new(30.0, stop=stop) is False
        assert time.monotonic() - started < 1.5


@pytest.mark.parametrize("drop", sorted(DROPS))
def test_wait_for_new_survives_a_dropped_connection(
    mail_rig: MailRig, mailbox: Mailbox, drop: str
) -> None:
    with open_source(mailbox) as source:
        assert list(source.fetch_new()) == []
        dropped = later(0.3, lambda: DROPS[drop](mail_rig, mailbox))
        delivered = later(
            0.8, lambda: mail_rig.deliver(mailbox.address, message(mailbox.address, 1))
        )
        assert source.wait_for_new(20.0) is True
        dropped.join()
        delivered.join()
        assert source.reconnects == 1
        assert len(list(source.fetch_new())) == 1
