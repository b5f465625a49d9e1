"""MIME parsing: bodies, attachments and forwards out of hand-built, often broken, mail."""

from __future__ import annotations

import base64
import binascii
from email.message import EmailMessage

from bots.remittance_reader.mail.message import Attachment, decode_text, parse_message

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n"


def _uu_lines(data: bytes) -> str:
    return "".join(binascii.b2a_uu(data[i:i + 45]).decode() for i in range(0, len(data), 45))


def _remittance(subject: str = "Remittance advice") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "Acme AP <ap@acme.example>"
    msg["To"] = "ar@northwind.example"
    msg["Subject"] = subject
    msg["Message-ID"] = "<abc@acme.example>"
    msg["Date"] = "Mon, 02 Mar 2026 09:15:00 +0000"
    msg.set_content("Invoice INV-2026-000451 paid 950.00")
    return msg


def test_plain_mail_keeps_the_fields_callers_use() -> None:
    mail = parse_message(_remittance().as_bytes())
    assert mail.message_id == "<abc@acme.example>"
    assert (mail.sender, mail.sender_name) == ("ap@acme.example", "Acme AP")
    assert mail.subject == "Remittance advice"
    assert "INV-2026-000451" in mail.text
    assert mail.readable_text == mail.text
    assert mail.date is not None and mail.date.year == 2026
    assert not mail.forwarded and mail.parts == [] and mail.problems == []


def test_nested_multipart_gives_both_bodies_and_the_attachment_bytes() -> None:
    msg = _remittance()
    msg.add_alternative("<table><tr><td>INV-2026-000451</td><td>950.00</td></tr></table>",
                        subtype="html")
    msg.add_attachment(PDF, maintype="application", subtype="pdf", filename="remit.pdf")
    mail = parse_message(msg.as_bytes())
    assert "INV-2026-000451" in mail.text
    assert "<table>" in mail.html
    assert mail.parts == [Attachment("remit.pdf", "application/pdf", PDF)]
    assert mail.attachments == [("remit.pdf", "application/pdf")]


def test_forwarded_rfc822_is_walked_with_its_bodies_and_attachments() -> None:
    inner = _remittance("Payment advice 4711")
    inner.replace_header("From", "Corrib AP <finance.ap@corrib.example>")
    inner.add_attachment(b"Invoice #,Net Paid\r\nINV-2026-000314,1442.43\r\n",
                         maintype="text", subtype="csv", filename="remit.csv")
    outer = EmailMessage()
    outer["From"] = "Sarah <s.collins@northwind.example>"
    outer["Subject"] = "Fwd: Payment advice 4711"
    outer.set_content("Please see the forwarded remittance.")
    outer.add_attachment(inner)
    mail = parse_message(outer.as_bytes())
    assert mail.forwarded
    assert (mail.original_sender, mail.original_sender_name) == ("finance.ap@corrib.example",
                                                                 "Corrib AP")
    assert mail.original_subject == "Payment advice 4711"
    assert "Please see" in mail.text and "INV-2026-000451" in mail.text
    [part] = mail.parts
    assert part.name == "remit.csv" and part.forwarded
    assert b"1442.43" in part.data


def test_inline_forward_is_recognised_with_the_quoted_sender() -> None:
    msg = _remittance("Fwd: Remittance")
    msg.set_content(
        "FYI\n\n---------- Forwarded message ---------\n"
        "From: Corrib AP <finance.ap@corrib.example>\n"
        "Date: Sat, 28 Feb 2026\nSubject: Remittance 4711\n\n"
        "INV-2026-000314  1,442.43\n"
    )
    mail = parse_message(msg.as_bytes())
    assert mail.forwarded
    assert mail.original_sender == "finance.ap@corrib.example"
    assert mail.original_subject == "Remittance 4711"


def test_original_message_marker_counts_only_with_a_forward_subject() -> None:
    body = "Thanks\n\n-----Original Message-----\nFrom: x@y.example\nSubject: Q\n\nhello\n"
    reply = _remittance("RE: question")
    reply.set_content(body)
    forward = _remittance("FW: question")
    forward.set_content(body)
    assert not parse_message(reply.as_bytes()).forwarded
    assert parse_message(forward.as_bytes()).forwarded


def test_unknown_and_lying_charsets_decode_without_raising() -> None:
    raw = (
        b"From: a@b.example\r\nSubject: =?x-unknown?Q?Zahlung_f=FCr_M=E4rz?=\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=\"invalid-charset\"\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\nBetrag f\xfcr M\xe4rz: 1.234,56 \x80\r\n"
    )
    mail = parse_message(raw)
    assert "Betrag für März: 1.234,56 €" in mail.text
    assert mail.subject == "Zahlung für März"


def test_korean_legacy_label_and_raw_utf8_headers() -> None:
    raw = ("From: \"Jöhn Doe\" <jdoe@example.com>\r\nSubject: Säying Hello\r\n"
           "Content-Type: text/plain; charset=ks_c_5601-1987\r\n\r\n").encode() + \
        "스티해\r\n".encode("cp949")
    mail = parse_message(raw)
    assert mail.text.strip() == "스티해"
    assert (mail.subject, mail.sender_name) == ("Säying Hello", "Jöhn Doe")


def test_decode_text_falls_back_to_cp1252_then_latin1() -> None:
    assert decode_text("Grüße".encode()) == "Grüße"
    assert decode_text(b"\x80 12,50", "us-ascii") == "€ 12,50"
    assert decode_text(b"\x81\x8d", None) == "\x81\x8d"  # undefined in cp1252: Latin-1


def test_wrong_boundary_is_recovered_from_the_body() -> None:
    raw = (b"From: a@b.example\nMIME-Version: 1.0\n"
           b"Content-Type: multipart/mixed; boundary=BOUNDARY_\n\n"
           b"--BOUNDARY\nContent-Type: text/plain\n\nmessage 1\n\n"
           b"--BOUNDARY\nContent-Type: text/plain\n\nmessage 2\n\n--BOUNDARY--\n")
    mail = parse_message(raw)
    assert "message 1" in mail.text and "message 2" in mail.text
    assert "Content-Type" not in mail.text
    assert mail.problems == ["a multipart boundary was wrong; the parts were recovered"]


def test_multipart_without_boundary_is_read_as_plain_text() -> None:
    raw = b"From: a@b.example\nContent-Type: multipart/alternative;\n\nBlah blah blah\n"
    assert parse_message(raw).text.strip() == "Blah blah blah"


def test_missing_and_empty_transfer_encoding() -> None:
    raw = (b"From: a@b.example\nContent-Type: multipart/mixed; boundary=\"b\"\n\n"
           b"--b\nContent-Type: text/plain\nContent-Transfer-Encoding:\n\nno encoding\n"
           b"--b\nContent-Type: application/pdf; name=\"a.pdf\"\n\n" + PDF +
           b"--b--\n")
    mail = parse_message(raw)
    assert "no encoding" in mail.text
    assert mail.parts[0].name == "a.pdf" and mail.parts[0].data.startswith(b"%PDF-1.4")


def test_uuencoded_part_and_uuencoded_block_in_a_body() -> None:
    csv_bytes = b"Invoice #,Net Paid\nINV-2026-000451,950.00\n"
    raw = (b"From: a@b.example\nContent-Type: multipart/mixed; boundary=\"b\"\n\n"
           b"--b\nContent-Type: text/plain\n\nSee attached.\n"
           b"begin 644 inline.csv\n" + _uu_lines(csv_bytes).encode() + b"`\nend\n"
           b"--b\nContent-Type: application/octet-stream; name=\"remit.csv\"\n"
           b"Content-Transfer-Encoding: x-uuencode\n\n"
           b"begin 644 remit.csv\n" + _uu_lines(csv_bytes).encode() + b"`\nend\n"
           b"--b--\n")
    mail = parse_message(raw)
    by_name = {p.name: p.data for p in mail.parts}
    assert by_name == {"inline.csv": csv_bytes, "remit.csv": csv_bytes}
    assert "begin 644" not in mail.text and "See attached." in mail.text


def test_inline_image_and_content_location_name() -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 20
    raw = (b"From: a@b.example\nContent-Type: multipart/related; boundary=\"b\"\n\n"
           b"--b\nContent-Type: text/html\n\n<img src=\"cid:logo\">\n"
           b"--b\nContent-Type: image/png\nContent-ID: <logo>\n"
           b"Content-Location: http://x.example/img/logo.png\n"
           b"Content-Transfer-Encoding: base64\n\n" + base64.b64encode(png) + b"\n--b--\n")
    [part] = parse_message(raw).parts
    assert (part.name, part.inline, part.content_id, part.data) == ("logo.png", True, "logo", png)


def test_encoded_and_path_filenames() -> None:
    raw = (b"From: a@b.example\nContent-Type: multipart/mixed; boundary=\"b\"\n\n"
           b"--b\nContent-Type: application/pdf; name=\"=?UTF-8?B?UmVtaXR0YW5jZSDDpC5wZGY=?=\"\n"
           b"\n%PDF-1.4\n"
           b"--b\nContent-Type: text/plain\n"
           b"Content-Disposition: attachment; filename*=utf-8''ci%C3%ABle.txt\n\nx\n"
           b"--b\nContent-Type: image/png; name=\"C:\\TEMP\\scan.png\"\n\n\x89PNG\n"
           b"--b--\n")
    assert [p.name for p in parse_message(raw).parts] == ["Remittance ä.pdf", "ciële.txt",
                                                          "scan.png"]


def test_part_over_the_size_limit_is_not_decoded_and_is_reported() -> None:
    msg = _remittance()
    msg.add_attachment(b"x" * 300_000, maintype="application", subtype="pdf", filename="big.pdf")
    msg.add_attachment(PDF, maintype="application", subtype="pdf", filename="small.pdf")
    mail = parse_message(msg.as_bytes(), max_part_bytes=100_000)
    assert [p.name for p in mail.parts] == ["small.pdf"]
    assert len(mail.problems) == 1 and "big.pdf" in mail.problems[0]
    assert "limit" in mail.problems[0]


def test_bounce_is_marked_and_its_returned_message_not_read() -> None:
    raw = (b"From: MAILER-DAEMON@x.example\nSubject: Undelivered Mail\n"
           b"Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n"
           b"--b\nContent-Type: text/plain\n\nDelivery failed.\n"
           b"--b\nContent-Type: message/delivery-status\n\nAction: failed\n\n"
           b"--b\nContent-Type: message/rfc822\n\nFrom: us@northwind.example\n"
           b"Subject: Statement\n\nINV-2026-000001 open 10.00\n--b--\n")
    mail = parse_message(raw)
    assert mail.bounce and not mail.forwarded
    assert "Delivery failed." in mail.text and "INV-2026-000001" not in mail.text


def test_headers_in_reply_to_and_references() -> None:
    raw = (b"From: a@b.example\r\nIn-Reply-To: <q1@northwind.example>\r\n"
           b"References: <q0@northwind.example>\r\n <q1@northwind.example>\r\n\r\nthanks\r\n")
    mail = parse_message(raw)
    assert mail.in_reply_to == "<q1@northwind.example>"
    assert mail.references == ["<q0@northwind.example>", "<q1@northwind.example>"]


def test_garbage_never_raises() -> None:
    for raw in (b"", b"\x00\xff" * 100, b"Content-Type: multipart/mixed\n\n--\n--\n",
                b"Subject: =?utf-8?B?####?=\nFrom: <<<>>>\nDate: 99 Foo 3609\n\nx",
                b"Content-Type: message/rfc822\n\n" * 50):
        mail = parse_message(raw)
        assert isinstance(mail.text, str)


def test_readable_text_strips_html_and_entities() -> None:
    msg = EmailMessage()
    msg["From"] = "a@b.example"
    msg.set_content("<p>Paid &amp; settled</p><style>p{}</style>", subtype="html")
    assert parse_message(msg.as_bytes()).readable_text == "Paid & settled"
