"""A real `briefing run` process: a 200 MB body costs it no memory, whether refused for its token
(401, before any byte is read) or for its size (413, counted while it streams in)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.crawl_helpers import briefing_env
from tests.test_service_e2e import Service

pytestmark = pytest.mark.slow  # a real service process; about 10 s
TOKEN = "memory-test-token-0123456789"
MIB = 1024 * 1024
BODY_MIB = 200
GROWTH_LIMIT = 10 * MIB


def _status_bytes(pid: int, field: str) -> int:
    """A memory figure of a process from /proc/<pid>/status (VmRSS: now, VmHWM: its peak)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) * 1024  # kB
    raise AssertionError(f"no {field} for process {pid}")


def _chunks(mib: int) -> Iterator[bytes]:
    block = b"{" * MIB  # never valid JSON, like a hostile body
    for _ in range(mib):
        yield block


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    tmp_path = tmp_path_factory.mktemp("service")
    env = briefing_env(
        f"sqlite:///{tmp_path / 'b.db'}",
        tmp_path / "data",
        "http://127.0.0.1:9",
        BRIEFING_API_TOKEN=TOKEN,
        BRIEFING_CATCH_UP="false",
        BRIEFING_SCHEDULES=json.dumps({"korea_kr:policy": {"minutes": 600}}),
    )
    running = Service(env)
    try:
        yield running
    finally:
        running.stop()


@pytest.mark.parametrize(
    "headers, status",
    [
        ({}, 401),  # no token: refused before the body is read
        ({"content-length": str(BODY_MIB * MIB)}, 401),  # declared, not chunked
        ({"Authorization": "Bearer wrong-token-0123456789"}, 401),
        ({"Authorization": f"Bearer {TOKEN}"}, 413),  # the token is right, the body too large
    ],
    ids=["no-token", "no-token-declared", "wrong-token", "over-the-limit"],
)
def test_a_200_mb_body_is_refused_without_the_service_growing(
    service: Service, headers: dict[str, str], status: int
) -> None:
    pid = service.process.pid
    json_type = {"content-type": "application/json"}
    # Warm up the same code path with a small body, so the figures compare like with like.
    warm_headers = {k: v for k, v in headers.items() if k != "content-length"}
    warm = service.http.post("/crawls", content=b"{", headers=json_type | warm_headers)
    assert warm.status_code in (401, 422)
    rss, peak = _status_bytes(pid, "VmRSS"), _status_bytes(pid, "VmHWM")

    with httpx.Client(base_url=service.url, timeout=120) as client:
        response = client.post("/crawls", content=_chunks(BODY_MIB), headers=json_type | headers)

    assert response.status_code == status, response.text
    grown = _status_bytes(pid, "VmRSS") - rss
    peak_grown = _status_bytes(pid, "VmHWM") - peak
    assert grown < GROWTH_LIMIT, f"resident memory grew {grown / MIB:.1f} MiB"
    assert peak_grown < GROWTH_LIMIT, f"peak memory grew {peak_grown / MIB:.1f} MiB"
    assert service.http.get("/healthz").status_code == 200  # and it still serves
