"""The review web app's guards over real HTTP (uvicorn on loopback, httpx as the client).

Every route is found by walking the app's routing table, so a route added later is
covered without editing this file: anonymous requests are refused, every POST needs the
session's CSRF token and a same-site origin, and nothing changes when a request is
refused (the audit log is the witness).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute
from sqlalchemy import Engine, func, select

from fixtures.review_sample import SampleQueue, seed_sample_queue, seed_users
from fixtures.review_screens import running_app
from shared.ledger_files import read_customers, read_open_items
from shared.review.security import APP_CSP, UNTRUSTED_CSP
from shared.review.web import create_review_app
from shared.store import (
    get_review_item,
    read_transaction,
    upsert_customers,
    upsert_open_items,
    write_transaction,
)
from shared.store.tables import AuditRow

pytestmark = pytest.mark.integration

LEDGER = Path(__file__).resolve().parents[2] / "fixtures/sandbox_erp/default_data/ledger"
PARAMS = {"item_id": "1", "document_id": "1", "part": "0", "page": "0"}


@pytest.fixture
def world(store_engine: Engine) -> Iterator[tuple[str, SampleQueue, Engine]]:
    with write_transaction(store_engine) as session:
        upsert_customers(session, customers=read_customers(LEDGER / "customers.csv"))
        upsert_open_items(session, items=read_open_items(LEDGER / "open_items.csv"))
    seed_users(store_engine)
    queue = seed_sample_queue(store_engine)
    with running_app(create_review_app(store_engine)) as base:
        yield base, queue, store_engine


def _walk(routes: list[Any]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):  # FastAPI's included routers
            yield from _walk(route.original_router.routes)


def _routes() -> list[tuple[str, str]]:
    from sqlalchemy import create_engine

    probe = create_review_app(create_engine("sqlite://"))
    found = []
    for route in _walk(probe.routes):
        path = re.sub(r"\{(\w+)\}", lambda m: PARAMS[m.group(1)], route.path)
        for method in sorted(route.methods):
            found.append((method, path))
    return found


ROUTES = _routes()
PROTECTED = [(m, p) for m, p in ROUTES if p != "/login"]


def _audit_count(engine: Engine) -> int:
    with read_transaction(engine) as session:
        return int(session.execute(select(func.count()).select_from(AuditRow)).scalar_one())


def _sign_in(client: httpx.Client, username: str, password: str) -> str:
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    done = client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": token.group(1), "next": "/"})
    assert done.status_code == 303, done.text
    home = client.get("/")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', home.text)
    assert csrf is not None
    return csrf.group(1)


def test_the_route_table_has_the_pages_and_actions() -> None:
    paths = {p for _, p in ROUTES}
    assert {"/", "/items/1", "/metrics", "/items/1/claim", "/items/1/allocate",
            "/bulk-assign", "/logout"} <= paths
    assert sum(1 for m, _ in PROTECTED if m == "POST") >= 14


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_every_page_and_action_refuses_anonymous_users(
    world: tuple[str, SampleQueue, Engine],
) -> None:
    base, _, engine = world
    before = _audit_count(engine)
    with httpx.Client(base_url=base) as client:
        for method, path in PROTECTED:
            response = client.request(method, path, data={"version": "1", "rank": "1"})
            if method == "GET":
                assert response.status_code == 303, (method, path)
                assert response.headers["location"].startswith("/login?next="), path
            else:
                assert response.status_code == 401, (method, path)
                assert "Nothing was changed" in response.text
            assert "FT2603020001" not in response.text
    assert _audit_count(engine) == before


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_every_post_needs_the_sessions_csrf_token_and_our_origin(
    world: tuple[str, SampleQueue, Engine],
) -> None:
    base, queue, engine = world
    with httpx.Client(base_url=base) as client:
        token = _sign_in(client, "carol", "carol-approve-3")
        before = _audit_count(engine)
        posts = [p for m, p in PROTECTED if m == "POST"]
        for path in posts:
            form = {"version": "1", "rank": "1", "text": "x", "note": "x", "item": "1:1",
                    "assignee": "bob"}
            assert client.post(path, data=form).status_code == 403, path
            assert client.post(path, data={**form, "csrf_token": "forged"}).status_code == 403
            foreign = client.post(path, data={**form, "csrf_token": token},
                                  headers={"Origin": "http://evil.example"})
            assert foreign.status_code == 403, path
            sandboxed = client.post(path, data={**form, "csrf_token": token},
                                    headers={"Origin": "null"})
            assert sandboxed.status_code == 403, path
        assert _audit_count(engine) == before
        # The same request with the token works.
        done = client.post(f"/items/{queue.matched}/claim",
                           data={"version": "1", "csrf_token": token})
        assert done.status_code == 303
    with read_transaction(engine) as session:
        assert get_review_item(session, item_id=queue.matched).assignee == "carol"


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_sign_in_needs_its_csrf_pair_and_the_right_password(
    world: tuple[str, SampleQueue, Engine],
) -> None:
    base, _, engine = world
    with httpx.Client(base_url=base) as client:
        forged = client.post("/login", data={"username": "alice", "password": "alice-review-1",
                                             "csrf_token": "x"})
        assert forged.status_code == 403
        page = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token is not None
        wrong = client.post("/login", data={"username": "alice", "password": "guess-guess",
                                            "csrf_token": token.group(1)})
        assert wrong.status_code == 401 and "Wrong username or password" in wrong.text
        assert "o2c_review_session" not in wrong.cookies
        token = re.search(r'name="csrf_token" value="([^"]+)"', wrong.text)  # a fresh pair
        assert token is not None
        good = client.post("/login", data={"username": "alice", "password": "alice-review-1",
                                           "csrf_token": token.group(1),
                                           "next": "//evil.example/x"})
        assert good.status_code == 303 and good.headers["location"] == "/"
        cookie = next(h for h in good.headers.get_list("set-cookie")
                      if h.startswith("o2c_review_session="))
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie
        assert client.get("/").status_code == 200
    with read_transaction(engine) as session:
        actions = session.scalars(select(AuditRow.action).where(
            AuditRow.entity_type == "review_user")).all()
    assert "user.sign_in_failed" in actions and "user.sign_in" in actions


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_sign_out_ends_the_session(world: tuple[str, SampleQueue, Engine]) -> None:
    base, _, _ = world
    with httpx.Client(base_url=base) as client:
        token = _sign_in(client, "bob", "bob-review-22")
        session_cookie = client.cookies["o2c_review_session"]
        assert client.post("/logout", data={"csrf_token": token}).status_code == 303
    with httpx.Client(base_url=base, cookies={"o2c_review_session": session_cookie}) as replay:
        assert replay.get("/").status_code == 303  # the old cookie no longer signs anyone in


def test_a_viewer_is_refused_every_action_over_http(
    world: tuple[str, SampleQueue, Engine],
) -> None:
    base, queue, engine = world
    with httpx.Client(base_url=base) as client:
        token = _sign_in(client, "victor", "victor-view-44")
        page = client.get(f"/items/{queue.matched}")
        assert "You have view access" in page.text and "Accept suggestion" not in page.text
        before = _audit_count(engine)
        for action in ("claim", "accept", "allocate", "on-account", "send-back", "close",
                       "assign", "comment", "dispute", "approve", "return"):
            response = client.post(f"/items/{queue.matched}/{action}", data={
                "csrf_token": token, "version": "1", "rank": "1", "customer_id": "C00002",
                "app_doc": "INV-2026-000407", "app_amount": "13368.45", "note": "x",
                "text": "x", "amount": "1.00", "assignee": "victor", "outcome": "refund"})
            if action == "allocate":  # refused input comes back with the draft kept
                assert response.status_code == 422
                flash = response.text
            else:
                assert response.status_code == 303, action
                flash = client.get(response.headers["location"]).text
            assert "your role (viewer) cannot do this" in flash, action
        assert client.post("/bulk-assign", data={"csrf_token": token, "item": "1:1",
                                                 "assignee": "victor"}).status_code == 303
    assert _audit_count(engine) == before
    with read_transaction(engine) as session:
        item = get_review_item(session, item_id=queue.matched)
    assert (item.version, item.assignee) == (1, None)


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_pages_carry_a_strict_csp_and_mail_is_served_sandboxed(
    world: tuple[str, SampleQueue, Engine],
) -> None:
    base, queue, _ = world
    with httpx.Client(base_url=base) as client:
        _sign_in(client, "alice", "alice-review-1")
        page = client.get(f"/items/{queue.dispute}")
        assert page.headers["content-security-policy"] == APP_CSP
        assert page.headers["x-frame-options"] == "DENY"
        assert page.headers["x-content-type-options"] == "nosniff"
        assert "<script>" not in page.text and 'sandbox=""' in page.text
        body_url = re.search(r'src="(/items/\d+/documents/\d+/0/body)"', page.text)
        assert body_url is not None
        body = client.get(body_url.group(1))
        assert body.headers["content-security-policy"] == UNTRUSTED_CSP
        assert "sandbox" in UNTRUSTED_CSP and "script-src" not in UNTRUSTED_CSP
        assert "tracker.example" not in body.text and "1 remote or active" in body.text
        pdf_page = client.get(f"/items/{queue.matched}")
        png = re.search(r'src="(/items/\d+/documents/\d+/1/page/0.png)"', pdf_page.text)
        assert png is not None
        image = client.get(png.group(1))
        assert image.headers["content-type"] == "image/png" and image.content[:4] == b"\x89PNG"
