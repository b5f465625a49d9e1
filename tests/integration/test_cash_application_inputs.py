"""A run whose input folder is missing stops at that step and says which setting to fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from flows.cash_application import run_cash_application
from shared.errors import ConfigurationError
from shared.mail.sources import FolderMailSource
from shared.store import read_transaction
from shared.store.tables import CustomerRow

pytestmark = pytest.mark.integration


def test_missing_ledger_export_names_the_setting(store_engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"inputs\.ledger_folder"):
        run_cash_application(store_engine, ledger_dir=tmp_path / "nowhere",
                             statements_dir=tmp_path, mail_source=FolderMailSource(tmp_path))


def test_missing_statement_folder_names_the_setting(store_engine: Engine, tmp_path: Path) -> None:
    ledger = tmp_path / "ledger"
    ledger.mkdir()
    (ledger / "customers.csv").write_text(
        "customer_id,name,aliases,parent_id,currency,terms,country,remit_emails,bank_accounts\n"
        "C00001,Acme Corp,,,USD,NET30,US,,\n")
    (ledger / "open_items.csv").write_text(
        "doc_no,doc_type,customer_id,po_number,doc_date,due_date,currency,amount,open_amount,"
        "discount_date,discount_amount\n")
    with pytest.raises(ConfigurationError, match=r"inputs\.statements_folder"):
        run_cash_application(store_engine, ledger_dir=ledger,
                             statements_dir=tmp_path / "no-bank",
                             mail_source=FolderMailSource(tmp_path))
    with read_transaction(store_engine) as session:
        assert session.scalar(select(func.count()).select_from(CustomerRow)) == 1
