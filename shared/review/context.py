"""What every route of the review page needs: the store, the settings, the templates.

One :class:`ReviewContext` is built by :func:`shared.review.web.create_review_app` and
kept on ``app.state``.  Templates are files in ``shared/review/templates`` rendered with
Jinja's autoescape on: item payloads, titles and mail hold customer text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi import Request
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import Engine

from shared.money import format_amount
from shared.review.security import FlashCookie
from shared.settings import ReviewSettings

__all__ = ["TEMPLATES", "ReviewContext", "context_of"]

TEMPLATES = Path(__file__).parent / "templates"


def _money(value: Decimal | str | None) -> str:
    if value is None or value == "":
        return ""
    amount = Decimal(str(value))
    text = f"{abs(amount):,.2f}"
    return f"-{text}" if amount < 0 else text


def _when(value: datetime | None) -> str:
    return "" if value is None else value.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def _span(delta: timedelta) -> str:
    seconds = int(abs(delta.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {rest // 60}m"
    return f"{max(rest // 60, 1)}m"


def _label(value: object) -> str:
    return str(getattr(value, "value", value)).replace("_", " ")


@dataclass
class ReviewContext:
    """The store engine, the review settings and the template environment."""

    engine: Engine
    settings: ReviewSettings
    secure_cookies: bool = False
    env: Environment = field(init=False)
    flash: FlashCookie = field(init=False)

    def __post_init__(self) -> None:
        self.env = Environment(loader=FileSystemLoader(TEMPLATES),
                               autoescape=select_autoescape(default=True),
                               trim_blocks=True,
                               lstrip_blocks=True)
        self.env.filters.update(money=_money, when=_when, span=_span, label=_label,
                                amount=format_amount)
        self.flash = FlashCookie(self.secret, secure=self.secure_cookies)

    @property
    def secret(self) -> str:
        return self.settings.secret_key.get_secret_value()

    @property
    def sla(self) -> timedelta:
        return timedelta(hours=self.settings.sla_hours)

    def render(self, template: str, **values: Any) -> str:
        request: Request | None = values.get("request")
        auth = getattr(request.state, "user_session", None) if request is not None else None
        values.setdefault("auth", auth)
        values.setdefault("user", auth.user if auth is not None else None)
        values.setdefault("csrf_token", auth.csrf_token if auth is not None else "")
        values.setdefault("flash", None)
        values.setdefault("title", "Review queue")
        values.setdefault("active", "")
        values.setdefault("now", datetime.now(UTC))
        return self.env.get_template(template).render(**values)


def context_of(request: Request) -> ReviewContext:
    """The app's context (``app.state.review``)."""
    ctx: ReviewContext = request.app.state.review
    return ctx
