"""erp_poster: posts decided payments through the ERP's web UI, exactly once, verified.

Entry points (see README.md beside this file for the invariants):

* :func:`post_outbox` posts what the store's outbox holds, with ``seats`` parallel ERP
  sessions, and returns a :class:`PostingReport`; :func:`post_pending` is its short form;
* :func:`enqueue_decisions` queues the ``auto`` lines of a decisions file (FORMAT.md 3.1).
"""

from bots.erp_poster.intake import IntakeReport, enqueue_decisions
from bots.erp_poster.run import PostingReport, evidence_dir, post_outbox, post_pending

__all__ = [
    "IntakeReport",
    "PostingReport",
    "enqueue_decisions",
    "evidence_dir",
    "post_outbox",
    "post_pending",
]
