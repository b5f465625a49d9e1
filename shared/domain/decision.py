"""The matcher's answer for one payment, and its line in ``decisions.jsonl``.

A :class:`Decision` is either ``auto`` (post these applications, adjustments and
on-account amount) or ``review`` (a person decides, helped by ranked suggestions).  The
model refuses decisions that could never be posted:

* ``auto`` must balance: ``payment amount = sum(applications) + on_account`` with
  ``on_account >= 0`` (FORMAT.md 2.2), and apply at least one document;
* ``review`` carries a reason and no applications (proposals go in ``suggestions``);
  an exception review names its :class:`ExceptionKind` in the reason (FORMAT.md 2.12);
* a deduction carries a reason code; discounts and bank fees do not (2.4, 2.6, 2.7).

:meth:`Decision.to_json_line` and :meth:`Decision.from_json` speak the exact shape of
FORMAT.md 3.1: amounts are strings with two decimals.  The payment amount, the
exception kind and the evidence are not part of that line; :meth:`Decision.from_json`
takes the amount as an argument and reads the exception back from the reason.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from pydantic import Field, model_validator

from shared.domain.payments import Payment
from shared.domain.vocabulary import (
    AdjustmentType,
    CustomerId,
    DecisionKind,
    DocNo,
    ExceptionKind,
    FrozenModel,
    Money,
    NonBlank,
    PaymentId,
    PositiveMoney,
    ReasonCode,
)
from shared.money import ZERO, format_amount

__all__ = ["Adjustment", "Application", "Decision", "Suggestion"]

_AMOUNT_TEXT = re.compile(r"^-?\d+\.\d{2}$")
_LINE_KEYS = frozenset(
    {
        "payment_id",
        "decision",
        "customer_id",
        "applications",
        "adjustments",
        "on_account",
        "reason",
        "confidence",
        "suggestions",
    }
)


class Application(FrozenModel):
    """Cash applied to one document; negative for a credit memo netted in."""

    doc_no: DocNo
    amount: Money

    @model_validator(mode="after")
    def _not_zero(self) -> Application:
        if self.amount == 0:
            raise ValueError(f"application to {self.doc_no} is zero: leave the document out")
        return self

    def to_json(self) -> dict[str, Any]:
        """``{"doc_no", "amount"}`` as in FORMAT.md 3.1."""
        return {"doc_no": self.doc_no, "amount": format_amount(self.amount)}


class Adjustment(FrozenModel):
    """Part of a document closed without cash: discount, bank fee or deduction."""

    type: AdjustmentType
    doc_no: DocNo
    amount: PositiveMoney
    reason_code: ReasonCode | None = None

    @model_validator(mode="after")
    def _reason_code_only_on_deductions(self) -> Adjustment:
        if self.type is AdjustmentType.DEDUCTION and self.reason_code is None:
            raise ValueError(f"deduction on {self.doc_no} needs a reason code (OTHER if unknown)")
        if self.type is not AdjustmentType.DEDUCTION and self.reason_code is not None:
            raise ValueError(f"{self.type} on {self.doc_no} takes no reason code")
        return self

    def to_json(self) -> dict[str, Any]:
        """``{"type", "doc_no", "amount", "reason_code"}`` as in FORMAT.md 3.1."""
        return {
            "type": self.type.value,
            "doc_no": self.doc_no,
            "amount": format_amount(self.amount),
            "reason_code": None if self.reason_code is None else self.reason_code.value,
        }


def _applied(applications: Iterable[Application]) -> Decimal:
    return sum((a.amount for a in applications), ZERO)


class Suggestion(FrozenModel):
    """A proposal shown to the reviewer, best first; ``evidence`` says why."""

    applications: tuple[Application, ...] = ()
    adjustments: tuple[Adjustment, ...] = ()
    on_account: Money = ZERO
    confidence: float | None = Field(default=None, ge=0.0, le=1.0)
    evidence: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _on_account_not_negative(self) -> Suggestion:
        if self.on_account < 0:
            raise ValueError(f"suggestion on_account {self.on_account} is negative")
        return self

    @property
    def total(self) -> Decimal:
        """Cash this proposal accounts for: applications plus on account."""
        return _applied(self.applications) + self.on_account

    def to_json(self) -> dict[str, Any]:
        """``{"applications", "adjustments", "on_account"}`` as in FORMAT.md 3.1."""
        return {
            "applications": [a.to_json() for a in self.applications],
            "adjustments": [j.to_json() for j in self.adjustments],
            "on_account": format_amount(self.on_account),
        }


class Decision(FrozenModel):
    """What to do with one payment; see the module docstring for the invariants.

    Build it with :meth:`auto` or :meth:`review` from the :class:`Payment`, which fill
    ``payment_amount`` (and ``on_account`` for ``auto``) so the balance is checked.
    """

    payment_id: PaymentId
    kind: DecisionKind
    payment_amount: PositiveMoney | None = None
    customer_id: CustomerId | None = None
    applications: tuple[Application, ...] = ()
    adjustments: tuple[Adjustment, ...] = ()
    on_account: Money = ZERO
    reason: NonBlank | None = None
    exception: ExceptionKind | None = None
    confidence: float | None = Field(default=None, ge=0.0, le=1.0)
    suggestions: tuple[Suggestion, ...] = ()
    evidence: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _postable_or_explained(self) -> Decision:
        if self.kind is DecisionKind.AUTO:
            self._check_auto()
        else:
            self._check_review()
        if self.payment_amount is not None:
            for rank, suggestion in enumerate(self.suggestions, start=1):
                if suggestion.total != self.payment_amount:
                    raise ValueError(
                        f"payment {self.payment_id}: suggestion {rank} accounts for "
                        f"{suggestion.total}, the payment is {self.payment_amount}"
                    )
        return self

    def _check_auto(self) -> None:
        pid = self.payment_id
        if self.exception is not None:
            raise ValueError(f"payment {pid}: exception {self.exception} cannot be posted auto")
        if not self.applications:
            raise ValueError(f"payment {pid}: an auto decision applies at least one document")
        if self.on_account < 0:
            raise ValueError(f"payment {pid}: on_account {self.on_account} is negative")
        if self.payment_amount is None:
            raise ValueError(f"payment {pid}: an auto decision needs payment_amount to balance")
        applied = _applied(self.applications)
        if applied + self.on_account != self.payment_amount:
            raise ValueError(
                f"payment {pid} does not balance: amount {self.payment_amount} != applied "
                f"{applied} + on_account {self.on_account}"
            )

    def _check_review(self) -> None:
        pid = self.payment_id
        if self.reason is None:
            raise ValueError(f"payment {pid}: a review decision needs a reason")
        if self.applications or self.adjustments or self.on_account != 0:
            raise ValueError(
                f"payment {pid}: a review decision posts nothing; put proposals in suggestions"
            )
        if self.exception is not None and self.exception.value not in self.reason:
            raise ValueError(f"payment {pid}: reason must name the exception {self.exception}")

    @classmethod
    def auto(
        cls,
        payment: Payment,
        *,
        applications: Iterable[Application],
        adjustments: Iterable[Adjustment] = (),
        customer_id: CustomerId | None = None,
        confidence: float | None = None,
        evidence: Iterable[str] = (),
    ) -> Decision:
        """Post ``applications``; whatever the payment has left over goes on account.

        Raises ``pydantic.ValidationError`` when the applications exceed the payment.
        """
        apps = tuple(applications)
        return cls(
            payment_id=payment.payment_id,
            kind=DecisionKind.AUTO,
            payment_amount=payment.amount,
            customer_id=customer_id,
            applications=apps,
            adjustments=tuple(adjustments),
            on_account=payment.amount - _applied(apps),
            confidence=confidence,
            evidence=tuple(evidence),
        )

    @classmethod
    def review(
        cls,
        payment: Payment,
        *,
        reason: str | None = None,
        exception: ExceptionKind | None = None,
        customer_id: CustomerId | None = None,
        suggestions: Iterable[Suggestion] = (),
        confidence: float | None = None,
        evidence: Iterable[str] = (),
    ) -> Decision:
        """Send the payment to a person; ``reason`` defaults to the exception's name."""
        if reason is None and exception is not None:
            reason = exception.value
        return cls(
            payment_id=payment.payment_id,
            kind=DecisionKind.REVIEW,
            payment_amount=payment.amount,
            customer_id=customer_id,
            reason=reason,
            exception=exception,
            suggestions=tuple(suggestions),
            confidence=confidence,
            evidence=tuple(evidence),
        )

    @property
    def applied(self) -> Decimal:
        """Sum of the applications (credit memos count negative)."""
        return _applied(self.applications)

    def to_json(self) -> dict[str, Any]:
        """The FORMAT.md 3.1 object, keys in the documented order."""
        return {
            "payment_id": self.payment_id,
            "decision": self.kind.value,
            "customer_id": self.customer_id,
            "applications": [a.to_json() for a in self.applications],
            "adjustments": [j.to_json() for j in self.adjustments],
            "on_account": format_amount(self.on_account),
            "reason": self.reason,
            "confidence": self.confidence,
            "suggestions": [s.to_json() for s in self.suggestions],
        }

    def to_json_line(self) -> str:
        """One line of ``decisions.jsonl`` (no trailing newline)."""
        return json.dumps(self.to_json(), ensure_ascii=False)

    @classmethod
    def from_json(
        cls, line: str | Mapping[str, Any], *, payment_amount: Decimal | None = None
    ) -> Decision:
        """Read one FORMAT.md 3.1 line (text or parsed object) back into a Decision.

        Amounts must be JSON strings with exactly two decimals, and unknown keys are
        refused (a misspelt ``on_acount`` would otherwise read as zero).  The line does
        not carry the payment amount: pass ``payment_amount`` to have an ``auto`` line
        checked against it; without it, ``applications + on_account`` is taken as the
        amount.  Raises ``ValueError`` (``pydantic.ValidationError`` for model rules).
        """
        obj: Any = json.loads(line) if isinstance(line, str) else line
        if not isinstance(obj, Mapping):
            raise ValueError("a decision line must be a JSON object")
        unknown = set(obj) - _LINE_KEYS
        if unknown:
            raise ValueError(f"unknown keys in decision line: {sorted(unknown)}")
        _check_amount_texts(obj, "")
        kind = DecisionKind(str(obj.get("decision")))
        applications = tuple(Application(**a) for a in obj.get("applications") or ())
        on_account = Decimal(obj.get("on_account") or "0.00")
        if payment_amount is None and kind is DecisionKind.AUTO:
            payment_amount = _applied(applications) + on_account
        reason = obj.get("reason")
        return cls(
            payment_id=obj.get("payment_id"),
            kind=kind,
            payment_amount=payment_amount,
            customer_id=obj.get("customer_id"),
            applications=applications,
            adjustments=tuple(Adjustment(**j) for j in obj.get("adjustments") or ()),
            on_account=on_account,
            reason=reason,
            exception=_exception_in(reason) if kind is DecisionKind.REVIEW else None,
            confidence=obj.get("confidence"),
            suggestions=tuple(
                Suggestion(
                    applications=tuple(Application(**a) for a in s.get("applications") or ()),
                    adjustments=tuple(Adjustment(**j) for j in s.get("adjustments") or ()),
                    on_account=s.get("on_account") or "0.00",
                )
                for s in obj.get("suggestions") or ()
            ),
        )


def _exception_in(reason: object) -> ExceptionKind | None:
    if not isinstance(reason, str):
        return None
    for kind in ExceptionKind:
        if re.search(rf"\b{kind.value}\b", reason):
            return kind
    return None


def _check_amount_texts(obj: Mapping[str, Any], where: str) -> None:
    """FORMAT.md 3.1: "JSON numbers are rejected" for every amount."""

    def check(value: object, at: str) -> None:
        if value is not None and not (isinstance(value, str) and _AMOUNT_TEXT.match(value)):
            raise ValueError(f"{at}: amount must be a string with two decimals, got {value!r}")

    check(obj.get("on_account"), f"{where}on_account")
    for key in ("applications", "adjustments"):
        for i, entry in enumerate(obj.get(key) or ()):
            if not isinstance(entry, Mapping):
                raise ValueError(f"{where}{key}[{i}] must be an object")
            check(entry.get("amount"), f"{where}{key}[{i}].amount")
    for i, suggestion in enumerate(obj.get("suggestions") or ()):
        if not isinstance(suggestion, Mapping):
            raise ValueError(f"{where}suggestions[{i}] must be an object")
        _check_amount_texts(suggestion, f"{where}suggestions[{i}].")
