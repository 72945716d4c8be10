"""Notifications: signed webhooks (in Miniflux's manner) and Apprise URLs, for two events.

- `new_articles`: after a run that stored new or updated articles; the entries are listed.
- `source_state`: a source turned `error` or `drift`, or came back to `ok`.

Webhooks get a JSON body and two headers: `X-Briefing-Event-Type` and `X-Briefing-Signature`,
the hex HMAC-SHA256 of the exact body bytes under the destination's secret (verify by computing
it over the raw body and comparing in constant time). Apprise destinations (one library, many
services: mail, Slack, Telegram, Discord, ntfy, a JSON POST …) get a title and a text body.
Every destination may filter by source, ministry and keyword; a failed delivery is retried with
back-off, and every attempt is logged, its URL without user or password.

Configured in the profile's `[notify]` table:

    [[notify.webhooks]]
    url = "https://hooks.example/briefing"
    secret = "${BRIEFING_WEBHOOK_SECRET}"    # ${VARIABLES} come from the environment
    events = ["new_articles", "source_state"]

    [[notify.apprise]]
    url = "tgram://${TELEGRAM_TOKEN}/12345"
    ministries = ["기획재정부"]
    keywords = ["예산", "세제"]
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import time
import tomllib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

from scheduler.publish import redact

log = logging.getLogger(__name__)

NEW_ARTICLES = "new_articles"
SOURCE_STATE = "source_state"
EVENTS = (NEW_ARTICLES, SOURCE_STATE)
SIGNATURE_HEADER = "X-Briefing-Signature"
EVENT_HEADER = "X-Briefing-Event-Type"
STATES = ("ok", "error", "drift")
DEFAULT_ATTEMPTS = 4
DEFAULT_BACKOFF_SECONDS = 2.0  # 2, 4, 8 … between attempts
TIMEOUT_SECONDS = 10.0


class NotifyError(ValueError):
    """The `[notify]` configuration cannot be used; the message names the entry and key."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One new or updated article, as notifications describe it."""

    source: str  # the crawl target, e.g. "korea_kr:policy"
    external_id: str
    title: str
    url: str
    ministry: str | None = None
    published_at: str | None = None  # ISO 8601
    summary: str = ""
    change: str = "new"  # "new" or "updated"


@dataclass(frozen=True, slots=True)
class Filters:
    """Empty means "any"; all given filters must match (keywords: any one, in title or summary)."""

    sources: tuple[str, ...] = ()
    ministries: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()

    def source_ok(self, source: str) -> bool:
        # "korea_kr" matches every korea_kr:<section> target
        return not self.sources or any(source == s or source.startswith(f"{s}:") for s in self.sources)

    def keep(self, entry: Entry) -> bool:
        if not self.source_ok(entry.source):
            return False
        if self.ministries and (entry.ministry or "") not in self.ministries:
            return False
        text = f"{entry.title}\n{entry.summary}".casefold()
        return not self.keywords or any(word.casefold() in text for word in self.keywords)


@dataclass(frozen=True, slots=True)
class Destination:
    kind: str  # "webhook" or "apprise"
    url: str  # as configured (may hold ${VARIABLES}); expanded only when sending
    secret: str = ""  # webhooks: the HMAC key (as configured)
    events: tuple[str, ...] = EVENTS
    filters: Filters = field(default_factory=Filters)

    @property
    def shown(self) -> str:
        return redact(self.url)


@dataclass(frozen=True, slots=True)
class Delivery:
    """One attempt to deliver one event to one destination (each is logged)."""

    destination: str  # redacted URL
    event: str
    attempt: int
    ok: bool
    detail: str  # "HTTP 200", "HTTP 500", "ConnectError: …"


# --- configuration ----------------------------------------------------------------------------


def destinations_from_table(table: Any, *, origin: str) -> list[Destination]:
    """The destinations of a parsed `[notify]` table."""
    if table is None:
        return []
    if not isinstance(table, dict):
        raise NotifyError(f"{origin}: notify must be a table ([notify])")
    unknown = sorted(set(table) - {"webhooks", "apprise"})
    if unknown:
        names = ", ".join(unknown)
        raise NotifyError(f"{origin}: [notify] has unknown key(s) {names}; use webhooks, apprise")
    found = []
    for kind, key in (("webhook", "webhooks"), ("apprise", "apprise")):
        entries = table.get(key, [])
        if not isinstance(entries, list):
            raise NotifyError(f"{origin}: notify.{key} must be an array of tables ([[notify.{key}]])")
        for index, entry in enumerate(entries, 1):
            found.append(_destination(kind, entry, f"{origin}: [[notify.{key}]] #{index}"))
    return found


def _destination(kind: str, entry: Any, where: str) -> Destination:
    if not isinstance(entry, dict):
        raise NotifyError(f"{where}: must be a table")
    allowed = {"url", "events", "sources", "ministries", "keywords"}
    if kind == "webhook":
        allowed.add("secret")
    unknown = sorted(set(entry) - allowed)
    if unknown:
        known = ", ".join(sorted(allowed))
        raise NotifyError(f"{where}: unknown key(s) {', '.join(unknown)}; known: {known}")
    url = entry.get("url")
    if not isinstance(url, str) or not url.strip():
        raise NotifyError(f"{where}: url is required")
    if kind == "webhook" and not url.startswith(("http://", "https://")):
        raise NotifyError(f"{where}: a webhook url must start with http:// or https://")
    secret = entry.get("secret", "")
    if not isinstance(secret, str) or (kind == "webhook" and not secret):
        raise NotifyError(f'{where}: secret is required (the HMAC key, e.g. "${{WEBHOOK_SECRET}}")')
    lists = {key: _strings(entry.get(key, []), f"{where}: {key}") for key in ("events", "sources",
                                                                              "ministries", "keywords")}
    events = lists["events"] or EVENTS
    wrong = [e for e in events if e not in EVENTS]
    if wrong:
        raise NotifyError(f"{where}: unknown event(s) {', '.join(wrong)}; known: {', '.join(EVENTS)}")
    filters = Filters(lists["sources"], lists["ministries"], lists["keywords"])
    return Destination(kind, url.strip(), secret, events, filters)


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise NotifyError(f"{where} must be a list of strings")


def load_destinations(profile_path: Path) -> list[Destination]:
    """The `[notify]` destinations of a profile file (none when it has no such table)."""
    try:
        data = tomllib.loads(profile_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise NotifyError(f"{profile_path}: cannot read profile: {exc}") from exc
    return destinations_from_table(data.get("notify"), origin=str(profile_path))


# --- payloads ---------------------------------------------------------------------------------


def new_articles_payload(entries: Sequence[Entry]) -> dict[str, Any]:
    return {"event_type": NEW_ARTICLES, "count": len(entries), "entries": [asdict(e) for e in entries]}


def source_state_payload(source: str, state: str, previous: str | None, reason: str | None) -> dict[str, Any]:
    return {"event_type": SOURCE_STATE, "source": source, "state": state, "previous": previous,
            "reason": reason}


def body_bytes(payload: dict[str, Any]) -> bytes:
    """The exact bytes sent and signed (compact, UTF-8, keys in a stable order)."""
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def signature(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str) -> bool:
    """What a receiver does: recompute over the raw body, compare in constant time."""
    return hmac.compare_digest(signature(secret, body), header.strip())


def text_of(payload: dict[str, Any]) -> tuple[str, str]:
    """Title and body for Apprise (plain text)."""
    if payload["event_type"] == NEW_ARTICLES:
        entries = payload["entries"]
        title = f"briefing: {len(entries)} new or updated article{'s' if len(entries) != 1 else ''}"
        lines = [f"- {e['title']} ({e['ministry'] or e['source']})\n  {e['url']}" for e in entries]
        return title, "\n".join(lines)
    title = f"briefing: {payload['source']} is {payload['state']}"
    change = f"{payload['source']}: {payload['previous'] or '?'} → {payload['state']}."
    return title, f"{change} {payload['reason'] or ''}".strip()


# --- sending ----------------------------------------------------------------------------------


Sleep = Callable[[float], None]


@dataclass
class Notifier:
    destinations: Sequence[Destination]
    attempts: int = DEFAULT_ATTEMPTS
    backoff: float = DEFAULT_BACKOFF_SECONDS
    sleep: Sleep = time.sleep
    client: httpx.Client | None = None
    deliveries: list[Delivery] = field(default_factory=list)

    def new_articles(self, entries: Iterable[Entry]) -> list[Delivery]:
        """Send `new_articles` to each destination that wants it, with only the entries it keeps."""
        everything = list(entries)
        sent: list[Delivery] = []
        for destination in self.destinations:
            if NEW_ARTICLES not in destination.events:
                continue
            kept = [entry for entry in everything if destination.filters.keep(entry)]
            if kept:
                sent += self._deliver(destination, new_articles_payload(kept))
        return sent

    def source_state(self, source: str, state: str, previous: str | None, reason: str | None = None
                     ) -> list[Delivery]:
        sent: list[Delivery] = []
        payload = source_state_payload(source, state, previous, reason)
        for destination in self.destinations:
            if SOURCE_STATE in destination.events and destination.filters.source_ok(source):
                sent += self._deliver(destination, payload)
        return sent

    def _deliver(self, destination: Destination, payload: dict[str, Any]) -> list[Delivery]:
        attempts = []
        for attempt in range(1, self.attempts + 1):
            ok, detail = self._send_once(destination, payload)
            record = Delivery(destination.shown, payload["event_type"], attempt, ok, detail)
            attempts.append(record)
            self.deliveries.append(record)
            level = logging.INFO if ok else logging.WARNING
            log.log(level, "notify %s %s to %s, attempt %d: %s", destination.kind, record.event,
                    record.destination, attempt, redact(detail))
            if ok:
                break
            if attempt < self.attempts:
                self.sleep(self.backoff * 2 ** (attempt - 1))
        return attempts

    def _send_once(self, destination: Destination, payload: dict[str, Any]) -> tuple[bool, str]:
        url = os.path.expandvars(destination.url)
        if destination.kind == "apprise":
            return _apprise_once(url, payload)
        body = body_bytes(payload)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            EVENT_HEADER: payload["event_type"],
            SIGNATURE_HEADER: signature(os.path.expandvars(destination.secret), body),
            "User-Agent": "briefing-webhook",
        }
        try:
            client = self.client or httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False)
            try:
                response = client.post(url, content=body, headers=headers)
            finally:
                if self.client is None:
                    client.close()
        except httpx.HTTPError as exc:
            return False, f"{type(exc).__name__}: {redact(str(exc))}"
        return 200 <= response.status_code < 300, f"HTTP {response.status_code}"


def _apprise_once(url: str, payload: dict[str, Any]) -> tuple[bool, str]:
    import apprise  # imported when used: the service starts without it when nothing is configured

    sender = apprise.Apprise()
    if not sender.add(url):
        return False, "not an Apprise URL apprise understands"
    title, body = text_of(payload)
    ok = bool(sender.notify(title=title, body=body))
    return ok, "sent" if ok else "Apprise could not deliver it"

