"""Small hand-written statements shared by the bank reader tests (plain factories)."""

from __future__ import annotations

NS08 = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"
NS02 = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"


def camt_document(
    namespace: str, entries: str, message: str = "BkToCstmrStmt", report: str = "Stmt"
) -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="{namespace}">
  <{message}>
    <GrpHdr><MsgId>M1</MsgId><CreDtTm>2026-03-07T06:15:00+01:00</CreDtTm></GrpHdr>
    <{report}>
      <Id>S1</Id>
      <Acct><Id><IBAN>DE74318487956467650318</IBAN></Id><Ccy>EUR</Ccy></Acct>
{entries}
    </{report}>
  </{message}>
</Document>
"""


CAMT_CREDIT_V08 = """
      <Ntry>
        <Amt Ccy="EUR">1554.73</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd>
        <Sts><Cd>BOOK</Cd></Sts>
        <BookgDt><Dt>2026-03-02</Dt></BookgDt>
        <ValDt><Dt>2026-03-03</Dt></ValDt>
        <AcctSvcrRef>RHB260302M577579</AcctSvcrRef>
        <NtryDtls><TxDtls>
          <Refs><AcctSvcrRef>RHB260302M577579</AcctSvcrRef><EndToEndId>37917</EndToEndId></Refs>
          <Amt Ccy="EUR">1554.73</Amt>
          <RltdPties>
            <Dbtr><Pty><Nm>BILL.COM PAYABLES OBO WURTH</Nm></Pty></Dbtr>
            <DbtrAcct><Id><IBAN>DE05186304546595093097</IBAN></Id></DbtrAcct>
            <UltmtDbtr><Pty><Nm>Würth-Becker Antriebe GmbH</Nm></Pty></UltmtDbtr>
          </RltdPties>
          <RltdAgts><DbtrAgt><FinInstnId><BICFI>GCSTCAAA</BICFI></FinInstnId></DbtrAgt></RltdAgts>
          <RmtInf><Ustrd>INV-2026-002387</Ustrd><Ustrd>PO 4711</Ustrd></RmtInf>
        </TxDtls></NtryDtls>
      </Ntry>"""


def mt940_details(text: str) -> str:
    """A :86: field cut into 65-character lines, as SWIFT requires."""
    return "\n".join(text[i : i + 65] for i in range(0, len(text), 65))


# The :86: lines are cut inside the IBAN and inside the RF reference.
_SWIFT_HEADER = "{1:F01NWCPGB2LAXXX0000000000}{2:O9400630260302THMBGB2LAXXX0000000000260302N}{4:"
MT940_STATEMENT = f"""{_SWIFT_HEADER}
:20:STMT260302GBP
:25:GB58NWBK47523654577961
:28C:00045/001
:60F:C260301GBP1000,00
:61:2603020302C9617,79NMSC892525//TMB26030238398
:86:{
    mt940_details(
        "/EREF/NOTPROVIDED/ORDP//NAME/JANSEN INDUSTRIE NV/ID/NL11TRIO6147489397"
        "/REMI/USTD//REF:440225 INV 2026-02024/"
    )
}
:61:2603030303C1250,00NTRFNONREF//TMB26030300001
:86:{
    mt940_details(
        "/EREF/E2E-77/ORDP//NAME/BILL.COM PAYABLES/ID/GB09MIDL23225607435349"
        "/ULTD//NAME/SEVERN VALLEY PLASTICS/REMI/STRD/SCOR/RF182026000451/"
    )
}
:61:2603020302D110,15NTRFNONREF//TMB26030276568
:86:KONTOFUEHRUNGSGEBUEHR
:61:2603020302RD5,00NTRFNONREF//TMB26030276569
:86:STORNO GEBUEHR
:62F:C260302GBP10762,64
:86:INFORMATION FOR THE ACCOUNT OWNER, NOT ABOUT AN ENTRY
-}}
"""


BAI2_STATEMENT = """01,222625975,NORTHWINDCMP,260304,0630,1,80,,2/
02,NORTHWINDCMP,222625975,1,260302,2400,USD,2/
03,9260497381,USD,010,100,,/
16,195,176400,0,FC260302734272,,WIRE TYPE:FED ORIG:ALLEGHENY ID:88 OBI:INV2026001840
49,176500,3/
98,176500,1,5/
99,176500,1,7/
"""
CSV_EXPORT = (
    "Account Number,Post Date,Value Date,Bank Reference,Customer Reference,Transaction Type,"
    "Description,Debit,Credit,Currency,Originator Name,Originator Account,Originator Bank ID,"
    "Payment Details,Balance\n"
    "8550377031,03/02/2026,03/02/2026,PCB-3711162402,13141,INCOMING WIRE,INCOMING WIRE X,,"
    "6992.07,USD,PIONEER SERVICES KK,7469003370,189719050,2025009252,965447.35\n"
)
