"""Real-world malformed mail and X12 820 files from ../shared/realworld.

Every message parses without an exception, and where the source project's own tests
state expected values (see ``email/MANIFEST.md``, ``edi820/MANIFEST.md`` and
``edi820/_derived_summary.json``) we check ours against them.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from html import unescape
from pathlib import Path
from typing import Any

import pytest

from bots.remittance_reader.extract.edi820 import HEADER, read_edi820
from bots.remittance_reader.mail.message import ParsedMail, parse_message

pytestmark = pytest.mark.materials


def _email_dir(materials_dir: Path) -> Path:
    return materials_dir / "realworld" / "email"


def _parse(materials_dir: Path, name: str) -> ParsedMail:
    return parse_message((_email_dir(materials_dir) / name).read_bytes())


def _words(text: str) -> str:
    return " ".join(text.split())


def test_every_message_parses(materials_dir: Path) -> None:
    files = [p for p in sorted(_email_dir(materials_dir).iterdir())
             if p.suffix in (".eml", ".txt") and not p.name.startswith("zbateson_expected")]
    assert len(files) == 55
    for path in files:
        mail = parse_message(path.read_bytes())
        assert isinstance(mail.text, str) and isinstance(mail.html, str), path.name
        assert all(isinstance(p.data, bytes) and p.name for p in mail.parts), path.name


# (file, attachment names in order) as the manifest states them.
ATTACHMENT_NAMES = [
    ("cpython_msg_04.txt", ["msg.txt", "msg.txt"]),
    ("cpython_msg_07.txt", ["dingusfish.gif"]),
    ("cpython_msg_44.txt", ["msg.txt", "msg.txt"]),
    ("mikelmail_attachment__attachment_content_disposition.eml", ["api.rb"]),
    ("mikelmail_attachment__attachment_nonascii_filename.eml", ["ciële.txt"]),
    ("mikelmail_attachment__attachment_with_base64_encoded_name.eml", ["This is a test.pdf"]),
    ("mikelmail_attachment__attachment_with_encoded_name.eml",
     ["01 Quien Te Dij\ufffdat. Pitbull.mp3"]),
    ("mikelmail_attachment__attachment_with_unquoted_name.eml", ["This is a test.txt"]),
    ("mikelmail_mime__raw_email_with_nested_attachment.eml", ["truncated.png", "smime.p7s"]),
    ("zbateson_m0024.eml", ["Biodiversite de semaine en semaine.doc"]),
    ("zbateson_m4006.eml", ["winmail.dat"]),
]


@pytest.mark.parametrize(("name", "expected"), ATTACHMENT_NAMES)
def test_attachment_names(materials_dir: Path, name: str, expected: list[str]) -> None:
    assert [p.name for p in _parse(materials_dir, name).parts] == expected


@pytest.mark.parametrize(("name", "count"), [
    ("mikelmail_attachment__attachment_content_location.eml", 1),
    ("mikelmail_attachment__attachment_only_email.eml", 1),
    ("cpython_msg_37.txt", 3),
    ("cpython_msg_39.txt", 2),
    ("zbateson_github-115.eml", 3),
    ("zbateson_m0011.eml", 3),
    ("zbateson_m1005.eml", 4),
    ("zbateson_m2007.eml", 4),
])
def test_attachment_counts(materials_dir: Path, name: str, count: int) -> None:
    assert len(_parse(materials_dir, name).parts) == count


@pytest.mark.parametrize("name", [
    "mikelmail_attachment__attachment_pdf.eml",
    "mikelmail_attachment__attachment_pdf_non_ascii.eml",
])
def test_decoded_pdf_size(materials_dir: Path, name: str) -> None:
    [pdf] = _parse(materials_dir, name).parts
    assert (pdf.content_type, len(pdf.data)) == ("application/pdf", 1026)


def test_forwarded_message_carries_its_pdf(materials_dir: Path) -> None:
    mail = _parse(materials_dir, "mikelmail_attachment__attachment_message_rfc822.eml")
    assert mail.forwarded
    [pdf] = mail.parts
    assert (pdf.name, len(pdf.data), pdf.forwarded) == ("broken.pdf", 1026, True)


def test_top_level_rfc822_and_digest(materials_dir: Path) -> None:
    enclosed = _parse(materials_dir, "cpython_msg_11.txt")
    assert enclosed.forwarded and enclosed.original_subject == "An enclosed message"
    assert enclosed.text == "Here is the body of the message.\n"
    digest = _parse(materials_dir, "zbateson_m4007.eml")
    assert digest.subject == "Test multipart-digest" and digest.forwarded


def test_transfer_encodings_of_msg_10(materials_dir: Path) -> None:
    mail = _parse(materials_dir, "cpython_msg_10.txt")
    bodies = mail.text + mail.html
    for expected in ("This is a 7bit encoded message.\n",
                     "\xa1This is a Quoted Printable encoded message!\n",
                     "This is a Base64 encoded message.",
                     "This is a Base64 encoded message.\n",
                     "This has no Content-Transfer-Encoding: header.\n"):
        assert expected in bodies


def test_broken_structures_keep_their_text(materials_dir: Path) -> None:
    assert _parse(materials_dir, "cpython_msg_14.txt").text.strip()  # "text" without subtype
    assert _parse(materials_dir, "cpython_msg_35.txt").text == (
        "counter to RFC 2822, there's no separating newline here\n")
    assert _parse(materials_dir, "cpython_msg_41.txt").text.strip() == "Blah blah blah"
    recovered = _parse(materials_dir, "cpython_msg_31.txt").text
    assert "message 1" in recovered and "message 2" in recovered
    assert _parse(materials_dir, "mikelmail_error__missing_body.eml").parts == []
    similar = _parse(materials_dir, "mikelmail_mime__email_with_similar_boundaries.eml")
    assert similar.text.strip() and similar.html.strip() and len(similar.parts) == 1


def test_bounces(materials_dir: Path) -> None:
    report = _parse(materials_dir, "cpython_msg_16.txt")
    assert report.bounce
    assert report.text.startswith(
        "This report relates to a message you sent with the following header fields:")
    assert _parse(materials_dir, "cpython_msg_25.txt").bounce
    assert _parse(materials_dir, "mikelmail_multipart_report__report_530.eml").bounce


def test_headers(materials_dir: Path) -> None:
    apple = _parse(materials_dir, "mikelmail_error__cant_parse_from.eml")
    assert apple.sender == "news@insideapple.apple.com"
    latin = _parse(materials_dir, "mikelmail_error__invalid_subject_characters.eml")
    assert latin.sender_name == "Formação Frenetikpolis"
    assert latin.subject == "Formação FrenetikPolis: Mega Campanha Final Verão | Cursos de Setembro"
    utf8 = _parse(materials_dir, "mikelmail_rfc6532__utf8_headers.eml")
    assert (utf8.subject, utf8.sender_name, utf8.sender) == (
        "Säying Hello", "Jöhn Doe", "jdöe@mächine.example")
    invalid = _parse(materials_dir, "zbateson_invalid-charset.eml")
    assert (invalid.sender_name, invalid.subject, invalid.message_id) == (
        "Doug Sauder", "Test invalid charset", "<NDBBIAKOPKHFGPLCODIGIEKBCHAA.doug@example.com>")
    french = _parse(materials_dir, "zbateson_m0024.eml")
    assert french.subject == "Persil, abeilles ..."
    assert french.date is not None and french.date.isoformat() == "2014-07-21T17:57:01+02:00"
    assert _parse(materials_dir, "zbateson_m1005.eml").subject == (
        "Die Hasen und die Frösche (Netscape Messenger 4.7)")


def test_legacy_korean_charset(materials_dir: Path) -> None:
    assert _parse(materials_dir, "mikelmail_multi_charset__ks_c_5601-1987.eml").text.strip() == (
        "스티해")


@pytest.mark.parametrize("name", ["zbateson_m0011.eml", "zbateson_github-115.eml",
                                  "zbateson_invalid-charset.eml"])
def test_plain_body_matches_the_expected_text(materials_dir: Path, name: str) -> None:
    expected = (_email_dir(materials_dir) / "zbateson_expected_body_hareandtortoise.txt")
    assert _words(_parse(materials_dir, name).text) == _words(expected.read_text("latin-1"))


@pytest.mark.parametrize("name", ["zbateson_m1005.eml", "zbateson_m2007.eml"])
def test_html_body_matches_the_expected_text(materials_dir: Path, name: str) -> None:
    expected = (_email_dir(materials_dir) / "zbateson_expected_body_HasenundFrosche.txt")
    html = _parse(materials_dir, name).html
    assert _words(unescape(re.sub(r"<[^>]+>", " ", html))) == _words(
        expected.read_text("latin-1"))


def _edi_summary(materials_dir: Path) -> dict[str, dict[str, Any]]:
    path = materials_dir / "realworld" / "edi820" / "_derived_summary.json"
    summary: dict[str, dict[str, Any]] = json.loads(path.read_text())
    return summary


def test_every_edi820_file_reads_as_its_summary_says(materials_dir: Path) -> None:
    folder = materials_dir / "realworld" / "edi820"
    summary = _edi_summary(materials_dir)
    assert sorted(summary) == sorted(p.name for p in folder.glob("*.edi"))
    for name, facts in summary.items():
        doc = read_edi820((folder / name).read_bytes(), name)
        assert doc.problem is None, name
        text = doc.text.splitlines()
        amount = next(line for line in text if line.startswith("Payment Amount: "))
        assert Decimal(amount.split(": ")[1]) == Decimal(facts["bpr02_total_amount"]), name
        for label, key in (("Trace", "trn02_trace"), ("Payer", "payer_N1_PR"),
                           ("Payee", "payee_N1_PE")):
            value = facts[key]
            assert (f"{label}: {value}" in text) if value else not any(
                line.startswith(f"{label}: ") for line in text), (name, label)
        [table] = doc.tables
        assert table[0] == HEADER
        lines = [(row[0], Decimal(row[5])) for row in table[1:]]
        assert lines == [(ref, Decimal(amount)) for _, _, ref, amount in
                         facts["remittance_refs_and_amounts"]], name
        assert len(lines) == facts["remittance_lines"]


def test_edi820_deductions_of_the_list_bill(materials_dir: Path) -> None:
    name = "stupidedi_005010X218_list-bill.edi"
    doc = read_edi820((materials_dir / "realworld" / "edi820" / name).read_bytes(), name)
    assert doc.tables[0][2] == ["163910163", "11000.00", "", "1000.00", "52", "10000.00"]
    assert doc.tables[0][3] == ["179203456", "3100.00", "", "100.00", "52", "3000.00"]
