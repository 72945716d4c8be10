"""WARC archive: pages written and read back, rotation by size, retention, filters, damaged tails."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from crawler.archive import ArchivedPage, WarcArchive, archive_files, prune, read_pages

T0 = datetime(2026, 7, 13, 1, 2, 3, tzinfo=UTC)


def page(
    n: int, *, source: str = "korea_kr:policy", when: datetime = T0, body: bytes | None = None
) -> ArchivedPage:
    return ArchivedPage(
        source=source,
        url=f"http://127.0.0.1:8000/news/policyNewsView.do?newsId={n}",
        canonical_url=f"https://www.korea.kr/news/policyNewsView.do?newsId={n}",
        section=source.partition(":")[2] or "policy",
        fetched_at=when,
        status=200,
        body=body if body is not None else f"<html><h1>기사 {n}</h1></html>".encode(),
        headers=(("Content-Type", "text/html; charset=utf-8"), ("ETag", f'"e{n}"'),
                 ("Content-Encoding", "gzip")),
    )


def test_pages_round_trip(tmp_path: Path) -> None:
    with WarcArchive(tmp_path) as archive:
        archive.write(page(1))
        archive.write(page(2, source="korea_kr:press"))
    back = list(read_pages(tmp_path))
    assert [p.canonical_url for p in back] == [page(1).canonical_url, page(2).canonical_url]
    first = back[0]
    assert (first.source, first.section, first.status) == ("korea_kr:policy", "policy", 200)
    assert first.fetched_at == T0
    assert first.url == page(1).url
    assert first.text() == "<html><h1>기사 1</h1></html>"
    assert first.header("etag") == '"e1"'
    # The body is stored decoded: the wire's Content-Encoding is not kept to mislead a reader.
    assert first.header("Content-Encoding") is None
    assert first.header("Content-Length") == str(len(page(1).body))


def test_filters_by_source_and_fetch_day(tmp_path: Path) -> None:
    with WarcArchive(tmp_path) as archive:
        archive.write(page(1, when=T0 - timedelta(days=2)))
        archive.write(page(2, when=T0))
        archive.write(page(3, source="korea_kr:press", when=T0))
        archive.write(page(4, source="feed:moef", when=T0 + timedelta(days=1)))
    ids = lambda **kw: [p.canonical_url.rsplit("=", 1)[1] for p in read_pages(tmp_path, **kw)]  # noqa: E731
    assert ids(sources=["korea_kr"]) == ["1", "2", "3"]
    assert ids(sources=["korea_kr:press", "feed:moef"]) == ["3", "4"]
    assert ids(since=T0.date()) == ["2", "3", "4"]
    assert ids(until=T0.date()) == ["1", "2", "3"]
    assert ids(since=T0.date(), until=T0.date(), sources=["korea_kr:policy"]) == ["2"]


def test_rotates_by_size(tmp_path: Path) -> None:
    big = os.urandom(3000)  # incompressible: each record is over the limit by itself
    with WarcArchive(tmp_path, max_bytes=2000) as archive:
        for n in range(3):
            archive.write(page(n, body=big))
    files = archive_files(tmp_path)
    assert len(files) == 3 and archive.paths == files
    assert [len(list(read_pages(tmp_path)))] == [3]


def test_retention_prunes_old_files(tmp_path: Path) -> None:
    with WarcArchive(tmp_path) as archive:
        archive.write(page(1))
    old = archive.paths[0]
    week_ago = (T0 - timedelta(days=8)).timestamp()
    os.utime(old, (week_ago, week_ago))
    assert prune(tmp_path, retention_days=30, now=T0) == []
    with WarcArchive(tmp_path, retention_days=7, now=T0) as archive:
        archive.write(page(2))
    assert not old.exists()
    assert [p.canonical_url[-1] for p in read_pages(tmp_path)] == ["2"]


def test_a_file_cut_short_reads_to_its_last_whole_record(tmp_path: Path) -> None:
    with WarcArchive(tmp_path) as archive:
        archive.write(page(1))
        archive.write(page(2))
    path = archive.paths[0]
    data = path.read_bytes()
    for cut in (40, 200, 400):  # a crawl killed while writing record 2
        path.write_bytes(data[: len(data) - cut])
        assert [p.canonical_url[-1] for p in read_pages(tmp_path)] == ["1"], cut


def test_an_empty_or_missing_directory_has_no_pages(tmp_path: Path) -> None:
    assert list(read_pages(tmp_path / "nowhere")) == []
    assert list(read_pages(tmp_path, since=date(2026, 1, 1))) == []
