"""Password hashes for the review page: scrypt from the standard library.

No password-hashing library is in the lock file, and ``hashlib.scrypt`` is a memory-hard
KDF fit for the purpose.  A hash reads ``scrypt$<n>$<r>$<p>$<salt>$<key>`` (base64), so
the cost can be raised later and old hashes still verify.  Verification compares in
constant time, and :func:`verify_password` spends the same work on unknown users, so
timing does not tell which usernames exist.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

__all__ = ["MIN_LENGTH", "hash_password", "verify_password"]

MIN_LENGTH = 10
_N, _R, _P = 2**14, 8, 1  # ~16 MiB and ~40 ms per hash on the team's machines
_KEY_BYTES = 32
_DUMMY = None


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _kdf(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p,
                          maxmem=256 * n * r + 1024 * 1024, dklen=_KEY_BYTES)


def hash_password(password: str) -> str:
    """A new salted scrypt hash; raises ValueError for passwords under MIN_LENGTH."""
    if len(password) < MIN_LENGTH:
        raise ValueError(f"a password needs at least {MIN_LENGTH} characters")
    salt = secrets.token_bytes(16)
    return f"scrypt${_N}${_R}${_P}${_b64(salt)}${_b64(_kdf(password, salt, _N, _R, _P))}"


def verify_password(password: str, stored: str | None) -> bool:
    """True when ``password`` matches ``stored``; ``None`` (no such user) costs the same."""
    global _DUMMY
    if stored is None:
        if _DUMMY is None:
            _DUMMY = hash_password(secrets.token_urlsafe(16))
        stored, password = _DUMMY, password + "\x00never"
    try:
        scheme, n, r, p, salt, key = stored.split("$")
        if scheme != "scrypt":
            return False
        actual = _kdf(password, base64.b64decode(salt), int(n), int(r), int(p))
    except ValueError:
        return False
    return hmac.compare_digest(actual, base64.b64decode(key))
