"""The mail rig against real clients: smtplib in, imapclient out, nothing mocked.

One rig serves the session (``mail_rig``); each test gets fresh users (``mailbox``,
``mailbox_factory``).  Tests that start their own rigs check side-by-side use and a
clean stop.
"""

from __future__ import annotations

import json
import os
import selectors
import shutil
import signal
import smtplib
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest
from imapclient import IMAPClient
from imapclient.exceptions import LoginError

from fixtures.mail_rig import Mailbox, MailRig
from fixtures.mail_rig.dovecot import _live_group_members
from fixtures.mail_rig.net import port_is_free
from tests.plugins.mail_rig import MailboxFactory

pytestmark = pytest.mark.integration

REPO_ROOT = Path(__file__).resolve().parents[2]
SENDER = "remittance@customer.test"


@contextmanager
def imap(box: Mailbox) -> Iterator[IMAPClient]:
    with IMAPClient(box.imap_host, port=box.imap_port, ssl=False, timeout=10) as client:
        client.login(box.username, box.password)
        yield client


def send(box: Mailbox, raw: bytes, to: list[str] | None = None) -> dict[str, tuple[int, bytes]]:
    with smtplib.SMTP(box.smtp_host, box.smtp_port, timeout=10) as smtp:
        return smtp.sendmail(SENDER, to or [box.address], raw)


def simple_message(to: str, subject: str = "Payment advice") -> tuple[bytes, str]:
    msg_id = make_msgid(domain="customer.test")
    raw = (
        f"From: {SENDER}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: {msg_id}\r\n\r\n"
        "We paid INV-1001.\r\n"
    ).encode()
    return raw, msg_id


def inbox_uids(client: IMAPClient) -> list[int]:
    client.select_folder("INBOX", readonly=True)
    return sorted(client.search("ALL"))


def remittance_with_attachment(to: str) -> tuple[EmailMessage, bytes]:
    attachment = os.urandom(60_000) + bytes(range(256)) + b"\r\n.\r\n\x00"
    msg = EmailMessage()
    msg["From"] = SENDER
    msg["To"] = to
    msg["Subject"] = "Zahlungsavis März – INV-1001, INV-1002"
    msg["Message-ID"] = make_msgid(domain="customer.test")
    msg["X-Remittance-Ref"] = "RA-2026-0042"
    # A line starting with "." survives SMTP and LMTP dot-stuffing both ways.
    msg.set_content("Please find our remittance attached.\n.leading dot line\n")
    msg.add_attachment(
        attachment, maintype="application", subtype="octet-stream", filename="remit.bin"
    )
    return msg, attachment


def test_fresh_mailbox_is_empty(mailbox: Mailbox) -> None:
    with imap(mailbox) as client:
        assert inbox_uids(client) == []
        assert [name for _, _, name in client.list_folders()] == ["INBOX"]


def test_smtp_mail_lands_in_inbox_byte_identical(mailbox: Mailbox) -> None:
    msg, attachment = remittance_with_attachment(mailbox.address)
    raw = msg.as_bytes(policy=policy.SMTP)

    assert send(mailbox, raw) == {}

    # No polling: the SMTP reply to DATA comes after Dovecot has stored the message.
    with imap(mailbox) as client:
        (uid,) = inbox_uids(client)
        stored = client.fetch([uid], ["BODY.PEEK[]"])[uid][b"BODY[]"]
    # Dovecot prepends trace headers (Return-Path, Delivered-To, Received); the rest
    # is the sent message, byte for byte.
    assert stored.endswith(raw)
    got = message_from_bytes(stored, policy=policy.default)
    assert got["Return-Path"] == f"<{SENDER}>"
    assert got["Delivered-To"] == mailbox.address
    for header in ("From", "To", "Subject", "Message-ID", "X-Remittance-Ref"):
        assert got[header] == msg[header]
    (part,) = list(got.iter_attachments())
    assert part.get_filename() == "remit.bin"
    assert part.get_payload(decode=True) == attachment
    body = got.get_body(("plain",))
    assert body is not None
    assert "\n.leading dot line" in body.get_content()


def test_send_message_to_several_recipients(mailbox_factory: MailboxFactory) -> None:
    first, second = mailbox_factory(), mailbox_factory()
    msg, _ = remittance_with_attachment(first.address)
    msg["Cc"] = second.address
    with smtplib.SMTP(first.smtp_host, first.smtp_port, timeout=10) as smtp:
        assert smtp.send_message(msg) == {}
    for box in (first, second):
        with imap(box) as client:
            assert len(inbox_uids(client)) == 1


def test_unknown_recipient_is_refused_with_550(mailbox: Mailbox) -> None:
    raw, _ = simple_message("nobody-here@example.test")
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send(mailbox, raw, to=["nobody-here@example.test"])
    code, text = refused.value.recipients["nobody-here@example.test"]
    assert code == 550
    assert b"5.1.1" in text

    # Mixed: the known recipient gets it, the unknown one is reported back.
    refusals = send(mailbox, raw, to=[mailbox.address, "nobody-here@example.test"])
    assert refusals["nobody-here@example.test"][0] == 550
    with imap(mailbox) as client:
        assert len(inbox_uids(client)) == 1


def test_smtp_auth_checks_rig_credentials(mailbox: Mailbox) -> None:
    raw, _ = simple_message(mailbox.address)
    with smtplib.SMTP(mailbox.smtp_host, mailbox.smtp_port, timeout=10) as smtp:
        smtp.login(mailbox.username, mailbox.password)
        assert smtp.sendmail(SENDER, [mailbox.address], raw) == {}
    with (
        smtplib.SMTP(mailbox.smtp_host, mailbox.smtp_port, timeout=10) as smtp,
        pytest.raises(smtplib.SMTPAuthenticationError) as denied,
    ):
        smtp.login(mailbox.username, "wrong password")
    assert denied.value.smtp_code == 535


def test_users_do_not_see_each_others_mail(mailbox_factory: MailboxFactory) -> None:
    alice, bob = mailbox_factory(), mailbox_factory()
    raw, msg_id = simple_message(alice.address)
    send(alice, raw)

    with imap(alice) as client:
        (uid,) = inbox_uids(client)
        assert client.search(["HEADER", "Message-ID", msg_id]) == [uid]
    with imap(bob) as client:
        assert inbox_uids(client) == []
    with pytest.raises(LoginError), imap(Mailbox(**{**vars(bob), "password": alice.password})):
        pass


def test_folders_move_and_uids_survive_reset_of_another_user(
    mail_rig: MailRig, mailbox_factory: MailboxFactory
) -> None:
    alice = mailbox_factory(folders=["Processed"])
    bob = mailbox_factory()
    ids = []
    for n in range(3):
        raw, msg_id = simple_message(alice.address, f"advice {n}")
        send(alice, raw)
        ids.append(msg_id)
    send(bob, simple_message(bob.address)[0])

    with imap(alice) as client:
        client.create_folder("Processed/2026")
        folders = {name for _, _, name in client.list_folders()}
        assert {"INBOX", "Processed", "Processed/2026"} <= folders
        inbox = client.select_folder("INBOX")
        assert client.search("ALL") == [1, 2, 3]
        client.move([2], "Processed")
        assert client.search("ALL") == [1, 3]
        processed = client.select_folder("Processed", readonly=True)
        # move() gives no COPYUID through imapclient: find the message by Message-ID.
        (moved_uid,) = client.search(["HEADER", "Message-ID", ids[1]])

    mail_rig.reset(bob.address)

    with imap(bob) as client:
        assert inbox_uids(client) == []
    with imap(alice) as client:
        again = client.select_folder("INBOX", readonly=True)
        assert again[b"UIDVALIDITY"] == inbox[b"UIDVALIDITY"]
        assert client.search("ALL") == [1, 3]
        assert client.search(["HEADER", "Message-ID", ids[2]]) == [3]
        again = client.select_folder("Processed", readonly=True)
        assert again[b"UIDVALIDITY"] == processed[b"UIDVALIDITY"]
        assert client.search(["HEADER", "Message-ID", ids[1]]) == [moved_uid]
    send(alice, simple_message(alice.address, "advice 3")[0])
    with imap(alice) as client:
        assert inbox_uids(client) == [1, 3, 4]  # UIDs continue, never reused


def test_reset_empties_mailbox_and_keeps_login(mail_rig: MailRig, mailbox: Mailbox) -> None:
    mail_rig.deliver(mailbox.address, simple_message(mailbox.address)[0], folder="Archive")
    send(mailbox, simple_message(mailbox.address)[0])

    mail_rig.reset(mailbox.address)

    with imap(mailbox) as client:
        assert inbox_uids(client) == []
        assert [name for _, _, name in client.list_folders()] == ["INBOX"]


def test_deliver_appends_exact_bytes_unseen(mail_rig: MailRig, mailbox: Mailbox) -> None:
    raw, msg_id = simple_message(mailbox.address)

    uid = mail_rig.deliver(mailbox.address, raw)
    more = mail_rig.deliver_many(
        mailbox.address, [simple_message(mailbox.address, f"m{n}")[0] for n in range(3)]
    )
    archived = mail_rig.deliver(mailbox.address, raw, folder="Archive", flags=[r"\Seen"])

    assert more == [uid + 1, uid + 2, uid + 3]
    with imap(mailbox) as client:
        assert inbox_uids(client) == [uid, *more]
        data = client.fetch([uid], ["BODY.PEEK[]", "FLAGS"])[uid]
        assert data[b"BODY[]"] == raw  # APPEND adds no headers
        assert rb"\Seen" not in data[b"FLAGS"]
        client.select_folder("Archive", readonly=True)
        assert rb"\Seen" in client.get_flags([archived])[archived]
        assert client.search(["HEADER", "Message-ID", msg_id]) == [archived]


def test_body_peek_leaves_message_unseen(mailbox: Mailbox) -> None:
    send(mailbox, simple_message(mailbox.address)[0])
    with imap(mailbox) as client:
        client.select_folder("INBOX")
        (uid,) = client.search("UNSEEN")
        client.fetch([uid], ["BODY.PEEK[]"])
        assert client.search("UNSEEN") == [uid]
        client.fetch([uid], ["RFC822"])  # the non-peek fetch marks it read
        assert client.search("UNSEEN") == []


def test_delivery_latency_smtp_to_inbox(mailbox: Mailbox) -> None:
    raw, msg_id = simple_message(mailbox.address)
    with imap(mailbox) as client:
        client.select_folder("INBOX", readonly=True)
        start = time.perf_counter()
        send(mailbox, raw)
        client.noop()  # an open session learns of new mail at its next command
        found = client.search(["HEADER", "Message-ID", msg_id])
        elapsed = time.perf_counter() - start
    assert found
    assert elapsed < 1.0, f"SMTP -> INBOX took {elapsed:.3f} s"


def test_two_rigs_side_by_side_then_stop_cleanly() -> None:
    parent = Path(tempfile.mkdtemp(prefix="o2c-rig-test-", dir="/tmp"))
    parent.chmod(0o755)  # mkdtemp makes it 0700, which Dovecot's mail user cannot enter
    kept_dir = parent / "rig"
    first, second = MailRig(), MailRig(base_dir=kept_dir)
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(MailRig.start, [first, second]))
    try:
        ports = {first.imap_port, first.smtp_port, first.lmtp_port}
        ports |= {second.imap_port, second.smtp_port, second.lmtp_port}
        assert len(ports) == 6
        assert first.base_dir != second.base_dir
        assert first.instance_name != second.instance_name
        assert second.base_dir == kept_dir

        # The same address on both rigs: separate users, separate mail.
        boxes = [rig.add_user("ar", f"secret-{n}") for n, rig in enumerate((first, second))]
        for box in boxes:
            send(box, simple_message(box.address, f"to {box.imap_port}")[0])
        for box in boxes:
            with imap(box) as client:
                (uid,) = inbox_uids(client)
                envelope = client.fetch([uid], ["ENVELOPE"])[uid][b"ENVELOPE"]
                assert envelope.subject == f"to {box.imap_port}".encode()

        # A client still connected must not hold up the stop.
        lingering = IMAPClient(first.imap_host, port=first.imap_port, ssl=False, timeout=10)
        lingering.login(boxes[0].username, boxes[0].password)
        lingering.select_folder("INBOX")
        pids = [first.pid, second.pid]
        names = [first.instance_name, second.instance_name]
        temp_dir = first.base_dir
    finally:
        started = time.perf_counter()
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(MailRig.stop, [first, second]))
        stop_time = time.perf_counter() - started

    lingering.shutdown()
    assert stop_time < 5.0
    assert all(port_is_free(port) for port in ports)
    assert not first.running
    assert not second.running
    for pid in pids:
        assert pid is not None
        assert _live_group_members(pid) == []
    assert not _processes_mentioning(names)
    assert not temp_dir.exists()  # a temp base dir is removed
    assert (kept_dir / "dovecot.log").exists()  # a given base dir is kept
    first.stop()  # idempotent
    shutil.rmtree(parent)


def test_cli_serve_runs_until_sigterm() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli.mail_rig", "serve", "--json", "--user", "ar:secret"],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        details = json.loads(_read_line(proc, timeout=30))
        box = Mailbox(
            address="ar@example.test",
            password="secret",
            imap_host=details["imap_host"],
            imap_port=details["imap_port"],
            smtp_host=details["smtp_host"],
            smtp_port=details["smtp_port"],
        )
        assert details["users"] == [{"address": box.address, "password": "secret"}]
        send(box, simple_message(box.address)[0])
        with imap(box) as client:
            assert len(inbox_uids(client)) == 1
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err.decode()
    assert b"Mail rig stopped." in err
    assert port_is_free(details["imap_port"])
    assert port_is_free(details["smtp_port"])
    assert not Path(details["base_dir"]).exists()


def _read_line(proc: subprocess.Popen[bytes], timeout: float) -> bytes:
    """The first stdout line of ``proc``, failing instead of hanging if it never comes."""
    assert proc.stdout is not None
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        if not sel.select(timeout):
            pytest.fail(f"no output from {proc.args!r} within {timeout} s")
    return proc.stdout.readline()


def _processes_mentioning(words: list[str]) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if any(word in cmdline for word in words):
            found.append(f"{entry.name}: {cmdline}")
    return found
