"""Column types that make both backends hand back the same Python values.

* :class:`Amount` is ``NUMERIC(18, 2)`` in the schema and a two-place ``Decimal`` in
  Python on SQLite and PostgreSQL alike.  PostgreSQL stores it exactly.  SQLite has no
  decimal type and keeps a ``REAL`` (a double), which holds every amount of up to 15
  significant digits exactly after rounding to cents; so amounts are limited to
  ``|x| < 10**13`` on both backends, and the limit is checked on write instead of
  silently losing cents.  Floats are refused.
* :class:`UtcDateTime` accepts only timezone-aware datetimes, stores UTC and returns
  aware UTC datetimes (SQLite would otherwise hand back naive ones).
* :data:`JSON_DOCUMENT` is ``JSONB`` on PostgreSQL and JSON text on SQLite; Python
  ``None`` is SQL ``NULL``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, DateTime, Dialect, Numeric
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator, TypeEngine

from shared.money import to_money

__all__ = ["AMOUNT_LIMIT", "JSON_DOCUMENT", "Amount", "UtcDateTime", "utcnow"]

AMOUNT_LIMIT = Decimal(10) ** 13

JSON_DOCUMENT: TypeEngine[Any] = JSON(none_as_null=True).with_variant(
    JSONB(none_as_null=True), "postgresql"
)


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC (the only time the store keeps)."""
    return datetime.now(UTC)


class Amount(TypeDecorator[Decimal]):
    """Money column: ``NUMERIC(18, 2)``, read back as an exact two-place ``Decimal``."""

    impl = Numeric(18, 2, asdecimal=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if isinstance(value, bool | float) or not isinstance(value, Decimal | int | str):
            raise TypeError(f"money column takes Decimal, int or str, not {type(value).__name__}")
        exact = value if isinstance(value, Decimal) else Decimal(value)
        amount = to_money(exact)
        if amount != exact:
            raise ValueError(f"amount {value!r} has more than two decimal places")
        if abs(amount) >= AMOUNT_LIMIT:
            raise ValueError(f"amount {value!r} is beyond the store's limit of 10**13")
        return amount

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        # str() first: SQLite may hand back a float for computed values (SUM, arithmetic).
        return to_money(Decimal(str(value)))


class UtcDateTime(TypeDecorator[datetime]):
    """Timestamp column holding UTC; naive datetimes are refused on write."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValueError(f"timestamps must be timezone-aware datetimes, got {value!r}")
        moment = value.astimezone(UTC)
        # SQLite keeps text; dropping the (always UTC) offset keeps text order = time order.
        return moment.replace(tzinfo=None) if dialect.name == "sqlite" else moment

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
