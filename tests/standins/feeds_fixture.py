"""Start the feed stand-in (`python -m tests.standins.feeds`) as a child process; pytest fixtures."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest

from tests.replica.fixture import _read_line, _stop
from tests.standins.feeds import URL_PREFIX

REPO_ROOT = Path(__file__).resolve().parents[2]


class FeedStandIn:
    """One running feed stand-in and the client for its control API."""

    def __init__(self, process: subprocess.Popen[bytes], url: str, stderr: IO[bytes]) -> None:
        self.process = process
        self.url = url
        self._stderr = stderr

    @classmethod
    def start(cls, timeout: float = 20.0) -> FeedStandIn:
        command = [sys.executable, "-m", "tests.standins.feeds", "--port", "0"]
        stderr = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the server
        process = subprocess.Popen(command, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=stderr,
                                   stdin=subprocess.DEVNULL)
        assert process.stdout is not None
        line = _read_line(process.stdout, timeout)
        if not line.startswith(URL_PREFIX):
            _stop(process)
            stderr.seek(0)
            detail = stderr.read().decode("utf-8", "replace")
            stderr.close()
            raise RuntimeError(f"feed stand-in did not start (first line {line!r}); stderr:\n{detail}")
        return cls(process, line.removeprefix(URL_PREFIX).strip(), stderr)

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

    def stop(self) -> None:
        _stop(self.process)
        if self.process.stdout:
            self.process.stdout.close()
        self._stderr.close()

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read() or b"null")


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
