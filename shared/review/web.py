"""The review queue's web app: where exception handlers clear what the bots could not.

FastAPI with server-rendered Jinja templates (``shared/review/templates``) and one small
script for the live balance check; no page needs JavaScript to work.  Modules:

==============  =============================================================
``web``         this factory: wiring, error pages, security headers
``auth``        sign-in, sessions, roles
``security``    CSP and headers, CSRF tokens, flash messages
``pages``       the list, one item, its documents, the metrics (GET)
``posts``       the actions (POST, CSRF-checked)
``actions``     what the actions do, shared with ``o2c review``
``documents``   source documents shown safely (sanitised, sandboxed, PDFs as images)
==============  =============================================================

Serve it with ``o2c review serve`` (uvicorn); users come from ``o2c review user add``.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine

from shared.review import auth, pages, posts
from shared.review.context import ReviewContext, context_of
from shared.review.security import security_headers
from shared.settings import ReviewSettings

__all__ = ["create_review_app"]

STATIC = Path(__file__).parent / "static"


def create_review_app(
    engine: Engine,
    settings: ReviewSettings | None = None,
    *,
    secure_cookies: bool = False,
) -> FastAPI:
    """The review-queue web app over the store behind ``engine``.

    ``secure_cookies`` marks cookies Secure: set it when the app is served over HTTPS
    (behind a proxy); on plain loopback HTTP it must stay off or browsers drop them.
    """
    app = FastAPI(title="O2C review queue", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.review = ReviewContext(engine=engine, settings=settings or ReviewSettings(),
                                     secure_cookies=secure_cookies)
    app.middleware("http")(security_headers)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/login", response_class=HTMLResponse)
    def login_form(request: Request) -> Response:
        try:
            auth.signed_in(request)
        except auth.SignInRequired:
            return auth.login_page(request)
        return RedirectResponse("/", status_code=303)

    app.post("/login")(auth.login_submit)
    app.include_router(pages.router)
    app.include_router(posts.router)

    @app.exception_handler(auth.SignInRequired)
    def _anonymous(request: Request, exc: auth.SignInRequired) -> Response:
        return auth.login_redirect(request)

    @app.exception_handler(auth.CsrfRefused)
    def _csrf(request: Request, exc: auth.CsrfRefused) -> Response:
        return _error(request, 403, "Request refused",
                      "The form was stale or did not come from this site (CSRF check). "
                      "Nothing was changed. Reload the page and try again.")

    @app.exception_handler(HTTPException)
    def _http(request: Request, exc: HTTPException) -> Response:
        return _error(request, exc.status_code, "Not found" if exc.status_code == 404
                      else "Error", str(exc.detail))

    @app.exception_handler(RequestValidationError)
    def _invalid(request: Request, exc: RequestValidationError) -> Response:
        return _error(request, 404, "Not found", "There is no such page.")

    return app


def _error(request: Request, status: int, title: str, message: str) -> Response:
    ctx = context_of(request)
    return HTMLResponse(ctx.render("error.html", request=request, title=title,
                                   message=message), status_code=status)
