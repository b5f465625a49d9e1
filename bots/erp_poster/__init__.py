"""erp_poster: posts decided payments through the ERP's web UI (Playwright page objects)."""

from bots.erp_poster.run import post_decision, post_pending

__all__ = ["post_decision", "post_pending"]
