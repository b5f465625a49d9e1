"""Password hashes of the review page (scrypt from the standard library)."""

from __future__ import annotations

import pytest

from shared.review.passwords import MIN_LENGTH, hash_password, verify_password


def test_a_hash_verifies_its_password_only() -> None:
    stored = hash_password("correct horse battery")
    assert stored.startswith("scrypt$16384$8$1$")
    assert verify_password("correct horse battery", stored)
    assert not verify_password("correct horse batterY", stored)
    assert not verify_password("", stored)


def test_hashes_are_salted() -> None:
    assert hash_password("same password!") != hash_password("same password!")


def test_short_passwords_are_refused() -> None:
    with pytest.raises(ValueError, match=str(MIN_LENGTH)):
        hash_password("x" * (MIN_LENGTH - 1))


@pytest.mark.parametrize("stored", [None, "", "plain-text", "md5$abc", "scrypt$1$2$3$%%%$%%%"])
def test_unknown_users_and_broken_hashes_never_verify(stored: str | None) -> None:
    assert not verify_password("anything at all", stored)
