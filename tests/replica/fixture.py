"""Start the korea.kr replica as a child process and drive its control API; pytest fixtures."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import tempfile
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import IO, Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_START = date(2026, 11, 18)
URL_PREFIX = "REPLICA_URL "


class ReplicaError(RuntimeError):
    """The replica did not start, or a control call failed; the message says why."""


class Replica:
    """One running replica (`python -m tests.replica …`) and the client for its control API."""

    def __init__(self, process: subprocess.Popen[bytes], url: str, stderr: IO[bytes]) -> None:
        self.process = process
        self.url = url
        self._stderr = stderr

    @classmethod
    def start(cls, *, articles: int = 60, start: date = DEFAULT_START, days: int = 5, seed: int = 1,
              press: int = 12, briefings: int = 6, facts: int = 8, timeout: float = 20.0) -> Replica:
        command = [sys.executable, "-m", "tests.replica", "--articles", str(articles),
                   "--start", start.isoformat(), "--days", str(days), "--seed", str(seed), "--port", "0",
                   "--press", str(press), "--briefings", str(briefings), "--facts", str(facts)]
        # stderr goes to a file, not a pipe: a pipe nobody reads would stall the server when full.
        # The file lives as long as the replica (closed in stop()), so no `with` here.
        stderr = tempfile.TemporaryFile()  # noqa: SIM115
        process = subprocess.Popen(command, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=stderr,
                                   stdin=subprocess.DEVNULL)
        assert process.stdout is not None
        line = _read_line(process.stdout, timeout)
        if not line.startswith(URL_PREFIX):
            _stop(process)
            process.stdout.close()
            stderr.seek(0)
            detail = stderr.read().decode("utf-8", "replace").strip() or "(empty)"
            stderr.close()
            got = f"first line {line!r}" if line else f"nothing within {timeout:g}s"
            raise ReplicaError(f"replica did not start ({got}); command: {' '.join(command)} "
                               f"in {REPO_ROOT}; exit code {process.returncode}; stderr:\n{detail}")
        return cls(process, line.removeprefix(URL_PREFIX).strip(), stderr)

    # --- control API -------------------------------------------------------------------------

    def truth(self) -> list[dict[str, Any]]:
        """Every policy-news article's truth (see ReplicaArticle), oldest first, datetimes as ISO strings."""
        return self._call("GET", "/_control/articles")

    def section_truth(self, section: str) -> list[dict[str, Any]]:
        """The truth of one briefing-room section ("press", "briefing", "fact"; see RoomItem)."""
        return self._call("GET", f"/_control/{section}")

    def document_fault(self, news_id: str, **channels: str | None) -> None:
        """Break a press release's or fact-check's body channels: viewer= pages/missing/placeholder,
        hwpx= ok/bomb/corrupt/hang, pdf= ok/corrupt/hang; None restores a channel."""
        self._call("POST", "/_control/document_fault", {"news_id": news_id, **channels})

    def article(self, news_id: str) -> dict[str, Any]:
        found = [a for a in self.truth() if a["news_id"] == news_id]
        if not found:
            raise ReplicaError(f"no article {news_id} in the replica")
        return found[0]

    def fault(self, news_id: str, kind: str | None) -> None:
        """Break one article's page: status:<code>, status_once:<code>, slow:<s>, truncate,
        no_title, no_body; None mends it."""
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

    # --- lifecycle ---------------------------------------------------------------------------

    def stop(self, timeout: float = 5.0) -> None:
        _stop(self.process, timeout)
        if self.process.stdout:
            self.process.stdout.close()
        self._stderr.close()

    def stderr(self) -> str:
        """What the replica wrote to stderr so far (tracebacks of replica bugs); "" once stopped."""
        if self._stderr.closed:
            return ""
        self._stderr.seek(0)
        return self._stderr.read().decode("utf-8", "replace")

    def __enter__(self) -> Replica:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            message = exc.read().decode("utf-8", "replace")
            raise ReplicaError(f"{method} {path} -> {exc.code}: {message}") from None
        except urllib.error.URLError as exc:
            raise ReplicaError(f"{method} {path}: replica unreachable ({exc.reason}); "
                               f"stderr:\n{self.stderr()}") from None


def _read_line(stream: IO[bytes], timeout: float) -> str:
    """The stream's first line, or "" if none comes within `timeout` seconds."""
    lines: queue.Queue[bytes] = queue.Queue()
    threading.Thread(target=lambda: lines.put(stream.readline()), daemon=True).start()
    try:
        return lines.get(timeout=timeout).decode("utf-8", "replace").rstrip("\n")
    except queue.Empty:
        return ""


def _stop(process: subprocess.Popen[bytes], timeout: float = 5.0) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- pytest fixtures (import them from a conftest) -----------------------------------------------


@pytest.fixture
def replica_factory() -> Iterator[Callable[..., Replica]]:
    """`start(**kwargs) -> Replica` (kwargs as Replica.start); every replica stops at teardown."""
    started: list[Replica] = []

    def start(**kwargs: Any) -> Replica:
        replica = Replica.start(**kwargs)
        started.append(replica)
        return replica

    yield start
    for replica in started:
        replica.stop()


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
