"""``o2c db ...``: create and upgrade the store's schema (Alembic, run from code).

The database is the one in the settings (``O2C_STORE__URL``, default
``sqlite:///./var/o2c.sqlite3``) unless ``--url`` names another.  URLs are printed with
the password masked.
"""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy.engine import make_url

app = typer.Typer(
    help="The store's database schema: upgrade it, show its revision.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

UrlOption = Annotated[
    str | None,
    typer.Option(
        "--url",
        help="Database URL (sqlite:///path or postgresql+psycopg://...); default: settings.",
        show_default=False,
    ),
]


def _resolve(url: str | None) -> str:
    if url is not None:
        return url
    from shared.settings import load_settings

    return load_settings().store.connection_url()


def _shown(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


@app.command()
def upgrade(
    url: UrlOption = None,
    revision: Annotated[str, typer.Option(help="Target revision.")] = "head",
) -> None:
    """Create the tables or bring them up to date (safe to run again)."""
    from shared.store import migrate

    target = _resolve(url)
    before = migrate.current(target)
    migrate.upgrade(target, revision)
    after = migrate.current(target)
    if before == after:
        typer.echo(f"{_shown(target)}: already at {after}")
    else:
        typer.echo(f"{_shown(target)}: upgraded {before or 'empty'} -> {after}")


@app.command()
def current(url: UrlOption = None) -> None:
    """Show the schema revision of the database and the newest one available."""
    from shared.store import migrate

    target = _resolve(url)
    revision = migrate.current(target)
    newest = migrate.head()
    state = "up to date" if revision == newest else f"behind (head is {newest})"
    typer.echo(f"{_shown(target)}: {revision or 'empty'} ({state})")
    if revision != newest:
        raise typer.Exit(1)


if __name__ == "__main__":
    app()
