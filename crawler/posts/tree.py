"""The one lxml tree a post body lives in: parsed once per article, serialized once per block."""

from __future__ import annotations

import html as htmlcodec

from lxml import etree
from lxml.html import HtmlElement, fragments_fromstring

from crawler.sites.html import HTML_PARSER
from domain.text import XML_DECLARATION, clean_text


def parse_fragment(html: str) -> HtmlElement:
    """The fragment inside a wrapper `<div>`, whatever the input: the only parse of a body."""
    # lxml refuses control characters in str input (clean_text drops them, and bidi controls too).
    text = XML_DECLARATION.sub("", clean_text(html))
    if not text.strip():
        return new_element("div")
    # lxml.html.fragment_fromstring(text, create_parent="div") made by hand: its wrapper comes from
    # lxml.html's own parser, whose element classes are looked up by a Python method for every
    # element Python touches afterwards (a twentieth of a post's normalization); HTML_PARSER's
    # lookup runs in C. The same tree: leading text only when it is more than whitespace.
    parts = fragments_fromstring(text, parser=HTML_PARSER)
    root = new_element("div")
    if parts and isinstance(parts[0], str):
        root.text = parts.pop(0)
    root.extend(parts)
    return root


def new_element(tag: str) -> HtmlElement:
    """An empty, parentless element, made without running the parser."""
    element: HtmlElement = HTML_PARSER.makeelement(tag)
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
