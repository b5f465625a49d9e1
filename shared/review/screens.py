"""Serving the review app in-process, and the README's screenshots taken with it.

:func:`running_app` serves an app on a free loopback port in a background thread (for
tests and screenshots); :func:`take_screenshots` seeds a throwaway store with the sample
queue, signs in as a handler in headless Chromium and saves the list and item pages.
"""

from __future__ import annotations

import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from sqlalchemy import Engine

from shared.review.sample import SampleQueue

__all__ = ["running_app", "take_screenshots"]

_LEDGER = (Path(__file__).resolve().parents[2] / "fixtures" / "sandbox_erp" / "default_data"
           / "ledger")


@contextmanager
def running_app(app: FastAPI, *, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve ``app`` on a free port of ``host`` until the block ends; yields the base URL."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning",
                                           lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the review app did not start")
        time.sleep(0.02)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _some_work_done(engine: Engine, queue: SampleQueue) -> None:
    """A morning's work, so the metrics page has throughput to show."""
    from decimal import Decimal

    from shared.review import actions
    from shared.store import write_transaction
    from shared.store.review_users import get_user

    with write_transaction(engine) as session:
        alice = get_user(session, username="alice")
        bob = get_user(session, username="bob")
        actions.close_item(session, alice, item_id=queue.promise, version=1, note="noted")
        actions.close_item(session, bob, item_id=queue.bad_document, version=1,
                           note="statement re-sent by the bank", reject=True)
        actions.accept_suggestion(session, bob, item_id=queue.matched, version=1, rank=1,
                                  threshold=Decimal("250.00"))


def take_screenshots(out: Path, *, ledger_dir: Path = _LEDGER) -> list[Path]:
    """Queue and item pages of the sample queue as PNGs in ``out``; returns the paths."""
    from playwright.sync_api import sync_playwright

    from shared.browser import launch_chromium
    from shared.ledger_files import read_customers, read_open_items
    from shared.review.sample import seed_sample_queue, seed_users
    from shared.review.web import create_review_app
    from shared.store import make_engine, upsert_customers, upsert_open_items, write_transaction
    from shared.store.migrate import upgrade

    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/screens.sqlite3"
        upgrade(url)
        engine = make_engine(url)
        with write_transaction(engine) as session:
            upsert_customers(session, customers=read_customers(ledger_dir / "customers.csv"))
            upsert_open_items(session, items=read_open_items(ledger_dir / "open_items.csv"))
        seed_users(engine)
        queue = seed_sample_queue(engine)
        with running_app(create_review_app(engine)) as base, sync_playwright() as pw:
            browser = launch_chromium(pw)
            page = browser.new_context(viewport={"width": 1440, "height": 900},
                                       device_scale_factor=1).new_page()
            page.goto(f"{base}/login")
            page.get_by_label("Username").fill("alice")
            page.get_by_label("Password").fill("alice-review-1")
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(f"{base}/")
            shots = [("queue.png", "/", True), (
                "item.png", f"/items/{queue.matched}", False), (
                "item-deduction.png", f"/items/{queue.deduction}", False), (
                "item-dispute-mail.png", f"/items/{queue.dispute}", False), (
                "metrics.png", "/metrics", True)]
            for name, path, full in shots:
                if name == "metrics.png":
                    _some_work_done(engine, queue)
                page.goto(base + path)
                page.wait_for_load_state("networkidle")
                target = out / name
                if full:
                    page.screenshot(path=str(target), full_page=True)
                else:  # the first screen and a half: documents, suggestions, editor
                    page.screenshot(path=str(target), full_page=True,
                                    clip={"x": 0, "y": 0, "width": 1440, "height": 1400})
                written.append(target)
            browser.close()
        engine.dispose()
    return written
