"""Small HTML helpers shared by the site parsers: one parsed document, text, CSS fallbacks, ld+json."""

from __future__ import annotations

import html as html_lib
import json
import re
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin

import lxml.html
from lxml import etree
from lxml.cssselect import CSSSelector

from crawler.sites.css_index import ElementIndex, bare_names, plan, select_names
from domain.text import XML_DECLARATION

Element = Any  # lxml.html.HtmlElement; lxml ships no type stubs here


def html_parser() -> lxml.html.HTMLParser:
    """lxml.html's parser, every element an HtmlElement by a lookup done in C.

    lxml.html's own lookup is a Python method run for every element Python touches (it picks
    form classes for <form>, <input>…, which no parser here uses).
    """
    parser = lxml.html.HTMLParser()
    parser.set_element_class_lookup(
        etree.ElementDefaultClassLookup(
            element=lxml.html.HtmlElement,
            comment=lxml.html.HtmlComment,
            pi=lxml.html.HtmlProcessingInstruction,
            entity=lxml.html.HtmlEntity,
        )
    )
    return parser


HTML_PARSER = html_parser()

# Elements whose edges separate words even when the markup has no whitespace between them.
BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption", "figure",
        "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre",
        "section", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
    }
)  # fmt: skip
MAX_CAPTION = 200  # longer text beside a photo is a paragraph, not its caption
_INVISIBLE_TAGS = frozenset({"script", "style", "noscript", "template"})
_DATE = re.compile(r"(\d{4})[.-](\d{1,2})[.-](\d{1,2})")


def collapse(text: str) -> str:
    """Whitespace (including NBSP, zero-width and ideographic spaces) collapsed to single spaces."""
    # str.split() knows the same whitespace as the regex's \s; the two invisible characters it
    # does not count are turned into spaces first (3x faster than a regex over article text).
    if "\u200b" in text or "\ufeff" in text:
        text = text.replace("\u200b", " ").replace("\ufeff", " ")
    return " ".join(text.split())


def unescape_twice(text: str) -> str:
    # korea.kr double-escapes entities in og:title and feed titles ("&amp;middot;").
    return html_lib.unescape(html_lib.unescape(text))


@lru_cache(maxsize=256)
def _compiled(selector: str) -> CSSSelector | tuple[str, ...]:
    """The selector compiled once: an XPath, or for a bare list of tag names ("img, table") the names.

    Tag names alone need no XPath: `element.iter(*names)` walks the same elements (the element
    itself included, document order) without an XPath evaluation's fixed cost, which is most of
    a query on one paragraph.
    """
    if _TAG_NAMES.fullmatch(selector):
        return tuple(name.strip() for name in selector.split(","))
    return CSSSelector(selector, translator="html")


_TAG_NAMES = re.compile(r"\s*[a-z][a-z0-9]*(?:\s*,\s*[a-z][a-z0-9]*)*\s*")


def css(element: Element, selector: str) -> list[Element]:
    compiled = _compiled(selector)
    if isinstance(compiled, tuple):
        return list(element.iter(*compiled))
    return list(compiled(element))


def css_indexed(element: Element, selector: str) -> list[Element]:
    """`css` for a wide selector group on a small subtree: one walk, not one scan per selector."""
    if (names := bare_names(selector)) is not None:
        return select_names(element, names)
    chains = plan(selector)
    return ElementIndex(element).select(chains) if chains is not None else css(element, selector)


def first_match(element: Element, selectors: Sequence[str]) -> list[Element]:
    """Matches of the first selector in an ordered fallback list that matches anything."""
    for selector in selectors:
        found = css(element, selector)
        if found:
            return found
    return []


def _visible_parts(node: Element, parts: list[str], edge: str, exclude: Collection[Element]) -> None:
    # A module-level function, not a closure: a recursive inner function is a reference cycle
    # that kept each page's whole tree alive until the cyclic collector ran.
    # Comments and processing instructions carry their content in `.text`: never visible.
    if not isinstance(node.tag, str) or node.tag in _INVISIBLE_TAGS or node in exclude:
        return
    block = node.tag in BLOCK_TAGS
    if block:
        parts.append(edge)
    parts.append(node.text or "")
    for child in node:
        _visible_parts(child, parts, edge, exclude)
        parts.append(child.tail or "")
    if block:
        parts.append(edge)


def text_of(element: Element, *, exclude: Collection[Element] = ()) -> str:
    """Visible text of an element, words kept apart at block edges and <br>, whitespace collapsed."""
    parts: list[str] = []
    _visible_parts(element, parts, " ", exclude)
    return collapse("".join(parts))


def has_text(element: Element) -> bool:
    """Whether `text_of(element)` is not empty, read only up to the first visible word."""
    # text_of's parts in its order; the text is empty exactly when every part collapses to nothing.
    if not isinstance(element.tag, str) or element.tag in _INVISIBLE_TAGS:
        return False
    if element.text and collapse(element.text):
        return True
    return any(has_text(child) or bool(child.tail and collapse(child.tail)) for child in element)


def text_lines(element: Element) -> list[str]:
    """Visible text split where the page breaks lines (<br> and block edges), each line collapsed."""
    parts: list[str] = []
    _visible_parts(element, parts, "\n", ())
    return [line for line in (collapse(t) for t in "".join(parts).split("\n")) if line]


def inner_html(element: Element) -> str:
    head = html_lib.escape(element.text or "", quote=False)
    return (head + "".join(lxml.html.tostring(child, encoding="unicode") for child in element)).strip()


def drop(element: Element) -> None:
    """Remove an element but keep the text that follows it."""
    if element.getparent() is not None:
        element.drop_tree()


def has_block_descendant(element: Element) -> bool:
    return any(
        isinstance(d.tag, str) and d.tag in BLOCK_TAGS and d.tag != "br" for d in element.iterdescendants()
    )


def text_blocks(root: Element) -> list[Element]:
    """Block elements holding no other blocks: a body's paragraphs (and cells, items), in order."""
    return [
        e
        for e in root.iterdescendants()
        if isinstance(e.tag, str) and e.tag in BLOCK_TAGS and e.tag != "br" and not has_block_descendant(e)
    ]


def block_of(element: Element, root: Element) -> Element:
    """The nearest block around an element below `root`, or the element itself when it sits loose."""
    for ancestor in element.iterancestors():
        if ancestor is root:
            break
        if ancestor.tag in BLOCK_TAGS:
            return ancestor
    return element


def following_blocks(element: Element) -> Iterator[Element]:
    """Later siblings that show something (text or an image); empty spacer paragraphs are skipped."""
    sibling = element.getnext()
    while sibling is not None:
        if isinstance(sibling.tag, str) and (has_text(sibling) or css(sibling, "img")):
            yield sibling
        sibling = sibling.getnext()


def _own_caption(img: Element, root: Element) -> str:
    figure = next((a for a in img.iterancestors() if a.tag == "figure"), None)
    if figure is not None and (captions := css(figure, "figcaption")):
        return text_of(captions[0])
    block = block_of(img, root)
    if block is img or has_block_descendant(block) or len(css(block, "img")) != 1:
        return ""
    text = text_of(block)
    return text if len(text) <= MAX_CAPTION else ""


def caption_of(img: Element, root: Element) -> str:
    """Visible caption of an image: text in its own block, else the next line when it repeats the alt."""
    if own := _own_caption(img, root):
        return own
    alt = collapse(img.get("alt", ""))
    nxt = next(following_blocks(block_of(img, root)), None)
    return alt if alt and nxt is not None and not css(nxt, "img") and text_of(nxt) == alt else ""


def collapse_repeated_captions(root: Element) -> None:
    """Drop caption lines repeated right under a photo so that one visible copy remains."""
    for img in css(root, "img"):
        own = _own_caption(img, root)
        caption = own or collapse(img.get("alt", ""))
        if not caption:
            continue
        repeats = []
        for sibling in following_blocks(block_of(img, root)):
            if css(sibling, "img") or text_of(sibling) != caption:
                break
            repeats.append(sibling)
        # A caption beside the photo is the visible copy; otherwise the first repeat below it is.
        for sibling in repeats[0 if own else 1 :]:
            drop(sibling)


def absolute(url: str, base: str) -> str:
    return urljoin(base, url.strip())


def find_date(text: str) -> date | None:
    """The first YYYY.MM.DD / YYYY-MM-DD date in a text, or None (also for impossible dates)."""
    match = _DATE.search(text)
    if not match:
        return None
    try:
        return date(*(int(g) for g in match.groups()))
    except ValueError:
        return None


def is_date(text: str) -> bool:
    """The whole text is one date ("2026.05.12", "2026.05.12.", "2026-05-12")."""
    return bool(_DATE.fullmatch(text.strip().rstrip("."))) and find_date(text) is not None


def strip_date(text: str) -> str:
    """The text with its first date removed, whitespace collapsed."""
    return collapse(_DATE.sub("", text, count=1))


def parse_iso_datetime(value: str) -> datetime | None:
    """ISO 8601 as ld+json and Open Graph write it; None when unparseable."""
    value = value.strip()
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _json_ld_objects(data: object) -> Iterable[dict[str, Any]]:
    if isinstance(data, list):
        for item in data:
            yield from _json_ld_objects(item)
    elif isinstance(data, dict):
        yield data
        yield from _json_ld_objects(data.get("@graph", []))


def parse_json_ld(root: Element) -> tuple[dict[str, Any], ...]:
    """Every object in the page's ld+json blocks; blocks that are not valid JSON are skipped."""
    objects: list[dict[str, Any]] = []
    # script[type="application/ld+json"], walked in C rather than by an XPath over every element
    for script in (s for s in root.iter("script") if s.get("type") == "application/ld+json"):
        raw = (script.text or "").strip()
        # Some CMSs wrap the block in an HTML comment or end it with a stray semicolon.
        raw = raw.removeprefix("<!--").removesuffix("-->").strip().rstrip(";")
        try:
            data = json.loads(raw, strict=False)  # strict=False: raw newlines inside strings
        except ValueError:
            continue
        objects.extend(_json_ld_objects(data))
    return tuple(objects)


def _meta_tags(root: Element) -> dict[str, str]:
    tags: dict[str, str] = {}
    for meta in (m for m in root.iter("meta") if m.get("content") is not None):  # meta[content]
        key = meta.get("property") or meta.get("name") or meta.get("itemprop")
        if key:
            tags.setdefault(key.strip().lower(), meta.get("content", ""))
    return tags


@dataclass(frozen=True, slots=True)
class Document:
    """A page parsed once: the element tree, its meta tags and its ld+json objects.

    `css` and `first` query `root`'s subtree, each selector once (a second query of the same
    selector answers from memory: the tree must not change; parsers copy what they clean), most
    selectors from an index of the subtree built at the first query (crawler/sites/css_index.py).
    `within(element)` gives the same page with queries scoped to one element, so that a parser
    reads its fields inside the article instead of walking the whole page's chrome each time.
    """

    url: str
    root: Element
    meta: Mapping[str, str]
    json_ld: tuple[dict[str, Any], ...]
    _found: dict[str, list[Element]] = field(default_factory=dict, repr=False, compare=False)
    _index: list[ElementIndex] = field(default_factory=list, repr=False, compare=False)  # built on first use

    @classmethod
    def parse(cls, html: str, url: str) -> Document:
        # lxml refuses str input that still declares an encoding, and raises on empty input.
        try:
            root = lxml.html.document_fromstring(XML_DECLARATION.sub("", html), parser=HTML_PARSER)
        except etree.ParserError:
            root = HTML_PARSER.makeelement("html")
        return cls(url=url, root=root, meta=_meta_tags(root), json_ld=parse_json_ld(root))

    def css(self, selector: str) -> list[Element]:
        found = self._found.get(selector)
        if found is None:
            found = self._found[selector] = self._query(selector)
        return list(found)

    def _query(self, selector: str) -> list[Element]:
        chains = plan(selector)
        if chains is None:
            return css(self.root, selector)
        if not self._index:
            self._index.append(ElementIndex(self.root))
        return self._index[0].select(chains)

    def first(self, selectors: Sequence[str]) -> list[Element]:
        """Matches of the first selector in an ordered fallback list that matches anything."""
        for selector in selectors:
            if found := self.css(selector):
                return found
        return []

    def by_id(self, element_id: str) -> Element | None:
        """The first element with this id, by the parser's id index (a CSS `#id` walks every element)."""
        found = _BY_ID(self.root, id=element_id)
        return found[0] if found else None

    def within(self, element: Element) -> Document:
        """The same page, its queries scoped to `element`'s subtree (the element itself included)."""
        return replace(self, root=element, _found={}, _index=[])


# libxml2 indexes id attributes while parsing; XPath id() looks one up instead of testing every element.
_BY_ID = etree.XPath("id($id)")
