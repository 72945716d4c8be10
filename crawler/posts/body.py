"""Body steps over the one tree: page chrome out, URLs absolute, images and captions, Tistory sizes.

Each step takes the wrapper `<div>` of the body and returns the tree to hand to the next one
(the same tree, changed, except where a step rebuilds it); none of them parses HTML. The order is
`clean_body`'s; the sanitizer runs after all of them, on the serialized blocks (see `blocks`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

from lxml import etree
from lxml.html import HtmlElement

from crawler.posts.layout import blockify, tidy_layout
from crawler.posts.sanitize import TISTORY_SIZES, clean_text, names, plain_text, web_url
from crawler.posts.text import block_text
from crawler.posts.tree import drop, elements, new_element
from domain.article import Image


def clean_body(
    root: HtmlElement, base_url: str, images: Sequence[Image], *, text_only: bool = False
) -> HtmlElement:
    """Every body step before sanitizing, in order; the excerpt and the blocks both start here.

    `text_only`: the licence covers the text alone, so no image is embedded or hotlinked.
    """
    root = drop_noise(root)
    root = absolutize_urls(root, base_url)
    root = blockify(root)
    root = collapse_captions(root, images)
    if text_only:
        root = drop_images(root)
    root = add_tistory_sizes(root)
    return tidy_layout(root)


# Removed with everything inside: never content, and their text must not reach the excerpt.
_DROP_WITH_CONTENT = names(
    "script style iframe frame frameset object embed applet svg math form noscript template "
    "textarea select button input label head title meta link base nav aside audio video "
    "canvas map dialog caption colgroup hr"
)
# korea.kr page chrome and screen-reader-only text, by class or id (spec/korea-kr.md §5.1).
_CHROME_NAME = re.compile(
    r"share|sns|livere|lv-container|view_opt|article_footer|btn_list|list_btn|btn_print|"
    r"font_?size|^tool$|^blind$|^hidden$|^hide$|sr-only|screen_out|filedown|file_down",
    re.IGNORECASE,
)
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_CHROME_TEXT = names("목록 목록보기 목록으로 공유 공유하기 인쇄 인쇄하기 스크랩 URL복사 맨위로 TOP")
_CHROME_TEXT_MAX = max(len(word) for word in _CHROME_TEXT)
_RSS_ICONS = frozenset({"btn_textview.gif", "icon_logo.gif"})
_SUPPLIED_BY = re.compile(r"\[\s*자료\s*제공\s*:?[^\[\]]{0,100}\]")


def drop_noise(root: HtmlElement) -> HtmlElement:
    """Remove comments, scripts and other non-content, and the source's own page chrome.

    Chrome: share/print/list widgets and hidden text by class, id or inline style; lone
    "목록"/"공유하기" links; the RSS icons `btn_textview.gif` / `icon_logo.gif` with their
    links; `[자료제공 : …]` lines.
    """
    for node in list(root.iter(etree.Comment, etree.ProcessingInstruction)):
        drop(node)
    for el in elements(root):
        if el.getparent() is not None and _is_noise(el):
            drop(el)
    for el in list(root.iter("img")):
        if _basename(el.get("src", "")) in _RSS_ICONS:
            parent = el.getparent()
            drop(el)
            if parent is not None and parent.tag == "a" and _is_blank(parent):
                drop(parent)
    _substitute_text(root, _SUPPLIED_BY, "")
    return root


def _is_noise(el: HtmlElement) -> bool:
    if el.tag in _DROP_WITH_CONTENT:
        return True
    classes = (el.get("class") or "").split() + [el.get("id") or ""]
    if any(name and _CHROME_NAME.search(name) for name in classes):
        return True
    if _HIDDEN_STYLE.search(el.get("style") or ""):
        return True
    text = _short_text(el, _CHROME_TEXT_MAX)
    return text is not None and text in _CHROME_TEXT and not list(el.iter("img"))


def _short_text(el: HtmlElement, limit: int) -> str | None:
    """The element's text without whitespace, or None once it is longer than `limit`.

    Most elements hold more text than any chrome label: reading all of it to compare was most of
    `drop_noise`. The pieces are the text nodes `text_content()` joins (comments are gone by now).
    """
    # The element's own text comes first: when its first few words alone are too long, neither the
    # iterator nor the squeezing of all its text is needed (most paragraphs: 1.6 -> 0.6 us).
    if (text := el.text) and len(text) > limit and len("".join(text[: 4 * limit].split())) > limit:
        return None
    pieces = []
    length = 0
    for piece in el.itertext():
        squeezed = "".join(piece.split())
        length += len(squeezed)
        if length > limit:
            return None
        pieces.append(squeezed)
    return "".join(pieces)


def _basename(url: str) -> str:
    return urlsplit(url.strip()).path.rsplit("/", 1)[-1].lower()


def _is_blank(el: HtmlElement) -> bool:
    return not el.text_content().strip() and not list(el.iter("img"))


def _substitute_text(root: HtmlElement, pattern: re.Pattern[str], replacement: str) -> None:
    # Only a text the pattern matches is written back: setting a text rebuilds lxml's text node.
    if root.text and pattern.search(root.text):
        root.text = pattern.sub(replacement, root.text)
    for el in root.iterdescendants():
        if isinstance(el.tag, str) and el.text and pattern.search(el.text):
            el.text = pattern.sub(replacement, el.text)
        if el.tail and pattern.search(el.tail):
            el.tail = pattern.sub(replacement, el.tail)


def absolutize_urls(root: HtmlElement, base_url: str) -> HtmlElement:
    """Make link and image URLs absolute against the article URL.

    A link that does not lead to an http(s) page (`javascript:`, `mailto:`, `#top`) is
    unwrapped, keeping its text; an image without an http(s) source is dropped.
    """
    for link in list(root.iter("a")):
        href = link.get("href", "").strip()
        url = web_url(base_url, href) if href and not href.startswith("#") else None
        if url is None:
            link.drop_tag()
        else:
            link.set("href", url)
    for img in list(root.iter("img")):
        # Lazy-loading pages keep the real source in data-src and a placeholder in src.
        src = img.get("data-src") or img.get("src") or ""
        url = web_url(base_url, src.strip())
        if url is None:
            drop(img)
        else:
            img.set("src", url)
    return root


# A trailing photo credit does not make two captions different: "전경 (사진=문체부)" == "전경".
_CREDIT = re.compile(r"\(\s*(?:사진|자료|그래픽|이미지|영상)[^()]*\)\s*$")


def collapse_captions(root: HtmlElement, images: Sequence[Image]) -> HtmlElement:
    """Turn each image-only block into `<figure><img><figcaption>` with the caption shown once.

    korea.kr shows a caption both as the image's alt text and as a paragraph after the image,
    sometimes twice: the paragraphs that repeat the caption are dropped and the caption is kept
    as the figcaption (only when the source showed it). A link around the image is dropped.
    """
    # Captions are text: markup in them (even escaped) is dropped, never carried into `alt`.
    captions = {image.url: plain_text(image.caption) for image in images}
    blocks = list(root)
    index = 0
    while index < len(blocks):
        block = blocks[index]
        index += 1
        img = _sole_image(block)
        if img is None:
            continue
        alt = plain_text(img.get("alt", ""))
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
    return root


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
    figure = new_element("figure")
    img = etree.SubElement(figure, "img", src=src, alt=alt)
    img.tail = None
    if caption:
        etree.SubElement(figure, "figcaption").text = caption
    return figure


def drop_images(root: HtmlElement) -> HtmlElement:
    """Remove every image, and each figure with its caption (a caption without its photo says nothing).

    For licences that cover the text only: the photos are someone else's (spec/korea-kr.md §5.7).
    """
    for figure in [block for block in root if block.tag == "figure"]:
        drop(figure)
    for img in list(root.iter("img")):
        drop(img)
    return root


def add_tistory_sizes(root: HtmlElement) -> HtmlElement:
    """Mark paragraphs and headings with the Tistory editor's `data-ke-size`."""
    for el in elements(root):
        if el.tag in TISTORY_SIZES:
            el.set("data-ke-size", TISTORY_SIZES[el.tag])
    return root
