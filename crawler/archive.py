"""Raw pages kept in WARC files (ISO 28500, written and read with warcio), so the past can be re-parsed.

One `response` record per archived page: the HTTP status, headers and body as the site sent them,
the URL they were fetched from, and three extension fields saying what the crawl made of the
page: `WARC-Briefing-Source` (the crawl target, `korea_kr:policy`), `WARC-Briefing-Url` (the
canonical article URL the parser is given) and `WARC-Briefing-Section`. `WARC-Date` is the fetch
time. Each record is its own gzip member, so a file cut short by a killed crawl is readable up to
its last whole record. Members are compressed at zlib level 3, not warcio's 9: on korea.kr-sized
pages level 9 cost 1.08 ms a page (a tenth of a crawl's reactor time), level 3 0.35 ms for
files 10 % larger (bench: 100 pages of bench/korea_pages.py, 2026-12-05).

Files are named `briefing-<UTC time>-<pid>-<n>.warc.gz`: every writer (one per crawl child)
has its own, so crawls running at once never share a file; a file is closed and a new one begun
once it passes `max_bytes`. Files older than `retention_days` are deleted when a writer opens.
"""

from __future__ import annotations

import io
import logging
import os
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

logger = logging.getLogger(__name__)

SUFFIX = ".warc.gz"
SOURCE_FIELD = "WARC-Briefing-Source"
CANONICAL_FIELD = "WARC-Briefing-Url"
SECTION_FIELD = "WARC-Briefing-Section"
DEFAULT_MAX_BYTES = 100 * 1024 * 1024
COMPRESS_LEVEL = 3
WIRE_HEADERS = frozenset({"content-encoding", "transfer-encoding", "content-length"})
SOFTWARE = "briefing (https://www.korea.kr policy-news aggregator)"


@dataclass(frozen=True, slots=True)
class ArchivedPage:
    """One page as fetched, with what the crawl knew about it."""

    source: str  # the crawl target, e.g. "korea_kr:policy"
    url: str  # where it was fetched from (a replica, admin2.korea.kr, ...)
    canonical_url: str  # the article URL the parser is given
    section: str
    fetched_at: datetime  # UTC
    status: int
    body: bytes
    headers: Sequence[tuple[str, str]] = field(default_factory=tuple)
    path: str = ""  # the WARC file it was read from (empty before it is written)

    @property
    def site(self) -> str:
        return self.source.partition(":")[0]

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def text(self) -> str:
        """The body decoded as the crawl decoded it (w3lib, as Scrapy does: the declared
        charset, a BOM, a <meta charset>, else UTF-8)."""
        from w3lib.encoding import html_to_unicode

        return html_to_unicode(self.header("Content-Type"), self.body)[1]


def _warc_date(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_warc_date(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


class WarcArchive:
    """Appends pages to WARC files in `directory`, rotating by size; open it with `with`."""

    def __init__(
        self,
        directory: str | Path,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
        retention_days: int = 0,
        now: datetime | None = None,
    ) -> None:
        if max_bytes <= 0:
            raise ValueError("archive max_bytes must be positive")
        self.directory = Path(directory)
        self.max_bytes = max_bytes
        self.retention_days = retention_days
        self._now = now
        self._file: BinaryIO | None = None
        self._count = 0
        self.paths: list[Path] = []

    def __enter__(self) -> WarcArchive:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def open(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        if self.retention_days > 0:
            prune(self.directory, retention_days=self.retention_days, now=self._now)

    def write(self, page: ArchivedPage) -> None:
        """Append one page (and begin a new file first when the current one is full)."""
        if self._file is not None and self._file.tell() >= self.max_bytes:
            self.close()
        if self._file is None:
            self._begin()
        assert self._file is not None
        # The body is stored as the crawl saw it, decoded: headers that describe a transfer
        # encoding or length of the wire bytes would make readers decode it again.
        headers = [(k, v) for k, v in page.headers if k.lower() not in WIRE_HEADERS]
        headers.append(("Content-Length", str(len(page.body))))
        http = StatusAndHeaders(f"{page.status} {_reason(page.status)}", headers, protocol="HTTP/1.1")
        self._append(
            lambda writer: writer.create_warc_record(
                page.url,
                "response",
                payload=io.BytesIO(page.body),
                http_headers=http,
                warc_headers_dict={
                    "WARC-Date": _warc_date(page.fetched_at),
                    SOURCE_FIELD: page.source,
                    CANONICAL_FIELD: page.canonical_url,
                    SECTION_FIELD: page.section,
                },
            )
        )

    def _append(self, make: Callable[[WARCWriter], ArcWarcRecord]) -> None:
        """One record as its own gzip member, written whole and flushed."""
        assert self._file is not None
        buffer = io.BytesIO()
        writer = WARCWriter(buffer, gzip=False)
        writer.write_record(make(writer))
        compressor = zlib.compressobj(COMPRESS_LEVEL, zlib.DEFLATED, zlib.MAX_WBITS | 16)  # gzip
        self._file.write(compressor.compress(buffer.getvalue()) + compressor.flush())
        self._file.flush()

    def _begin(self) -> None:
        self._count += 1
        stamp = (self._now or datetime.now(UTC)).strftime("%Y%m%d%H%M%S")
        path = self.directory / f"briefing-{stamp}-{os.getpid()}-{self._count}{SUFFIX}"
        self._file = path.open("ab")
        self.paths.append(path)
        info = {"software": SOFTWARE, "format": "WARC/1.1"}
        self._append(lambda writer: writer.create_warcinfo_record(path.name, info))

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
        self._file = None


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def archive_files(directory: str | Path) -> list[Path]:
    """The archive's files, oldest first (their names begin with their creation time)."""
    root = Path(directory)
    return sorted(root.glob(f"*{SUFFIX}")) if root.is_dir() else []


def prune(directory: str | Path, *, retention_days: int, now: datetime | None = None) -> list[Path]:
    """Delete archive files last written more than `retention_days` ago; the deleted ones."""
    cutoff = (now or datetime.now(UTC)) - timedelta(days=retention_days)
    removed = []
    for path in archive_files(directory):
        try:
            if datetime.fromtimestamp(path.stat().st_mtime, UTC) < cutoff:
                path.unlink()
                removed.append(path)
        except FileNotFoundError:  # another writer pruned it first
            continue
    return removed


def _matches(source: str, wanted: Sequence[str]) -> bool:
    # "korea_kr" names every target of the site; "korea_kr:policy" one of them.
    return not wanted or any(source == w or source.partition(":")[0] == w for w in wanted)


def read_pages(
    directory: str | Path,
    *,
    sources: Sequence[str] = (),
    since: date | None = None,
    until: date | None = None,
) -> Iterator[ArchivedPage]:
    """Every archived page (oldest file first) of `sources`, fetched between `since` and
    `until` (UTC days, both included). A file cut short ends where its last whole record does."""
    for path in archive_files(directory):
        yield from _read_file(path, sources, since, until)


def _read_file(
    path: Path, sources: Sequence[str], since: date | None, until: date | None
) -> Iterator[ArchivedPage]:
    with path.open("rb") as stream:
        try:
            # Digests checked (every record we write has them): a record cut short by a crawl
            # killed mid-write is never read as half a page.
            for record in ArchiveIterator(stream, check_digests="raise"):
                if record.rec_type != "response":
                    continue
                headers = record.rec_headers
                source = headers.get_header(SOURCE_FIELD) or ""
                fetched_at = _parse_warc_date(headers.get_header("WARC-Date") or "1970-01-01T00:00:00Z")
                if not _matches(source, sources):
                    continue
                if (since and fetched_at.date() < since) or (until and fetched_at.date() > until):
                    continue
                http = record.http_headers
                body = record.content_stream().read()
                if record.digest_checker.passed is not True:  # None: the record ended early
                    logger.warning("archive %s: stopped at a record cut short", path.name)
                    return
                yield ArchivedPage(
                    source=source,
                    url=headers.get_header("WARC-Target-URI") or "",
                    canonical_url=headers.get_header(CANONICAL_FIELD) or "",
                    section=headers.get_header(SECTION_FIELD) or "",
                    fetched_at=fetched_at,
                    status=int(http.get_statuscode() or 0) if http else 0,
                    body=body,
                    headers=tuple(http.headers) if http else (),
                    path=str(path),
                )
        except (ArchiveLoadFailed, EOFError, OSError, ValueError) as exc:  # a damaged tail
            logger.warning("archive %s: stopped at a damaged record: %s", path.name, exc)
