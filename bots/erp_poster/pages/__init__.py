"""Playwright page objects (sync API) for the sandbox ERP's screens.

Locators are built in ``__init__`` from roles and labels; methods express intent
(``start``, ``apply_lines``, ``add_adjustment``, ``save``...).  Page classes only act and
read: what to post, and what to do when the ERP refuses, is the poster's decision.
"""

from bots.erp_poster.pages.errors import (
    DocumentNotInGrid,
    ErpPageError,
    LoginRejected,
    PaymentRejected,
    SessionExpired,
)
from bots.erp_poster.pages.login import LoginPage
from bots.erp_poster.pages.payment_entry import EntryTotals, GridLine, PaymentEntryPage
from bots.erp_poster.pages.payment_list import PaymentListPage, PaymentListRow
from bots.erp_poster.pages.payment_view import (
    PaymentViewPage,
    PostedAdjustment,
    PostedApplication,
    PostedPayment,
)

__all__ = [
    "DocumentNotInGrid",
    "EntryTotals",
    "ErpPageError",
    "GridLine",
    "LoginPage",
    "LoginRejected",
    "PaymentEntryPage",
    "PaymentListPage",
    "PaymentListRow",
    "PaymentRejected",
    "PaymentViewPage",
    "PostedAdjustment",
    "PostedApplication",
    "PostedPayment",
    "SessionExpired",
]
