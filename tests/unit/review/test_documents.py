"""Customer documents shown safely: HTML cleaning, mail parts, PDF pages."""

from __future__ import annotations

import io
from email.message import EmailMessage

import pytest
from PIL import Image

from shared.review.documents import describe, part_content, pdf_page_png, sanitize_html

EVIL = "http://evil.example"


@pytest.mark.parametrize("html", [
    f"<script>fetch('{EVIL}/s')</script><p>ok</p>",
    f"<p onclick=\"fetch('{EVIL}')\">ok</p>",
    f"<img src='{EVIL}/pixel.gif'><p>ok</p>",
    f"<iframe src='{EVIL}'></iframe><p>ok</p>",
    f"<form action='{EVIL}'><input name=a></form><p>ok</p>",
    f"<a href='javascript:fetch(\"{EVIL}\")'>ok</a>",
    f"<p style='background:url({EVIL}/bg)'>ok</p>",
    f"<style>@import url({EVIL}/x.css);</style><p>ok</p>",
    f"<svg onload=\"fetch('{EVIL}')\"></svg><p>ok</p>",
    f"<object data='{EVIL}'></object><p>ok</p>",
    f"<meta http-equiv=refresh content='0;url={EVIL}'><p>ok</p>",
    f"<base href='{EVIL}/'><link rel=stylesheet href='{EVIL}/c.css'><p>ok</p>",
    f"<video poster='{EVIL}/p'></video><p>ok</p>",
    f"<img srcset='{EVIL}/a 1x'><p>ok</p>",
    f"<!-- <script>fetch('{EVIL}')</script> --><p>ok</p>",
])
def test_active_and_remote_content_is_removed(html: str) -> None:
    clean, _ = sanitize_html(html)
    assert "ok" in clean
    lowered = clean.lower()
    for bad in ("evil.example", "<script", "onclick", "onload", "javascript:", "<iframe",
                "<form", "<object", "<meta", "<base", "<link", "<svg"):
        assert bad not in lowered, (bad, clean)


def test_layout_text_and_inline_images_are_kept() -> None:
    html = ("<table border=1><tr><td style='color:red'>INV-1</td><td>12.50</td></tr></table>"
            "<img src='data:image/png;base64,iVBORw0KGgo='><a href='mailto:ap@x.com'>mail</a>")
    clean, blocked = sanitize_html(html)
    assert "<table" in clean and "INV-1" in clean and "color:red" in clean
    assert "data:image/png" in clean and "mailto:ap@x.com" in clean
    assert blocked == 0


def test_a_mail_is_split_into_body_and_attachments() -> None:
    message = EmailMessage()
    message["From"] = "AP <ap@acme.example>"
    message["Subject"] = "Remittance"
    message.set_content("plain body")
    message.add_alternative("<p>html body</p>", subtype="html")
    message.add_attachment(b"%PDF-1.4 broken", maintype="application", subtype="pdf",
                           filename="advice.pdf")
    view = describe("message/rfc822", message.as_bytes())
    assert view.kind == "email" and ("Subject", "Remittance") in view.headers
    assert [(p.name, p.kind) for p in view.parts] == [("Message", "html"),
                                                     ("advice.pdf", "pdf")]
    assert view.parts[1].pages == 0  # unreadable: offered as a download
    ctype, body = part_content("message/rfc822", message.as_bytes(), 0)
    assert ctype == "text/html" and b"html body" in body


def test_pdf_pages_are_rendered_to_png() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (200, 300), "white").save(buffer, format="PDF")
    view = describe("application/pdf", buffer.getvalue())
    assert view.kind == "pdf" and view.parts[0].pages == 1
    png = pdf_page_png(buffer.getvalue(), 0, width=300)
    assert png[:4] == b"\x89PNG"
    assert Image.open(io.BytesIO(png)).size[0] == 300
    with pytest.raises(IndexError):
        pdf_page_png(buffer.getvalue(), 1)
