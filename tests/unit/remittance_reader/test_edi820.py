"""X12 820: envelope delimiters, payment facts, RMR lines with their ADX deductions."""

from __future__ import annotations

from bots.remittance_reader.extract.edi820 import HEADER, read_edi820

ISA_004010 = ("ISA*00*          *00*          *ZZ*KESSLER        *ZZ*NORTHWINDCOMP  "
              "*260228*0915*U*00401*374228250*0*P*>~\n")


def _edi(body: str, isa: str = ISA_004010) -> bytes:
    segments = [s for s in body.strip().splitlines() if s.strip()]
    count = len(segments) + 2  # ST and SE included
    text = (isa + "GS*RA*KESSLER*NORTHWINDCOMP*20260228*0915*28250*X*004010~\n"
            "ST*820*0001~\n" + "".join(f"{s.strip()}~\n" for s in segments)
            + f"SE*{count}*0001~\nGE*1*28250~\nIEA*1*374228250~\n")
    return text.encode()


PAYMENT = """
BPR*C*22656.75*C*FWT*CTX*01*534508949*DA*8363788929*7831686787**01*932561276*DA*3997312946*20260228
TRN*1*EFT595397*0008996837
CUR*PR*EUR
N1*PR*KESSLER SERVICES GMBH
N1*PE*NORTHWIND COMPONENTS LTD
ENT*1
RMR*IV*INV-2026-001590**3218.98*3218.98
DTM*003*20260215
RMR*IV*INV-2026-002092**2064.04*2907.10*20.00
ADX*-800.00*01
ADX*-23.06*CS**SHORTAGE
RMR*CM*CM-2026-00077**-167.59*-167.59
"""


def test_payment_facts_and_lines() -> None:
    doc = read_edi820(_edi(PAYMENT), "820.edi")
    assert doc.channel == "edi820" and doc.problem is None
    assert doc.text.splitlines() == [
        "Payment Amount: 22656.75",
        "Payment Date: 2026-02-28",
        "Payment Method: FWT",
        "Trace: EFT595397",
        "Currency: EUR",
        "Payer: KESSLER SERVICES GMBH",
        "Payee: NORTHWIND COMPONENTS LTD",
    ]
    assert doc.tables == [[
        HEADER,
        ["INV-2026-001590", "3218.98", "", "", "", "3218.98"],
        ["INV-2026-002092", "2907.10", "20.00", "823.06", "01, CS SHORTAGE", "2064.04"],
        ["CM-2026-00077", "-167.59", "", "", "", "-167.59"],
    ]]


def test_adjustment_before_any_line_is_payment_level() -> None:
    doc = read_edi820(_edi("BPR*C*90*C*ACH\nADX*-10*52\nRMR*IV*INV-1**90*100"), "820.edi")
    assert "Adjustment: -10.00 52" in doc.text
    assert doc.tables[0][1] == ["INV-1", "100.00", "", "", "", "90.00"]


def test_unpadded_isa_with_newline_terminator_and_bps_rmt_of_003010() -> None:
    data = (
        b"ISA*00* *00* *16*054481205APPP *16*123456789APPP*070110*1200*U*00300*000000001*0*P*@\n"
        b"GS*RA*054481205*123456789*070110*1200*1*X*003010\n"
        b"ST*820*0001\n"
        b"BPS*PBC*18806.08*I********1234567*960223\n"
        b"N1*HH*1\n"
        b"RMT*IV*0900*8136.13*8136.13\n"
        b"RMT*IV*8221*10669.95\n"
        b"SE*6*0001\nGE*1*1\nIEA*1*000000001\n"
    )
    doc = read_edi820(data, "old.edi")
    assert doc.problem is None
    assert "Payment Amount: 18806.08" in doc.text
    assert "Payment Date: 1996-02-23" in doc.text
    assert doc.tables[0][1:] == [["0900", "8136.13", "", "", "", "8136.13"],
                                 ["8221", "", "", "", "", "10669.95"]]


def test_other_delimiters_and_crlf() -> None:
    data = _edi(PAYMENT).decode().replace("*", "|").replace("~\n", "^\r\n")
    doc = read_edi820(data.encode(), "pipes.edi")
    assert doc.problem is None
    assert doc.tables[0][1][0] == "INV-2026-001590"


def test_not_x12_or_not_820_is_a_problem() -> None:
    assert read_edi820(b"hello", "x.edi").problem == (
        "x.edi is not X12: it does not start with an ISA interchange header")
    invoice = _edi("BIG*20260228*INV-1").replace(b"ST*820", b"ST*810")
    assert read_edi820(invoice, "810.edi").problem == (
        "810.edi holds no 820 remittance (transaction sets: 810)")
    assert read_edi820(b"ISA*00*          *00*          *ZZ*KESSLER", "cut.edi").problem == (
        "cut.edi is not X12: the ISA header is incomplete")


def test_file_cut_short_keeps_its_lines_and_says_so() -> None:
    data = _edi(PAYMENT)
    cut = data[: data.index(b"RMR*CM")]
    doc = read_edi820(cut, "cut.edi")
    assert len(doc.tables[0]) == 3
    assert doc.problem == "cut.edi: transaction 1 has no SE segment (file cut short?)"


def test_wrong_segment_count_is_reported() -> None:
    data = _edi(PAYMENT).replace(b"SE*14*", b"SE*99*")
    assert read_edi820(data, "n.edi").problem == (
        "n.edi: transaction 1 declares 99 segments but has 14")


def test_two_transactions_give_two_tables() -> None:
    one = _edi("BPR*C*10*C*ACH\nRMR*IV*INV-1**10").decode()
    second = one[one.index("ST*820"):one.index("GE*")].replace("INV-1", "INV-2")
    data = one.replace("GE*", second + "GE*", 1).encode()
    doc = read_edi820(data, "two.edi")
    assert [t[1][0] for t in doc.tables] == ["INV-1", "INV-2"]
    assert doc.text.count("Payment Amount: 10.00") == 2
