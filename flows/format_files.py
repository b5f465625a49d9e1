"""The files of the benchmark contract (the benchmark's FORMAT.md, section 3), from the store.

* ``decisions.jsonl``: one line per stored payment, its latest decision (a payment the
  matcher has not decided is written as ``review`` with the reason "not decided");
* ``documents.jsonl``: one line per mail of a folder source, the kind it was read as
  and, for remittances, the lines with our document numbers.

Both are written from what the pipeline stored, never from a side channel, so the files
describe exactly what production would have done.
"""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine

from bots.remittance_reader.run import message_uid
from shared.domain import Decision
from shared.mail.sources import RawMessage
from shared.store import (
    latest_decision,
    list_messages,
    list_payments,
    list_remittances,
    read_transaction,
)

__all__ = ["write_decisions_file", "write_documents_file"]


def write_decisions_file(engine: Engine, path: Path) -> int:
    """Write ``decisions.jsonl``; returns the number of lines."""
    lines = []
    with read_transaction(engine) as session:
        for payment in list_payments(session):
            record = latest_decision(session, payment_id=payment.payment_id)
            decision = record.decision if record is not None else Decision.review(
                payment, reason="not decided")
            lines.append(decision.to_json_line())
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return len(lines)


def write_documents_file(engine: Engine, mail_dir: Path, path: Path) -> int:
    """Write ``documents.jsonl`` for every ``.eml`` of ``mail_dir``; returns the count."""
    source = str(mail_dir)
    with read_transaction(engine) as session:
        kinds = {m.uid: m.kind for m in list_messages(session, source=source)}
        by_file = {r.source: r for r in list_remittances(session)}
    out = []
    for eml in sorted(mail_dir.glob("*.eml")):
        _, uid = message_uid(RawMessage(source=source, key=eml.name, raw=b""))
        kind = kinds.get(uid) or "other"
        entry: dict[str, object] = {"file": f"mail/{eml.name}", "kind": kind}
        remittance = by_file.get(eml.name)
        if kind == "remittance" and remittance is not None:
            # A line whose reference is not one of our documents has no doc_no to report.
            entry["lines"] = [{"doc_no": line.doc_no, "paid": f"{line.paid:.2f}"}
                              for line in remittance.lines if line.doc_no is not None]
        out.append(json.dumps(entry, ensure_ascii=False))
    path.write_text("".join(line + "\n" for line in out), encoding="utf-8")
    return len(out)
