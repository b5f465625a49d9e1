"""Settings: embedded defaults, environment and .env, descriptions, secrets, placeholders."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import BaseModel, SecretStr, ValidationError

from shared.settings import PLACEHOLDER_SECRETS, Settings, load_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No O2C_* variable of the machine, and no .env of the checkout, leaks into a test."""
    for name in list(os.environ):
        if name.startswith("O2C_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def production_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("O2C_ENVIRONMENT", "production")
    monkeypatch.setenv("O2C_ERP__PASSWORD", "erp-Pa55-word")
    monkeypatch.setenv("O2C_REVIEW__SECRET_KEY", "a-long-random-session-signing-key")


def test_defaults_work_without_any_environment() -> None:
    settings = load_settings()

    assert settings.environment == "development"
    assert settings.store.url == "sqlite:///./var/o2c.sqlite3"
    assert settings.store.connection_url() == "sqlite:///./var/o2c.sqlite3"
    assert settings.imap.adapter == "folder"
    assert settings.smtp.adapter == "folder"
    assert settings.matching.bank_fee_max == Decimal("25.00")
    assert settings.logging.level == "INFO"


def test_nested_sections_read_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("O2C_STORE__URL", "postgresql+psycopg://o2c@db.example:5432/o2c")
    monkeypatch.setenv("O2C_IMAP__PORT", "1143")
    monkeypatch.setenv("O2C_MATCHING__BANK_FEE_MAX", "15.50")

    settings = load_settings()

    assert settings.store.url == "postgresql+psycopg://o2c@db.example:5432/o2c"
    assert settings.imap.port == 1143
    assert settings.imap.host == "127.0.0.1"  # the rest of the section keeps its defaults
    assert settings.matching.bank_fee_max == Decimal("15.50")


def test_dotenv_file_is_read_and_environment_wins(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    env_file = tmp_path / "custom.env"
    env_file.write_text(
        "O2C_REVIEW__SLA_HOURS=8\nO2C_LOGGING__LEVEL=DEBUG\nPREFECT_HOME=/elsewhere\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("O2C_LOGGING__LEVEL", "WARNING")

    settings = load_settings(env_file)

    assert settings.review.sla_hours == 8
    assert settings.logging.level == "WARNING"


def test_dotenv_in_working_directory_is_the_default(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("O2C_ERP__SEATS=3\n", encoding="utf-8")

    assert load_settings().erp.seats == 3
    assert load_settings(env_file=None).erp.seats == 1


def test_keyword_overrides_win() -> None:
    settings = load_settings(store={"url": "sqlite:///elsewhere.sqlite3"})

    assert settings.store.url == "sqlite:///elsewhere.sqlite3"


def _all_fields(model: type[BaseModel], prefix: str = "") -> list[tuple[str, object]]:
    found: list[tuple[str, object]] = []
    for name, info in model.model_fields.items():
        found.append((prefix + name, info.description))
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            found += _all_fields(annotation, prefix + name + ".")
    return found


def test_every_field_has_a_description() -> None:
    missing = [name for name, description in _all_fields(Settings) if not description]

    assert missing == []


def test_secrets_are_masked_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("O2C_IMAP__PASSWORD", "imap-Pa55word")

    settings = load_settings()

    assert isinstance(settings.imap.password, SecretStr)
    assert "imap-Pa55word" not in repr(settings)
    assert "imap-Pa55word" not in str(settings.model_dump())
    assert settings.secrets()["imap.password"] == "imap-Pa55word"


def test_placeholder_secrets_are_allowed_in_development() -> None:
    settings = load_settings()

    assert settings.erp.password.get_secret_value() in PLACEHOLDER_SECRETS


def test_placeholder_secrets_are_refused_outside_development(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("O2C_ENVIRONMENT", "staging")

    with pytest.raises(ValidationError) as error:
        load_settings()

    message = str(error.value)
    assert "O2C_ERP__PASSWORD" in message
    assert "O2C_REVIEW__SECRET_KEY" in message


def test_production_with_real_secrets_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    production_env(monkeypatch)

    assert load_settings().environment == "production"


@pytest.mark.parametrize("placeholder", ["changethis", "ChangeMe", " password "])
def test_any_placeholder_spelling_is_refused(
    monkeypatch: pytest.MonkeyPatch, placeholder: str
) -> None:
    production_env(monkeypatch)
    monkeypatch.setenv("O2C_SMTP__PASSWORD", placeholder)

    with pytest.raises(ValidationError, match="O2C_SMTP__PASSWORD"):
        load_settings()


def test_placeholder_password_inside_store_url_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    production_env(monkeypatch)
    monkeypatch.setenv("O2C_STORE__URL", "postgresql+psycopg://o2c:changethis@db/o2c")

    with pytest.raises(ValidationError, match="O2C_STORE__URL"):
        load_settings()


def test_imap_adapter_needs_a_password_outside_development(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    production_env(monkeypatch)
    monkeypatch.setenv("O2C_IMAP__ADAPTER", "imap")

    with pytest.raises(ValidationError, match="O2C_IMAP__PASSWORD"):
        load_settings()


def test_validation_errors_do_not_echo_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    production_env(monkeypatch)
    monkeypatch.setenv("O2C_SMTP__PASSWORD", "changethis")

    with pytest.raises(ValidationError) as error:
        load_settings()

    assert "a-long-random-session-signing-key" not in str(error.value)
    assert "erp-Pa55-word" not in str(error.value)


def test_misspelt_section_key_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("O2C_IMAP__PASWORD", "x")

    with pytest.raises(ValidationError, match="pasword"):
        load_settings()


def test_store_password_is_put_into_the_url_encoded() -> None:
    settings = load_settings(
        store={"url": "postgresql+psycopg://o2c@db:5432/o2c", "password": "p@ss:w/rd%"}
    )

    assert (
        settings.store.connection_url() == "postgresql+psycopg://o2c:p%40ss%3Aw%2Frd%25@db:5432/o2c"
    )
    assert settings.secrets()["store.password"] == "p@ss:w/rd%"


def test_store_url_must_be_a_database_url() -> None:
    with pytest.raises(ValidationError, match=r"store\.url"):
        load_settings(store={"url": "not a url"})
