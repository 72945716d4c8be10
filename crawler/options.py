"""What one crawl run needs to know; it crosses the process boundary as JSON."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from datetime import date

DEFAULT_USER_AGENT = "briefing/0.1 (self-hosted policy-news aggregator; polite crawler, 1 request/s)"


@dataclass(frozen=True, slots=True)
class CrawlOptions:
    source: str  # crawl target kind, e.g. "korea_kr"
    section: str  # e.g. "policy"
    since: date
    until: date
    database_url: str
    base_url: str = "https://www.korea.kr"
    run_id: int | None = None
    profile_path: str | None = None
    # Politeness: one request per second to the site, honest UA, robots.txt obeyed.
    download_delay: float = 1.0
    concurrency: int = 1
    autothrottle: bool = True
    obey_robots: bool = True
    user_agent: str = DEFAULT_USER_AGENT
    timeout: float = 30.0
    retries: int = 3
    retry_backoff: float = 2.0  # seconds before the first retry; doubles each time
    batch_size: int = 200
    flush_seconds: float = 2.0
    progress: bool = True  # JSON progress events on stdout for the parent process
    # CIDR networks the crawler may reach besides base_url's origin (crawler.outbound).
    allowed_private_networks: tuple[str, ...] = ()
    archive_dir: str | None = None  # article pages kept as WARC (crawler.archiving); None: not kept
    archive_max_bytes: int = 100 * 1024 * 1024
    archive_retention_days: int = 365

    @property
    def target(self) -> str:
        return f"{self.source}:{self.section}"

    def to_json(self) -> str:
        data = asdict(self)
        data["since"], data["until"] = self.since.isoformat(), self.until.isoformat()
        return json.dumps(data, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> CrawlOptions:
        data = json.loads(text)
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown crawl options: {sorted(unknown)}")
        data["since"], data["until"] = date.fromisoformat(data["since"]), date.fromisoformat(data["until"])
        data["allowed_private_networks"] = tuple(data.get("allowed_private_networks", ()))
        return cls(**data)
