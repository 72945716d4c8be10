"""End to end: `briefing crawl feed:<name>` and `crawl --all` against the local feed stand-in."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import storage
from storage import Database
from tests.crawl_helpers import briefing, briefing_env, stored_articles
from tests.standins import feeds, feeds_fixture
from tests.standins.feeds_fixture import FeedStandIn

# The stand-in's fixtures, made visible to this module's tests.
feed_standin_server = feeds_fixture.feed_standin_server
feed_standin = feeds_fixture.feed_standin

pytestmark = pytest.mark.slow


def write_sources(path: Path, base: str, **feeds_by_name: str) -> Path:
    blocks = [f'[[source]]\nname = "feed:{name}"\nurl = "{base}{where}"\n'
              for name, where in feeds_by_name.items()]
    path.write_text('[[source]]\nname = "korea_kr:policy"\nenabled = false\n\n' + "\n".join(blocks),
                    encoding="utf-8")
    return path


def make_env(db_url: str, tmp_path: Path, standin: FeedStandIn) -> dict[str, str]:
    sources = write_sources(
        tmp_path / "sources.toml", standin.url, korea="/rss/policy.xml", atom="/atom.xml",
        teasers="/summary.xml", gone="/rss/dept_gone.xml", moved="/rss/dept_moved.xml", rssdo="/etc/rss.do",
        poisoned="/poisoned.xml", unreachable="/unreachable.xml", euckr="/euckr-as-utf8.xml",
    )
    return briefing_env(db_url, tmp_path, "http://127.0.0.1:9", BRIEFING_SOURCES_FILE=str(sources))


@pytest.fixture
def env(db_url: str, tmp_path: Path, feed_standin: FeedStandIn) -> dict[str, str]:
    """Both backends: the feed's state and validators round-trip through storage."""
    return make_env(db_url, tmp_path, feed_standin)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'feeds.db'}"


@pytest.fixture
def sqlite_env(sqlite_url: str, tmp_path: Path, feed_standin: FeedStandIn) -> dict[str, str]:
    return make_env(sqlite_url, tmp_path, feed_standin)


def crawl(env: dict[str, str], name: str) -> str:
    result = briefing("crawl", f"feed:{name}", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def sources_json(env: dict[str, str]) -> dict[str, dict[str, object]]:
    result = briefing("sources", "list", "--format", "json", env=env)
    assert result.returncode == 0, result.stderr
    return {row["name"]: row for row in json.loads(result.stdout)}


def test_rss_then_304_then_only_what_is_new(
    env: dict[str, str], db_url: str, feed_standin: FeedStandIn
) -> None:
    articles = first_then_304_then_new(env, db_url, feed_standin, "korea", "/rss/policy.xml", 3)
    # korea.kr's feed markup, cleaned.
    first = articles[f"https://www.korea.kr/briefing/pressReleaseView.do?newsId={feeds.news_id(0)}"].article
    assert first.title == feeds.korea_title(0) and first.ministry == "국토교통부"
    assert first.body_source == "feed" and first.license_type is None
    assert "btn_textview" not in first.body_html and "자료제공" not in first.body_html
    assert first.published_at.isoformat() == "2026-06-15T10:00:00+09:00"


def test_atom_then_304_then_only_what_is_new(
    sqlite_env: dict[str, str], sqlite_url: str, feed_standin: FeedStandIn
) -> None:
    articles = first_then_304_then_new(sqlite_env, sqlite_url, feed_standin, "atom", "/atom.xml", 2)
    assert {s.article.license for s in articles.values()} == {"KOGL-1"}  # the feed states KOGL type 1


def first_then_304_then_new(
    env: dict[str, str], db_url: str, standin: FeedStandIn, name: str, path: str, entries: int
) -> dict[str, storage.StoredArticle]:
    assert f"seen {entries}, new {entries}," in crawl(env, name)
    articles = stored_articles(db_url, f"feed:{name}")
    assert len(articles) == entries
    # The second fetch is conditional and answered 304: nothing parsed, nothing stored.
    assert "seen 0, new 0, updated 0, unchanged 0, failed 0" in crawl(env, name)
    first, second = standin.requests(path)
    assert (first["status"], first["if_none_match"]) == (200, None)
    assert (second["status"], second["if_none_match"]) == (304, f'"{name}-v1"')
    assert second["if_modified_since"] == "Tue, 16 Jun 2026 01:00:00 GMT"
    # A new entry changes the validators: the whole feed again, one new article, the rest unchanged.
    standin.add_entry(name)
    assert f"seen {entries + 1}, new 1, updated 0, unchanged {entries}," in crawl(env, name)
    assert len(stored_articles(db_url, f"feed:{name}")) == entries + 1
    return articles


def test_summary_only_entries_get_the_page_s_text(
    sqlite_env: dict[str, str], sqlite_url: str, feed_standin: FeedStandIn
) -> None:
    env = sqlite_env
    assert "new 2," in crawl(env, "teasers")
    articles = stored_articles(sqlite_url, "feed:teasers")
    article = articles["summary-0"].article
    assert article.body_source == "extracted" and article.url == f"{feed_standin.url}/articles/0.html"
    assert all(p in article.body_html for p in feeds.paragraphs(0))
    assert "사이드바" not in article.body_html
    # A new entry: only its page is fetched; the pages already extracted are not fetched again.
    feed_standin.add_entry("summary")
    feed_standin.clear_requests()
    assert "seen 1, new 1," in crawl(env, "teasers")
    assert [r["path"] for r in feed_standin.requests() if r["path"].startswith("/articles/")] == [
        "/articles/2.html"]


def test_legacy_feeds_that_are_gone_are_dead_not_failed(
    sqlite_env: dict[str, str], feed_standin: FeedStandIn
) -> None:
    env = sqlite_env
    assert "feed:gone is dead: HTTP 404: the feed is gone" in crawl(env, "gone")
    assert f"feed:rssdo is dead: redirected to the home page ({feed_standin.url}/)" in crawl(env, "rssdo")
    listed = sources_json(env)
    assert (listed["feed:gone"]["state"], listed["feed:gone"]["state_reason"]) == (
        "dead", "HTTP 404: the feed is gone")
    assert listed["feed:rssdo"]["state"] == "dead"
    assert listed["feed:gone"]["last_run"]["status"] == "succeeded"  # type: ignore[index]
    table = briefing("sources", "list", env=env | {"COLUMNS": "250"}).stdout
    gone = next(line for line in table.splitlines() if line.startswith("feed:gone "))
    assert " dead " in gone and gone.rstrip().endswith("HTTP 404: the feed is gone")  # state, then reason
    # The feed answers again: it is ok again, with its entries.
    feed_standin.set_mode("/rss/dept_gone.xml", "korea")
    assert "new 3," in crawl(env, "gone")
    assert sources_json(env)["feed:gone"]["state"] == "ok"


def test_crawl_all_crawls_every_enabled_source_once(
    tmp_path: Path, sqlite_url: str, feed_standin: FeedStandIn
) -> None:
    sources = write_sources(tmp_path / "sources.toml", feed_standin.url, atom="/atom.xml",
                            moved="/rss/dept_moved.xml", teasers="/summary.xml")
    env = briefing_env(sqlite_url, tmp_path, "http://127.0.0.1:9", BRIEFING_SOURCES_FILE=str(sources))
    assert briefing("sources", "disable", "teasers", env=env).returncode == 0
    result = briefing("crawl", "--all", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert [line.split()[2] for line in lines if line.startswith("run ")] == ["feed:atom", "feed:moved"]
    assert "feed:moved is dead: redirected to the home page" in result.stdout
    assert lines[-1] == "2 sources, 2 succeeded"
    assert not feed_standin.requests("/summary.xml")  # disabled: not crawled
    # A feed that cannot be fetched fails the whole command, after the others ran.
    added = briefing("sources", "add", "closed", "--url", "http://127.0.0.1:9/feed.xml", env=env)
    assert added.returncode == 0, added.stderr
    result = briefing("crawl", "--all", env=env | {"BRIEFING_CRAWL_RETRIES": "0"})
    assert result.returncode == 1
    assert "feed:closed is error: could not read the source: feed: connection refused" in result.stdout
    assert result.stdout.splitlines()[-1] == "3 sources, 2 succeeded, not succeeded: feed:closed"


def run_errors(db_url: str, source: str) -> list[storage.CrawlErrorRecord]:
    db = Database(db_url)
    try:
        with db.session() as session:
            [last] = storage.list_runs(session=session, source=source, limit=1)
            return storage.list_errors(session=session, run_id=last.id)
    finally:
        db.dispose()


def test_a_feed_with_one_poisoned_entry_among_39_stores_38(
    env: dict[str, str], db_url: str, feed_standin: FeedStandIn
) -> None:
    """A doctype-only entry, a NUL in a title (PostgreSQL refuses NULs), a bidi override, and
    one generic body under 39 titles: every run stores the 38 good entries (issue 12.2, 12.3)."""
    expected = ["seen 39, new 38, updated 0, unchanged 0, failed 1",
                "seen 39, new 0, updated 0, unchanged 38, failed 1"]  # "for good" no more
    for counts in expected:
        assert counts in crawl(env, "poisoned")
        articles = stored_articles(db_url, "feed:poisoned")
        assert len(articles) == 38 and all(s.post_text for s in articles.values())
        assert "\x00" not in articles[f"poisoned-{feeds.NUL_ENTRY}"].article.title
        assert "\u202e" not in articles[f"poisoned-{feeds.BIDI_ENTRY}"].article.title
        [error] = run_errors(db_url, "feed:poisoned")
        assert (error.url, error.kind) == (f"{feed_standin.url}/poisoned/{feeds.DOCTYPE_ENTRY}.html",
                                           "normalize_error")


def test_an_unreachable_linked_page_keeps_the_feed_text_and_a_wrong_encoding_reads_right(
    sqlite_env: dict[str, str], sqlite_url: str, feed_standin: FeedStandIn
) -> None:
    assert "seen 2, new 2, updated 0, unchanged 0, failed 0" in crawl(sqlite_env, "unreachable")
    articles = stored_articles(sqlite_url, "feed:unreachable")
    assert articles["/missing/0.html"].article.body_source == "summary"
    assert articles["/missing/0.html"].article.body_html == feeds.TEASER
    assert articles["/articles/1.html"].article.body_source == "extracted"
    [note] = run_errors(sqlite_url, "feed:unreachable")
    assert (note.url, note.kind) == (f"{feed_standin.url}/missing/0.html", "http_404")
    assert note.reason.endswith("kept the feed's own text")
    # EUC-KR bytes declared UTF-8: detected, stored readable, not as mojibake.
    assert "new 2," in crawl(sqlite_env, "euckr")
    titles = {s.article.title for s in stored_articles(sqlite_url, "feed:euckr").values()}
    assert titles == {feeds.korea_title(0), feeds.korea_title(1)}
