"""Local images: the pictures a post shows, downloaded into the blog and linked there.

A profile option (`local_images = true`). Only for articles whose licence covers images: a KOGL
type and no text-only flag (a text-only post has no image to fetch, and none is linked). Each
image is fetched under the crawler's outbound-request policy (crawler/outbound.py: http(s) only,
no private or local addresses unless configured, every redirect checked), limited in size and
type (the bytes must be the image type they claim), stored once under the SHA-256 of its content
(`<assets_dir>/<sha256[:20]>.<ext>`), and the post's `<img src>` and `image:` point at the copy.
An image that cannot be fetched stays linked where it was; the next export tries again.
"""

from __future__ import annotations

import hashlib
import html as htmlcodec
import json
import logging
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urljoin

import httpx

from crawler.outbound import Policy
from crawler.posts.frontmatter import render_front_matter
from crawler.posts.licence import KOGL_CONDITIONS
from crawler.posts.post import Post
from crawler.posts.profile import Profile
from domain.article import Article

log = logging.getLogger(__name__)

MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_REDIRECTS = 3
TIMEOUT_SECONDS = 20.0
# Content type -> (file extension, the bytes such a file starts with)
TYPES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    "image/jpeg": ("jpg", (b"\xff\xd8\xff",)),
    "image/png": ("png", (b"\x89PNG\r\n\x1a\n",)),
    "image/gif": ("gif", (b"GIF87a", b"GIF89a")),
    "image/webp": ("webp", (b"RIFF",)),
}
INDEX_NAME = ".briefing-images.json"
_IMG_SRC = re.compile(r'(<img\b[^>]*?\bsrc=")([^"]*)(")')

Resolver = Callable[[str], list[str]]


class ImageRefused(RuntimeError):
    """This image is not fetched or not kept; the message says why."""


def licence_allows_images(article: Article) -> bool:
    return article.license_type in KOGL_CONDITIONS and not article.license_text_only


def _resolve(host: str) -> list[str]:
    return sorted({str(info[4][0]) for info in socket.getaddrinfo(host, None)})


@dataclass
class ImageStore:
    """Downloads into `site/<assets_dir>`; one instance per export, remembering what it fetched."""

    site: Path
    assets_dir: str
    policy: Policy = field(default_factory=Policy)
    max_bytes: int = MAX_IMAGE_BYTES
    resolve: Resolver = _resolve
    client: httpx.Client | None = None
    written: list[Path] = field(default_factory=list)
    _known: dict[str, str | None] = field(default_factory=dict)  # URL -> local path, None = refused
    _saved: dict[str, str] | None = None

    @property
    def folder(self) -> Path:
        return self.site / self.assets_dir

    @property
    def index_path(self) -> Path:
        # URL -> file, so that a later export does not download the same pictures again
        return self.folder / INDEX_NAME

    def _index(self) -> dict[str, str]:
        if self._saved is None:
            try:
                loaded = json.loads(self.index_path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                loaded = {}
            self._saved = {str(k): str(v) for k, v in loaded.items()} if isinstance(loaded, dict) else {}
        return self._saved

    def save_index(self) -> None:
        """Write the URL -> file index (when anything was added to it)."""
        index = self._index()
        added = {url: path.rsplit("/", 1)[1] for url, path in self._known.items() if path}
        if all(index.get(url) == name for url, name in added.items()):
            return
        index.update(added)
        self.folder.mkdir(parents=True, exist_ok=True)
        text = json.dumps(dict(sorted(index.items())), ensure_ascii=False, indent=1) + "\n"
        self.index_path.write_text(text, encoding="utf-8")

    def local_path(self, url: str) -> str | None:
        """The site path (`/assets/…`) of `url`'s copy, fetching it the first time; None if refused."""
        name = self._index().get(url)
        if url not in self._known and name and "/" not in name and (self.folder / name).is_file():
            self._known[url] = f"/{self.assets_dir.strip('/')}/{name}"
        if url not in self._known:
            try:
                self._known[url] = self._store(self._fetch(url))
            except ImageRefused as exc:
                log.warning("image not copied, left linked at its source: %s", exc)
                self._known[url] = None
        return self._known[url]

    def _check(self, url: str) -> None:
        verdict = self.policy.check_url(url)
        if verdict.refusal is not None:
            raise ImageRefused(f"{url}: {verdict.refusal.reason}")
        if verdict.lookup and verdict.origin is not None:
            try:
                addresses = self.resolve(verdict.origin.host)
            except OSError as exc:
                raise ImageRefused(f"{url}: {verdict.origin.host} does not resolve ({exc})") from exc
            for address in addresses:
                refusal = self.policy.refusal_for_answer(verdict.origin, address)
                if refusal is not None:
                    raise ImageRefused(f"{url}: {refusal.reason}")

    def _fetch(self, url: str) -> tuple[bytes, str]:
        client = self.client or httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False)
        try:
            for _ in range(MAX_REDIRECTS + 1):
                self._check(url)  # every hop, redirects included
                with client.stream("GET", url) as response:
                    if response.is_redirect and "location" in response.headers:
                        url = urljoin(url, response.headers["location"])
                        continue
                    if response.status_code != 200:
                        raise ImageRefused(f"{url}: HTTP {response.status_code}")
                    kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
                    if kind not in TYPES:
                        raise ImageRefused(f"{url}: type {kind or 'none'} is not an image type we keep")
                    declared = response.headers.get("content-length")
                    if declared and declared.isdigit() and int(declared) > self.max_bytes:
                        raise ImageRefused(f"{url}: {declared} bytes, over the limit of {self.max_bytes}")
                    data = bytearray()
                    for chunk in response.iter_bytes():
                        data += chunk
                        if len(data) > self.max_bytes:
                            raise ImageRefused(f"{url}: over the limit of {self.max_bytes} bytes")
                    return bytes(data), kind
            raise ImageRefused(f"{url}: more than {MAX_REDIRECTS} redirects")
        except httpx.HTTPError as exc:
            raise ImageRefused(f"{url}: {type(exc).__name__}") from exc
        finally:
            if self.client is None:
                client.close()

    def _store(self, fetched: tuple[bytes, str]) -> str:
        data, kind = fetched
        extension, magics = TYPES[kind]
        if not data.startswith(magics) or (kind == "image/webp" and data[8:12] != b"WEBP"):
            raise ImageRefused(f"the bytes are not {kind}")
        name = f"{hashlib.sha256(data).hexdigest()[:20]}.{extension}"
        path = self.folder / name
        if not path.exists():  # the same picture under two URLs is stored once
            self.folder.mkdir(parents=True, exist_ok=True)
            temp = path.with_name(f".tmp-{name}")
            temp.write_bytes(data)
            temp.replace(path)
            self.written.append(path)
        return f"/{self.assets_dir.strip('/')}/{name}"


def localize(post: Post, article: Article, profile: Profile, store: ImageStore) -> Post:
    """`post` with its images linked to local copies (when the profile and the licence allow)."""
    if not profile.local_images or not licence_allows_images(article):
        return post

    def swap(match: re.Match[str]) -> str:
        url = htmlcodec.unescape(match.group(2))
        local = store.local_path(url) if url.startswith(("http://", "https://")) else None
        return f"{match.group(1)}{htmlcodec.escape(local) if local else match.group(2)}{match.group(3)}"

    body = _IMG_SRC.sub(swap, post.body)
    values = dict(post.front_matter)
    image = values.get("image")
    if isinstance(image, str) and image.startswith(("http://", "https://")):
        values["image"] = store.local_path(image) or image
    if body == post.body and values == post.front_matter:
        return post
    head = post.text[: len(post.text) - len(post.body)]
    if values != post.front_matter:
        head = render_front_matter(values) + "\n"
    text = head + body
    return replace(post, front_matter=values, body=body, text=text,
                   hash=hashlib.sha256(text.encode("utf-8")).hexdigest())
