"""The sandbox ERP's web behaviour in-process: login, CSRF, faults, entry screen, billing."""

from __future__ import annotations

import re
import time

from tests.unit.sandbox_erp.conftest import ADMIN_TOKEN, ErpClient, csrf_token


def _draft(client: ErpClient, token: str, customer: str, **header: str) -> str:
    done = client.post("/payments/new", data={"csrf_token": token, "customer": customer, **header})
    assert done.status_code == 200 and "/payments/drafts/" in str(done.url), done.text
    return str(done.url).removeprefix("http://erp.test").split("?")[0]


def _rows(html: str) -> list[str]:
    return re.findall(r'name="row" value="([^"]+)"', html)


def test_pages_need_a_login_and_come_back_after_it(erp_client: ErpClient) -> None:
    first = erp_client.get("/open-items?page=2", follow_redirects=False)
    assert first.status_code == 303
    assert first.headers["location"] == "/login?next=%2Fopen-items%3Fpage%3D2"
    page = erp_client.get(first.headers["location"])
    wrong = erp_client.post(
        "/login",
        data={
            "username": "clerk",
            "password": "nope",
            "csrf_token": csrf_token(page.text),
            "next": "/open-items?page=2",
        },
    )
    assert wrong.status_code == 401 and "Unknown user name or wrong password." in wrong.text
    done = erp_client.post(
        "/login",
        data={
            "username": "clerk",
            "password": "clerk-pass",
            "csrf_token": csrf_token(page.text),
            "next": "/open-items?page=2",
        },
    )
    assert str(done.url).endswith("/open-items?page=2") and "Page 2 of 2" in done.text


def test_login_and_every_form_need_their_csrf_token(erp_client: ErpClient) -> None:
    erp_client.get("/login")
    assert erp_client.post("/login", data={"username": "clerk", "password": "x"}).status_code == 403
    token = erp_client.login()
    forged = erp_client.post("/customers/C00001/notes", data={"note": "forged"})
    assert forged.status_code == 403 and "Request refused" in forged.text
    good = erp_client.post(
        "/customers/C00001/notes", data={"note": "Called AP", "csrf_token": token}
    )
    assert good.status_code == 200 and "Called AP" in good.text and "forged" not in good.text
    assert "Note added: Called AP" in erp_client.get("/audit").text


def test_an_expired_session_goes_to_login_with_a_message(erp_client: ErpClient) -> None:
    erp_client.login()
    erp_client.admin("/_admin/faults", {"session_lifetime_s": 0.05})
    time.sleep(0.1)
    expired = erp_client.get("/customers", follow_redirects=False)
    assert expired.headers["location"] == "/login?next=%2Fcustomers&expired=1"
    assert "Your session has expired" in erp_client.get(expired.headers["location"]).text


def test_admin_endpoints_need_the_token(erp_client: ErpClient) -> None:
    assert erp_client.get("/_admin/faults").status_code == 403
    assert erp_client.post("/_admin/reset", headers={"X-Admin-Token": "wrong"}).status_code == 403
    shown = erp_client.get("/_admin/faults", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert shown.json()["error_rate"] == 0.0
    bad = erp_client.post(
        "/_admin/faults", json={"error_rate": 2}, headers={"X-Admin-Token": ADMIN_TOKEN}
    )
    assert bad.status_code == 422


def test_an_injected_server_error_on_save_posts_nothing(erp_client: ErpClient) -> None:
    token = erp_client.login()
    url = _draft(erp_client, token, "C00007", amount="100.00", memo="FC-500")
    erp_client.admin("/_admin/faults", {"error_rate": 1.0})
    form = {
        "csrf_token": token,
        "row": ["INV-2026-000465"],
        "apply:INV-2026-000465": "on",
        "pay:INV-2026-000465": "100.00",
        "action": "save",
    }
    failed = erp_client.post(url, data=form)
    assert failed.status_code == 500 and failed.headers["X-Injected-Fault"] == "error"
    assert erp_client.get("/healthz").status_code == 200  # exempt
    erp_client.admin("/_admin/faults", {"reset": True})
    assert "No customer payment matches." in erp_client.get("/payments?memo=FC-500").text
    saved = erp_client.post(url, data=form)  # the retry posts it, once
    assert "Customer payment PMT-000001 saved" in saved.text
    twice = erp_client.post(url, data=form)
    assert "Customer payment PMT-000001 saved" in twice.text
    assert erp_client.get("/reports/payments.jsonl").text.count("\n") == 1


def test_ticks_survive_paging_and_filtering_and_errors_are_inline(erp_client: ErpClient) -> None:
    token = erp_client.login()
    url = _draft(erp_client, token, "C00001 Acme Holdings Inc.", amount="1000.00", memo="FC-1")
    page_one = erp_client.get(url)
    rows = _rows(page_one.text)
    assert rows[0] == "INV-2026-000407" and "Page 1 of 2" in page_one.text
    base = {"csrf_token": token, "current_q": "", "page": "1"}
    moved = erp_client.post(
        url,
        data={
            **base,
            "row": rows,
            "apply:INV-2026-000407": "on",
            "pay:INV-2026-000407": "600",
            "action": "goto:2",
        },
    )
    assert "Page 2 of 2" in moved.text and "INV-2026-000407 (600.00)" in moved.text
    filtered = erp_client.post(
        url,
        data={
            **base,
            "page": "2",
            "row": _rows(moved.text),
            "q": "000590 4500050805",
            "action": "filter",
        },
    )
    assert [r for r in _rows(filtered.text) if r.startswith("INV")] == ["INV-2026-000590"]
    refused = erp_client.post(
        url,
        data={
            **base,
            "current_q": "000590",
            "row": ["INV-2026-000590"],
            "apply:INV-2026-000590": "on",
            "pay:INV-2026-000590": "6000.00",
            "action": "save",
        },
    )
    assert refused.status_code == 422
    assert "Payment 6,000.00 on INV-2026-000590 exceeds the amount due 5,837.07." in refused.text
    assert 'class="row-error"' in refused.text
    assert "No customer payment matches." in erp_client.get("/payments").text
    # Untick the over-applied row: what was ticked on page 1 is still in the draft.
    saved = erp_client.post(
        url, data={**base, "current_q": "000590", "row": ["INV-2026-000590"], "action": "save"}
    )
    assert "Customer payment PMT-000001 saved" in saved.text
    exported = erp_client.get("/reports/payments.jsonl").json()
    assert exported["applications"] == [{"doc_no": "INV-2026-000407", "amount": "600.00"}]
    assert exported["on_account"] == "400.00"


def test_an_ambiguous_customer_offers_choices(erp_client: ErpClient) -> None:
    token = erp_client.login()
    page = erp_client.post("/payments/new", data={"csrf_token": token, "customer": "acme"})
    assert page.status_code == 422
    assert re.findall(r"Choose (C\d+)", page.text) == ["C00001", "C00002", "C00003"]
    chosen = erp_client.post(
        "/payments/new", data={"csrf_token": token, "customer": "acme", "customer_pick": "C00002"}
    )
    assert "C00002 Acme Manufacturing LLC" in chosen.text


def test_billing_a_delivery_makes_an_open_invoice(erp_client: ErpClient) -> None:
    token = erp_client.login()
    assert "Bill DEL-000201" in erp_client.get("/billing/deliveries").text
    billed = erp_client.post("/billing/deliveries/DEL-000201/bill", data={"csrf_token": token})
    assert str(billed.url).endswith("/invoices/INV-2026-000598")
    assert "Delivery DEL-000201 billed: invoice INV-2026-000598 created." in billed.text
    assert "Bill DEL-000201" not in erp_client.get("/billing/deliveries").text
    again = erp_client.post("/billing/deliveries/DEL-000201/bill", data={"csrf_token": token})
    assert "already billed" in again.text
    assert "INV-2026-000598" in erp_client.get("/open-items?q=INV-2026-000598").text
    assert "Billed delivery DEL-000201" in erp_client.get("/audit").text


def test_every_page_renders(erp_client: ErpClient) -> None:
    erp_client.login()
    for path in (
        "/",
        "/customers?q=acme",
        "/customers/C00002",
        "/open-items?overdue=1",
        "/invoices/CM-2026-00020",
        "/payments/new?customer=C00004",
        "/payments",
        "/billing/sales-orders",
        "/billing/sales-orders/SO-000102",
        "/billing/invoices",
        "/reports",
        "/reports/customers.xlsx",
        "/reports/payments.csv",
        "/audit",
    ):
        assert erp_client.get(path).status_code == 200, path
    assert erp_client.get("/invoices/NOPE").status_code == 404
    assert erp_client.get("/reports/open-items.jsonl").status_code == 404
