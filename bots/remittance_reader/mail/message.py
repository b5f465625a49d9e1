"""One received mail, parsed once: headers we log by, bodies we read, attachments we open.

Contract: :func:`parse_message` never raises, whatever the bytes.  Malformed MIME is
read as far as it goes: every ``text/plain`` and ``text/html`` body (odd or lying
charsets decoded through fallbacks), every attachment with its decoded bytes
(base64, quoted-printable, uuencode, missing or unknown transfer encodings), inline
images, and forwarded messages (``message/rfc822`` parts, followed recursively, and
``Fwd:`` mails that quote the original inline).  Bodies of a forwarded message are
appended to ``text``/``html`` and its attachments to ``parts`` (``forwarded=True``);
the mail is marked ``forwarded`` so the channel can be reported as such.

What could not be read is left out and said in ``problems`` (a part over the size
limit, nesting too deep); the caller decides, and an empty result is a review item.
Delivery reports (bounces) are marked ``bounce``; the returned message inside one is
not read as a remittance.
"""

from __future__ import annotations

import binascii
import codecs
import email
import html as html_lib
import mimetypes
import re
from dataclasses import dataclass, field
from datetime import datetime
from email.header import decode_header
from email.message import Message
from email.policy import Compat32
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from typing import Any

__all__ = [
    "DEFAULT_MAX_PART_BYTES",
    "Attachment",
    "ParsedMail",
    "decode_text",
    "parse_message",
]

DEFAULT_MAX_PART_BYTES = 20 * 1024 * 1024
_MAX_DEPTH = 8  # forwards of forwards (and nested multiparts) we follow before giving up

_TAGS = re.compile(r"<[^>]+>")
_SCRIPT_STYLE = re.compile(r"<(script|style)\b.*?</\1>", re.IGNORECASE | re.DOTALL)
_BLOCK_END = re.compile(r"<br\s*/?>|</(p|div|tr|h\d|li|table)>", re.IGNORECASE)


def html_to_text(html: str) -> str:
    """Readable text of an HTML body (tags dropped, block ends kept as line breaks)."""
    text = _TAGS.sub(" ", _BLOCK_END.sub("\n", _SCRIPT_STYLE.sub(" ", html)))
    lines = (" ".join(line.split()) for line in html_lib.unescape(text).splitlines())
    return "\n".join(line for line in lines if line)
_MSG_IDS = re.compile(r"<[^<>\s]+>")
_FWD_SUBJECT = re.compile(r"^\s*(?:(?:re|aw)\s*:\s*)*(?:fwd?|wg|tr|rv|doorgestuurd)\s*:", re.I)
# Markers mail clients put above an inline-forwarded original.  "Original Message"
# is also a reply marker, so it only counts when the subject says "Fwd:"/"FW:".
_FWD_MARKER = re.compile(
    r"^[ \t>]*(?:-{3,}\s*Forwarded message\s*-{3,}|-{3,}\s*Forwarded Message\s*-{3,}"
    r"|Begin forwarded message:|-{3,}\s*Weitergeleitete Nachricht\s*-{3,})[ \t]*$",
    re.I | re.M,
)
_ORIGINAL_MARKER = re.compile(r"^[ \t>]*-{3,}\s*Original Message\s*-{3,}[ \t]*$", re.I | re.M)
_QUOTED_HEADER = re.compile(r"^[ \t>]*(From|Subject|Date|Sent|To)\s*:\s*(.*)$", re.I)
_UU_BLOCK = re.compile(r"^begin [0-7]{3,4} ([^\r\n]+)\r?\n(.*?)^end[ \t]*\r?$", re.M | re.S)
# A dash-boundary line followed by a part header or a blank line.
_BOUNDARY_LINE = re.compile(r"^--(\S{1,200}?)[ \t]*\r?\n(?=[A-Za-z-]+:|\r?\n)", re.M)

# Charset labels mail clients send that Python does not know, or knows too narrowly.
# ISO-8859-1 is read as its superset cp1252, as browsers do (WHATWG encoding spec).
_CHARSET_ALIASES = {
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "euc-kr": "cp949",
    "iso-8859-8-i": "iso-8859-8",
    "windows-874": "cp874",
    "x-mac-roman": "mac_roman",
    "macintosh": "mac_roman",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "utf8": "utf-8",
    "x-sjis": "shift_jis",
}
_UNKNOWN_CHARSETS = {"", "us-ascii", "ascii", "x-unknown", "unknown-8bit", "x-user-defined",
                     "unknown", "none", "default", "charset"}


@dataclass(frozen=True)
class Attachment:
    """One attachment (or inline image) with its decoded bytes."""

    name: str  # the file name as sent; made up from the type ("part3.pdf") when none
    content_type: str  # lower case, e.g. "application/pdf"
    data: bytes = field(repr=False)
    inline: bool = False  # shown in the body (Content-Disposition inline / Content-ID)
    forwarded: bool = False  # came from inside a forwarded message
    content_id: str = ""


@dataclass(frozen=True)
class ParsedMail:
    """A mail as read: identifiers, bodies, attachments and what could not be read."""

    message_id: str
    sender: str
    sender_name: str
    subject: str
    text: str
    html: str
    parts: list[Attachment] = field(default_factory=list)
    date: datetime | None = None  # the Date header, when it parses
    in_reply_to: str = ""
    references: list[str] = field(default_factory=list)
    forwarded: bool = False  # carries a forwarded message (rfc822 part or inline "Fwd:")
    original_sender: str = ""  # From of the (first) forwarded message, lower case
    original_sender_name: str = ""
    original_subject: str = ""
    bounce: bool = False  # a delivery status report (multipart/report)
    problems: list[str] = field(default_factory=list)

    @property
    def attachments(self) -> list[tuple[str, str]]:
        """(name, content type) of every part, for logs and review reasons."""
        return [(p.name, p.content_type) for p in self.parts]

    @property
    def readable_text(self) -> str:
        """The plain body, or the HTML body with its tags stripped when there is none."""
        if self.text.strip():
            return self.text
        return " ".join(html_to_text(self.html).split())


class _RawHeaders(Compat32):
    """compat32 parsing, but header values handed back untouched (8-bit bytes kept)."""

    def header_fetch_parse(self, name: str, value: str) -> str:
        return value


_POLICY = _RawHeaders()


def _known_codec(label: str) -> str | None:
    try:
        return codecs.lookup(label).name
    except (LookupError, ValueError):  # unknown label, or one with a NUL byte in it
        return None


def decode_text(data: bytes, charset: str | None = None) -> str:
    """Bytes to text: the declared charset if it fits, else UTF-8, cp1252, Latin-1.

    Never raises.  A declared multi-byte charset that fits all but a few bytes is kept
    (with replacement characters) rather than guessed away.
    """
    label = (charset or "").strip().strip("\"'").lower()
    codec = _known_codec(_CHARSET_ALIASES.get(label, label)) if label not in _UNKNOWN_CHARSETS \
        else None
    if codec:
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            text = data.decode(codec, "replace")
            if text.count("\ufffd") * 100 <= max(len(text), 1):
                return text
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for fallback in ("utf-8", "cp1252"):
        try:
            return data.decode(fallback)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _unfold(value: str) -> str:
    return " ".join(value.split())


def _raw_to_text(value: str, hint: str | None = None) -> str:
    """A raw header value as text, encoded-words decoded.

    Raw 8-bit bytes (kept by the parser as surrogates) are read as UTF-8 when valid
    (RFC 6532), else in ``hint``, the charset the mail's body declares, else cp1252.
    """
    if any("\udc80" <= ch <= "\udcff" for ch in value):
        data = value.encode("ascii", "surrogateescape")
        try:
            value = data.decode("utf-8")
        except UnicodeDecodeError:
            value = decode_text(data, hint)
    try:
        chunks = decode_header(value)
    except Exception:  # a broken encoded-word leaves the raw text
        return _unfold(value)
    out: list[str] = []
    for chunk, chunk_charset in chunks:
        if isinstance(chunk, str):
            out.append(chunk)
        elif chunk_charset:
            out.append(decode_text(chunk, chunk_charset))
        else:
            out.append(chunk.decode("raw-unicode-escape", "replace"))
    return _unfold("".join(out))


def _header(msg: Message, name: str, hint: str | None = None) -> str:
    try:
        value = msg.get(name)
    except Exception:
        return ""
    if not isinstance(value, str):
        return ""
    try:
        return _raw_to_text(value, hint)
    except Exception:  # whatever a hostile header does, the raw text is still something
        return _unfold(value.encode("utf-8", "replace").decode("utf-8"))


def _content_type(part: Message) -> str:
    try:
        return part.get_content_type().lower()
    except Exception:
        return "text/plain"


def _param(part: Message, name: str) -> str:
    try:
        value = part.get_param(name)
    except Exception:
        return ""
    if isinstance(value, tuple):
        value = email.utils.collapse_rfc2231_value(value, errors="replace")
    return _raw_to_text(value) if isinstance(value, str) else ""


def _filename(part: Message) -> str:
    try:
        name = part.get_filename()
    except Exception:
        name = None
    if not name:
        name = _param(part, "name")
    if not name:
        location = _header(part, "Content-Location")
        name = location.rstrip("/").rpartition("/")[2]
    # Some clients send the sender's full path ("C:\\TEMP\\x.png"): keep the file name.
    name = _raw_to_text(name).replace("\x00", "").replace("\\", "/") if name else ""
    return name.rstrip("/").rpartition("/")[2].strip()


def _disposition(part: Message) -> str:
    try:
        return (part.get_content_disposition() or "").lower()
    except Exception:
        return ""


def _estimated_size(part: Message) -> int:
    payload = part.get_payload()
    if not isinstance(payload, str):
        return 0
    cte = _header(part, "Content-Transfer-Encoding").lower()
    return len(payload) * 3 // 4 if cte == "base64" else len(payload)


def _decoded(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:  # undecodable payload: keep the raw bytes
        raw = part.get_payload()
        return raw.encode("ascii", "surrogateescape") if isinstance(raw, str) else b""
    return data if isinstance(data, bytes) else b""


def _uudecode(block: str) -> bytes:
    out = bytearray()
    for line in block.splitlines():
        if not line.strip() or line.strip() == "`":
            continue
        raw = line.encode("latin-1", "replace")
        try:
            out += binascii.a2b_uu(raw)
        except binascii.Error:
            # Workaround for encoders that pad lines wrongly (as the stdlib does).
            nbytes = (((raw[0] - 32) & 63) * 4 + 5) // 3
            try:
                out += binascii.a2b_uu(raw[:nbytes])
            except binascii.Error:
                continue
    return bytes(out)


def _made_up_name(ctype: str, index: int) -> str:
    ext = mimetypes.guess_extension(ctype, strict=False) or ".bin"
    return f"part{index}{ext}"


class _Walker:
    """Collects bodies and attachments while walking one MIME tree."""

    def __init__(self, max_part_bytes: int) -> None:
        self.max_part_bytes = max_part_bytes
        self.text: list[str] = []
        self.html: list[str] = []
        self.parts: list[Attachment] = []
        self.problems: list[str] = []
        self.forwarded: list[Message] = []
        self.bounce = False
        self.charset_hint: str | None = None  # first charset a body declares
        self._leaves = 0

    def walk(self, part: Message, *, forwarded: bool, depth: int) -> None:
        if depth > _MAX_DEPTH:
            self.problems.append(f"MIME nesting deeper than {_MAX_DEPTH} levels was not read")
            return
        ctype = _content_type(part)
        payload = part.get_payload()
        if ctype.startswith("message/") and isinstance(payload, list):
            if ctype in ("message/rfc822", "message/global", "message/news"):
                for inner in payload:
                    if isinstance(inner, Message):
                        self.forwarded.append(inner)
                        self.walk(inner, forwarded=True, depth=depth + 1)
            return  # message/delivery-status and friends: report data, not content
        if isinstance(payload, list):
            self._walk_multipart(part, ctype, payload, forwarded=forwarded, depth=depth)
            return
        if ctype.startswith("multipart/"):
            recovered = _recover_multipart(part)
            if recovered is not None:
                self.problems.append("a multipart boundary was wrong; the parts were recovered")
                self.walk(recovered, forwarded=forwarded, depth=depth + 1)
                return
            ctype = "text/plain"  # a "lying" multipart: its body is plain text
        self._leaf(part, ctype, forwarded=forwarded)

    def _walk_multipart(
        self, part: Message, ctype: str, subparts: list[Any], *, forwarded: bool, depth: int
    ) -> None:
        if ctype == "multipart/report":
            self.bounce = True
        for sub in subparts:
            if not isinstance(sub, Message):
                continue
            sub_type = _content_type(sub)
            if ctype == "multipart/report" and (
                sub_type.startswith("message/") or sub_type == "text/rfc822-headers"
            ):
                continue  # the returned original of a bounce is ours, not a remittance
            self.walk(sub, forwarded=forwarded, depth=depth + 1)

    def _leaf(self, part: Message, ctype: str, *, forwarded: bool) -> None:
        self._leaves += 1
        name = _filename(part)
        disposition = _disposition(part)
        size = _estimated_size(part)
        if size > self.max_part_bytes:
            label = name or ctype
            self.problems.append(
                f"{label} is about {size / 1_048_576:.1f} MB, over the "
                f"{self.max_part_bytes / 1_048_576:.0f} MB limit; it was not decoded"
            )
            return
        data = _decoded(part)
        is_body = ctype in ("text/plain", "text/html") and not name and disposition != "attachment"
        if is_body:
            try:
                charset = part.get_content_charset()
            except Exception:
                charset = None
            self.charset_hint = self.charset_hint or charset
            text = decode_text(data, charset)
            if ctype == "text/html":
                self.html.append(text)
            else:
                self.text.append(self._split_uuencoded(text, forwarded=forwarded))
            return
        if not data and not name:
            return  # an empty part with nothing to say
        content_id = _header(part, "Content-ID").strip("<> ")
        self.parts.append(Attachment(
            name=name or _made_up_name(ctype, self._leaves),
            content_type=ctype,
            data=data,
            inline=disposition == "inline" or (bool(content_id) and disposition != "attachment"),
            forwarded=forwarded,
            content_id=content_id,
        ))

    def _split_uuencoded(self, text: str, *, forwarded: bool) -> str:
        """Pull "begin 644 name ... end" blocks out of a plain body as attachments."""
        if "begin " not in text:
            return text

        def take(match: re.Match[str]) -> str:
            name = match.group(1).strip()
            ctype = mimetypes.guess_type(name, strict=False)[0] or "application/octet-stream"
            self.parts.append(Attachment(name, ctype, _uudecode(match.group(2)),
                                         forwarded=forwarded))
            return ""

        return _UU_BLOCK.sub(take, text)


def _recover_multipart(part: Message) -> Message | None:
    """Re-read a multipart whose declared boundary never occurs, using the one that does."""
    payload = part.get_payload()
    if not isinstance(payload, str):
        return None
    candidates = [m.group(1) for m in _BOUNDARY_LINE.finditer(payload)]
    boundary = candidates[0] if candidates else None
    if boundary is None or '"' in boundary:
        return None
    subtype = _content_type(part).partition("/")[2] or "mixed"
    head = f'Content-Type: multipart/{subtype}; boundary="{boundary}"\n\n'
    try:
        body = payload.encode("utf-8", "surrogateescape")
        recovered = email.message_from_bytes(head.encode() + body, policy=_POLICY)
    except Exception:
        return None
    inner = recovered.get_payload()
    return recovered if isinstance(inner, list) and inner else None


def _address(msg: Message, *names: str, hint: str | None = None) -> tuple[str, str]:
    for name in names:
        value = _header(msg, name, hint)
        if not value:
            continue
        try:
            display, addr = parseaddr(value)
            if not addr:
                pairs = [p for p in getaddresses([value]) if p[1]]
                display, addr = pairs[0] if pairs else ("", "")
        except Exception:
            continue
        if addr:
            return display.strip(), addr.strip().lower()
    return "", ""


def _date(msg: Message) -> datetime | None:
    value = _header(msg, "Date")
    if not value:
        return None
    try:
        return parsedate_to_datetime(value)
    except Exception:  # unparseable or impossible dates
        return None


def _inline_forward(subject: str, text: str) -> tuple[str, str, str] | None:
    """(sender name, sender address, subject) of an original quoted in a "Fwd:" body."""
    match = _FWD_MARKER.search(text)
    if match is None and _FWD_SUBJECT.match(subject):
        match = _ORIGINAL_MARKER.search(text)
    if match is None:
        return None
    quoted: dict[str, str] = {}
    for line in text[match.end():].lstrip("\r\n").splitlines()[:12]:
        if not line.strip():
            if quoted:
                break
            continue
        found = _QUOTED_HEADER.match(line)
        if found and found.group(1).lower() not in quoted:
            quoted[found.group(1).lower()] = found.group(2).strip()
    display, addr = parseaddr(quoted.get("from", ""))
    return display.strip(), addr.lower(), quoted.get("subject", "")


def parse_message(raw: bytes, *, max_part_bytes: int = DEFAULT_MAX_PART_BYTES) -> ParsedMail:
    """Parse RFC 5322 bytes into a :class:`ParsedMail` (see the module docstring)."""
    try:
        msg = email.message_from_bytes(raw, policy=_POLICY)
    except Exception as exc:  # the parser is lenient; this is a last resort
        text = decode_text(raw)
        return ParsedMail("", "", "", "", text, "", problems=[f"mail could not be parsed: {exc}"])
    walker = _Walker(max_part_bytes)
    try:
        walker.walk(msg, forwarded=False, depth=0)
    except Exception as exc:  # keep what was read before the failure
        walker.problems.append(f"the MIME structure could not be read fully: {exc}")
    hint = walker.charset_hint
    sender_name, sender = _address(msg, "From", "Sender", "Reply-To", "Return-Path", hint=hint)
    subject = _header(msg, "Subject", hint)
    text = "\n".join(walker.text)
    original: tuple[str, str, str] | None = None
    if walker.forwarded:
        inner = walker.forwarded[0]
        name, addr = _address(inner, "From", "Sender", "Reply-To", hint=hint)
        original = (name, addr, _header(inner, "Subject", hint))
    elif not walker.bounce:
        original = _inline_forward(subject, text)
    forwarded = original is not None
    original = original or ("", "", "")
    return ParsedMail(
        message_id=_header(msg, "Message-ID"),
        sender=sender,
        sender_name=sender_name,
        subject=subject,
        text=text,
        html="\n".join(walker.html),
        parts=walker.parts,
        date=_date(msg),
        in_reply_to=_header(msg, "In-Reply-To"),
        references=_MSG_IDS.findall(_header(msg, "References")),
        forwarded=forwarded,
        original_sender=original[1],
        original_sender_name=original[0],
        original_subject=original[2],
        bounce=walker.bounce,
        problems=walker.problems,
    )
