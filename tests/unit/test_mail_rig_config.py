"""The mail rig's config rendering, user and path rules, and small helpers (no servers)."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import cast

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session
from typer.testing import CliRunner

import fixtures.mail_rig
from cli.mail_rig import app
from fixtures.mail_rig.config import (
    Accounts,
    DovecotConfig,
    check_base_dir,
    check_password,
    new_instance_name,
    normalise_user,
    passwd_entry,
    render_config,
)
from fixtures.mail_rig.errors import InvalidUserError, UnsafeBaseDirError
from fixtures.mail_rig.net import free_port, port_is_free
from fixtures.mail_rig.smtp import LmtpRelay

PRIVILEGED = Accounts(
    mail_user="nobody",
    mail_group="nogroup",
    mail_uid=65534,
    mail_gid=65534,
    internal_user="dovecot",
    internal_group="dovecot",
    login_user="dovenull",
    privileged=True,
)
UNPRIVILEGED = Accounts(
    mail_user="ci",
    mail_group="ci",
    mail_uid=1000,
    mail_gid=1000,
    internal_user="ci",
    internal_group="ci",
    login_user="ci",
    privileged=False,
)


def make_config(root: Path = Path("/tmp/rig"), accounts: Accounts = PRIVILEGED) -> DovecotConfig:
    return DovecotConfig(
        root=root,
        imap_port=14143,
        lmtp_port=14024,
        instance_name="dovecot-o2c-test",
        accounts=accounts,
    )


@pytest.fixture
def open_dir() -> Iterator[Path]:
    """A world-enterable temp dir (mkdtemp alone makes a 0700 one)."""
    path = Path(tempfile.mkdtemp(prefix="o2c-unit-", dir="/tmp"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path)


def settings(text: str) -> dict[str, str]:
    """Top-level ``key = value`` lines of a rendered config."""
    found = {}
    for line in text.splitlines():
        if " = " in line and not line.startswith((" ", "#")):
            key, value = line.split(" = ", 1)
            found[key] = value
    return found


def test_public_api_is_pinned() -> None:
    assert sorted(fixtures.mail_rig.__all__) == [
        "DEFAULT_DOMAIN",
        "DovecotNotFoundError",
        "InvalidUserError",
        "MailRig",
        "MailRigError",
        "Mailbox",
        "RigStartError",
        "UnknownUserError",
        "UnsafeBaseDirError",
    ]


def test_config_listens_on_loopback_ports_and_keeps_files_under_root() -> None:
    text = render_config(make_config())
    top = settings(text)
    assert top["listen"] == "127.0.0.1"
    assert top["protocols"] == "imap lmtp"
    assert top["base_dir"] == "/tmp/rig/run"
    assert top["state_dir"] == "/tmp/rig/state"
    assert top["log_path"] == "/tmp/rig/dovecot.log"
    assert top["instance_name"] == "dovecot-o2c-test"
    assert top["mail_location"] == "maildir:/tmp/rig/mail/%u/Maildir"
    assert top["ssl"] == "no"
    assert "port = 14143" in text
    assert "port = 14024" in text
    assert text.count("address = 127.0.0.1") == 2
    assert "port = 0" in text  # imaps disabled
    assert "/etc/dovecot" not in text and "!include" not in text


def test_config_drops_privileges_to_nobody_when_root() -> None:
    top = settings(render_config(make_config(accounts=PRIVILEGED)))
    assert (top["mail_uid"], top["mail_gid"]) == ("nobody", "nogroup")
    assert top["first_valid_uid"] == "65534"
    assert top["default_internal_user"] == "dovecot"
    assert top["default_login_user"] == "dovenull"


def test_config_runs_everything_as_oneself_when_unprivileged() -> None:
    text = render_config(make_config(accounts=UNPRIVILEGED))
    top = settings(text)
    assert {top[k] for k in ("mail_uid", "default_internal_user", "default_login_user")} == {"ci"}
    assert "service auth-worker {\n  user = $default_internal_user" in text
    assert "service auth-worker" not in render_config(make_config(accounts=PRIVILEGED))


def test_config_uses_a_passwd_file_per_user_and_no_login_delays() -> None:
    text = render_config(make_config())
    assert "args = scheme=PLAIN username_format=%u /tmp/rig/users/%u" in text
    assert settings(text)["auth_failure_delay"] == "0"
    assert "unix_listener anvil-auth-penalty {\n    mode = 0" in text
    assert "separator = /" in text


def test_rendered_config_is_accepted_by_doveconf(open_dir: Path) -> None:
    doveconf = shutil.which("doveconf") or shutil.which("doveconf", path="/usr/bin:/usr/sbin")
    if doveconf is None:
        pytest.skip("doveconf not installed (dovecot-core)")
    cfg = make_config(open_dir, Accounts.detect())
    cfg.conf_path.write_text(render_config(cfg))
    result = subprocess.run(
        [doveconf, "-c", str(cfg.conf_path), "-n"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "Warning" not in result.stderr


def test_accounts_detect_matches_the_process() -> None:
    accounts = Accounts.detect()
    if os.geteuid() == 0:
        assert accounts.privileged
        assert accounts.mail_user == "nobody"
    else:
        assert not accounts.privileged
        assert accounts.mail_uid == os.geteuid()


def test_instance_names_are_unique_and_findable_by_pgrep_dovecot() -> None:
    names = {new_instance_name() for _ in range(50)}
    assert len(names) == 50
    assert all(name.startswith("dovecot-") for name in names)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("ar", "ar@example.test"),
        ("AR@Acme.Test", "ar@acme.test"),
        ("cash.app_bot-1@sub.acme.test", "cash.app_bot-1@sub.acme.test"),
    ],
)
def test_user_names_become_lower_case_addresses(name: str, expected: str) -> None:
    assert normalise_user(name, "example.test") == expected


@pytest.mark.parametrize(
    "name", ["ar+tag", "../etc", "a/b", "a:b", "a b", "", "@acme.test", "ar@", "ar@acme..test"]
)
def test_user_names_dovecot_would_misread_are_refused(name: str) -> None:
    with pytest.raises(InvalidUserError):
        normalise_user(name, "example.test")


def test_passwd_entry_marks_the_scheme_so_braces_stay_plain() -> None:
    assert passwd_entry("ar@example.test", "{SHA}abc") == "ar@example.test:{PLAIN}{SHA}abc\n"


@pytest.mark.parametrize("password", ["", "a:b", "line\nbreak", "nul\x00"])
def test_passwords_passwd_file_cannot_hold_are_refused(password: str) -> None:
    with pytest.raises(InvalidUserError):
        check_password(password)


def test_base_dir_under_a_private_dir_is_refused_for_a_privileged_rig(open_dir: Path) -> None:
    private = open_dir / "private"
    private.mkdir(mode=0o700)
    base = private / "rig"
    base.mkdir(mode=0o755)
    with pytest.raises(UnsafeBaseDirError) as refused:
        check_base_dir(base, PRIVILEGED)
    assert refused.value.path == private
    assert "nobody" in str(refused.value)
    check_base_dir(base, UNPRIVILEGED)  # as oneself, any directory of one's own will do
    check_base_dir(open_dir, PRIVILEGED)


def test_base_dir_must_be_plain_and_short(open_dir: Path) -> None:
    spaced = open_dir / "with space"
    spaced.mkdir()
    with pytest.raises(UnsafeBaseDirError, match="characters"):
        check_base_dir(spaced, UNPRIVILEGED)
    percent = open_dir / "100%u"
    percent.mkdir()
    with pytest.raises(UnsafeBaseDirError, match="characters"):
        check_base_dir(percent, UNPRIVILEGED)
    deep = open_dir / ("d" * 90)
    deep.mkdir()
    with pytest.raises(UnsafeBaseDirError, match="too long"):
        check_base_dir(deep, UNPRIVILEGED)


def test_free_port_is_free_until_someone_listens() -> None:
    port = free_port()
    assert port_is_free(port)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))
        sock.listen()
        assert not port_is_free(port)


def test_relay_answers_451_when_lmtp_is_down() -> None:
    relay = LmtpRelay("127.0.0.1", free_port(), timeout=2)
    envelope = Envelope()

    async def rcpt() -> str:
        session = Session(asyncio.get_running_loop())
        return await relay.handle_RCPT(cast(SMTP, None), session, envelope, "ar@example.test", [])

    # A thread of its own: a session-wide Playwright keeps an event loop running in the
    # main thread, where asyncio.run() refuses to start.
    with ThreadPoolExecutor(1) as pool:
        reply = pool.submit(asyncio.run, rcpt()).result()
    assert reply.startswith("451 4.4.1")
    assert envelope.rcpt_tos == []


def test_cli_exposes_serve_as_a_subcommand() -> None:
    result = CliRunner().invoke(app, ["serve", "--help"])
    assert result.exit_code == 0
    assert "--user" in result.output
    assert "--json" in result.output
