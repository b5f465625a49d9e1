"""The ``o2c`` command line: a thin face over the bots, the flows and the sandbox.

Each command group lives in its own module and is registered here; a module exposes
one ``typer.Typer`` named ``app``.
"""

from __future__ import annotations

import typer

from cli import bank, bench, db, demo, erp, mail, mail_rig, review, run, sandbox

app = typer.Typer(
    name="o2c",
    help="Order-to-Cash bots: read remittances, apply cash, post to the ERP, chase customers.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(sandbox.app, name="sandbox")
app.add_typer(mail_rig.app, name="mail-rig")
app.add_typer(db.app, name="db")
app.add_typer(bench.app, name="bench")
app.add_typer(mail.app, name="mail")
app.add_typer(bank.app, name="bank")
app.add_typer(review.app, name="review")
app.add_typer(erp.app, name="erp")
app.add_typer(run.app, name="run")
app.command(name="demo")(demo.run_demo)


def main() -> None:
    """Entry point of the ``o2c`` console script."""
    app()


if __name__ == "__main__":
    main()
