"""Showing source documents as the bot saw them, without trusting them.

A document is what a bot attached to an item: a whole mail (``message/rfc822``), an
HTML or plain-text body, a PDF, or an image.  :func:`describe` says how to show it;
a mail is split into its body and its attachments (``parts``), each shown like a
document of its own.

Customer HTML is hostile until proven otherwise.  :func:`sanitize_html` keeps the
layout and text and drops everything active or remote (script, forms, frames, event
handlers, ``javascript:`` links, remote images and style sheets), and the page shows the
result in an ``<iframe sandbox>`` served with :data:`~shared.review.security.UNTRUSTED_CSP`:
three independent walls, so one mistake does not run a customer's script in a handler's
session.  PDFs are rendered to PNG pages on the server (pypdfium2), so no PDF reader
runs in the browser.
"""

from __future__ import annotations

import email
import email.policy
import io
import re
from dataclasses import dataclass, field
from email.message import EmailMessage, Message
from functools import lru_cache

import lxml.html
from lxml import etree

__all__ = [
    "DocumentView",
    "Part",
    "describe",
    "part_content",
    "pdf_page_png",
    "sanitize_html",
]

IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "image/tiff",
                         "image/bmp"})
BROWSER_IMAGES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
MAX_PDF_PAGES = 20
_DROP = ("script", "noscript", "iframe", "frame", "frameset", "object", "embed", "applet",
         "form", "input", "button", "select", "textarea", "link", "meta", "base", "svg",
         "math", "template", "audio", "video", "source", "track", "canvas", "portal")
_URL_ATTRS = ("href", "src", "action", "formaction", "background", "poster", "srcset",
              "xlink:href", "data", "lowsrc", "dynsrc", "cite", "longdesc", "ping")
_REMOTE_CSS = re.compile(r"url\s*\(|@import|expression\s*\(|behavior\s*:", re.I)


@dataclass(frozen=True)
class Part:
    """One showable piece of a document (the mail body, an attachment)."""

    index: int
    name: str
    content_type: str
    kind: str  # "html", "text", "pdf", "image", "other"
    size: int
    pages: int = 0


@dataclass(frozen=True)
class DocumentView:
    """How to show a document: headers for mail, its text, its parts."""

    kind: str  # "email" or the kind of its only part
    headers: tuple[tuple[str, str], ...] = ()
    parts: tuple[Part, ...] = field(default=())


def _kind(content_type: str) -> str:
    ctype = content_type.split(";")[0].strip().lower()
    if ctype == "text/html":
        return "html"
    if ctype.startswith("text/"):
        return "text"
    if ctype == "application/pdf":
        return "pdf"
    if ctype in IMAGE_TYPES:
        return "image"
    return "other"


def _pdf_pages(data: bytes) -> int:
    try:
        import pypdfium2 as pdfium

        pdf = pdfium.PdfDocument(data)
        try:
            return min(len(pdf), MAX_PDF_PAGES)
        finally:
            pdf.close()
    except Exception:  # an unreadable PDF is shown as a download, not an error page
        return 0


def _parts_of_mail(content: bytes) -> tuple[EmailMessage, list[tuple[str, str, bytes]]]:
    message = email.message_from_bytes(content, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    found: list[tuple[str, str, bytes]] = []
    body = message.get_body(preferencelist=("html", "plain"))
    if body is not None:
        found.append(("Message", body.get_content_type(), _payload(body)))
    for attachment in message.iter_attachments():
        name = attachment.get_filename() or f"attachment.{attachment.get_content_subtype()}"
        found.append((name, attachment.get_content_type(), _payload(attachment)))
    return message, found


def _payload(part: Message) -> bytes:
    raw = part.get_payload(decode=True)
    if not isinstance(raw, bytes):
        return b""
    if part.get_content_maintype() == "text":
        charset = part.get_content_charset() or "utf-8"
        try:
            return raw.decode(charset, errors="replace").encode("utf-8")
        except LookupError:
            return raw.decode("utf-8", errors="replace").encode("utf-8")
    return raw


def _pieces(content_type: str, content: bytes) -> list[tuple[str, str, bytes]]:
    if content_type.split(";")[0].strip().lower() == "message/rfc822":
        return _parts_of_mail(content)[1]
    return [("Document", content_type, content)]


@lru_cache(maxsize=64)
def _describe(content_type: str, content: bytes) -> DocumentView:
    parts = tuple(
        Part(index=i, name=name, content_type=ctype, kind=_kind(ctype), size=len(data),
             pages=_pdf_pages(data) if _kind(ctype) == "pdf" else 0)
        for i, (name, ctype, data) in enumerate(_pieces(content_type, content))
    )
    if content_type.split(";")[0].strip().lower() == "message/rfc822":
        message = email.message_from_bytes(content, policy=email.policy.default)
        headers = tuple((h, str(message.get(h, ""))) for h in ("From", "To", "Date", "Subject")
                        if message.get(h))
        return DocumentView(kind="email", headers=headers, parts=parts)
    return DocumentView(kind=parts[0].kind, parts=parts)


def describe(content_type: str, content: bytes) -> DocumentView:
    """How to show a stored document (cached: documents never change)."""
    return _describe(content_type, content)


def part_content(content_type: str, content: bytes, index: int) -> tuple[str, bytes]:
    """The content type and bytes of part ``index``; IndexError when there is none."""
    _, ctype, data = _pieces(content_type, content)[index]
    return ctype, data


def sanitize_html(html: str) -> tuple[str, int]:
    """Customer HTML with everything active or remote removed; and how much was blocked.

    Keeps text, tables, inline styles without ``url()``, and ``data:`` images.  Returns
    the clean fragment and the number of removed remote references and active elements.
    """
    if not html.strip():
        return "", 0
    try:
        root = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return "", 1
    blocked = 0
    for element in list(root.iter()):
        if not isinstance(element.tag, str):  # comments, processing instructions
            if element.getparent() is not None:
                element.drop_tree()
            continue
        tag = element.tag.lower()
        if tag in _DROP or (tag == "style" and _REMOTE_CSS.search(element.text or "")):
            blocked += 1
            element.drop_tree()
            continue
        for attribute in list(element.attrib):
            name = attribute.lower()
            value = element.attrib[attribute]
            if name.startswith("on") or name in ("srcdoc", "formtarget", "target"):
                del element.attrib[attribute]
                blocked += name.startswith("on")
            elif name in _URL_ATTRS:
                keep = (name == "src" and tag == "img" and value.strip().lower().startswith(
                    "data:image/")) or (name == "href" and _safe_link(value))
                if not keep:
                    del element.attrib[attribute]
                    blocked += name != "href"
            elif name == "style" and _REMOTE_CSS.search(value):
                del element.attrib[attribute]
                blocked += 1
    body = root.find("body")
    target = body if body is not None else root
    inner = "".join(etree.tostring(child, encoding="unicode", method="html")
                    for child in target)
    return (target.text or "") + inner, blocked


def _safe_link(value: str) -> bool:
    # Links stay visible as text targets but cannot navigate out of the sandbox anyway;
    # keep only mailto and fragment links to avoid tempting clicks to remote pages.
    lowered = value.strip().lower()
    return lowered.startswith(("mailto:", "#"))


def pdf_page_png(data: bytes, page: int, *, width: int = 1100) -> bytes:
    """Page ``page`` (0-based) of a PDF as a PNG ``width`` pixels wide."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(data)
    try:
        if not 0 <= page < min(len(pdf), MAX_PDF_PAGES):
            raise IndexError(page)
        pdf_page = pdf[page]
        scale = width / pdf_page.get_width()
        image = pdf_page.render(scale=scale).to_pil()
        out = io.BytesIO()
        image.save(out, format="PNG", optimize=True)
        return out.getvalue()
    finally:
        pdf.close()


def image_for_browser(content_type: str, data: bytes) -> tuple[str, bytes]:
    """Images the browser cannot show (TIFF, BMP) converted to PNG."""
    if content_type in BROWSER_IMAGES:
        return content_type, data
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        out = io.BytesIO()
        image.convert("RGB").save(out, format="PNG")
    return "image/png", out.getvalue()
