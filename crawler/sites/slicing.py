"""A page parsed from its head and one element only, the chrome around that element skipped.

korea.kr's article pages are 60–70 KiB, most of it site chrome (menus twice, a sidebar, the
footer) that the parser never reads: it reads the head (meta tags, ld+json, the canonical
link) and `#container`. `sliced_document` parses only `<head>…<body>` + the container's own
markup and gives the `Document` the whole page's parse would give for every read the parser
makes (the container's subtree, the meta tags, the ld+json objects, the canonical link, the
element `by_id` finds), or None, and the caller parses the whole page.

The answer must be the whole parse's, so the slice is taken only when plain string checks
prove that the skipped text cannot change it (libxml2 2.14 tokenizes as HTML5 does):

* the page up to the end of its one `<body>` start tag is kept as it is, so it parses as in the
  whole page;
* the skipped text before the container (the "chrome") ends in the data state: a scan of every
  token that can leave it (comments, raw-text elements, `<!…>`, `<?…>`, `</` not followed by
  a letter, upper-case tags, `<plaintext>`) finds each closed with nothing of the sort inside
  it, and neither an unquoted nor a quoted attribute value runs into the container's tag
  (`_at_tag_start`);
* no skipped text holds a `<meta>`, `<link>`, `<base>`, an ld+json script (any script whose
  start tag says "json" or holds a character reference), or, before the container, another
  `id="container"` (`by_id` answers the first one; an id with a character reference counts
  as one) or a `<body>`/`<html>`/`<head>` tag;
* the container is cut at its matching end tag by counting start and end tags; a sentinel
  element after the cut proves the count right (the container closed at the cut: the sentinel
  is its next sibling, nothing in between), and the sliced parse must report no mismatched or
  unexpected end tag: an end tag inside the container that closed an element outside it in the
  whole page (where the container has ancestors) would be one here (where it has none).

Everything else (a marker missing, twice, inside a comment or a script, the container unclosed,
markup these checks do not follow) parses the whole page. The tests compare both parses.
"""

from __future__ import annotations

import re

import lxml.html
from lxml import etree

from crawler.sites.html import Document, _meta_tags, html_parser, parse_json_ld
from domain.text import XML_DECLARATION

# Elements whose content the HTML5 tokenizer reads as text up to their own end tag (libxml2
# 2.14 as well; noscript and template hold markup).
_RAW = frozenset({"script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes"})
# The tag names the scan follows: raw text, <plaintext>, and the tags only the head may hold.
_FOLLOWED = (*sorted(_RAW), "plaintext", "meta", "link", "base", "body", "head", "html")


def _names(names: tuple[str, ...]) -> str:
    """The names with a lower-case first letter and the rest in any case, grouped by that letter.

    A name starting in upper case is a token by `[A-Z]` (and not followed); spelling the case out
    ASCII only keeps out the characters (?i) would also take ("ı" for "i", "K" for "k"), which
    the tokenizer does not lower-case: `<lınk>` is no link, to the parser or here.
    """
    by_first: dict[str, list[str]] = {}
    for name in names:
        by_first.setdefault(name[0], []).append("".join(f"[{c}{c.upper()}]" for c in name[1:]))
    return "(?:" + "|".join(f"{first}(?:{'|'.join(rest)})" for first, rest in by_first.items()) + ")"


# Every token that can leave the data state or that the scan follows, found where `<` starts it;
# the text matched tells which (`<!`, `<?`, `</` not followed by a lower-case letter, `<` and an
# upper-case letter, or `<` / `</` and a followed name). No groups and the rare branches last:
# most of the chrome's ~2,300 `<` are other tags, which fail at the first character of each
# branch (named groups and (?i) there cost twice the time a page).
_FOLLOWED_NAME = rf"{_names(_FOLLOWED)}(?![a-zA-Z0-9])"
_TOKEN = re.compile(rf"<(?:{_FOLLOWED_NAME}|/(?:{_FOLLOWED_NAME}|[^a-z])|[!?A-Z])")
_DOCTYPE = re.compile("(?i:doctype)")
# A token's text -> (followed name, end tag?); any other token is not followed.
_TOKEN_KINDS = {
    f"<{slash}{name}": (name, slash == "/")
    for name in _FOLLOWED
    if name != "plaintext"
    for slash in ("", "/")
}
_CLOSING = {name: f"</{name}>" for name in _RAW}
_WS = "[ \t\n\f\r]"
_NAME = r"""[^ \t\n\f\r"'>/=<]"""
_VALUE = r"""(?:"[^"]*"|'[^']*'|[^ \t\n\f\r"'=<>`]+)"""
_ATTRIBUTES = rf"(?:{_WS}+{_NAME}+(?:{_WS}*={_WS}*{_VALUE})?)*{_WS}*/?"
# A start tag whose end the tokenizer finds where this finds it (attribute values quoted or plain).
_START_TAG = re.compile(rf"<[a-z][a-z0-9]*{_ATTRIBUTES}>")
_STRUCTURE_NAME = r"(?:[bB][oO][dD][yY]|[hH](?:[tT][mM][lL]|[eE][aA][dD]))(?![a-zA-Z0-9])"
# </?(?:body|html|head) in any ASCII case, or a CDATA section; `/?` spelled as two branches (a
# quarter faster over the container).
_STRUCTURE = re.compile(rf"<(?:{_STRUCTURE_NAME}|/{_STRUCTURE_NAME}|!\[CDATA\[)")
_CONTAINER_TAGS = ("section", "div")
_SENTINEL_ID = "briefing-slice-end"
_SENTINEL = f'<div id="{_SENTINEL_ID}"></div>'


def _scan(html: str, pos: int, end: int, *, where: str) -> int | None:
    """Scan html[pos:end] from the data state; None when it holds anything the checks do not follow.

    `where` is "head" (the page up to its `<body>` tag: returns the tag's end), "before" or "after"
    the container (skipped text: returns `end`).
    """
    head = where == "head"
    while (m := _TOKEN.search(html, pos, end)) is not None:
        token, at = m.group(), m.end()
        if token == "<!":
            if html.startswith("--", at, end):  # a comment
                close = html.find("-->", at + 2, end)
                if close < 0 or _TOKEN.search(html, at + 2, close) is not None:
                    return None
                pos = close + 3
                continue
            if not head or _DOCTYPE.match(html, at, end) is None:
                return None  # <!…> other than a comment or the head's doctype: not followed here
            close = html.find(">", at + 7, end)
            if close < 0:
                return None
            pos = close + 1
            continue
        kind = _TOKEN_KINDS.get(token)
        if kind is None:
            return None  # <?…>, </ without a name, upper- or mixed-case tags, <plaintext>: not followed here
        name, slash = kind
        if slash:
            # An end tag is data-state markup; </body> or </html> before the container closes its ancestors.
            if name in ("body", "html", "head") and where == "before":
                return None
            pos = at
            continue
        if name not in _RAW and name != "body":
            if not head:
                return None  # meta, link, base, html, head outside the head
            pos = at  # a head tag; a token in its attributes is still read as one (the stricter way)
            continue
        tag = _START_TAG.match(html, m.start(), end)
        if tag is None:
            return None
        if name in _RAW:
            text, content = tag.group(), tag.end()
            if name == "script" and not head and ("json" in text.lower() or "&" in text):
                return None  # possibly ld+json, which the parser reads wherever it stands
            closing = _CLOSING[name]
            if html.startswith(closing, content, end):  # empty (<script src=…></script>): closed here
                pos = content + len(closing)
                continue
            close = html.find(closing[:-1], content, end)
            after = close + len(closing) - 1
            if close < 0 or html[after : after + 1] != ">":
                return None
            if _TOKEN.search(html, content, close) is not None:
                return None
            pos = after + 1
            continue
        return tag.end() if head else None  # <body>
    return None if head else end


def _at_tag_start(html: str, pos: int) -> bool:
    """Whether a tag starting at `pos` cannot be inside another tag or an attribute value.

    The data state, given no open comment or raw text: the last non-space character before is a
    `>` (which ends any tag not inside a quoted value), and the last `"` and `'` before cannot
    open a value (an opening quote follows `=`).
    """
    before = html[max(0, pos - 200) : pos].rstrip(" \t\n\f\r")
    if not before.endswith(">") or len(before) == 0:
        return False
    for quote in ('"', "'"):
        at = html.rfind(quote, 0, pos)
        if at >= 0 and html[_skip_space_back(html, at) - 1 : at].startswith("="):
            return False
    return True


def _skip_space_back(html: str, end: int) -> int:
    """The start of the run of HTML whitespace that ends at `end`."""
    while end > 0 and html[end - 1] in " \t\n\f\r":
        end -= 1
    return end


def _container_start(html: str, element_id: str) -> tuple[int, re.Match[str], str] | None:
    for quote in ('"', "'"):
        at = html.find(f"id={quote}{element_id}{quote}")
        if at < 0:
            continue
        start = html.rfind("<", 0, at)
        tag = _START_TAG.match(html, start) if start >= 0 else None
        if tag is None or tag.end() <= at:
            return None
        name = tag.group()[1:].split(None, 1)[0].rstrip(">/").lower()
        return (start, tag, name) if name in _CONTAINER_TAGS else None
    return None


def _container_end(html: str, start: int, name: str) -> int | None:
    """The end of the end tag that closes the element opened at `start`, by counting tags."""
    depth, pos = 1, start + 1
    opening, closing = f"<{name}", f"</{name}"
    while depth:
        close = html.find(closing, pos)
        if close < 0:
            return None
        depth += html.count(opening, pos, close) - 1
        pos = close + len(closing)
    if html[pos : pos + 1] != ">":
        return None
    return pos + 1


# An id spelled with a character reference (id="&#99;ontainer") is the same id to the parser;
# only numeric references spell ASCII letters. Checked at each "&#" only: a regex over the
# whole chrome cost 0.46 ms a page, a third of the slice's gain.
_OPEN_ID_VALUE = re.compile(
    r"""(?<![a-zA-Z0-9_:.-])[iI][dD][ \t\n\f\r]*=[ \t\n\f\r]*(?:"[^"]*|'[^']*|[^ \t\n\f\r"'>]*)\Z"""
)


# Found by the regex engine, whose search for a literal prefix steps from "&" to "&": twice
# str.find's speed on a two-character needle in 30 KiB of chrome.
_CHARACTER_REFERENCE = re.compile("&#")


def _referenced_id_before(html: str, end: int) -> bool:
    pos = 0
    while (m := _CHARACTER_REFERENCE.search(html, pos, end)) is not None:
        at = m.start()
        tag = html.rfind("<", 0, at)
        if tag >= 0 and _OPEN_ID_VALUE.search(html[tag:at]):
            return True
        pos = at + 2
    return False


def _ids_before(html: str, end: int, element_id: str) -> bool:
    """Whether html[:end] may hold an element with this id (any spelling of `id = "…"`: one too many)."""
    if _referenced_id_before(html, end):
        return True
    at = html.find(element_id, 0, end)
    while at >= 0:
        before = at - 1 if at > 0 and html[at - 1] in "\"'" else at
        before = _skip_space_back(html, before)
        if before > 0 and html[before - 1] == "=":
            name = _skip_space_back(html, before - 1)
            if html[max(0, name - 2) : name].lower() == "id":
                return True
        at = html.find(element_id, at + 1, end)
    return False


def sliced_document(html: str, url: str, element_id: str) -> Document | None:
    """The page parsed as head + the element with this id, or None when that is not provably the same."""
    if not _HTML5_TOKENIZER:
        return None
    html = XML_DECLARATION.sub("", html)
    found = _container_start(html, element_id)
    if found is None:
        return None
    start, _tag, name = found
    body = _scan(html, 0, start, where="head")
    if body is None or not _at_tag_start(html, body):
        return None
    if _scan(html, body, start, where="before") is None or not _at_tag_start(html, start):
        return None
    if _ids_before(html, start, element_id):
        return None
    cut = _container_end(html, start, name)
    if cut is None or _STRUCTURE.search(html, start, cut) is not None:
        return None
    if _scan(html, cut, len(html), where="after") is None:
        return None
    root = lxml.html.document_fromstring(html[:body] + html[start:cut] + _SENTINEL, parser=_PARSER)
    if any(entry.type_name == "ERR_TAG_NAME_MISMATCH" for entry in _PARSER.error_log):
        return None
    bodies = [child for child in root if child.tag == "body"]
    if len(bodies) != 1 or len(bodies[0]) != 2 or (bodies[0].text or "").strip():
        return None
    container, sentinel = bodies[0]
    if sentinel.get("id") != _SENTINEL_ID or (container.tail or "").strip(" \t\n\f\r"):
        return None
    if container.tag != name or container.get("id") != element_id:
        return None
    bodies[0].remove(sentinel)
    if _BY_ID(root, id=element_id) != [container]:
        return None
    return Document(url=url, root=root, meta=_meta_tags(root), json_ld=parse_json_ld(root))


_BY_ID = etree.XPath("id($id)")
# The checks follow the HTML5 tokenizer, which libxml2 has from 2.14 on (older versions end
# comments, scripts and raw text differently): with an older one every page is parsed whole.
_HTML5_TOKENIZER = etree.LIBXML_VERSION >= (2, 14)
_PARSER = html_parser()  # its own: the error log of the last parse is read
