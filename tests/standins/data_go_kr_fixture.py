"""Start the data.go.kr stand-in (`python -m tests.standins.data_go_kr`) as a child process; a fixture."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest

from tests.local_server import LocalServer, started
from tests.standins.data_go_kr import URL_PREFIX


class DataGoKrStandIn(LocalServer):
    """One running stand-in: `url` is the API base URL (…/1371000), plus its control API."""

    @property
    def origin(self) -> str:
        return self.url.removesuffix("/1371000")

    @property
    def control_url(self) -> str:
        return self.origin

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
        args = [
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
            args += ["--fault", f"{day}={kind}"]
        return cls.spawn("tests.standins.data_go_kr", args, prefix=URL_PREFIX, timeout=timeout)

    def requests(self) -> list[dict[str, Any]]:
        """API requests served so far: path, raw query (with the key), status, time."""
        return self._call("GET", "/_control/requests")

    def fault(self, start: str, kind: str | None) -> None:
        """Break requests whose startDate is `start` (YYYYMMDD); None mends them."""
        self._call("POST", "/_control/fault", {"start": start, "kind": kind})

    def reset(self) -> None:
        self._call("POST", "/_control/reset", {})


@pytest.fixture
def data_go_kr_factory() -> Iterator[Callable[..., DataGoKrStandIn]]:
    """`start(key=…, **kwargs) -> DataGoKrStandIn`; every stand-in stops at teardown."""
    with started(DataGoKrStandIn.start) as start:
        yield start
