"""The korea.kr article layouts the parser knows: named, dated, and tried in a fixed order per section.

A layout is one page structure as evidence pins it (docs/spec/korea-kr.md §5 and §13): the
selectors that identify it (`markers`, every one must match) and the selectors of its fields,
its own first. All of them are matched inside the article container (`#container`, or the
whole page when it has none), never in the site's menus and footer around it. The parser
records the name of the layout that read a page (`Article.layout`), so a stored article says
which structure it came from, and a page that matches no layout of its section is an item
error of kind `layout` rather than an article with empty fields.

Naming: `<structure>-<year of the evidence>`. A new site design is a new layout added at the
front of the sections it serves, never an edit of an old one: pages archived under the old
design must still parse as they did.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from crawler.errors import CrawlError, LayoutChanged
from crawler.sites.html import Document


@dataclass(frozen=True, slots=True)
class Layout:
    name: str
    seen: date  # date of the evidence the layout is pinned by (a capture, a public scraper's test)
    evidence: str  # where, in docs/spec/korea-kr.md
    # Every selector must match for a page to be of this layout; "a, b" inside one means either.
    markers: tuple[str, ...]
    title: tuple[str, ...]
    info: tuple[str, ...]  # the meta line: the date, the ministry link, a briefing's speaker
    ministry_link: tuple[str, ...]
    body: tuple[str, ...]
    subtitles: tuple[str, ...] = (
        "div.article_head > h2:not(.page_title)",
        ".article_head h2:not(.page_title)",
    )

    def matches(self, doc: Document) -> bool:
        return all(doc.css(selector) for selector in self.markers)


# Fallbacks shared by every layout, after its own selectors (spec §12 "Parsing").
TITLE_FALLBACKS = ("div.view_title h1", "#container h1", ".article_head h1", "h2.page_title strong")
INFO_FALLBACKS = (".article_head .info", ".variety .info", "div.info")
MINISTRY_FALLBACKS = (".article_head .info a.gotosite", "a.gotosite")  # never `.ministry`: footer chrome

# The www desktop view page: policy news and briefings as the §13 contracts pin them (and the
# www copies of press releases and fact-checks, which share the skeleton).
WWW_2026 = Layout(
    name="www-2026",
    seen=date(2026, 7, 13),
    evidence="§13 contract table (policy news, briefing) and §5.1",
    markers=(".article_head .variety", ".article_body .view_cont"),
    # The contract's `main#main section#container .view_title h1`, read inside #container
    # (korea_kr.parse_article reads every field there; main#main is the container's parent).
    title=("section#container .view_title h1", "div.view_title h1"),
    info=(".article_head .variety .info", ".variety .info"),
    ministry_link=(".article_head .variety .info a.gotosite", ".variety a.gotosite"),
    body=(".article_body .view_cont",),
)

# A press release served from admin2.korea.kr: the title in the head, no .view_title, no .variety.
ADMIN2_PRESS_2026 = Layout(
    name="admin2-press-2026",
    seen=date(2026, 7, 13),
    evidence="§13 contract table (press release served from admin2.) and §13.1",
    markers=(".article_wrap .article_head > h1", ".article_head > .info"),
    title=(".article_wrap .article_head > h1",),
    info=(".article_head > .info",),
    ministry_link=(".article_head > .info a.gotosite",),
    body=(".article_body .view_cont", "div.docConversion", ".article_body"),
    subtitles=(".article_head > h2",),
)

# The fact-check contract: h1 in the head, a bare .info, the body anywhere in #container.
FACT_2026 = Layout(
    name="fact-2026",
    seen=date(2026, 7, 13),
    evidence="§13 contract table (fact-check) and §5.4",
    markers=(".article_head h1", "#container .view_cont"),
    title=(".article_head h1",),
    info=(".article_head .info", ".info"),
    ministry_link=(".article_head .info a.gotosite", "a.gotosite"),
    body=("#container .view_cont",),
)

# Older pages: h2.page_title, #viewCont, div.file_down, "2019.03.05 국토교통부" as one text
# (spec §5.1, §5.4, §7.3: the 2019 press releases and an undated fact-check crawler).
LEGACY_2019 = Layout(
    name="legacy-2019",
    seen=date(2019, 3, 5),
    evidence="§5.1 h2.page_title, §5.4 #viewCont, §7.3 older list layout",
    markers=("#viewCont, div.view_cont, .article_body",),
    title=("h2.page_title strong", "#container h1", ".article_head h1"),
    info=("div.info", ".article_head .info"),
    ministry_link=("a.gotosite",),
    body=("#viewCont", "div.view_cont", ".article_body"),
)

# Per section, the layouts to try in order: the §13 contract of the section first, newest first.
LAYOUTS: dict[str, tuple[Layout, ...]] = {
    "policy": (WWW_2026, LEGACY_2019),
    "press": (ADMIN2_PRESS_2026, WWW_2026, LEGACY_2019),
    "briefing": (WWW_2026, LEGACY_2019),
    "fact": (FACT_2026, WWW_2026, LEGACY_2019),
    "cabinet": (WWW_2026, LEGACY_2019),
}
ALL_LAYOUTS = tuple(dict.fromkeys(layout for layouts in LAYOUTS.values() for layout in layouts))


class LayoutUnknown(CrawlError):
    """The page matches none of its section's layouts: the site changed its design."""

    kind = "layout"

    def __init__(self, url: str, section: str, tried: Sequence[str]) -> None:
        super().__init__(url, f"layout: the page matches none of the {section} layouts ({', '.join(tried)})")
        self.section = section
        self.tried = tuple(tried)


class FieldMissing(LayoutChanged):
    """The page is of a known layout but a required field came back empty."""

    def __init__(self, url: str, missing: str, layout: str) -> None:
        super().__init__(url, missing)
        self.layout = layout
        self.message = f"layout changed: no {missing} found (page of layout {layout})"
        self.args = (f"{self.message} ({url})",)


def layouts_for(section: str) -> tuple[Layout, ...]:
    return LAYOUTS.get(section, LAYOUTS["policy"])


def detect(doc: Document, section: str, url: str) -> Layout:
    """The first layout of the section that the page matches; LayoutUnknown when none does."""
    candidates = layouts_for(section)
    for layout in candidates:
        if layout.matches(doc):
            return layout
    raise LayoutUnknown(url, section, [layout.name for layout in candidates])


def selectors(own: tuple[str, ...], fallbacks: tuple[str, ...]) -> tuple[str, ...]:
    """A layout's selectors, then the shared fallbacks it does not list already."""
    return tuple(dict.fromkeys(own + fallbacks))
