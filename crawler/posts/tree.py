"""The one lxml tree a post body lives in: parsed once per article, serialized once per block."""

from __future__ import annotations

import html as htmlcodec
import re

from lxml import etree
from lxml.html import HtmlElement, fragment_fromstring, html_parser

# lxml refuses these in str input; they carry nothing anyway. Bidirectional overrides, isolates and
# marks go too: they can make text read differently from what it holds.
_XML_UNSAFE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]"
)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*>", re.IGNORECASE)


def names(words: str) -> frozenset[str]:
    return frozenset(words.split())


def parse_fragment(html: str) -> HtmlElement:
    """The fragment inside a wrapper `<div>`, whatever the input: the only parse of a body."""
    text = _XML_DECLARATION.sub("", _XML_UNSAFE.sub("", html))
    if not text.strip():
        return new_element("div")
    root: HtmlElement = fragment_fromstring(text, create_parent="div")
    return root


def new_element(tag: str) -> HtmlElement:
    """An empty, parentless element, made without running the parser."""
    element: HtmlElement = html_parser.makeelement(tag)
    return element


def serialize(root: HtmlElement) -> str:
    """The inner HTML of the wrapper."""
    head = htmlcodec.escape(root.text or "", quote=False)
    return head + "".join(serialize_element(child) for child in root)


def serialize_element(element: HtmlElement) -> str:
    """One element as HTML, its tail included when it has one."""
    return etree.tostring(element, encoding="unicode", method="html")


def elements(root: HtmlElement) -> list[HtmlElement]:
    """All elements below `root` (comments excluded), as a list so the tree may change meanwhile."""
    return [el for el in root.iterdescendants() if isinstance(el.tag, str)]


def drop(node: etree._Element) -> None:
    """Remove a node and what is inside it, keeping the text that follows it."""
    parent = node.getparent()
    if parent is None:
        return
    tail = node.tail or ""
    previous = node.getprevious()
    if previous is not None:
        previous.tail = (previous.tail or "") + tail
    else:
        parent.text = (parent.text or "") + tail
    parent.remove(node)
