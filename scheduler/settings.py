"""The one settings object (environment prefix BRIEFING_), built once per entry point."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from crawler.options import DEFAULT_USER_AGENT


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BRIEFING_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///data/briefing.db",
        validation_alias=AliasChoices("BRIEFING_DATABASE_URL", "DATABASE_URL"),
    )
    data_dir: Path = Path("data")
    korea_kr_base_url: str = "https://www.korea.kr"
    profile: Path | None = None  # site profile TOML; None = the built-in default

    # Politeness and robustness of every crawl.
    crawl_delay: float = 1.0
    crawl_concurrency: int = 1
    crawl_autothrottle: bool = True
    obey_robots: bool = True
    user_agent: str = DEFAULT_USER_AGENT
    crawl_timeout: float = 30.0
    crawl_retries: int = 3
    crawl_retry_backoff: float = 2.0
    default_window_days: int = 3

    # The service.
    host: str = "127.0.0.1"
    port: int = 8080
    api_token: str | None = None
    schedule_minutes: float = 30.0
    schedule_jitter_seconds: float = 60.0
    grace_seconds: float = 20.0

    @field_validator("korea_kr_base_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("BRIEFING_KOREA_KR_BASE_URL must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("crawl_delay", "crawl_timeout", "crawl_retry_backoff", "grace_seconds")
    @classmethod
    def _not_negative(cls, value: float) -> float:
        if value < 0:
            raise ValueError("must not be negative")
        return value

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "logs"
