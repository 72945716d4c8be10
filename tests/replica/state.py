"""The running replica's mutable state: edits, injected faults, sessions and the request log."""

from __future__ import annotations

import dataclasses
import re
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from .model import ReplicaArticle, Site

if TYPE_CHECKING:
    from .briefing_room import RoomItem

# Kinds a test can set on one article through POST /_control/fault.
FAULT_PATTERN = re.compile(
    r"(?:status|status_once):[1-5]\d\d|slow:\d+(?:\.\d+)?|truncate|no_title|no_body|redesign"
)
# What POST /_control/document_fault may do to a press release's or fact-check's body channels.
DOCUMENT_FAULTS = {
    "viewer": frozenset({"pages", "missing", "placeholder"}),
    "hwpx": frozenset({"ok", "bomb", "corrupt", "hang"}),
    "hwp": frozenset({"ok", "bomb", "corrupt", "hang"}),
    "pdf": frozenset({"ok", "corrupt", "hang"}),
}


class UnknownArticle(KeyError):
    pass


@dataclass(frozen=True, slots=True)
class Session:
    session_id: str
    token: str  # the list form's listToken; POSTs for later pages must carry it
    is_new: bool


class ReplicaState:
    """Everything that changes while the replica runs; every method is thread-safe."""

    def __init__(self, site: Site) -> None:
        self._lock = threading.Lock()
        self._original = site
        self._site = site
        self._faults: dict[str, str] = {}
        self._document_faults: dict[str, dict[str, str]] = {}
        self._sessions: dict[str, str] = {}
        self._log: list[dict[str, object]] = []
        self._hits = 0
        self._started = time.monotonic()
        self._redesigned = False
        self._validators = True

    @property
    def site(self) -> Site:
        return self._site  # replaced whole on each edit, so readers never see half a change

    def next_hit(self) -> int:
        with self._lock:
            self._hits += 1
            return self._hits

    def session(self, session_id: str | None) -> Session:
        """The caller's session, or a new one when the cookie is absent or unknown."""
        with self._lock:
            if session_id and session_id in self._sessions:
                return Session(session_id, self._sessions[session_id], is_new=False)
            new_id = secrets.token_hex(16).upper()
            self._sessions[new_id] = secrets.token_hex(8)
            return Session(new_id, self._sessions[new_id], is_new=True)

    def set_fault(self, news_id: str, kind: str | None) -> None:
        """Break (or with kind None, mend) one article's page; raises ValueError on an unknown kind."""
        if kind is not None and not FAULT_PATTERN.fullmatch(kind):
            raise ValueError(f"unknown fault kind {kind!r}; use status:<code>, status_once:<code>, "
                             "slow:<seconds>, truncate, no_title, no_body or redesign")
        with self._lock:
            self._require(news_id)
            if kind is None:
                self._faults.pop(news_id, None)
            else:
                self._faults[news_id] = kind

    def take_fault(self, news_id: str) -> str | None:
        """The article's fault for this request; a status_once fault is used up by taking it."""
        with self._lock:
            kind = self._faults.get(news_id)
            if kind and kind.startswith("status_once:"):
                del self._faults[news_id]
            return kind

    def set_document_fault(self, news_id: str, channels: dict[str, str | None]) -> None:
        """Override a press release's or fact-check's viewer/hwpx/pdf (None restores one)."""
        for channel, kind in channels.items():
            if channel not in DOCUMENT_FAULTS or (kind is not None and kind not in DOCUMENT_FAULTS[channel]):
                raise ValueError(f"unknown document fault {channel}={kind!r}; use " + ", ".join(
                    f"{c}: {'/'.join(sorted(k))}" for c, k in DOCUMENT_FAULTS.items()))
        with self._lock:
            if self._require(news_id).section not in ("press", "fact"):
                raise ValueError(f"article {news_id} is no press release or fact-check")
            current = self._document_faults.setdefault(news_id, {})
            for channel, kind in channels.items():
                if kind is None:
                    current.pop(channel, None)
                else:
                    current[channel] = kind

    def document_fault(self, news_id: str, channel: str) -> str | None:
        with self._lock:
            return self._document_faults.get(news_id, {}).get(channel)

    def mutate(self, news_id: str, **changes: object) -> ReplicaArticle | RoomItem:
        with self._lock:
            article = self._require(news_id).with_changes(now=datetime.now(UTC), **changes)  # type: ignore[arg-type]
            self._site = self._site.replace(article)
            return article

    @property
    def redesigned(self) -> bool:
        """Every article page is served in a design no crawler layout knows (see redesigned_page)."""
        return self._redesigned

    def set_redesign(self, on: bool) -> None:
        with self._lock:
            self._redesigned = on

    @property
    def validators(self) -> bool:
        """Pages carry ETag and Last-Modified and conditional requests may get 304 (off: a site
        that sends neither, for the re-crawl benchmark without validators)."""
        return self._validators

    def set_validators(self, on: bool) -> None:
        with self._lock:
            self._validators = on

    def set_host(self, news_id: str, host: str) -> RoomItem:
        """Serve a press release from www or in the admin2. layout (and link it so from lists)."""
        if host not in ("www", "admin2"):
            raise ValueError(f"unknown host {host!r}; use www or admin2")
        with self._lock:
            item = self._require(news_id)
            if item.section != "press":
                raise ValueError(f"article {news_id} is no press release")
            moved = dataclasses.replace(item, host=host)  # type: ignore[type-var]
            self._site = self._site.replace(moved)
            return moved  # type: ignore[return-value]

    def reset(self) -> None:
        """Back to the generated site: edits, faults and the request log are dropped."""
        with self._lock:
            self._site = self._original
            self._faults.clear()
            self._document_faults.clear()
            self._log.clear()
            self._redesigned = False
            self._validators = True

    def record(self, entry: dict[str, object]) -> None:
        with self._lock:
            self._log.append({**entry, "time": round(time.monotonic() - self._started, 4)})

    def requests(self) -> list[dict[str, object]]:
        with self._lock:
            return list(self._log)

    def clear_requests(self) -> None:
        with self._lock:
            self._log.clear()

    def _require(self, news_id: str) -> ReplicaArticle | RoomItem:
        article = self._site.find(news_id)
        if article is None:
            raise UnknownArticle(news_id)
        return article
