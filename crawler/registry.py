"""The one declarative list of crawlable source kinds: their sections and their spider.

The same key names the CLI source (`korea_kr:policy`), the scheduler job, the crawl run's
`source` and the spider. Add a kind here and in `crawler/spiders/__init__.py`; no discovery.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SourceKind:
    name: str
    sections: tuple[str, ...]  # the first is the default
    base_url_setting: str = "korea_kr_base_url"  # the Settings field naming where the kind fetches


SOURCE_KINDS: dict[str, SourceKind] = {
    kind.name: kind
    for kind in (
        # 정책브리핑 (www.korea.kr): policy news, press releases, briefings, fact-checks.
        SourceKind("korea_kr", ("policy", "press", "briefing", "fact")),
        # Stores korea_kr articles: the API and the HTML crawl of one newsId are one article.
        # 정책브리핑 through the data.go.kr Open API (policy news, press releases; needs a key).
        SourceKind("korea_kr_api", ("policy", "press"), base_url_setting="data_go_kr_base_url"),
        # No fixed sections: each feed is named in sources.toml and crawled as feed:<name>.
        SourceKind("feed", ()),
    )
}
