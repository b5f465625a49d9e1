"""Cash-application matching: payer identification, references, amount-only, decisions."""

from shared.matching.engine import MatchingPolicy, decide_batch
from shared.matching.payer import PayerDirectory

__all__ = ["MatchingPolicy", "PayerDirectory", "decide_batch"]
