"""The review page's small guards: tokens, redirect targets, the CSP text."""

from __future__ import annotations

import pytest

from shared.review.auth import safe_next
from shared.review.security import APP_CSP, UNTRUSTED_CSP, new_token, tokens_match


def test_tokens_are_random_and_compared_exactly() -> None:
    token = new_token()
    assert len(token) >= 40 and token != new_token()
    assert tokens_match(token, token)
    assert not tokens_match(token, token[:-1])
    assert not tokens_match(token, None)
    assert not tokens_match(None, token)
    assert not tokens_match("", "")


@pytest.mark.parametrize(("target", "expected"), [
    ("/items/4?x=1", "/items/4?x=1"), ("/", "/"), (None, "/"), ("", "/"),
    ("//evil.example/x", "/"), ("https://evil.example", "/"), ("/\\evil.example", "/"),
])
def test_sign_in_only_returns_to_local_pages(target: str | None, expected: str) -> None:
    assert safe_next(target) == expected


def test_the_policies_allow_no_inline_script_and_no_remote_loads() -> None:
    directives = dict(d.strip().split(" ", 1) for d in APP_CSP.split(";"))
    assert directives["default-src"] == "'none'" and directives["script-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'" and directives["form-action"] == "'self'"
    assert "unsafe" not in APP_CSP and "http" not in APP_CSP
    assert "sandbox" in UNTRUSTED_CSP and "script-src" not in UNTRUSTED_CSP
    assert "img-src data:" in UNTRUSTED_CSP and "form-action 'none'" in UNTRUSTED_CSP
