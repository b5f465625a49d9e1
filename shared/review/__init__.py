"""The review queue's faces: the handler's web page and the actions behind it."""

from shared.review.web import create_review_app

__all__ = ["create_review_app"]
