"""Start the korea.kr replica as a child process and drive its control API; pytest fixtures."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest

from tests.local_server import LocalServer, started

DEFAULT_START = date(2026, 11, 18)
URL_PREFIX = "REPLICA_URL "


class ReplicaError(RuntimeError):
    """The replica did not start, or a control call failed; the message says why."""


class Replica(LocalServer):
    """One running replica (`python -m tests.replica …`) and the client for its control API."""

    error = ReplicaError

    @classmethod
    def start(cls, *, articles: int = 60, start: date = DEFAULT_START, days: int = 5, seed: int = 1,
              press: int = 12, briefings: int = 6, facts: int = 8, timeout: float = 20.0) -> Replica:
        args = ["--articles", str(articles), "--start", start.isoformat(), "--days", str(days),
                "--seed", str(seed), "--port", "0",
                "--press", str(press), "--briefings", str(briefings), "--facts", str(facts)]
        return cls.spawn("tests.replica", args, prefix=URL_PREFIX, timeout=timeout)

    # --- control API -------------------------------------------------------------------------

    def truth(self) -> list[dict[str, Any]]:
        """Every policy-news article's truth (see ReplicaArticle), oldest first, datetimes as ISO strings."""
        return self._call("GET", "/_control/articles")

    def section_truth(self, section: str) -> list[dict[str, Any]]:
        """The truth of one briefing-room section ("press", "briefing", "fact"; see RoomItem)."""
        return self._call("GET", f"/_control/{section}")

    def document_fault(self, news_id: str, **channels: str | None) -> None:
        """Break a press release's or fact-check's body channels: viewer= pages/missing/placeholder,
        hwpx= ok/bomb/corrupt/hang, hwp= ok/bomb/corrupt/hang, pdf= ok/corrupt/hang; None restores
        a channel."""
        self._call("POST", "/_control/document_fault", {"news_id": news_id, **channels})

    def redesign(self, on: bool = True) -> None:
        """Serve every article page in a design no crawler layout knows (False, or reset(), undoes it)."""
        self._call("POST", "/_control/redesign", {"on": on})

    def validators(self, on: bool = True) -> None:
        """Send ETag and Last-Modified (and answer conditional requests), or neither (False)."""
        self._call("POST", "/_control/validators", {"on": on})

    def room_host(self, news_id: str, host: str) -> dict[str, Any]:
        """Serve a press release from "www" or in the "admin2" layout (lists link that host too)."""
        return self._call("POST", "/_control/room_host", {"news_id": news_id, "host": host})

    def article(self, news_id: str) -> dict[str, Any]:
        found = [a for a in self.truth() if a["news_id"] == news_id]
        if not found:
            raise ReplicaError(f"no article {news_id} in the replica")
        return found[0]

    def fault(self, news_id: str, kind: str | None) -> None:
        """Break one article's page: status:<code>, status_once:<code>, slow:<s>, truncate,
        no_title, no_body, redesign (a design no layout knows); None mends it."""
        self._call("POST", "/_control/fault", {"news_id": news_id, "kind": kind})

    def mutate(self, news_id: str, **changes: Any) -> dict[str, Any]:
        """Edit an article (title=, body_append=, subtitles=); returns its new truth."""
        return self._call("POST", "/_control/mutate", {"news_id": news_id, **changes})

    def reset(self) -> None:
        """Undo edits and faults and empty the request log."""
        self._call("POST", "/_control/reset", {})

    def requests(self) -> list[dict[str, Any]]:
        """Requests served so far (not /_control): method, path, query, status, bytes, headers, time."""
        return self._call("GET", "/_control/requests")

    def clear_requests(self) -> None:
        self._call("POST", "/_control/requests/clear", {})


# --- pytest fixtures (import them from a conftest) -----------------------------------------------


@pytest.fixture
def replica_factory() -> Iterator[Callable[..., Replica]]:
    """`start(**kwargs) -> Replica` (kwargs as Replica.start); every replica stops at teardown."""
    with started(Replica.start) as start:
        yield start


@pytest.fixture(scope="session")
def replica_server() -> Iterator[Replica]:
    """One default replica (60 articles, 2026-11-18 + 5 days, seed 1) shared by the session."""
    with Replica.start() as replica:
        yield replica


@pytest.fixture
def replica(replica_server: Replica) -> Replica:
    """The shared replica, reset (no edits, faults or logged requests) for this test."""
    replica_server.reset()
    return replica_server
