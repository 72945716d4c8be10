"""Article + site profile -> Jekyll post text: an ordered list of small pure steps, sanitizer last."""

from __future__ import annotations

import hashlib
import html as htmlcodec
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urljoin, urlsplit

from lxml import etree
from lxml.html import HtmlElement, fragment_fromstring

from crawler.posts.frontmatter import build_front_matter, clean_text, render_front_matter
from crawler.posts.profile import Profile
from crawler.posts.sanitize import TISTORY_SIZES, WEB_SCHEMES, sanitize
from crawler.posts.slug import slugify
from domain.article import KST, Article, Image

# ---------------------------------------------------------------------------------------------
# The post


@dataclass(frozen=True)
class Post:
    """One rendered post. `text` is the whole file: front matter, a blank line, then `body`."""

    front_matter: dict[str, object]  # the values, exactly as yaml.safe_load reads them back
    body: str  # the HTML blocks, separated by one blank line, ending with one "\n"
    text: str
    slug: str
    date: date  # publication date in Asia/Seoul
    filename: str  # YYYY-MM-DD-<slug>.md
    hash: str  # sha256 of text (UTF-8), hex

    @property
    def excerpt(self) -> str:
        return str(self.front_matter["excerpt"]).strip()


def normalize(article: Article, profile: Profile) -> Post:
    """Render `article` as a post; the same article and profile always give the same bytes."""
    title = clean_title(article.title)
    cleaned = clean_body(article.body_html, article.url, article.images)
    excerpt = make_excerpt(article.subtitles, cleaned, profile.excerpt_limit)
    published = publication_time(article.published_at)
    front_matter = _front_matter(article, profile, title=title, excerpt=excerpt, published=published)
    blocks = [
        hero_block(profile),
        *body_blocks(cleaned, profile.link_rel),
        *closing_blocks(article, profile),
    ]
    body = "\n\n".join(blocks) + "\n"
    text = render_front_matter(front_matter) + "\n" + body
    slug = slugify(title)
    day = published.date()
    return Post(
        front_matter=front_matter,
        body=body,
        text=text,
        slug=slug,
        date=day,
        filename=f"{day.isoformat()}-{slug}.md",
        hash=hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )


def clean_body(body_html: str, base_url: str, images: Sequence[Image]) -> str:
    """Every body step before sanitizing, in order; the excerpt and the blocks both start here."""
    html = drop_noise(body_html)
    html = absolutize_urls(html, base_url)
    html = blockify(html)
    html = collapse_captions(html, images)
    html = add_tistory_sizes(html)
    return tidy_layout(html)


def body_blocks(cleaned_html: str, link_rel: str) -> list[str]:
    """The sanitized blocks of a cleaned body: sanitize, drop empty blocks, escape Liquid."""
    blocks = [drop_implicit_tbody(sanitize(block, link_rel)) for block in split_blocks(cleaned_html)]
    return [escape_liquid(block) for block in drop_empty_blocks(blocks)]


def drop_implicit_tbody(block: str) -> str:
    """Unwrap the `<tbody>` of a table without `<thead>`: the seed's tables list rows directly.

    The sanitizer's HTML parser always inserts a tbody; the layout step indented the table, so
    the wrapper is two whole lines and its rows one indent level too deep.
    """
    if not block.startswith("<table") or "<thead" in block or block.count("<tbody>") != 1:
        return block
    lines = block.split("\n")
    opening = f"{_INDENT}<tbody>"
    closing = f"{_INDENT}</tbody>"
    if opening not in lines or closing not in lines:
        return block
    start, end = lines.index(opening), lines.index(closing)
    inner = [line.removeprefix(_INDENT) for line in lines[start + 1 : end]]
    return "\n".join(lines[:start] + inner + lines[end + 1 :])


# ---------------------------------------------------------------------------------------------
# Text steps: title and excerpt


def clean_title(raw: str) -> str:
    """The title with HTML entities decoded (korea.kr escapes some twice) and whitespace collapsed."""
    return clean_text(decode_entities(raw))


def decode_entities(text: str, *, rounds: int = 3) -> str:
    """`&amp;middot;` -> `·`: unescape until nothing changes, a few rounds at most."""
    for _ in range(rounds):
        decoded = htmlcodec.unescape(text)
        if decoded == text:
            break
        text = decoded
    return text


_SENTENCE_END = re.compile(r"[.?!]+[\"'”’)\]」』]*(?=\s|$)")


def cut_excerpt(text: str, limit: int) -> str:
    """`text` cut after its last sentence end (`다.`, `.`, `?`, `!`) that fits in `limit` characters.

    Without one, it is cut at the last space and nothing is added. Only a single word longer
    than the limit is cut inside, since nothing else would fit.
    """
    text = clean_text(text)
    if len(text) <= limit:
        return text
    ends = [m.end() for m in _SENTENCE_END.finditer(text) if m.end() <= limit]
    if ends:
        return text[: ends[-1]]
    space = text.rfind(" ", 0, limit + 1)
    return text[:space] if space > 0 else text[:limit]


def excerpt_source(subtitles: Sequence[str], cleaned_html: str, limit: int) -> str:
    """The subtitles joined by a space, else enough leading body paragraphs to fill `limit`."""
    joined = " ".join(clean_title(subtitle) for subtitle in subtitles)
    if joined.strip():
        return clean_text(joined)
    texts: list[str] = []
    for block in _parse(cleaned_html):
        if block.tag != "p":
            continue
        text = block_text(block)
        if text:
            texts.append(text)
        if sum(len(t) + 1 for t in texts) > limit:
            break
    return " ".join(texts)


def block_text(el: HtmlElement) -> str:
    """The visible text of an element, a `<br>` counting as a space, whitespace collapsed."""
    return clean_text("".join(_text_parts(el)))


def _text_parts(el: HtmlElement) -> Iterable[str]:
    yield el.text or ""
    for child in el:
        if isinstance(child.tag, str):
            yield from (" ",) if child.tag == "br" else _text_parts(child)
        yield child.tail or ""


def make_excerpt(subtitles: Sequence[str], cleaned_html: str, limit: int) -> str:
    return cut_excerpt(excerpt_source(subtitles, cleaned_html, limit), limit)


# ---------------------------------------------------------------------------------------------
# HTML steps. Each takes and returns an HTML fragment; lxml parses, the sanitizer has the last word.

# lxml refuses these in str input; they carry nothing anyway.
_XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*>", re.IGNORECASE)


def _names(words: str) -> frozenset[str]:
    return frozenset(words.split())


def _parse(html: str) -> HtmlElement:
    """The fragment inside a wrapper `<div>`, whatever the input."""
    text = _XML_DECLARATION.sub("", _XML_UNSAFE.sub("", html))
    if not text.strip():
        return fragment_fromstring("<div></div>")
    root: HtmlElement = fragment_fromstring(text, create_parent="div")
    return root


def _serialize(root: HtmlElement) -> str:
    """The inner HTML of the wrapper."""
    head = htmlcodec.escape(root.text or "", quote=False)
    return head + "".join(etree.tostring(child, encoding="unicode", method="html") for child in root)


def _elements(root: HtmlElement) -> list[HtmlElement]:
    """All elements below `root` (comments excluded), as a list so the tree may change meanwhile."""
    return [el for el in root.iterdescendants() if isinstance(el.tag, str)]


# Removed with everything inside: never content, and their text must not reach the excerpt.
_DROP_WITH_CONTENT = _names(
    "script style iframe frame frameset object embed applet svg math form noscript template "
    "textarea select button input label head title meta link base nav aside audio video "
    "canvas map dialog caption colgroup hr"
)
# korea.kr page chrome and screen-reader-only text, by class or id (docs/spec/korea-kr.md §5.1).
_CHROME_NAME = re.compile(
    r"share|sns|livere|lv-container|view_opt|article_footer|btn_list|list_btn|btn_print|"
    r"font_?size|^tool$|^blind$|^hidden$|^hide$|sr-only|screen_out|filedown|file_down",
    re.IGNORECASE,
)
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_CHROME_TEXT = _names("목록 목록보기 목록으로 공유 공유하기 인쇄 인쇄하기 스크랩 URL복사 맨위로 TOP")
_RSS_ICONS = frozenset({"btn_textview.gif", "icon_logo.gif"})
_SUPPLIED_BY = re.compile(r"\[\s*자료\s*제공\s*:?[^\[\]]{0,100}\]")


def drop_noise(html: str) -> str:
    """Remove comments, scripts and other non-content, and the source's own page chrome.

    Chrome: share/print/list widgets and hidden text by class, id or inline style; lone
    "목록"/"공유하기" links; the RSS icons `btn_textview.gif` / `icon_logo.gif` with their
    links; `[자료제공 : …]` lines.
    """
    root = _parse(html)
    for node in list(root.iter(etree.Comment, etree.ProcessingInstruction)):
        _drop(node)
    for el in _elements(root):
        if el.getparent() is not None and _is_noise(el):
            _drop(el)
    for el in list(root.iter("img")):
        if _basename(el.get("src", "")) in _RSS_ICONS:
            parent = el.getparent()
            _drop(el)
            if parent is not None and parent.tag == "a" and _is_blank(parent):
                _drop(parent)
    _substitute_text(root, _SUPPLIED_BY, "")
    return _serialize(root)


def _is_noise(el: HtmlElement) -> bool:
    if el.tag in _DROP_WITH_CONTENT:
        return True
    names = (el.get("class") or "").split() + [el.get("id") or ""]
    if any(name and _CHROME_NAME.search(name) for name in names):
        return True
    if _HIDDEN_STYLE.search(el.get("style") or ""):
        return True
    text = "".join(el.text_content().split())
    return text in _CHROME_TEXT and not list(el.iter("img"))


def _drop(node: etree._Element) -> None:
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


def _basename(url: str) -> str:
    return urlsplit(url.strip()).path.rsplit("/", 1)[-1].lower()


def _is_blank(el: HtmlElement) -> bool:
    return not el.text_content().strip() and not list(el.iter("img"))


def _substitute_text(root: HtmlElement, pattern: re.Pattern[str], replacement: str) -> None:
    if root.text:
        root.text = pattern.sub(replacement, root.text)
    for el in root.iterdescendants():
        if isinstance(el.tag, str) and el.text:
            el.text = pattern.sub(replacement, el.text)
        if el.tail:
            el.tail = pattern.sub(replacement, el.tail)




def absolutize_urls(html: str, base_url: str) -> str:
    """Make link and image URLs absolute against the article URL.

    A link that does not lead to an http(s) page (`javascript:`, `mailto:`, `#top`) is
    unwrapped, keeping its text; an image without an http(s) source is dropped.
    """
    root = _parse(html)
    for link in list(root.iter("a")):
        href = link.get("href", "").strip()
        url = _web_url(base_url, href) if href and not href.startswith("#") else None
        if url is None:
            link.drop_tag()
        else:
            link.set("href", url)
    for img in list(root.iter("img")):
        # Lazy-loading pages keep the real source in data-src and a placeholder in src.
        src = img.get("data-src") or img.get("src") or ""
        url = _web_url(base_url, src.strip())
        if url is None:
            _drop(img)
        else:
            img.set("src", url)
    return _serialize(root)


def _web_url(base_url: str, reference: str) -> str | None:
    try:
        url = urljoin(base_url, reference)
        scheme = urlsplit(url).scheme.lower()
    except ValueError:  # e.g. a malformed IPv6 host
        return None
    return url if scheme in WEB_SCHEMES and reference else None


# Blocks the output keeps as they are; everything else at the top level is unwrapped or wrapped.
_BLOCKS = frozenset({"p", "h2", "h3", "h4", "ul", "ol", "table", "blockquote", "figure"})
_CONTAINERS = _names(
    "div section article main header footer center body html dl dt dd address pre details "
    "summary fieldset hgroup li tr td th thead tbody tfoot figcaption h1 h5 h6"
)
_HEADING_RENAMES = {"h1": "h2", "h5": "h4", "h6": "h4"}


def blockify(html: str) -> str:
    """Turn the body into a flat list of top-level blocks (p, h2-h4, lists, tables, quotes, figures).

    Containers such as `<div>` are unwrapped; loose text and inline elements become paragraphs,
    split where the source has two line breaks in a row; `h1` becomes `h2` and `h5`/`h6` `h4`.
    """
    root = _parse(html)
    for el in _elements(root):
        el.tag = _HEADING_RENAMES.get(el.tag, el.tag)
    blocks = _flatten(root)
    flat = fragment_fromstring("<div></div>")
    flat.extend(blocks)
    return _serialize(flat)


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
        self._current = fragment_fromstring("<p></p>")

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
        paragraph, self._current = self._current, fragment_fromstring("<p></p>")
        while len(paragraph) and paragraph[-1].tag == "br" and not (paragraph[-1].tail or "").strip():
            paragraph.remove(paragraph[-1])
        while len(paragraph) and paragraph[0].tag == "br" and not (paragraph.text or "").strip():
            paragraph.text = (paragraph.text or "") + (paragraph[0].tail or "")
            paragraph.remove(paragraph[0])
        if (paragraph.text or "").strip() or len(paragraph):
            self._done.append(paragraph)


# A trailing photo credit does not make two captions different: "전경 (사진=문체부)" == "전경".
_CREDIT = re.compile(r"\(\s*(?:사진|자료|그래픽|이미지|영상)[^()]*\)\s*$")


def collapse_captions(html: str, images: Sequence[Image]) -> str:
    """Turn each image-only block into `<figure><img><figcaption>` with the caption shown once.

    korea.kr shows a caption both as the image's alt text and as a paragraph after the image,
    sometimes twice: the paragraphs that repeat the caption are dropped and the caption is kept
    as the figcaption (only when the source showed it). A link around the image is dropped.
    """
    root = _parse(html)
    captions = {image.url: clean_text(image.caption) for image in images}
    blocks = list(root)
    index = 0
    while index < len(blocks):
        block = blocks[index]
        index += 1
        img = _sole_image(block)
        if img is None:
            continue
        alt = clean_text(img.get("alt", ""))
        known = [c for c in (alt, captions.get(img.get("src", ""), "")) if c]
        shown = [text] if (text := block_text(block)) else []
        if shown and block.tag != "figure" and not any(_same_caption(shown[0], c) for c in known):
            continue  # an image inside a text paragraph: leave it where it is
        while index < len(blocks) and _repeats_caption(blocks[index], known + shown):
            shown.append(block_text(blocks[index]))
            root.remove(blocks[index])
            del blocks[index]
        caption = max(shown, key=len) if shown else ""
        figure = _figure(img.get("src", ""), known[0] if known else caption, caption)
        figure.tail = block.tail
        root.replace(block, figure)
    return _serialize(root)


def _sole_image(block: HtmlElement) -> HtmlElement | None:
    images = list(block.iter("img"))
    if len(images) != 1 or block.tag not in ("p", "figure"):
        return None
    return images[0]


def _repeats_caption(block: HtmlElement, captions: Iterable[str]) -> bool:
    if block.tag != "p" or list(block.iter("img")):
        return False
    text = block_text(block)
    return bool(text) and any(_same_caption(text, caption) for caption in captions)


def _same_caption(a: str, b: str) -> bool:
    return _caption_key(a) == _caption_key(b) != ""


def _caption_key(text: str) -> str:
    return _CREDIT.sub("", clean_text(text)).rstrip(" .")


def _figure(src: str, alt: str, caption: str) -> HtmlElement:
    figure = fragment_fromstring("<figure></figure>")
    img = etree.SubElement(figure, "img", src=src, alt=alt)
    img.tail = None
    if caption:
        etree.SubElement(figure, "figcaption").text = caption
    return figure




def add_tistory_sizes(html: str) -> str:
    """Mark paragraphs and headings with the Tistory editor's `data-ke-size`."""
    root = _parse(html)
    for el in _elements(root):
        if el.tag in TISTORY_SIZES:
            el.set("data-ke-size", TISTORY_SIZES[el.tag])
    return _serialize(root)


_WHITESPACE = re.compile(r"\s+")
_TEXT_BLOCKS = frozenset({"p", "h2", "h3", "h4", "li", "td", "th", "figcaption", "blockquote"})
# Their children are rows, cells or items, so each goes on its own line as in the seed.
_ROW_CONTAINERS = {"table": ("thead", "tbody"), "thead": ("tr",), "tbody": ("tr",), "tr": ("th", "td")}
_LIST_CONTAINERS = {"ul": ("li",), "ol": ("li",)}
_INDENT = "    "


def tidy_layout(html: str) -> str:
    """Collapse whitespace and lay tables and lists out one row or item per line, as the seed does.

    Table rows get an explicit `<tbody>`, which the sanitizer's HTML parser would add anyway.
    """
    root = _parse(html)
    _collapse_whitespace(root)
    for block in root:
        if block.tag == "table":
            _add_tbody(block)
        _indent(block, 0)
    return _serialize(root)


def _collapse_whitespace(root: HtmlElement) -> None:
    root.text = None
    for el in root.iterdescendants():
        if el.text:
            el.text = _WHITESPACE.sub(" ", el.text)
        if el.tail:
            el.tail = _WHITESPACE.sub(" ", el.tail)
    for block in root:
        block.tail = None
    for el in _elements(root):
        if el.tag in _TEXT_BLOCKS:
            _strip_line_edges(el)


# Markers in a text block's flow: a line ends (block edge, <br>, nested block) or content that
# is not text (an image) stands between two pieces of text.
_LINE_BREAK = "break"
_NON_TEXT = "non-text"
_Slot = tuple[HtmlElement, str] | str
_LINE_ENDING = _TEXT_BLOCKS | _names("table thead tbody tr ul ol figure")


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
        stripped = strip(getattr(node, attr) or "")
        setattr(node, attr, stripped or None)
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
    el.text = "\n" + _INDENT * (level + 1)
    for child in children:
        child.tail = "\n" + _INDENT * (level + 1)
        _indent(child, level + 1)
    children[-1].tail = "\n" + _INDENT * level


def split_blocks(html: str) -> list[str]:
    """The top-level blocks of a cleaned body, each serialized on its own."""
    root = _parse(html)
    blocks = []
    for block in root:
        block.tail = None
        blocks.append(etree.tostring(block, encoding="unicode", method="html"))
    return blocks


_TAG = re.compile(r"<[^>]*>")


def drop_empty_blocks(blocks: Iterable[str]) -> list[str]:
    """Leave out blocks with no text and no image (`<p></p>`, `<p>&nbsp;</p>`, `<p><br></p>`)."""
    return [
        block for block in blocks if "<img" in block or _TAG.sub("", block).replace("&nbsp;", " ").strip()
    ]


_LIQUID_OPENING = re.compile(r"\{(?=[{%])")


def escape_liquid(block: str) -> str:
    """Jekyll runs Liquid over posts: `{{` and `{%` in article text would be code, so escape `{`."""
    return _LIQUID_OPENING.sub("&#123;", block)


# ---------------------------------------------------------------------------------------------
# The blocks around the body, and the front matter


def hero_block(profile: Profile) -> str:
    """The profile's hero image, written in the seed's own style (`<img … />`).

    Body images are written the way the sanitizer serializes them, as HTML5 void elements
    (`<img src="…" alt="…">`); only this line keeps the seed's byte-exact `/>`.
    """
    src = htmlcodec.escape(profile.hero_image_src)
    alt = htmlcodec.escape(profile.hero_image_alt)
    return f'<p><img src="{src}" alt="{alt}" /></p>'


def closing_blocks(article: Article, profile: Profile) -> list[str]:
    """Contact line (when the source has one), attribution, source link, footer (when set)."""
    blocks = []
    contact = clean_text(article.contact or "")
    if contact:
        blocks.append(escape_liquid(_paragraph(f"{profile.contact_label}: {_text(contact)}")))
    blocks.append(_paragraph(_text(profile.attribution)))
    blocks.append(_paragraph(f"{profile.source_label}: {_source_link(article.url, profile)}"))
    if profile.footer_html:
        blocks.append(profile.footer_html)
    return blocks


def _text(text: str) -> str:
    return htmlcodec.escape(text, quote=False)


def _paragraph(inner_html: str) -> str:
    return f'<p data-ke-size="{TISTORY_SIZES["p"]}">{inner_html}</p>'


def _source_link(url: str, profile: Profile) -> str:
    text = _text(profile.source_link_text)
    web_url = _web_url("", url.strip())
    if web_url is None:
        return text
    rel = f' rel="{htmlcodec.escape(profile.link_rel)}"' if profile.link_rel else ""
    return escape_liquid(f'<a href="{htmlcodec.escape(web_url)}"{rel}>{text}</a>')


def publication_time(published_at: datetime) -> datetime:
    """The publication time in Asia/Seoul; a naive time is taken to be Seoul time already."""
    if published_at.tzinfo is None:
        return published_at.replace(tzinfo=KST)
    return published_at.astimezone(KST)


def lead_image(article: Article, profile: Profile) -> str:
    """The front matter `image`: the profile's, or the article's first image under `lead`."""
    if profile.image_policy == "lead":
        for image in article.images[:1]:
            if _web_url("", image.url.strip()):
                return image.url.strip()
    return profile.default_image


def source_name(url: str, fallback: str) -> str:
    """`https://www.korea.kr/…` -> `korea.kr`."""
    host = urlsplit(url).hostname or ""
    return host.removeprefix("www.") or fallback


def _front_matter(
    article: Article, profile: Profile, *, title: str, excerpt: str, published: datetime
) -> dict[str, object]:
    wanted = set(profile.extra_keys)

    def extra(key: str, value: str | None) -> str | None:
        return value if key in wanted else None

    return build_front_matter(
        title=title,
        categories=[profile.category_for(article.section)],
        excerpt=excerpt,
        heading=profile.heading,
        image=lead_image(article, profile),
        date=published if "date" in wanted else None,
        source_url=extra("source_url", article.url),
        source=extra("source", source_name(article.url, article.source)),
        ministry=extra("ministry", article.ministry),
        tags=article.tags if "tags" in wanted else (),
        license=extra("license", article.license),
    )
