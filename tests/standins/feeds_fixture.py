"""Start the feed stand-in (`python -m tests.standins.feeds`) as a child process; pytest fixtures."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.local_server import LocalServer
from tests.standins.feeds import URL_PREFIX


class FeedStandIn(LocalServer):
    """One running feed stand-in and the client for its control API."""

    @classmethod
    def start(cls, timeout: float = 20.0) -> FeedStandIn:
        return cls.spawn("tests.standins.feeds", ["--port", "0"], prefix=URL_PREFIX, timeout=timeout)

    def requests(self, path: str | None = None) -> list[dict[str, Any]]:
        """Requests served (not /_control), optionally only those for `path`."""
        found = self._call("GET", "/_control/requests")
        return [r for r in found if path is None or r["path"] == path]

    def clear_requests(self) -> None:
        self._call("POST", "/_control/requests/clear", {})

    def add_entry(self, feed: str) -> None:
        """One more entry in `feed` ("korea", "atom", "summary"): a new version, new validators."""
        self._call("POST", "/_control/add", {"feed": feed})

    def set_mode(self, path: str, mode: str) -> None:
        """Serve `path` as "404", "home" (302 to /) or a feed ("korea", "atom", "summary")."""
        self._call("POST", "/_control/mode", {"path": path, "mode": mode})

    def reset(self) -> None:
        self._call("POST", "/_control/reset", {})


@pytest.fixture(scope="session")
def feed_standin_server() -> Iterator[FeedStandIn]:
    server = FeedStandIn.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def feed_standin(feed_standin_server: FeedStandIn) -> FeedStandIn:
    """The shared stand-in, reset (initial entries, modes and an empty request log)."""
    feed_standin_server.reset()
    return feed_standin_server
