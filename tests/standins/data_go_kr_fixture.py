"""Start the data.go.kr stand-in (`python -m tests.standins.data_go_kr`) as a child process; a fixture."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import urllib.request
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import IO, Any

import pytest

from tests.replica.fixture import _read_line, _stop
from tests.standins.data_go_kr import URL_PREFIX

REPO_ROOT = Path(__file__).resolve().parents[2]


class DataGoKrStandIn:
    """One running stand-in: `url` is the API base URL (…/1371000), plus its control API."""

    def __init__(self, process: subprocess.Popen[bytes], url: str, stderr: IO[bytes]) -> None:
        self.process = process
        self.url = url
        self.origin = url.removesuffix("/1371000")
        self._stderr = stderr

    @classmethod
    def start(
        cls,
        *,
        key: str,
        start: date = date(2026, 11, 18),
        days: int = 5,
        articles: int = 60,
        seed: int = 1,
        press: int = 12,
        faults: dict[str, str] | None = None,
        timeout: float = 20.0,
    ) -> DataGoKrStandIn:
        command = [
            sys.executable,
            "-m",
            "tests.standins.data_go_kr",
            "--key",
            key,
            "--start",
            start.isoformat(),
            "--days",
            str(days),
            "--articles",
            str(articles),
            "--seed",
            str(seed),
            "--press",
            str(press),
            "--port",
            "0",
        ]
        for day, kind in (faults or {}).items():
            command += ["--fault", f"{day}={kind}"]
        stderr = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the server
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=stderr, stdin=subprocess.DEVNULL
        )
        assert process.stdout is not None
        line = _read_line(process.stdout, timeout)
        if not line.startswith(URL_PREFIX):
            _stop(process)
            process.stdout.close()
            stderr.seek(0)
            detail = stderr.read().decode("utf-8", "replace")
            stderr.close()
            raise RuntimeError(f"data.go.kr stand-in did not start (first line {line!r}); stderr:\n{detail}")
        return cls(process, line.removeprefix(URL_PREFIX).strip(), stderr)

    def requests(self) -> list[dict[str, Any]]:
        """API requests served so far: path, raw query (with the key), status, time."""
        return self._call("GET", "/_control/requests")

    def fault(self, start: str, kind: str | None) -> None:
        """Break requests whose startDate is `start` (YYYYMMDD); None mends them."""
        self._call("POST", "/_control/fault", {"start": start, "kind": kind})

    def reset(self) -> None:
        self._call("POST", "/_control/reset", {})

    def stop(self) -> None:
        _stop(self.process)
        if self.process.stdout:
            self.process.stdout.close()
        self._stderr.close()

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.origin + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read() or b"null")


@pytest.fixture
def data_go_kr_factory() -> Iterator[Callable[..., DataGoKrStandIn]]:
    """`start(key=…, **kwargs) -> DataGoKrStandIn`; every stand-in stops at teardown."""
    started: list[DataGoKrStandIn] = []

    def start(**kwargs: Any) -> DataGoKrStandIn:
        standin = DataGoKrStandIn.start(**kwargs)
        started.append(standin)
        return standin

    yield start
    for standin in started:
        standin.stop()
