"""Run every figure: `python -m bench [figure …]`; each figure runs in its own process, in order.

Prints each script's output as it comes, then the machine, every figure's result line and the
total time. A figure that fails or overruns its time limit is reported and the others still run;
the exit code is 1 then. Being slow never fails: targets are reported, not enforced.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time

from bench import FIGURES
from bench.common import REPO, machine, say

# Seconds each figure may take on the 2-core reference machine before it is stopped.
TIME_LIMITS = {"search_latency": 3600, "service_memory": 540, "backfill": 1800, "bulk_store": 900}
DEFAULT_LIMIT = 240


def run(figure: str) -> tuple[str, float, bool]:
    """(last line, seconds, ok) of `python -m bench.<figure>`, its output streamed through."""
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", f"bench.{figure}"], cwd=REPO, stdout=subprocess.PIPE,
                               text=True, bufsize=1)
    assert process.stdout is not None
    last = ""
    limit = TIME_LIMITS.get(figure, DEFAULT_LIMIT)
    timer = threading.Timer(limit, process.kill)
    timer.start()
    try:
        for line in process.stdout:
            print(line, end="", flush=True)
            if line.strip():
                last = line.strip()
        code = process.wait()
    finally:
        timer.cancel()
    seconds = time.perf_counter() - started
    if code != 0:
        why = f"stopped after the {limit} s limit" if seconds >= limit else f"exit code {code}"
        return f"{figure}: FAILED ({why}; last line: {last})", seconds, False
    return last, seconds, True


def main(argv: list[str]) -> int:
    unknown = [a for a in argv if a not in FIGURES]
    if unknown:
        say(f"unknown figure(s) {unknown}; known: {', '.join(FIGURES)}")
        return 2
    chosen = argv or list(FIGURES)
    host = machine()
    for line in host.lines():
        say(line)
    started = time.perf_counter()
    results = []
    for figure in chosen:
        say(f"\n== {figure} ({FIGURES[figure]})")
        results.append(run(figure))
    say("\n== results")
    for line in host.lines():
        say(line)
    for (line, seconds, _ok), figure in zip(results, chosen, strict=True):
        say(f"{line}   [{figure}, {seconds:.0f} s]")
    say(f"total {time.perf_counter() - started:.0f} s")
    return 0 if all(ok for _, _, ok in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
