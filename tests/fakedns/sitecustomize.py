"""Test-only DNS answers for child processes: `FAKE_DNS_HOSTS="rebind.test=127.0.0.1,…"`.

A child started with this directory first on PYTHONPATH imports it at start-up (Python's
`sitecustomize` hook), so libc's answer for the listed names is replaced and nothing else:
briefing's own code, Scrapy and Twisted run unchanged and see the name resolve as a real DNS
server that points it at the address would make it.
"""

from __future__ import annotations

import os
import socket
from typing import Any

_HOSTS = dict(
    pair.split("=", 1) for pair in os.environ.get("FAKE_DNS_HOSTS", "").split(",") if "=" in pair
)

if _HOSTS:
    _gethostbyname = socket.gethostbyname
    _getaddrinfo = socket.getaddrinfo

    def gethostbyname(name: str) -> str:
        return _HOSTS.get(name.lower().rstrip(".")) or _gethostbyname(name)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(host, str) and host.lower().rstrip(".") in _HOSTS:
            host = _HOSTS[host.lower().rstrip(".")]
        return _getaddrinfo(host, *args, **kwargs)

    socket.gethostbyname = gethostbyname
    socket.getaddrinfo = getaddrinfo
