"""All settings of the suite in one :class:`Settings` object, built once at the entry point.

Values come, highest priority first, from keyword arguments, ``O2C_*`` environment
variables, a ``.env`` file in the working directory, and the defaults below.  Nested
sections use ``__``: ``O2C_STORE__URL``, ``O2C_IMAP__PASSWORD``, ``O2C_REVIEW__SLA_HOURS``.

The defaults are the embedded set-up: no environment at all gives a working suite on a
SQLite file under ``./var``, mail from a folder, and the sandbox ERP on loopback.  Secrets
are :class:`~pydantic.SecretStr` (shown as ``**********`` in logs and reprs).  Outside
``environment="development"`` the settings refuse placeholder secrets (``changethis``, the
default of the ERP password and of the review web app's key) and missing passwords of
adapters that need one, the way fastapi's full-stack template does.

Entry points call :func:`load_settings` and pass the object (or one section) down; no
code below an entry point reads the environment.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

__all__ = [
    "PLACEHOLDER_SECRETS",
    "ErpSettings",
    "ImapSettings",
    "InputSettings",
    "LoggingSettings",
    "MatchingSettings",
    "ReviewSettings",
    "Settings",
    "SmtpSettings",
    "StoreSettings",
    "load_settings",
]

Environment = Literal["development", "staging", "production"]

PLACEHOLDER = "changethis"
# Values that mean "nobody set this": refused as secrets outside development.
PLACEHOLDER_SECRETS = frozenset({PLACEHOLDER, "changeme", "change-me", "secret", "password"})


def _placeholder() -> SecretStr:
    return SecretStr(PLACEHOLDER)


class _Section(BaseModel):
    # Unknown keys in a section are typos (O2C_IMAP__PASWORD); say so instead of ignoring.
    # Errors must not echo the input: it holds the secrets.
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)


class StoreSettings(_Section):
    """Where the suite keeps its state (payments, decisions, outbox, review queue, audit)."""

    url: str = Field(
        default="sqlite:///./var/o2c.sqlite3",
        description="SQLAlchemy URL of the store: sqlite:///path (embedded, WAL) or "
        "postgresql+psycopg://user@host:port/db (team). Keep the password in "
        "O2C_STORE__PASSWORD rather than in the URL.",
    )
    password: SecretStr | None = Field(
        default=None,
        description="Database password, put into the URL at connect time; unset for "
        "SQLite or when the URL or a .pgpass file carries it.",
    )
    echo: bool = Field(default=False, description="Log every SQL statement (debugging only).")
    busy_timeout_ms: int = Field(
        default=10_000,
        ge=0,
        description="SQLite: how long a writer waits for another writer's lock before "
        "failing with 'database is locked'.",
    )
    pool_size: int = Field(
        default=5, ge=1, description="PostgreSQL: connections kept open per process."
    )

    def connection_url(self) -> str:
        """The URL with the password filled in; never log it (log ``url`` instead)."""
        if self.password is None:
            return self.url
        url = make_url(self.url).set(password=self.password.get_secret_value())
        return url.render_as_string(hide_password=False)


class ImapSettings(_Section):
    """The AR mailbox the remittance reader polls (or a folder of .eml files offline)."""

    adapter: Literal["imap", "folder"] = Field(
        default="folder",
        description="'imap' reads a real mailbox; 'folder' reads .eml files from drop_folder.",
    )
    host: str = Field(default="127.0.0.1", description="IMAP server host name.")
    port: int = Field(default=993, ge=1, le=65535, description="IMAP server port.")
    use_ssl: bool = Field(default=True, description="Connect with implicit TLS (IMAPS).")
    username: str = Field(default="ar@example.com", description="Mailbox login name.")
    password: SecretStr | None = Field(
        default=None, description="Mailbox password; required by the imap adapter."
    )
    inbox: str = Field(default="INBOX", description="Folder to read new mail from.")
    processed_folder: str = Field(
        default="Processed", description="Folder mail is moved to after the store commit."
    )
    failed_folder: str = Field(
        default="Failed", description="Folder for mail that could not be processed."
    )
    timeout_seconds: float = Field(
        default=30.0, gt=0, description="Socket timeout of every IMAP command."
    )
    drop_folder: Path = Field(
        default=Path("var/mail/inbox"),
        description="Folder adapter: directory of .eml files read in name order.",
    )


class SmtpSettings(_Section):
    """Outgoing mail (invoices, dunning letters), or a folder of .eml files offline."""

    adapter: Literal["smtp", "folder"] = Field(
        default="folder",
        description="'smtp' sends through a server; 'folder' writes .eml files to outbox_folder.",
    )
    host: str = Field(default="127.0.0.1", description="SMTP server host name.")
    port: int = Field(default=587, ge=1, le=65535, description="SMTP server port.")
    starttls: bool = Field(default=True, description="Upgrade the connection with STARTTLS.")
    username: str | None = Field(
        default=None, description="SMTP login name; unset for servers without auth."
    )
    password: SecretStr | None = Field(
        default=None, description="SMTP password; required when username is set."
    )
    from_address: str = Field(
        default="Northwind Components AR <ar@example.com>",
        description="From: header of every mail the suite sends.",
    )
    timeout_seconds: float = Field(default=30.0, gt=0, description="SMTP socket timeout.")
    outbox_folder: Path = Field(
        default=Path("var/mail/outbox"),
        description="Folder adapter: directory the .eml files are written to.",
    )


class ErpSettings(_Section):
    """The ERP the poster drives through its web UI (the sandbox ERP by default)."""

    adapter: Literal["web", "file"] = Field(
        default="web",
        description="'web' posts through the ERP's pages (Playwright); 'file' writes a "
        "JSONL dry run to dry_run_file.",
    )
    base_url: str = Field(
        default="http://127.0.0.1:8765", description="Root URL of the ERP web application."
    )
    username: str = Field(default="ar-bot", description="ERP login of the posting bot.")
    password: SecretStr = Field(
        default_factory=_placeholder,
        description="ERP password of the posting bot (the sandbox ERP accepts any in development).",
    )
    chromium_path: Path = Field(
        default=Path("/usr/bin/chromium"), description="Chromium executable Playwright drives."
    )
    headless: bool = Field(default=True, description="Run the browser without a window.")
    timeout_ms: int = Field(
        default=15_000, ge=100, description="Playwright timeout for one page action."
    )
    seats: int = Field(
        default=1, ge=1, description="Concurrent ERP sessions allowed (licensed seats)."
    )
    trace_dir: Path = Field(
        default=Path("var/traces"),
        description="Where traces and screenshots of failed postings are kept (a relative "
        "path outside data_dir is taken inside data_dir, so evidence stays with the data).",
    )
    keep_traces: bool = Field(
        default=True,
        description="Record a Playwright trace of every posting and keep it (with a "
        "screenshot) when the posting fails; off saves ~10% of the posting time.",
    )
    lease_seconds: float = Field(
        default=120.0,
        gt=0,
        description="How long a claimed outbox entry stays with its worker without news; "
        "renewed before every Save. After a crash another worker takes the entry over when "
        "it runs out (and searches the ERP for the payment_id first). Keep it well above "
        "timeout_ms.",
    )
    step_attempts: int = Field(
        default=6,
        ge=1,
        le=50,
        description="Tries of one screen step (open, filter, add a line, save) against "
        "transient faults (HTTP 500, timeouts, session expiry) before the posting is put "
        "back in the queue.",
    )
    backoff_seconds: float = Field(
        default=0.2,
        ge=0,
        description="First wait before retrying a failed step; doubled on every retry "
        "(capped at backoff_max_seconds).",
    )
    backoff_max_seconds: float = Field(
        default=5.0, ge=0, description="Longest wait between two tries of one step."
    )
    claim_attempts: int = Field(
        default=5,
        ge=1,
        description="Claims of one outbox entry ending in transient failures before it goes "
        "to the review queue as 'ERP unavailable'.",
    )
    requeue_seconds: float = Field(
        default=5.0,
        ge=0,
        description="Delay before an entry whose posting failed transiently is offered "
        "again (doubled per claim).",
    )
    dry_run_file: Path = Field(
        default=Path("var/postings.jsonl"), description="File adapter: postings written here."
    )


class ReviewSettings(_Section):
    """The review queue and its web page for exception handlers."""

    sla_hours: int = Field(
        default=24, ge=1, description="Hours from opening until a review item is overdue."
    )
    approval_threshold: Decimal = Field(
        default=Decimal("250.00"),
        ge=0,
        description="Write-offs above this amount need a second person (maker-checker).",
    )
    page_size: int = Field(default=50, ge=1, le=500, description="Items per page in the queue.")
    host: str = Field(default="127.0.0.1", description="Address the review web app binds to.")
    port: int = Field(default=8780, ge=1, le=65535, description="Port of the review web app.")
    secret_key: SecretStr = Field(
        default_factory=_placeholder,
        description="Key signing session cookies and CSRF tokens of the review web app.",
    )


class MatchingSettings(_Section):
    """Policy knobs of the matcher (FORMAT.md section 2); the defaults are the policy."""

    bank_fee_max: Decimal = Field(
        default=Decimal("25.00"),
        ge=0,
        description="Largest unexplained shortfall booked as a bank fee (policy 2.7).",
    )
    remittance_wait_days: int = Field(
        default=3,
        ge=0,
        le=60,
        description="Days a payment whose text says its advice comes separately waits "
        "undecided for that advice before it goes to review (0: review at once).",
    )


class InputSettings(_Section):
    """Where the scheduled runs find the files other systems drop for them."""

    statements_folder: Path = Field(
        default=Path("var/bank/inbox"),
        description="Bank statement files (camt, BAI2, MT940, CSV), as the bank portal or "
        "an SFTP job drops them; each file is read once.",
    )
    ledger_folder: Path = Field(
        default=Path("var/ledger"),
        description="The ERP's export of customers.csv and open_items.csv, refreshed "
        "before each cash-application run.",
    )


class LoggingSettings(_Section):
    """How the suite logs (see shared.logging)."""

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="Lowest level written."
    )
    json_format: bool = Field(
        default=False,
        description="One JSON object per line (for log shippers) instead of plain text.",
    )


class Settings(BaseSettings):
    """Every setting of the suite; see the module docstring for where values come from."""

    model_config = SettingsConfigDict(
        env_prefix="O2C_",
        env_nested_delimiter="__",
        env_file=".env",
        env_file_encoding="utf-8",
        # The .env may hold other tools' variables (PREFECT_*): ignore what is not ours.
        extra="ignore",
        nested_model_default_partial_update=True,
        hide_input_in_errors=True,
    )

    environment: Environment = Field(
        default="development",
        description="development allows placeholder secrets; staging and production refuse them.",
    )
    data_dir: Path = Field(
        default=Path("var"), description="Working directory for files the suite writes."
    )
    store: StoreSettings = Field(default_factory=StoreSettings, description="The store.")
    imap: ImapSettings = Field(default_factory=ImapSettings, description="Incoming mail.")
    smtp: SmtpSettings = Field(default_factory=SmtpSettings, description="Outgoing mail.")
    erp: ErpSettings = Field(default_factory=ErpSettings, description="The ERP.")
    review: ReviewSettings = Field(default_factory=ReviewSettings, description="Review queue.")
    matching: MatchingSettings = Field(
        default_factory=MatchingSettings, description="Matcher policy."
    )
    inputs: InputSettings = Field(
        default_factory=InputSettings, description="Folders of incoming files."
    )
    logging: LoggingSettings = Field(default_factory=LoggingSettings, description="Logging.")

    @model_validator(mode="after")
    def _refuse_placeholders_outside_development(self) -> Settings:
        try:
            make_url(self.store.url)
        except ArgumentError as exc:
            raise ValueError(f"store.url is not a database URL: {exc}") from None
        if self.environment == "development":
            return self
        bad = [name for name, value in self.secrets().items() if _is_placeholder(value)]
        if self.imap.adapter == "imap" and self.imap.password is None:
            bad.append("imap.password")
        if self.smtp.adapter == "smtp" and self.smtp.username and self.smtp.password is None:
            bad.append("smtp.password")
        if bad:
            raise ValueError(
                f"placeholder or missing secrets are not allowed in {self.environment}: set "
                + ", ".join(_env_name(name) for name in bad)
            )
        return self

    def secrets(self) -> dict[str, str]:
        """Every secret value by dotted name (``imap.password``), for the log redactor.

        Includes the password inside ``store.url`` when the URL carries one.
        """
        found: dict[str, str] = {}
        for section_name in type(self).model_fields:
            section = getattr(self, section_name)
            if not isinstance(section, BaseModel):
                continue
            for field_name in type(section).model_fields:
                value = getattr(section, field_name)
                if isinstance(value, SecretStr):
                    found[f"{section_name}.{field_name}"] = value.get_secret_value()
        url_password = make_url(self.store.url).password
        if url_password:
            found["store.url"] = str(url_password)
        return found


def _env_name(dotted: str) -> str:
    return "O2C_" + dotted.upper().replace(".", "__")


def _is_placeholder(value: str) -> bool:
    return value.strip().lower() in PLACEHOLDER_SECRETS


def load_settings(env_file: Path | str | None = ".env", **overrides: Any) -> Settings:
    """Build the settings once, at an entry point (CLI command, flow, test).

    ``env_file`` is read when it exists (``None`` skips it); ``overrides`` win over
    everything, e.g. ``load_settings(store={"url": url})``.  Raises
    ``pydantic.ValidationError`` naming each bad field (and every placeholder secret
    outside development).
    """
    return Settings(_env_file=env_file, **overrides)
