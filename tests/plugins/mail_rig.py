"""pytest fixtures for the mail rig (fixtures/mail_rig): real Dovecot + SMTP on loopback.

- ``mail_rig`` (session): one :class:`~fixtures.mail_rig.MailRig` for the whole session,
  started on first use (~0.05 s) and stopped at the end (~1.1 s), leaving no process.
- ``mailbox`` (function): a fresh user with an empty INBOX for each test, so tests are
  isolated without restarting servers.  ``mailbox_factory`` makes more of them.

Without Dovecot installed the tests that use these fixtures are skipped with the reason,
except under CI (``CI`` set), where that is a failure: CI must not go green by skipping.
``--mail-rig-keep`` keeps the rig's directory (config, dovecot.log, Maildirs) after the
session for a look at what happened.
"""

from __future__ import annotations

import itertools
import os
import re
import secrets
from collections.abc import Iterable, Iterator
from typing import Protocol

import pytest

from fixtures.mail_rig import DovecotNotFoundError, Mailbox, MailRig
from fixtures.mail_rig.dovecot import find_dovecot

_counter = itertools.count(1)


class MailboxFactory(Protocol):
    """Makes a fresh rig user; ``folders`` are created for it up front."""

    def __call__(self, *, folders: Iterable[str] = ()) -> Mailbox: ...


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--mail-rig-keep",
        action="store_true",
        default=False,
        help="keep the mail rig's directory (dovecot.log, Maildirs) after the session",
    )


@pytest.fixture(scope="session")
def mail_rig(pytestconfig: pytest.Config) -> Iterator[MailRig]:
    """One running mail rig (Dovecot IMAP + SMTP receiver) shared by the session."""
    try:
        find_dovecot()
    except DovecotNotFoundError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI needs Dovecot: {exc}")
        pytest.skip(str(exc))
    keep = bool(pytestconfig.getoption("--mail-rig-keep"))
    with MailRig(keep_files=keep) as rig:
        yield rig


@pytest.fixture
def mailbox_factory(mail_rig: MailRig, request: pytest.FixtureRequest) -> MailboxFactory:
    """Returns a callable that adds a new user, named after the test, to the session rig."""
    slug = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")[:40] or "t"

    def make(*, folders: Iterable[str] = ()) -> Mailbox:
        name = f"{slug}-{next(_counter)}-{secrets.token_hex(2)}"
        return mail_rig.add_user(name, folders=folders)

    return make


@pytest.fixture
def mailbox(mailbox_factory: MailboxFactory) -> Mailbox:
    """A fresh user of the session rig with an empty INBOX (and no other folders)."""
    return mailbox_factory()
