"""Progress events from a crawl child to its parent: one JSON object per stdout line."""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO

PREFIX = "@briefing "


def emit(event: str, stream: TextIO | None = None, **data: Any) -> None:
    stream = stream or sys.stdout
    stream.write(PREFIX + json.dumps({"event": event, **data}, ensure_ascii=False) + "\n")
    stream.flush()


def parse(line: str) -> dict[str, Any] | None:
    """The event in a child's stdout line, or None for any other output."""
    if not line.startswith(PREFIX):
        return None
    try:
        value = json.loads(line[len(PREFIX) :])
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None
