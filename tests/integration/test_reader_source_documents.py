"""A review item from the reader carries the mail or the file as the bot saw it."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from bots.remittance_reader import read_mailbox, read_statements
from shared.mail.sources import FolderMailSource
from shared.store import list_review_items, read_transaction
from shared.store.review_queue import get_review_document, list_review_documents

pytestmark = pytest.mark.integration

UNREADABLE_ADVICE = (
    b"From: ap@customer.test\r\nTo: ar@northwind.test\r\nSubject: Remittance advice 4711\r\n"
    b"Message-ID: <advice-4711@customer.test>\r\nContent-Type: text/plain\r\n\r\n"
    b"Please find our remittance advice attached.\r\n")


def test_mail_and_statement_review_items_keep_their_source(store_engine: Engine,
                                                         tmp_path: Path) -> None:
    mail = tmp_path / "mail"
    mail.mkdir()
    (mail / "0001.eml").write_bytes(UNREADABLE_ADVICE)
    bank = tmp_path / "bank"
    bank.mkdir()
    (bank / "broken.xml").write_bytes(b"<Document><BkToCstmrStmt>")

    read_statements(store_engine, bank)
    read_mailbox(store_engine, FolderMailSource(mail))
    read_mailbox(store_engine, FolderMailSource(mail))  # a rerun attaches nothing twice
    read_statements(store_engine, bank)

    with read_transaction(store_engine) as session:
        items = list_review_items(session)
        documents = {item.title: list_review_documents(session, item_id=item.item_id)
                     for item in items}
        mail_item = next(i for i in items if "remittance" in i.title.lower())
        [mail_doc] = documents[mail_item.title]
        _, stored = get_review_document(session, item_id=mail_item.item_id,
                                        document_id=mail_doc.document_id)
    assert len(items) == 2
    assert all(len(docs) == 1 for docs in documents.values())
    assert mail_doc.content_type == "message/rfc822"
    assert stored == UNREADABLE_ADVICE
    statement_docs = [d for t, docs in documents.items() if "broken.xml" in t for d in docs]
    assert [d.name for d in statement_docs] == ["broken.xml"]
