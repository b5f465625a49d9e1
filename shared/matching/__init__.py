"""Cash-application matching: payer identification, references, amount-only, decisions."""

from shared.matching.engine import MatchingLimits, decide_batch, link_remittances
from shared.matching.payer import PayerDirectory

__all__ = ["MatchingLimits", "PayerDirectory", "decide_batch", "link_remittances"]
