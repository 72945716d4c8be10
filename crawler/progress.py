"""The crawl child's side of the protocol: send events (crawler.protocol) to the parent.

Spiders and the pipeline call `emit`; the crawl child (crawler.run) also listens here, so
what a spider reports (`list_page_ok`) counts towards the run's outcome in the same process.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TextIO

from crawler.protocol import EVENT_TYPES, Event, ListPageOk, encode, parse

__all__ = ["emit", "list_page_ok", "listen", "parse"]

_listeners: list[Callable[[Event], None]] = []


def emit(event: Event | str, stream: TextIO | None = None, **data: Any) -> None:
    """Write `event` (or the event named `event`, built from `data`) on stdout for the parent."""
    typed: Event = EVENT_TYPES[event](**data) if isinstance(event, str) else event  # type: ignore[assignment]
    for listener in list(_listeners):
        listener(typed)
    stream = stream or sys.stdout
    stream.write(encode(typed) + "\n")
    stream.flush()


def list_page_ok(url: str) -> None:
    """A list page (or a feed document) was read: call it for every one, whatever else is on.

    A run in which list pages failed and none was read could not reach its source: it fails.
    """
    emit(ListPageOk(url=url))


def listen(listener: Callable[[Event], None]) -> Callable[[], None]:
    """Call `listener` with every event emitted in this process; returns the way to stop."""
    _listeners.append(listener)
    return lambda: _listeners.remove(listener)
