"""Sign-in, sessions and roles of the review page.

Every route but ``/login`` and ``/static`` depends on :func:`signed_in`; an anonymous
GET is sent to the sign-in page, any other anonymous request gets 401.  POST routes
depend on :func:`checked_form`, which also enforces the CSRF token.  Roles are checked
by the actions themselves (:mod:`shared.review.actions`), so the web page and the CLI
cannot differ; a viewer's POST is refused there and changes nothing.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from shared import audit
from shared.review.context import ReviewContext, context_of
from shared.review.passwords import verify_password
from shared.review.security import new_token, origin_ok, tokens_match
from shared.store import read_transaction, write_transaction
from shared.store.review_users import (
    UserSession,
    end_session,
    password_hash_of,
    session_user,
    start_session,
)

__all__ = [
    "SESSION_COOKIE",
    "CsrfRefused",
    "SignInRequired",
    "checked_form",
    "login_page",
    "login_submit",
    "logout",
    "safe_next",
    "signed_in",
]

SESSION_COOKIE = "o2c_review_session"
LOGIN_COOKIE = "o2c_review_login"
SESSION_LIFETIME = timedelta(hours=10)  # a working day; sign in again tomorrow


class SignInRequired(Exception):
    """Raised (and turned into a redirect or 401) when nobody is signed in."""


class CsrfRefused(Exception):
    """Raised (and turned into 403) when a POST lacks the right CSRF token or origin."""


def signed_in(request: Request) -> UserSession:
    """The signed-in user's session (a FastAPI dependency); raises SignInRequired."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise SignInRequired
    ctx = context_of(request)
    with read_transaction(ctx.engine) as session:
        found = session_user(session, token=token)
    if found is None:
        raise SignInRequired
    request.state.user_session = found
    return found


SignedIn = Annotated[UserSession, Depends(signed_in)]


async def checked_form(request: Request, auth: SignedIn) -> FormData:
    """The POSTed form, after the CSRF token and the origin were checked."""
    form = await request.form()
    given = form.get("csrf_token") or request.headers.get("x-csrf-token")
    if not origin_ok(request) or not tokens_match(auth.csrf_token, given):
        raise CsrfRefused
    return form


def safe_next(target: str | None) -> str:
    """A local path to go to after sign-in (never another site)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _login_signer(ctx: ReviewContext) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(ctx.secret, salt="o2c-review-login")


def login_page(request: Request, error: str | None = None, status: int = 200,
               username: str = "") -> HTMLResponse:
    """The sign-in form, with a fresh pre-session CSRF token (double-submit cookie)."""
    ctx = context_of(request)
    token = new_token()
    html = ctx.render("login.html", request=request, csrf_token=token, error=error,
                      username=username, next=safe_next(request.query_params.get("next")))
    response = HTMLResponse(html, status_code=status)
    response.set_cookie(LOGIN_COOKIE, _login_signer(ctx).dumps(token), max_age=3600,
                        httponly=True, samesite="strict", secure=ctx.secure_cookies, path="/")
    return response


async def login_submit(request: Request) -> Response:
    """Check the CSRF pair and the password; start a session and go where asked."""
    ctx = context_of(request)
    form = await request.form()
    try:
        cookie_token = _login_signer(ctx).loads(request.cookies.get(LOGIN_COOKIE, ""),
                                                max_age=3600)
    except BadSignature:
        cookie_token = None
    if not origin_ok(request) or not tokens_match(cookie_token, form.get("csrf_token")):
        raise CsrfRefused
    username = str(form.get("username") or "").strip()[:100]
    password = str(form.get("password") or "")

    def check() -> str | None:
        with read_transaction(ctx.engine) as session:
            stored = password_hash_of(session, username=username) if username else None
        if not verify_password(password, stored):
            if username:
                with write_transaction(ctx.engine) as session:
                    audit.append(session, actor=username, action="user.sign_in_failed",
                                 entity_type="review_user", entity_id=username)
            return None
        token = new_token()
        with write_transaction(ctx.engine) as session:
            start_session(session, username=username, token=token, csrf_token=new_token(),
                          lifetime=SESSION_LIFETIME)
        return token

    token = await run_in_threadpool(check)
    if token is None:
        return login_page(request, error="Wrong username or password.", status=401,
                          username=username)
    target = safe_next(str(form.get("next") or "/"))
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(SESSION_COOKIE, token, max_age=int(SESSION_LIFETIME.total_seconds()),
                        httponly=True, samesite="lax", secure=ctx.secure_cookies, path="/")
    response.delete_cookie(LOGIN_COOKIE, path="/")
    return response


def logout(request: Request) -> Response:
    """End the session (the route checks CSRF first) and show the sign-in page."""
    ctx = context_of(request)
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        with write_transaction(ctx.engine) as session:
            end_session(session, token=token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def login_redirect(request: Request) -> Response:
    """Where an anonymous request goes: the sign-in page (GET) or 401 (anything else)."""
    if request.method in ("GET", "HEAD"):
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(safe_next(path), safe='')}",
                                status_code=303)
    ctx = context_of(request)
    return HTMLResponse(ctx.render("error.html", request=request, title="Sign in first",
                                   message="You are not signed in (or your session ended). "
                                           "Nothing was changed."), status_code=401)
