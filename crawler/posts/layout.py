"""Layout steps over the one tree: a flat list of top-level blocks, laid out line by line as the seed is."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from lxml import etree
from lxml.html import HtmlElement

from crawler.posts.sanitize import names
from crawler.posts.tree import elements, new_element

# Blocks the output keeps as they are; everything else at the top level is unwrapped or wrapped.
_BLOCKS = frozenset({"p", "h2", "h3", "h4", "ul", "ol", "table", "blockquote", "figure"})
_CONTAINERS = names(
    "div section article main header footer center body html dl dt dd address pre details "
    "summary fieldset hgroup li tr td th thead tbody tfoot figcaption h1 h5 h6"
)
_HEADING_RENAMES = {"h1": "h2", "h5": "h4", "h6": "h4"}


def blockify(root: HtmlElement) -> HtmlElement:
    """Turn the body into a flat list of top-level blocks (p, h2-h4, lists, tables, quotes, figures).

    Containers such as `<div>` are unwrapped; loose text and inline elements become paragraphs,
    split where the source has two line breaks in a row; `h1` becomes `h2` and `h5`/`h6` `h4`.
    """
    for el in elements(root):
        if el.tag in _HEADING_RENAMES:  # only then: lxml refuses to re-set odd parsed names (`script<`)
            el.tag = _HEADING_RENAMES[el.tag]
    blocks = _flatten(root)
    flat = new_element("div")
    flat.extend(blocks)
    return flat


def _flatten(node: HtmlElement) -> list[HtmlElement]:
    blocks: list[HtmlElement] = []
    run = _Paragraphs()
    run.add_text(node.text)
    for child in list(node):
        tail, child.tail = child.tail, None
        if not isinstance(child.tag, str):
            pass
        elif child.tag in _BLOCKS:
            blocks += run.flush()
            blocks.append(child)
        elif _is_container(child):
            blocks += run.flush()
            blocks += _flatten(child)
        else:
            run.add_inline(child)
        run.add_text(tail)
    return blocks + run.flush()


def _is_container(el: HtmlElement) -> bool:
    return el.tag in _CONTAINERS or any(
        isinstance(d.tag, str) and (d.tag in _BLOCKS or d.tag in _CONTAINERS) for d in el.iterdescendants()
    )


class _Paragraphs:
    """Collects loose text and inline elements into `<p>`s, starting a new one at `<br><br>`."""

    def __init__(self) -> None:
        self._done: list[HtmlElement] = []
        self._current = new_element("p")

    def add_text(self, text: str | None) -> None:
        if not text:
            return
        last = self._last()
        if last is None:
            self._current.text = (self._current.text or "") + text
        else:
            last.tail = (last.tail or "") + text

    def add_inline(self, el: HtmlElement) -> None:
        last = self._last()
        if el.tag == "br" and last is not None and last.tag == "br" and not (last.tail or "").strip():
            self._current.remove(last)
            self._close()
            return
        self._current.append(el)

    def flush(self) -> list[HtmlElement]:
        self._close()
        done, self._done = self._done, []
        return done

    def _last(self) -> HtmlElement | None:
        return self._current[-1] if len(self._current) else None

    def _close(self) -> None:
        paragraph, self._current = self._current, new_element("p")
        while len(paragraph) and paragraph[-1].tag == "br" and not (paragraph[-1].tail or "").strip():
            paragraph.remove(paragraph[-1])
        while len(paragraph) and paragraph[0].tag == "br" and not (paragraph.text or "").strip():
            paragraph.text = (paragraph.text or "") + (paragraph[0].tail or "")
            paragraph.remove(paragraph[0])
        if (paragraph.text or "").strip() or len(paragraph):
            self._done.append(paragraph)


_WHITESPACE = re.compile(r"\s+")
_TEXT_BLOCKS = frozenset({"p", "h2", "h3", "h4", "li", "td", "th", "figcaption", "blockquote"})
# Their children are rows, cells or items, so each goes on its own line as in the seed.
_ROW_CONTAINERS = {"table": ("thead", "tbody"), "thead": ("tr",), "tbody": ("tr",), "tr": ("th", "td")}
_LIST_CONTAINERS = {"ul": ("li",), "ol": ("li",)}
INDENT = "    "


def tidy_layout(root: HtmlElement) -> HtmlElement:
    """Collapse whitespace and lay tables and lists out one row or item per line, as the seed does.

    Table rows get an explicit `<tbody>`, which the sanitizer's HTML parser would add anyway.
    """
    _collapse_whitespace(root)
    for block in root:
        if block.tag == "table":
            _add_tbody(block)
        _indent(block, 0)
    return root


def _collapse_whitespace(root: HtmlElement) -> None:
    root.text = None
    for el in root.iterdescendants():
        if (text := el.text) and not _collapsed(text):
            el.text = _WHITESPACE.sub(" ", text)
        if (tail := el.tail) and not _collapsed(tail):
            el.tail = _WHITESPACE.sub(" ", tail)
    for block in root:
        block.tail = None
    for el in elements(root):
        if el.tag in _TEXT_BLOCKS:
            _strip_line_edges(el)


def _collapsed(text: str) -> bool:
    """Whether collapsing whitespace would leave `text` as it is (most texts; no regex needed).

    Printable text holds no whitespace but the ASCII space (tab, newlines and the Unicode
    spaces are not printable), so without two spaces in a row it has nothing to collapse.
    """
    return text.isprintable() and "  " not in text


# Markers in a text block's flow: a line ends (block edge, <br>, nested block) or content that
# is not text (an image) stands between two pieces of text.
_LINE_BREAK = "break"
_NON_TEXT = "non-text"
_Slot = tuple[HtmlElement, str] | str
_LINE_ENDING = _TEXT_BLOCKS | names("table thead tbody tr ul ol figure")


def _strip_line_edges(block: HtmlElement) -> None:
    """Strip the spaces at the start and end of every line of a text block, however nested."""
    items: list[_Slot] = [_LINE_BREAK, *_flow(block), _LINE_BREAK]
    for index, item in enumerate(items):
        if item == _LINE_BREAK:
            _strip_run(items[index + 1 :], str.lstrip)
            _strip_run(reversed(items[:index]), str.rstrip)


def _flow(el: HtmlElement) -> Iterable[_Slot]:
    yield (el, "text")
    for child in el:
        if child.tag == "br" or child.tag in _LINE_ENDING:
            yield _LINE_BREAK  # a nested block has its own lines, stripped on their own
        elif child.tag == "img" or not isinstance(child.tag, str):
            yield _NON_TEXT
        else:
            yield from _flow(child)
        yield (child, "tail")


def _strip_run(items: Iterable[_Slot], strip: Callable[[str], str]) -> None:
    for item in items:
        if isinstance(item, str):
            return
        node, attr = item
        text = getattr(node, attr)
        stripped = strip(text or "")
        if (value := stripped or None) != text:  # setting a text rebuilds lxml's text node
            setattr(node, attr, value)
        if stripped:
            return


def _add_tbody(table: HtmlElement) -> None:
    for el in list(table):
        if el.tag == "tfoot":
            el.tag = "tbody"
    rows = [el for el in table if el.tag == "tr"]
    if not rows:
        return
    tbody = etree.SubElement(table, "tbody")
    rows[0].addprevious(tbody)
    tbody.extend(rows)


def _indent(el: HtmlElement, level: int) -> None:
    allowed = _ROW_CONTAINERS.get(el.tag) or _LIST_CONTAINERS.get(el.tag)
    children = [child for child in el if isinstance(child.tag, str)]
    if not allowed or not children or any(child.tag not in allowed for child in children):
        return
    if (el.text or "").strip() or any((child.tail or "").strip() for child in children):
        return  # loose text between rows: leave the whitespace alone rather than move it
    el.text = "\n" + INDENT * (level + 1)
    for child in children:
        child.tail = "\n" + INDENT * (level + 1)
        _indent(child, level + 1)
    children[-1].tail = "\n" + INDENT * level
