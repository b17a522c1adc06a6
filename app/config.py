"""Settings for s11, read once from S11_* environment variables (pydantic-settings).

A bad setting stops start-up with one sentence naming it (ConfigError); it never falls back
silently to something unsafe, such as a made-up secret in production.
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
import tempfile
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Annotated
from urllib.parse import unquote, urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

PROJECT_ROOT = Path(__file__).resolve().parent.parent

SUPPORTED_DATABASES = ("sqlite", "postgresql")


class ConfigError(Exception):
    """A setting that stops the app at start; its message is one sentence for a person."""


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="S11_", extra="ignore")

    env: Environment = Environment.DEVELOPMENT
    database_url: str = ""
    secret_key: SecretStr | None = None
    base_url: str = "http://127.0.0.1:8000"
    var_dir: Path = PROJECT_ROOT / "var"
    upload_dir: Path | None = None

    # Evidence files: file:///path (the default, S11_UPLOAD_DIR) or s3://bucket/prefix, with
    # the endpoint and region here and the keys where boto3 looks (AWS_ACCESS_KEY_ID, ...).
    storage_url: str = ""
    storage_endpoint_url: str | None = None
    storage_region: str | None = None

    # Sessions: signed out after this long without a request, and after this long at most.
    session_idle_minutes: int = Field(default=30, ge=2, le=24 * 60)
    session_lifetime_hours: int = Field(default=12, ge=1, le=24 * 14)

    # Evidence files attached to returns: the largest file, and the most one return may hold.
    evidence_file_mb: int = Field(default=20, ge=1, le=500)
    evidence_quota_mb: int = Field(default=200, ge=1, le=10_000)

    # Frontline survey answers one client address may send a minute (kept in memory only).
    survey_submissions_per_minute: int = Field(default=10, ge=1, le=1_000_000)

    # Agreed actions not yet complete: their leads are reminded this many days before each is due.
    action_reminder_days: list[Annotated[int, Field(ge=0, le=365)]] = Field(default=[14, 3])

    # /metrics (Prometheus): off, answering 404, unless a bearer token or networks are set.
    metrics_token: SecretStr | None = None
    metrics_allow: list[str] = Field(default=[])  # e.g. ["10.0.0.0/8", "127.0.0.1"]

    # Email (the notifications module): without a host, mail is written to var/outbox/.
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    mail_from: str = "s11@localhost"
    # The delivery queue (`s11 worker`): messages handed over on one connection at most, how
    # long a worker may hold a claim before another takes the message (its lease), and how
    # often an idle worker looks for new mail.
    mail_batch_size: int = Field(default=50, ge=1, le=1000)
    mail_lease_seconds: int = Field(default=300, ge=5, le=24 * 3600)
    mail_poll_seconds: float = Field(default=2.0, gt=0, le=600)
    # Sending limits, so a relay that limits its senders (Microsoft 365: 30 a minute, 10,000
    # recipients a day per mailbox) is never tripped; the queue waits instead. 0: no limit.
    mail_per_minute: int = Field(default=0, ge=0)
    mail_per_day: int = Field(default=0, ge=0)
    mail_per_minute_per_partnership: int = Field(default=0, ge=0)
    mail_per_day_per_partnership: int = Field(default=0, ge=0)
    # GOV.UK Notify instead of SMTP, when a key is set: one email template whose subject is
    # ((subject)) and whose body is ((body)) carries every message s11 sends.
    notify_api_key: SecretStr | None = None
    notify_template_id: str | None = None
    # Optional: a second template with a ((calendar)) placeholder, for panel invitations: Notify
    # sends no attachments, so their .ics goes as a link to download it.
    notify_calendar_template_id: str | None = None
    notify_base_url: str = "https://api.notifications.service.gov.uk"

    # OpenID Connect sign-in (the auth module); email links work without it.
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None

    @field_validator("metrics_allow")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for network in value:
            try:
                ipaddress.ip_network(network, strict=False)
            except ValueError:
                raise ValueError(
                    f"{network!r} is not an address or network like 10.0.0.0/8"
                ) from None
        return value

    @property
    def metrics_enabled(self) -> bool:
        return bool(self.metrics_token or self.metrics_allow)

    @property
    def is_development(self) -> bool:
        return self.env == Environment.DEVELOPMENT

    @property
    def is_production(self) -> bool:
        return self.env == Environment.PRODUCTION

    @cached_property
    def database(self) -> URL:
        return make_url(self.database_url)

    @property
    def uploads(self) -> Path:
        return self.upload_dir or self.var_dir / "uploads"

    @property
    def storage(self) -> str:
        """Where evidence files are kept, as a URL (file:///… or s3://…)."""
        return self.storage_url or self.uploads.resolve().as_uri()

    @property
    def secret(self) -> str:
        assert self.secret_key is not None, "load_settings() sets the secret"
        return self.secret_key.get_secret_value()


def load_settings(**overrides: object) -> Settings:
    """Read the environment, check every setting, and fill in development defaults."""
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        first = error.errors()[0]
        name = "S11_" + str(first["loc"][0]).upper() if first["loc"] else "a setting"
        raise ConfigError(f"{name} is not valid: {first['msg']}.") from None

    _check_var_dir(settings.var_dir)
    if not settings.database_url:
        settings.database_url = f"sqlite:///{settings.var_dir / 's11.db'}"
    settings.database_url = _checked_database_url(settings.database_url)
    if settings.storage_url:
        _check_storage_url(settings.storage_url)
    if settings.notify_api_key is not None and not settings.notify_template_id:
        raise ConfigError(
            "S11_NOTIFY_TEMPLATE_ID must be set with S11_NOTIFY_API_KEY (the id of a GOV.UK "
            "Notify email template whose subject is ((subject)) and body ((body)))."
        )
    if settings.secret_key is None:
        if settings.is_production:
            raise ConfigError(
                "S11_SECRET_KEY must be set when S11_ENV=production "
                "(a long random string, the same on every app process)."
            )
        settings.secret_key = SecretStr(_development_secret(settings.var_dir))
    return settings


def _check_var_dir(var_dir: Path) -> None:
    try:
        var_dir.mkdir(parents=True, exist_ok=True)
        # A probe of its own: two processes starting at once (cron on two hosts sharing var/,
        # or `s11 send-reminders` twice) must not remove each other's.
        with tempfile.NamedTemporaryFile(dir=var_dir, prefix=".write-test-"):
            pass
    except OSError as error:
        raise ConfigError(
            f"S11_VAR_DIR ({var_dir}) is not writable: {error.strerror or error}."
        ) from None


def _checked_database_url(value: str) -> str:
    try:
        url = make_url(value)
    except ArgumentError:
        raise ConfigError(
            f"S11_DATABASE_URL is not a database URL: {value!r}; use "
            "sqlite:///path/to/file.db or postgresql+psycopg://user:password@host/database."
        ) from None
    if url.get_backend_name() not in SUPPORTED_DATABASES:
        raise ConfigError(
            f"S11_DATABASE_URL uses {url.get_backend_name()!r}, which s11 does not support; "
            "use sqlite:/// or postgresql+psycopg://."
        )
    if url.get_backend_name() == "postgresql":
        # A bare postgresql:// would pick psycopg2, which s11 does not install.
        if "+" not in url.drivername:
            url = url.set(drivername="postgresql+psycopg")
        elif url.get_driver_name() != "psycopg":
            raise ConfigError(
                f"S11_DATABASE_URL names the driver {url.get_driver_name()!r}; "
                "s11 uses psycopg 3: postgresql+psycopg://…"
            )
    return url.render_as_string(hide_password=False)


def parse_storage_url(value: str) -> tuple[str, str, str]:
    """('file', path, '') or ('s3', bucket, prefix); ValueError with the reason otherwise."""
    parts = urlsplit(value)
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost") or not parts.path.startswith("/"):
            raise ValueError("a directory is written file:///absolute/path")
        return "file", unquote(parts.path), ""
    if parts.scheme == "s3":
        if not re.fullmatch(r"[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]", parts.netloc):
            raise ValueError("a bucket is written s3://bucket-name/optional/prefix")
        return "s3", parts.netloc, parts.path.strip("/")
    raise ValueError("use file:///absolute/path or s3://bucket/prefix")


def _check_storage_url(value: str) -> None:
    try:
        parse_storage_url(value)
    except ValueError as error:
        raise ConfigError(f"S11_STORAGE_URL is not a storage URL ({value!r}): {error}.") from None


def _development_secret(var_dir: Path) -> str:
    """Generate a secret once and keep it, so development sessions survive a restart."""
    path = var_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    value = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value
