"""``o2c bank read FILE...``: read bank statements and print their entries as JSON lines.

The format of each file (camt.052/053/054 XML, BAI2, MT940/MT942, CSV export) is
recognised from its content.  One JSON object per entry goes to stdout; a file that
cannot be read gets one ``error:`` line on stderr, the other files are still read,
and the exit code is 1 at the end.  A summary line goes to stderr.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from bots.remittance_reader.bank import StatementEntry

app = typer.Typer(
    help="Bank statements: read camt.053, BAI2, MT940 and CSV files the way the reader bot does.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

_DETAIL_FIELDS = (
    "customer_ref",
    "structured_ref",
    "ultimate_payer",
    "receiving_account",
    "bank_text",
)


@app.callback()
def _group() -> None:
    """Keeps ``read`` a subcommand (Typer collapses a one-command app otherwise)."""


@app.command()
def read(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="Statement files: camt.052/053/054 XML, BAI2, MT940/MT942 or the CSV "
            "export. The format is recognised from the content, not the file name.",
            show_default=False,
        ),
    ],
    credits_only: Annotated[
        bool,
        typer.Option(
            "--credits-only",
            help="Print only credits (incoming payments); leave out fees, transfers and "
            "other debits.",
        ),
    ] = False,
    details: Annotated[
        bool,
        typer.Option(
            "--details",
            help="Also print customer_ref, structured_ref, ultimate_payer, "
            "receiving_account and bank_text (the bank's whole narrative).",
        ),
    ] = False,
) -> None:
    """Print every entry of the statement FILES as one JSON line each.

    Keys: payment_id (the bank's reference), credit (true: an incoming payment),
    value_date, amount (positive, two decimals), currency, payer_name,
    payer_account, payer_bank_id, free_text, source_file.

    A file that cannot be read is reported on stderr and skipped;
    the exit code is then 1.
    """
    from bots.remittance_reader.bank import StatementError, read_statement

    failed = printed = 0
    for path in files:
        try:
            entries = read_statement(path)
        except StatementError as exc:
            failed += 1
            typer.echo(f"error: {exc}", err=True)
            continue
        for entry in entries:
            if credits_only and not entry.credit:
                continue
            typer.echo(json.dumps(_as_json(entry, details), ensure_ascii=False))
            printed += 1
    what = "credits" if credits_only else "entries"
    summary = f"{printed} {what} from {len(files) - failed} of {len(files)} file(s)"
    typer.echo(summary + (f"; {failed} could not be read" if failed else ""), err=True)
    if failed:
        raise typer.Exit(code=1)


def _as_json(entry: StatementEntry, details: bool) -> dict[str, Any]:
    line: dict[str, Any] = {
        "payment_id": entry.payment_id,
        "credit": entry.credit,
        "value_date": entry.value_date.isoformat(),
        "amount": f"{entry.amount:.2f}",
        "currency": entry.currency,
        "payer_name": entry.payer_name,
        "payer_account": entry.payer_account,
        "payer_bank_id": entry.payer_bank_id,
        "free_text": entry.free_text,
        "source_file": entry.source_file,
    }
    if details:
        line.update({name: getattr(entry, name) for name in _DETAIL_FIELDS})
    return line
