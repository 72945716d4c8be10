"""A test server run as a child process (`python -m <module> … --port 0`) on 127.0.0.1.

The child prints one first line `<PREFIX> <url>`; the parent reads it, then drives the
server's JSON control API. The korea.kr replica and the stand-ins all start this way.
"""

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
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any, Protocol, Self, TypeVar

REPO_ROOT = Path(__file__).resolve().parents[1]
S = TypeVar("S", bound="LocalServer")


class LoopbackHTTPServer(ThreadingHTTPServer):
    """A threaded HTTP server on 127.0.0.1 only (a test double has no business on a network) that
    neither waits for its request threads at shutdown nor keeps the process alive for them."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, handler: type[BaseHTTPRequestHandler], port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), handler)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class LocalServerError(RuntimeError):
    """The server did not start, or a control call failed; the message says why."""


class LocalServer:
    """One running server child; `url` is what it announced, `control_url` where its control API is."""

    error: type[RuntimeError] = LocalServerError

    def __init__(self, process: subprocess.Popen[bytes], url: str, stderr: IO[bytes]) -> None:
        self.process = process
        self.url = url
        self._stderr = stderr

    @property
    def control_url(self) -> str:
        return self.url

    @classmethod
    def spawn(cls, module: str, args: list[str], *, prefix: str, timeout: float = 20.0) -> Self:
        command = [sys.executable, "-m", module, *args]
        # stderr goes to a file, not a pipe: a pipe nobody reads would stall the server when full.
        # The file lives as long as the server (closed in stop()), so no `with` here.
        stderr = tempfile.TemporaryFile()  # noqa: SIM115
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=stderr, stdin=subprocess.DEVNULL
        )
        assert process.stdout is not None
        line = read_line(process.stdout, timeout)
        if not line.startswith(prefix):
            stop_process(process)
            process.stdout.close()
            stderr.seek(0)
            detail = stderr.read().decode("utf-8", "replace").strip() or "(empty)"
            stderr.close()
            got = f"first line {line!r}" if line else f"nothing within {timeout:g}s"
            raise cls.error(
                f"{module} did not start ({got}); command: {' '.join(command)} in {REPO_ROOT}; "
                f"exit code {process.returncode}; stderr:\n{detail}"
            )
        return cls(process, line.removeprefix(prefix).strip(), stderr)

    def stop(self, timeout: float = 5.0) -> None:
        stop_process(self.process, timeout)
        if self.process.stdout:
            self.process.stdout.close()
        self._stderr.close()

    def stderr(self) -> str:
        """What the server wrote to stderr so far (tracebacks of its bugs); "" once stopped."""
        if self._stderr.closed:
            return ""
        self._stderr.seek(0)
        return self._stderr.read().decode("utf-8", "replace")

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(
            self.control_url + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            message = exc.read().decode("utf-8", "replace")
            raise self.error(f"{method} {path} -> {exc.code}: {message}") from None
        except urllib.error.URLError as exc:
            raise self.error(
                f"{method} {path}: server unreachable ({exc.reason}); stderr:\n{self.stderr()}"
            ) from None


def read_line(stream: IO[bytes], timeout: float) -> str:
    """The stream's first line, or "" if none comes within `timeout` seconds."""
    lines: queue.Queue[bytes] = queue.Queue()
    threading.Thread(target=lambda: lines.put(stream.readline()), daemon=True).start()
    try:
        return lines.get(timeout=timeout).decode("utf-8", "replace").rstrip("\n")
    except queue.Empty:
        return ""


def stop_process(process: subprocess.Popen[bytes] | subprocess.Popen[str], timeout: float = 5.0) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Serving(Protocol):
    url: str

    def serve_forever(self) -> None: ...

    def server_close(self) -> None: ...


def announce_and_serve(server: Serving, prefix: str) -> None:
    """The child's side: print the one line the parent waits for, then serve until stopped."""
    print(f"{prefix}{server.url}", flush=True)  # nothing else is ever written to stdout
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@contextmanager
def started(start: Callable[..., S]) -> Iterator[Callable[..., S]]:
    """`start` wrapped so that every server it started is stopped when the block ends (fixtures)."""
    servers: list[S] = []

    def run(**kwargs: Any) -> S:
        server = start(**kwargs)
        servers.append(server)
        return server

    try:
        yield run
    finally:
        for server in servers:
            server.stop()


@contextmanager
def serve_files(files: dict[str, tuple[str, bytes]]) -> Iterator[str]:
    """Serve `files` (path -> (content type, body)) on 127.0.0.1 in this process; yields the
    origin. Any other path answers 404."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            kind, body = files.get(self.path, ("text/plain", b""))
            self.send_response(200 if self.path in files else 404)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = LoopbackHTTPServer(Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.origin
    finally:
        server.shutdown()
        server.server_close()
