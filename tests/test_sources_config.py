"""sources.toml: loading, validation messages, in-place edits, and what schedules and targets take from it."""

from __future__ import annotations

import stat
from datetime import date
from pathlib import Path

import pytest

from scheduler.crawls import CrawlTarget, crawl_options
from scheduler.schedule import SourceJob, jobs_from_settings
from scheduler.settings import Settings, SourceSchedule
from scheduler.sources import (
    SourceConfig,
    SourcesError,
    add_source,
    load_sources,
    make_source,
    parse_sources,
    render_source,
    scheduled_sources,
    set_enabled,
)
from scheduler.targets import parse_target

REPO = Path(__file__).resolve().parents[1]

EXAMPLE = """\
# my sources
[[source]]
name = "korea_kr:policy"
type = "korea_kr"
section = "policy"
schedule = { minutes = 30 }
enabled = true

[[source]]
name = "feed:mofa"   # 외교부
type = "feed"
url = "https://www.korea.kr/rss/dept_mofa.xml"
schedule = { cron = "0 * * * *" }
enabled = false
"""


def settings_for(tmp_path: Path, text: str | None = None, **extra: object) -> Settings:
    path = tmp_path / "sources.toml"
    if text is not None:
        path.write_text(text, encoding="utf-8")
    return Settings(data_dir=tmp_path, sources_file=path, **extra)  # type: ignore[arg-type]


def test_the_brief_s_example_loads() -> None:
    policy, mofa = parse_sources(EXAMPLE)
    expected = SourceConfig("korea_kr:policy", "korea_kr", "policy", schedule=SourceSchedule(minutes=30))
    assert policy == expected
    assert (mofa.name, mofa.type, mofa.section, mofa.url, mofa.enabled) == (
        "feed:mofa", "feed", "mofa", "https://www.korea.kr/rss/dept_mofa.xml", False)
    assert mofa.schedule == SourceSchedule(cron="0 * * * *")


def test_short_forms() -> None:
    # The type follows from the name; a feed may be named without its prefix; sections too.
    (feed, site, press) = parse_sources(
        '[[source]]\nname = "feed:a"\nurl = "http://x/a.xml"\n'
        '[[source]]\nname = "b"\ntype = "feed"\nurl = "http://x/b.xml"\n'
        '[[source]]\nname = "korea_kr"\nsection = "press"\n'
    )
    assert (feed.name, site.name, press.name) == ("feed:a", "feed:b", "korea_kr:press")
    assert feed.enabled and feed.schedule is None


def test_the_example_file_is_valid_and_lists_the_catalogue() -> None:
    sources = parse_sources((REPO / "sources.example.toml").read_text(encoding="utf-8"))
    names = {s.name for s in sources}
    assert {"korea_kr:policy", "korea_kr:press", "korea_kr:briefing", "korea_kr:fact"} <= names
    feeds = [s for s in sources if s.type == "feed"]
    assert all(not s.enabled for s in feeds)  # RSS has been off since 2026-07-01
    urls = {s.url for s in feeds}
    for slug in ("policy", "pressrelease", "fact", "dept_mofa", "dept_motie", "dept_motir", "dept_me",
                 "dept_mcee", "dept_cnc", "dept_pcccr"):
        assert f"https://www.korea.kr/rss/{slug}.xml" in urls
    assert [s.name for s in sources if s.enabled] == ["korea_kr:policy"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[source]]\nname = 'x'\nurl = 'http://x'\n", "[[source]] #1 (x): key 'type' is missing"),
        ("[[source]]\nname = 'feed:x'\n", "[[source]] #1 (feed:x): key 'url' is missing"),
        ("[[source]]\nname = 'feed:x'\nurl = 'ftp://x/y'\n", "key 'url': 'ftp://x/y' is not an http(s) URL"),
        ("[[source]]\nname = 'feed:X Y'\nurl = 'http://x'\n", "key 'name': 'X Y' is not a feed name"),
        ("[[source]]\nname = 'feed:x'\nurl = 'http://x'\ncolour = 'red'\n", "unknown key 'colour'"),
        ("[[source]]\nname = 'korea_kr:sports'\n", "key 'section': unknown section 'sports' for korea_kr"),
        ("[[source]]\nname = 'nowhere:x'\n", "key 'type': unknown type 'nowhere'"),
        ("[[source]]\nname = 'korea_kr:policy'\nurl = 'http://x'\n", "key 'url' is only for feeds"),
        ("[[source]]\nname = 'feed:x'\ntype = 'korea_kr'\n", "a korea_kr source is named korea_kr:<…>"),
        ("[[source]]\nname = 'feed:x'\nurl = 'http://x'\nenabled = 'yes'\n", "key 'enabled' must be true"),
        ("[[source]]\nname = 'feed:x'\nurl = 'http://x'\nschedule = 5\n", "key 'schedule': write it as"),
        ("[[source]]\nname = 'feed:x'\nurl = 'http://x'\nschedule = { minutes = 0 }\n",
         "key 'schedule': schedule `minutes` must be positive"),
        ("[[source]]\nname = 'feed:x'\nurl = 'http://x'\nschedule = { cron = '0 9 * * 1-5' }\n",
         "write the day of week as names"),
        ("[[source]]\nname = 'feed:x'\nurl = 'http://x'\n[[source]]\nname = 'x'\ntype = 'feed'\nurl = 'http://y'\n",
         "[[source]] #2 (feed:x): the name is already used by [[source]] #1"),
        ("source = 1\n", "`source` must be an array of tables"),
        ("[feeds]\n", "unknown top-level key 'feeds'"),
        ("[[source]\n", "not valid TOML"),
    ],
)
def test_errors_name_the_file_the_entry_and_the_key(text: str, message: str) -> None:
    with pytest.raises(SourcesError) as error:
        parse_sources(text, origin="/etc/briefing/sources.toml")
    assert str(error.value).startswith("/etc/briefing/sources.toml: ")
    assert message in str(error.value)


def test_no_file_means_korea_kr_policy_every_schedule_minutes(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, schedule_minutes=20)
    loaded = load_sources(settings.sources_file)
    assert not loaded.exists and [s.name for s in loaded.sources] == ["korea_kr:policy"]
    assert scheduled_sources(settings) == {"korea_kr:policy": SourceSchedule(minutes=20)}


def test_the_service_schedules_the_enabled_sources(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, EXAMPLE.replace("enabled = false", "enabled = true")
                            + '[[source]]\nname = "feed:off"\nurl = "http://x/off.xml"\nenabled = false\n'
                            + '[[source]]\nname = "korea_kr:press"\n',
                            schedule_minutes=45, schedule_jitter_seconds=0, default_window_days=3)
    jobs = {job.target.name: job for job in jobs_from_settings(settings)}
    assert set(jobs) == {"korea_kr:policy", "feed:mofa", "korea_kr:press"}
    assert jobs["feed:mofa"] == SourceJob(
        CrawlTarget("feed", "mofa", "https://www.korea.kr/rss/dept_mofa.xml"), None, "0 * * * *", 0, 3)
    assert jobs["korea_kr:press"].minutes == 45  # no schedule: BRIEFING_SCHEDULE_MINUTES


def test_briefing_schedules_overrides_the_file(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, EXAMPLE, schedules={"korea_kr:fact": SourceSchedule(minutes=5)})
    assert [job.target.name for job in jobs_from_settings(settings)] == ["korea_kr:fact"]


def test_an_invalid_file_stops_the_schedule_with_its_message(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, "[[source]]\nname = 'feed:x'\n")
    with pytest.raises(ValueError, match="key 'url' is missing"):
        jobs_from_settings(settings)


def test_feed_targets_come_from_the_file(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, EXAMPLE)
    target = parse_target("feed:mofa", settings=settings)
    assert target == CrawlTarget("feed", "mofa", "https://www.korea.kr/rss/dept_mofa.xml")
    assert target.name == "feed:mofa"
    assert parse_target("feed", "mofa", settings=settings) == target
    options = crawl_options(settings, target, date(2026, 11, 1), date(2026, 11, 2), 7)
    assert (options.source, options.section, options.base_url) == ("feed", "mofa", target.url)
    with pytest.raises(ValueError, match=r"unknown feed 'nope'; feeds in .*sources.toml: mofa"):
        parse_target("feed:nope", settings=settings)
    with pytest.raises(ValueError, match="name the feed"):
        parse_target("feed", settings=settings)
    with pytest.raises(ValueError, match="no feeds are configured in .*no such file"):
        parse_target("feed:mofa", settings=settings_for(tmp_path / "empty"))


def test_add_keeps_the_file_and_its_comments(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(EXAMPLE, encoding="utf-8")
    path.chmod(0o640)
    added = make_source(name="feed:moef", url="https://www.korea.kr/rss/dept_moef.xml", title="기획재정부",
                        schedule={"minutes": 60, "jitter_seconds": 5})
    add_source(path, added)
    text = path.read_text(encoding="utf-8")
    assert text.startswith(EXAMPLE) and "# 외교부" in text
    assert load_sources(path).get("feed:moef") == added
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    with pytest.raises(SourcesError, match="a source named feed:moef already exists"):
        add_source(path, added)


def test_adding_to_a_missing_file_keeps_the_default_source(tmp_path: Path) -> None:
    path = tmp_path / "new" / "sources.toml"
    add_source(path, make_source(name="feed:a", url="http://x/a.xml"))
    assert [s.name for s in load_sources(path).enabled] == ["korea_kr:policy", "feed:a"]
    assert path.read_text(encoding="utf-8").startswith("# Sources briefing crawls")


def test_enable_and_disable_change_one_line(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(EXAMPLE.replace("enabled = false", "enabled = false  # off for now"), encoding="utf-8")
    set_enabled(path, "feed:mofa", True)
    text = path.read_text(encoding="utf-8")
    assert "enabled = true  # off for now" in text and text.count("\n") == EXAMPLE.count("\n")
    assert load_sources(path).get("feed:mofa").enabled  # type: ignore[union-attr]
    set_enabled(path, "korea_kr:policy", False)
    assert [s.name for s in load_sources(path).enabled] == ["feed:mofa"]
    # An entry without an `enabled` line gets one, at the end of its table.
    path.write_text('[[source]]\nname = "feed:a"\nurl = "http://x/a.xml"\n', encoding="utf-8")
    set_enabled(path, "feed:a", False)
    assert path.read_text(encoding="utf-8").splitlines() == [
        "[[source]]", 'name = "feed:a"', 'url = "http://x/a.xml"', "enabled = false"]
    with pytest.raises(SourcesError, match="no source named 'feed:zzz'"):
        set_enabled(path, "feed:zzz", True)


def test_rendered_blocks_read_back_the_same(tmp_path: Path) -> None:
    title = '따옴표 " 와 \\ 그리고 \t 탭\x7f'
    tricky = make_source(name="feed:q", url='http://x/a.xml?q="1"&b=\\', title=title,
                         schedule={"cron": "*/15 7-22 * * mon-fri", "window_days": 2}, enabled=False)
    (back,) = parse_sources(render_source(tricky))
    assert back == tricky


def test_edits_keep_an_inline_array_of_sources_in_its_style(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text('# mine\nsource = [ { name = "feed:a", url = "http://x/a.xml" } ]\n', encoding="utf-8")
    set_enabled(path, "feed:a", False)
    add_source(path, make_source(name="feed:b", url="http://x/b.xml"))
    assert path.read_text(encoding="utf-8") == (
        '# mine\nsource = [ { name = "feed:a", url = "http://x/a.xml", enabled = false}, '
        '{name = "feed:b", type = "feed", url = "http://x/b.xml", enabled = true} ]\n'
    )
    assert [(s.name, s.enabled) for s in load_sources(path).sources] == [("feed:a", False), ("feed:b", True)]


def test_a_sources_file_that_is_not_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_bytes(b'# ok\n[[source]]\nname = "feed:\xe9"\n')
    with pytest.raises(SourcesError) as error:
        load_sources(path)
    assert str(error.value) == f"{path}: line 3: not UTF-8 text (byte 0xe9); save the file as UTF-8"
