"""`briefing sources import FILE.opml`: feed outlines at any depth, duplicates skipped, XML tricks refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from scheduler.cli import app
from scheduler.settings import SourceSchedule
from scheduler.sources import SourcesError, feed_slug, import_opml, load_sources, opml_feeds

runner = CliRunner()

OPML = """<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>구독 목록</title></head>
  <body>
    <outline text="정부">
      <outline type="rss" text="외교부" title="외교부 RSS" xmlUrl="https://www.korea.kr/rss/dept_mofa.xml"
               htmlUrl="https://www.mofa.go.kr"/>
      <outline text="더 깊이">
        <outline type="rss" text="보도자료" xmlURL="https://www.korea.kr/rss/pressrelease.xml"/>
      </outline>
    </outline>
    <outline type="rss" text="Example" xmlUrl="https://example.com/feed"/>
    <outline type="rss" text="Other example" xmlUrl="https://other.example.org/feed/"/>
    <outline type="rss" text="Atom" xmlUrl="https://blog.example.net/atom.xml"/>
    <outline type="rss" text="외교부 again" xmlUrl="https://www.korea.kr/rss/dept_mofa.xml"/>
    <outline type="rss" text="Gopher" xmlUrl="gopher://old.example/feed"/>
    <outline text="a folder without feeds"/>
  </body>
</opml>
"""

EXISTING = """[[source]]
name = "korea_kr:policy"

[[source]]
name = "feed:press"
url = "https://www.korea.kr/rss/pressrelease.xml"
"""


def test_feeds_at_any_depth_in_document_order() -> None:
    assert opml_feeds(OPML.encode()) == [
        ("외교부 RSS", "https://www.korea.kr/rss/dept_mofa.xml"),
        ("보도자료", "https://www.korea.kr/rss/pressrelease.xml"),
        ("Example", "https://example.com/feed"),
        ("Other example", "https://other.example.org/feed/"),
        ("Atom", "https://blog.example.net/atom.xml"),
        ("외교부 again", "https://www.korea.kr/rss/dept_mofa.xml"),
        ("Gopher", "gopher://old.example/feed"),
    ]


def test_import_adds_new_feeds_and_skips_duplicates(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(EXISTING, encoding="utf-8")
    result = import_opml(path, OPML.encode(), schedule=SourceSchedule(minutes=60))
    assert [(s.name, s.url, s.title) for s in result.added] == [
        ("feed:dept-mofa", "https://www.korea.kr/rss/dept_mofa.xml", "외교부 RSS"),
        ("feed:example-com", "https://example.com/feed", "Example"),
        ("feed:other-example-org", "https://other.example.org/feed/", "Other example"),
        ("feed:blog-example-net", "https://blog.example.net/atom.xml", "Atom"),
    ]
    assert result.skipped == [
        ("https://www.korea.kr/rss/pressrelease.xml", "already configured"),
        ("https://www.korea.kr/rss/dept_mofa.xml", "already configured"),
        ("gopher://old.example/feed", "xmlUrl: 'gopher://old.example/feed' is not an http(s) URL"),
    ]
    loaded = load_sources(path)
    assert path.read_text(encoding="utf-8").startswith(EXISTING)
    assert [s.name for s in loaded.sources][:2] == ["korea_kr:policy", "feed:press"]
    mofa = loaded.get("feed:dept-mofa")
    assert mofa is not None and mofa.enabled and mofa.schedule == SourceSchedule(minutes=60)
    # Importing again adds nothing.
    again = import_opml(path, OPML.encode())
    assert not again.added and len(again.skipped) == 7


def test_names_never_clash(tmp_path: Path) -> None:
    taken = {"feed:example-com"}
    assert feed_slug("https://example.com/rss", taken) == "example-com-2"
    assert feed_slug("https://www.korea.kr/rss/dept_k_cohesion.xml", set()) == "dept-k-cohesion"
    opml = (b'<opml version="1.0"><body><outline xmlUrl="https://a.example/x/news.xml"/>'
            b'<outline xmlUrl="https://b.example/y/news.xml"/></body></opml>')
    result = import_opml(tmp_path / "s.toml", opml, enabled=False)
    assert [s.name for s in result.added] == ["feed:news", "feed:news-2"]
    assert not any(s.enabled for s in result.added)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        # A billion laughs: entity expansion must be refused, not attempted.
        (b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">'
         b'<!ENTITY c "&b;&b;&b;&b;&b;&b;">]><opml><body><outline text="&c;" xmlUrl="http://x/"/></body></opml>',
         "refused"),
        (b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
         b'<opml><body><outline text="&x;" xmlUrl="http://x/"/></body></opml>', "refused"),
        (b"<opml><body><outline", "not valid OPML"),
        (b"<rss version='2.0'><channel/></rss>", r"not an OPML document \(root element <rss>\)"),
    ],
)
def test_hostile_or_wrong_documents(document: bytes, message: str) -> None:
    with pytest.raises(SourcesError, match=message):
        opml_feeds(document, origin="subs.opml")


def test_cli_import(tmp_path: Path) -> None:
    opml = tmp_path / "subs.opml"
    opml.write_text(OPML, encoding="utf-8")
    sources = tmp_path / "sources.toml"
    env = {"BRIEFING_SOURCES_FILE": str(sources), "BRIEFING_DATA_DIR": str(tmp_path)}
    result = runner.invoke(app, ["sources", "import", str(opml), "--cron", "0 * * * *"], env=env)
    assert result.exit_code == 0, result.output
    assert "added feed:dept-mofa https://www.korea.kr/rss/dept_mofa.xml" in result.output
    assert "skipped https://www.korea.kr/rss/dept_mofa.xml: already configured" in result.output
    assert result.output.rstrip().endswith(f"5 added, 2 skipped ({sources})")
    loaded = load_sources(sources)
    # The file did not exist: it starts with the built-in default, so korea_kr:policy stays on.
    assert loaded.sources[0].name == "korea_kr:policy" and loaded.sources[0].enabled
    assert loaded.get("feed:dept-mofa").schedule == SourceSchedule(cron="0 * * * *")  # type: ignore[union-attr]
    bad = tmp_path / "bad.opml"
    bad.write_text("<html/>", encoding="utf-8")
    result = runner.invoke(app, ["sources", "import", str(bad)], env=env)
    assert result.exit_code == 2 and f"{bad}: not an OPML document" in result.output
    result = runner.invoke(app, ["sources", "import", str(opml), "--minutes", "0"], env=env)
    assert result.exit_code == 2 and "--minutes/--cron" in result.output
