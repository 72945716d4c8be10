"""The one settings object (environment prefix BRIEFING_), built once per entry point."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import (
    AliasChoices,
    BaseModel,
    Field,
    IPvAnyNetwork,
    SecretStr,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from storage.db import DATABASE_FILE, EngineOptions, default_data_dir, describe_url, sqlite_url

DEFAULT_USER_AGENT = "briefing/0.1 (self-hosted policy-news aggregator; polite crawler, 1 request/s)"
TOKEN_MIN_LENGTH = 16  # a guessable bearer token is no protection for POST /crawls


class SourceSchedule(BaseModel):
    """When one source is crawled by the service: every `minutes`, or by a crontab line (KST)."""

    minutes: float | None = None
    cron: str | None = None  # "m h dom mon dow", Asia/Seoul
    jitter_seconds: float | None = None  # None: Settings.schedule_jitter_seconds
    window_days: int | None = None  # None: Settings.schedule_window_days

    @model_validator(mode="after")
    def _one_kind(self) -> SourceSchedule:
        if (self.minutes is None) == (self.cron is None):
            raise ValueError("a schedule needs exactly one of `minutes` or `cron`")
        if self.minutes is not None and self.minutes <= 0:
            raise ValueError("schedule `minutes` must be positive")
        if self.jitter_seconds is not None and self.jitter_seconds < 0:
            raise ValueError("schedule `jitter_seconds` must not be negative")
        if self.window_days is not None and self.window_days < 1:
            raise ValueError("schedule `window_days` must be at least 1")
        return self


class Settings(BaseSettings):
    # populate_by_name: Settings(database_url=...) is honoured, not only the environment alias.
    model_config = SettingsConfigDict(
        env_prefix="BRIEFING_", env_file=".env", extra="ignore", populate_by_name=True
    )

    # Empty: DATA_DIR/briefing.db, so the database does not depend on the current directory.
    database_url: str = Field(
        default="",
        validation_alias=AliasChoices("BRIEFING_DATABASE_URL", "DATABASE_URL"),
    )
    data_dir: Path = Field(default_factory=default_data_dir)  # the database file and the run logs
    korea_kr_base_url: str = "https://www.korea.kr"
    # data.go.kr Open API (korea_kr_api): the key reaches crawl children through their environment,
    # never through CrawlOptions, which may be logged.
    data_go_kr_key: SecretStr | None = None
    data_go_kr_base_url: str = "https://apis.data.go.kr/1371000"
    profile: Path | None = None  # site profile TOML; None = the built-in default
    sources_file: Path = Path("sources.toml")  # missing: korea_kr:policy every schedule_minutes

    # The database (pool and time-outs apply to PostgreSQL).
    auto_migrate: bool = True  # `briefing run` upgrades the schema at start; false: refuse if behind
    db_pool_size: int = Field(default=5, ge=1)
    db_max_overflow: int = Field(default=5, ge=0)
    db_pool_timeout: float = Field(default=30.0, gt=0)  # seconds to wait for a pooled connection
    db_connect_timeout: float = Field(default=10.0, gt=0)  # seconds
    db_statement_timeout: float = Field(default=60.0, ge=0)  # seconds per statement; 0 = no limit
    # A running crawl's lease: renewed every quarter of it; a run not renewed for this long
    # (its replica died) is taken over by the next replica that wants the source.
    lease_seconds: float = Field(default=120.0, gt=0)

    # Politeness and robustness of every crawl.
    crawl_delay: float = 1.0
    crawl_concurrency: int = 1
    crawl_autothrottle: bool = True
    obey_robots: bool = True
    user_agent: str = DEFAULT_USER_AGENT
    crawl_timeout: float = 30.0
    crawl_retries: int = 3
    crawl_retry_backoff: float = 2.0  # seconds before the first retry; doubles each time
    crawl_batch_size: int = Field(default=200, ge=1)  # items per storage transaction in a crawl
    crawl_flush_seconds: float = Field(default=2.0, gt=0)  # ... or this long, whichever comes first
    # Where a crawl renders and stores (crawler/writer.py): "auto" is its own process when the
    # machine gives the crawl more than one core, else a thread of the crawl.
    crawl_writer: Literal["auto", "process", "thread"] = "auto"
    attachment_max_bytes: int = Field(default=20 * 1024 * 1024, ge=1)  # press-release HWPX/PDF
    # A run whose failed items pass this share of its items has failed (see crawler/protocol.py).
    failed_share_limit: float = Field(default=0.5, ge=0, le=1)
    default_window_days: int = 3
    # Networks crawls may reach besides each source's own URL, as JSON: '["10.0.0.0/8"]'.
    allowed_private_networks: list[IPvAnyNetwork] = Field(default_factory=list)

    # The service.
    host: str = "127.0.0.1"
    port: int = 8080
    api_token: str | None = None  # at least TOKEN_MIN_LENGTH characters; "" = none
    public_url: str | None = None  # base of the API's own links (/feed.xml); None: http://host:port
    max_body_bytes: int = Field(default=64 * 1024, ge=1)  # larger request bodies get 413
    schedule_minutes: float = 30.0
    schedule_jitter_seconds: float = 60.0
    grace_seconds: float = 20.0
    # Per-source schedules, e.g. BRIEFING_SCHEDULES='{"korea_kr:policy": {"cron": "*/15 7-22 * * *"}}'.
    # Empty: korea_kr:policy every `schedule_minutes`.
    schedules: dict[str, SourceSchedule] = Field(default_factory=dict)
    schedule_window_days: int | None = None  # days a scheduled crawl covers; None: default_window_days
    catch_up: bool = True  # at start, run once what was missed while the service was down
    backfill_retry_seconds: float = 10.0  # a backfill waits this long while its source is busy
    backfill_max_failed_days: int = Field(default=3, ge=1)  # a backfill stops after this many failed in a row
    log_format: Literal["keyvalue", "json"] = "keyvalue"
    # Raw article pages kept in WARC files for `briefing reparse` (crawler/archive.py).
    archive: bool = True
    archive_dir: Path | None = None  # None: DATA_DIR/archive
    archive_max_bytes: int = Field(default=100 * 1024 * 1024, ge=1024 * 1024)  # then a new file
    archive_retention_days: int = Field(default=365, ge=0)  # 0: keep forever

    @model_validator(mode="after")
    def _default_archive(self) -> Settings:
        if self.archive_dir is None:
            self.archive_dir = self.data_dir / "archive"
        return self

    @property
    def archive_path(self) -> Path:
        assert self.archive_dir is not None  # set by _default_archive
        return self.archive_dir

    @field_validator("korea_kr_base_url", "data_go_kr_base_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an http:// or https:// URL, e.g. https://www.korea.kr")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _default_database(self) -> Settings:
        if not self.database_url:
            self.database_url = sqlite_url(self.data_dir / DATABASE_FILE)
        return self

    @field_validator("crawl_delay", "crawl_timeout", "crawl_retry_backoff", "grace_seconds")
    @classmethod
    def _not_negative(cls, value: float) -> float:
        if value < 0:
            raise ValueError("must not be negative")
        return value

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("BRIEFING_PUBLIC_URL must start with http:// or https://")
        return value.rstrip("/") if value else None

    @field_validator("schedule_window_days")
    @classmethod
    def _at_least_one_day(cls, value: int | None) -> int | None:
        if value is not None and value < 1:
            raise ValueError("BRIEFING_SCHEDULE_WINDOW_DAYS must be at least 1")
        return value

    def bind_error(self) -> str | None:
        """Why the service must not listen on `host` as configured, or None when it may."""
        if self.api_token and len(self.api_token.strip()) < TOKEN_MIN_LENGTH:
            return (
                f"BRIEFING_API_TOKEN is too short ({len(self.api_token.strip())} characters without "
                f"surrounding spaces): use at least {TOKEN_MIN_LENGTH}, e.g. `openssl rand -hex 24`"
            )
        if self.api_token or is_loopback_host(self.host):
            return None
        return (
            f"refusing to listen on {self.host}: set BRIEFING_API_TOKEN to protect POST /crawls, "
            "or bind to a loopback address such as 127.0.0.1"
        )

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def database_location(self) -> str:
        """The database for people: its file, or its URL without the password."""
        return describe_url(self.database_url)

    def engine_options(self) -> EngineOptions:
        """The pool and time-outs every process opens the database with."""
        return EngineOptions(
            pool_size=self.db_pool_size,
            max_overflow=self.db_max_overflow,
            pool_timeout=self.db_pool_timeout,
            connect_timeout=self.db_connect_timeout,
            statement_timeout=self.db_statement_timeout,
        )


def is_loopback_host(host: str) -> bool:
    """True for `localhost` and loopback IP literals; any other name counts as public."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
