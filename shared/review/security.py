"""The review page's guards: security headers, CSRF tokens and one-shot flash messages.

* Every response carries a strict Content-Security-Policy (scripts and styles only from
  the app itself, no inline script, no remote anything), ``nosniff``, no referrer, and
  may not be framed.  Customer mail is shown through :data:`UNTRUSTED_CSP`, which also
  sandboxes the document: even opened on its own it cannot run script or submit forms.
* CSRF: every POST must carry the session's token (form field ``csrf_token`` or the
  ``X-CSRF-Token`` header), compared in constant time; a foreign ``Origin`` is refused
  as well.  Before sign-in the token lives in a signed cookie (double submit).
* Flash messages travel in a signed, short-lived cookie, so no text of ours is ever
  reflected from the URL.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

__all__ = [
    "APP_CSP",
    "UNTRUSTED_CSP",
    "FlashCookie",
    "new_token",
    "origin_ok",
    "security_headers",
    "tokens_match",
]

APP_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
           "connect-src 'self'; frame-src 'self'; form-action 'self'; base-uri 'none'; "
           "frame-ancestors 'none'")
# Customer HTML: no script, no remote loads (images only inline data:), no forms.
UNTRUSTED_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                 "form-action 'none'; base-uri 'none'; frame-ancestors 'self'; sandbox")

_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    # same-origin, not no-referrer: with no-referrer Chromium sends "Origin: null" on
    # form posts, and the origin check below needs the real one.
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


async def security_headers(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """Middleware: the headers above on every response (routes may set a stricter CSP)."""
    response = await call_next(request)
    response.headers.setdefault("Content-Security-Policy", APP_CSP)
    frame = "SAMEORIGIN" if "frame-ancestors 'self'" in response.headers[
        "Content-Security-Policy"] else "DENY"
    response.headers.setdefault("X-Frame-Options", frame)
    for name, value in _HEADERS.items():
        response.headers.setdefault(name, value)
    if not request.url.path.startswith("/static/"):
        # Pages show customer data: never keep them in shared caches or history.
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def new_token() -> str:
    """A fresh random token (session id, CSRF token)."""
    return secrets.token_urlsafe(32)


def tokens_match(expected: str | None, given: object) -> bool:
    """Constant-time comparison of a CSRF token; False when either is missing."""
    if not expected or not isinstance(given, str) or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


def origin_ok(request: Request) -> bool:
    """False when the browser says the POST comes from another site."""
    origin = request.headers.get("origin")
    if origin is None:  # not sent by every client; the CSRF token still has to match
        return True
    expected = f"{request.url.scheme}://{request.headers.get('host', request.url.netloc)}"
    return origin == expected


class FlashCookie:
    """One-shot messages in a signed cookie (``kind`` is ``ok``, ``warn`` or ``error``)."""

    name = "o2c_review_flash"

    def __init__(self, secret: str, *, secure: bool) -> None:
        self._signer = URLSafeTimedSerializer(secret, salt="o2c-review-flash")
        self._secure = secure

    def set(self, response: Response, kind: str, message: str) -> None:
        value = self._signer.dumps({"k": kind, "m": message[:1000]})
        response.set_cookie(self.name, value, max_age=120, httponly=True, samesite="strict",
                            secure=self._secure, path="/")

    def pop(self, request: Request, response: Response) -> dict[str, Any] | None:
        raw = request.cookies.get(self.name)
        if not raw:
            return None
        response.delete_cookie(self.name, path="/")
        try:
            data = self._signer.loads(raw, max_age=300)
        except BadSignature:
            return None
        return data if isinstance(data, dict) else None
