"""A read-only view of the review queue: the list, and one item with its evidence.

This is the first face of the review queue (what the demo links to); the handler's
workplace with sign-in, roles and actions grows from here.  Everything shown is
escaped by Jinja's autoescape: payloads hold customer text, which is untrusted.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI, HTTPException
from fastapi.responses import HTMLResponse
from jinja2 import Environment
from markupsafe import Markup
from sqlalchemy import Engine

from shared.errors import RecordNotFoundError
from shared.store import get_review_item, list_review_items, read_transaction

__all__ = ["create_review_app"]

_ENV = Environment(autoescape=True)
_PAGE = _ENV.from_string("""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{{ title }} - O2C review queue</title>
<style>body{font:14px system-ui,sans-serif;margin:2rem;color:#1d2733}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #d5dbe3;padding:.4rem .6rem;
text-align:left;vertical-align:top}th{background:#eef2f7}.kind{font-weight:600}
pre{background:#f6f8fa;padding:.8rem;overflow:auto}a{color:#0b57d0}</style></head>
<body><header><a href="/">Review queue</a></header><main><h1>{{ title }}</h1>{{ body }}</main>
</body></html>""")
_LIST = _ENV.from_string("""<p>{{ items|length }} open item(s).</p>
<table><thead><tr><th scope="col">#</th><th scope="col">Kind</th><th scope="col">What</th>
<th scope="col">Payment</th><th scope="col">Status</th><th scope="col">Opened</th></tr></thead>
<tbody>{% for i in items %}<tr><td><a href="/items/{{ i.item_id }}">{{ i.item_id }}</a></td>
<td class="kind">{{ i.kind.value }}</td><td>{{ i.title }}</td><td>{{ i.payment_id or "" }}</td>
<td>{{ i.status.value }}</td><td>{{ i.created_at.strftime("%Y-%m-%d %H:%M") }}</td></tr>
{% endfor %}</tbody></table>""")
_ITEM = _ENV.from_string("""<p class="kind">{{ item.kind.value }} &middot; {{ item.status.value }}
{% if item.payment_id %}&middot; payment {{ item.payment_id }}{% endif %}</p>
{% if evidence %}<h2>Why the bot stopped</h2><ul>{% for e in evidence %}<li>{{ e }}</li>
{% endfor %}</ul>{% endif %}
<h2>Suggestions</h2>{% if item.suggestions %}<ol>{% for s in item.suggestions %}
<li><pre>{{ dump(s) }}</pre></li>{% endfor %}</ol>{% else %}<p>None.</p>{% endif %}
<h2>Details</h2><pre>{{ dump(item.payload) }}</pre>""")


def _dump(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


def create_review_app(engine: Engine) -> FastAPI:
    """The read-only review-queue pages over the store behind ``engine``."""
    app = FastAPI(title="O2C review queue", docs_url=None, redoc_url=None)

    @app.get("/", response_class=HTMLResponse)
    def queue() -> str:
        with read_transaction(engine) as session:
            items = list_review_items(session, limit=500)
        return _PAGE.render(title="Review queue", body=Markup(_LIST.render(items=items)))

    @app.get("/items/{item_id}", response_class=HTMLResponse)
    def item(item_id: int) -> str:
        with read_transaction(engine) as session:
            try:
                found = get_review_item(session, item_id=item_id)
            except RecordNotFoundError as exc:
                raise HTTPException(404, f"no review item {item_id}") from exc
        evidence = found.payload.get("evidence") or []
        body = _ITEM.render(item=found, evidence=evidence, dump=_dump)
        return _PAGE.render(title=found.title, body=Markup(body))

    return app
