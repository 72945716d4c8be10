"""Shared helpers for the benchmark scripts: result lines, the machine, timing, replicas, databases."""

from __future__ import annotations

import contextlib
import os
import platform
import resource
import sqlite3
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from tests import local_server

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # `python bench/x.py` as well as `python -m bench.x`
    sys.path.insert(0, str(REPO))

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
REPLICA_START = date(2026, 11, 18)


def say(message: str) -> None:
    """Progress and detail lines (stdout, flushed: the runner shows them as they come)."""
    print(message, flush=True)


def result_line(name: str, value: float, unit: str, peer: str | None = None) -> str:
    """`name: value unit (peer)`: the one line each script ends with."""
    shown = f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}" if value else "0"
    return f"{name}: {shown} {unit}" + (f" ({peer})" if peer else "")


def finish(name: str, value: float, unit: str, peer: str | None = None) -> None:
    print(result_line(name, value, unit, peer), flush=True)


def env_int(name: str, default: int) -> int:
    """A size knob from the environment (BENCH_…), so a quick run can shrink a figure."""
    raw = os.environ.get(name)
    return int(raw) if raw else default


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) by linear interpolation between closest ranks."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    k = (len(ordered) - 1) * q / 100
    low, high = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


@contextlib.contextmanager
def timed() -> Iterator[list[float]]:
    """`with timed() as t: …` then t[0] is the wall time in seconds."""
    box: list[float] = []
    start = time.perf_counter()
    try:
        yield box
    finally:
        box.append(time.perf_counter() - start)


# --- the machine -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Machine:
    cpus: int
    cpu_model: str
    memory: str
    python: str
    sqlite: str
    postgresql: str
    load: str
    date: str

    def lines(self) -> list[str]:
        return [
            f"date: {self.date}",
            f"cpu: {self.cpus} x {self.cpu_model}",
            f"memory: {self.memory}",
            f"python {self.python}, sqlite {self.sqlite}, {self.postgresql}",
            f"load average at start: {self.load}",
        ]


def machine(pg_url: str | None = None) -> Machine:
    model = "unknown"
    with contextlib.suppress(OSError), open("/proc/cpuinfo", encoding="utf-8") as fh:
        model = next((line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")), model)
    memory = "unknown"
    with contextlib.suppress(OSError), open("/proc/meminfo", encoding="utf-8") as fh:
        kb = next((int(line.split()[1]) for line in fh if line.startswith("MemTotal")), 0)
        memory = f"{kb / 1024 / 1024:.1f} GiB"
    return Machine(
        cpus=os.cpu_count() or 0,
        cpu_model=model,
        memory=memory,
        python=platform.python_version(),
        sqlite=sqlite3.sqlite_version,
        postgresql=postgres_version(pg_url or pg_base_url()) or "PostgreSQL unreachable",
        load=" ".join(f"{x:.2f}" for x in os.getloadavg()),
        date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )


# --- PostgreSQL --------------------------------------------------------------------------------


def pg_base_url() -> str:
    from storage.db import normalize_url

    return normalize_url(
        os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL") or DEFAULT_PG_URL
    )


def postgres_version(url: str) -> str | None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            full = conn.scalar(text("SELECT version()")) or ""
        return " ".join(full.split()[:2])
    except Exception:
        return None
    finally:
        engine.dispose()


@contextlib.contextmanager
def pg_schema(base: str | None = None) -> Iterator[str]:
    """A database URL whose search_path is a new schema `bench_<hex>`, dropped at the end."""
    from sqlalchemy import create_engine, text

    base = base or pg_base_url()
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        sep = "&" if "?" in base else "?"
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with contextlib.suppress(Exception), admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


# --- processes ---------------------------------------------------------------------------------


def rss_kib(pid: int) -> int:
    """Resident set size of a process in KiB (VmRSS from /proc)."""
    with open(f"/proc/{pid}/status", encoding="utf-8") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmRSS:"))


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a live process has used so far (from /proc/<pid>/stat)."""
    with open(f"/proc/{pid}/stat", encoding="utf-8") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu_seconds() -> float:
    """User + system CPU time of every child this process has waited for (RUSAGE_CHILDREN)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def stop_process(process: subprocess.Popen[bytes] | subprocess.Popen[str], timeout: float = 10.0) -> None:
    """Terminate, then kill after `timeout` (the tests' helper, with a longer default)."""
    local_server.stop_process(process, timeout)


def briefing_environment(database_url: str, data_dir: Path, base_url: str, **extra: str) -> dict[str, str]:
    """The environment of a `briefing` process pointed at a replica, politeness delays off."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFING_")}
    env.update(
        {
            "BRIEFING_DATABASE_URL": database_url,
            "BRIEFING_DATA_DIR": str(data_dir),
            "BRIEFING_KOREA_KR_BASE_URL": base_url,
            "BRIEFING_SOURCES_FILE": str(data_dir / "sources.toml"),  # absent: korea_kr:policy only
            "BRIEFING_CRAWL_DELAY": "0",
            "BRIEFING_CRAWL_AUTOTHROTTLE": "false",
            "PYTHONPATH": str(REPO),
        }
    )
    env.update(extra)
    return env
