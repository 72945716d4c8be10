"""Structured service logs: one line per record, key=value or JSON, with run ids as fields."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

# Fields callers pass through `extra=`; only these are printed, so library extras stay out.
FIELDS = ("run_id", "source", "trigger", "status", "pid", "exit_code", "reason", "url", "job", "next_run")


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
        "level": record.levelname.lower(),
        "logger": record.name,
        "msg": record.getMessage(),
    }
    for key in FIELDS:
        value = getattr(record, key, None)
        if value is not None:
            out[key] = value
    if record.exc_info:
        out["error"] = logging.Formatter().formatException(record.exc_info)
    return out


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return " ".join(f"{key}={_quote(value)}" for key, value in _fields(record).items())


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(_fields(record), ensure_ascii=False, default=str)


def _quote(value: object) -> str:
    text = str(value)
    if text and not any(c in text for c in ' "=\n\t'):
        return text
    return json.dumps(text, ensure_ascii=False)


def setup_logging(fmt: str = "keyvalue", level: int = logging.INFO) -> None:
    """Route every logger (ours, uvicorn's, APScheduler's) through one stderr handler."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else KeyValueFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # APScheduler logs every job execution at INFO; our own lines say more. Alembic announces each
    # of its plugins at INFO on every start; the migrations it runs still show.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def add_crawl_handler(fmt: str, run_id: int | None) -> None:
    """A crawl process's log (the crawl child's, its writer's): one line per record on stderr,
    each carrying the run id, at INFO."""
    def add_run_id(record: logging.LogRecord) -> bool:
        # Scrapy's INFO records (versions, settings, "Crawled", stats dumps) say nothing the
        # item lines do not; its warnings and errors still come through.
        if record.name.startswith("scrapy"):
            if record.levelno < logging.WARNING:
                return False
            # One line per record: a download error's traceback repeats what the line says.
            record.exc_info, record.exc_text = None, None
        record.run_id = run_id
        return True

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else KeyValueFormatter())
    handler.addFilter(add_run_id)
    handler.setLevel(logging.INFO)
    root = logging.getLogger()
    root.addHandler(handler)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
