"""A git remote over smart HTTP with basic auth on 127.0.0.1: `git http-backend` behind a
threaded server in this process, for publishing tests that need real credentials."""

from __future__ import annotations

import base64
import os
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from tests.local_server import LoopbackHTTPServer


@dataclass
class GitRemote:
    url: str  # http://127.0.0.1:port/<name>.git, without credentials
    refused: list[str] = field(default_factory=list)  # requests answered 401


@contextmanager
def git_http_remote(root: Path, name: str, user: str, password: str) -> Iterator[GitRemote]:
    """Serve the bare repositories under `root`; every request needs `user`:`password`."""
    expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
    remote: GitRemote

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # quiet
            pass

        def do_GET(self) -> None:
            self._backend()

        def do_POST(self) -> None:
            self._backend()

        def _backend(self) -> None:
            if self.headers.get("Authorization") != expected:
                remote.refused.append(self.path)
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="blog"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            path, _, query = self.path.partition("?")
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            env = {
                **os.environ,
                "GIT_PROJECT_ROOT": str(root), "GIT_HTTP_EXPORT_ALL": "1", "REMOTE_USER": user,
                "REQUEST_METHOD": self.command, "PATH_INFO": path, "QUERY_STRING": query,
                "CONTENT_TYPE": self.headers.get("Content-Type", ""), "CONTENT_LENGTH": str(len(body)),
                "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
            }  # fmt: skip
            backend = ["git", "http-backend"]
            done = subprocess.run(backend, input=body, env=env, capture_output=True, check=False)
            head, _, payload = done.stdout.partition(b"\r\n\r\n")
            status = 200
            headers = []
            for line in head.decode("latin-1").split("\r\n"):
                key, _, value = line.partition(":")
                if key.lower() == "status":
                    status = int(value.split()[0])
                elif key:
                    headers.append((key, value.strip()))
            self.send_response(status)
            for key, value in headers:
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    server = LoopbackHTTPServer(Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    remote = GitRemote(f"{server.origin}/{name}")
    try:
        yield remote
    finally:
        server.shutdown()
        server.server_close()
