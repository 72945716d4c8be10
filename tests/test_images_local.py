"""Local images: downloaded under the outbound policy, limited, deduplicated, linked; never for text-only."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from crawler.outbound import Policy
from crawler.posts.images import ImageStore, localize
from crawler.posts.normalize import normalize
from crawler.posts.profile import Profile
from domain.article import KST, Article

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x01" * 64
# path -> (status, content type, body, extra headers)
ROUTES: dict[str, tuple[int, str, bytes, dict[str, str]]] = {
    "/a.png": (200, "image/png", PNG, {}),
    "/same-as-a.png": (200, "image/png", PNG, {}),
    "/b.jpg": (200, "image/jpeg", JPEG, {}),
    "/big.jpg": (200, "image/jpeg", JPEG + b"\x00" * 4096, {}),
    "/page.png": (200, "text/html", b"<html>not an image</html>", {}),
    "/liar.png": (200, "image/png", b"<html>not a png</html>", {}),
    "/redirect.png": (302, "text/plain", b"", {"Location": "http://127.0.0.2:9/x.png"}),
    "/hop.png": (302, "text/plain", b"", {"Location": "/a.png"}),
}
LOCAL = Profile(local_images=True, image_policy="lead")


@pytest.fixture
def server() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            status, kind, body, headers = ROUTES.get(self.path, (404, "text/plain", b"", {}))
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def article(base: str, *paths: str, text_only: bool = False, license_type: int | None = 1) -> Article:
    body = "".join(f'<p><img src="{base}{path}" alt="사진"></p>' for path in paths) + "<p>본문이다.</p>"
    return Article(
        source="korea_kr", external_id="1", url="https://www.korea.kr/news/policyNewsView.do?newsId=1",
        section="policy", title="사진 기사", published_at=datetime(2026, 5, 12, 10, tzinfo=KST),
        body_html=body, license_type=license_type, license_text_only=text_only,
    )


def store(tmp_path: Path, base: str, **kwargs: object) -> ImageStore:
    return ImageStore(tmp_path, "assets/img/briefing", policy=Policy.build(origins=[base]), **kwargs)  # type: ignore[arg-type]


def test_images_are_copied_deduplicated_and_linked(tmp_path: Path, server: str) -> None:
    source = article(server, "/a.png", "/same-as-a.png", "/b.jpg")
    images = store(tmp_path, server)
    post = localize(normalize(source, LOCAL), source, LOCAL, images)
    files = sorted(p.name for p in (tmp_path / "assets/img/briefing").iterdir())
    assert len(files) == 2  # a.png and same-as-a.png are one file
    assert {Path(f).suffix for f in files} == {".png", ".jpg"}
    assert server not in post.body
    for name in files:
        assert f'src="/assets/img/briefing/{name}"' in post.body
    assert post.text.endswith(post.body)
    assert post.hash != normalize(source, LOCAL).hash


def test_refused_images_stay_linked_at_their_source(tmp_path: Path, server: str) -> None:
    paths = ("/page.png", "/liar.png", "/redirect.png", "/missing.png")
    source = article(server, *paths)
    post = localize(normalize(source, LOCAL), source, LOCAL, store(tmp_path, server))
    assert not (tmp_path / "assets").exists()
    for path in paths:
        assert f'src="{server}{path}"' in post.body


def test_size_limit(tmp_path: Path, server: str) -> None:
    source = article(server, "/big.jpg")
    post = localize(normalize(source, LOCAL), source, LOCAL, store(tmp_path, server, max_bytes=1024))
    assert f'src="{server}/big.jpg"' in post.body


def test_redirects_are_followed_inside_the_policy(tmp_path: Path, server: str) -> None:
    source = article(server, "/hop.png")
    post = localize(normalize(source, LOCAL), source, LOCAL, store(tmp_path, server))
    assert "/assets/img/briefing/" in post.body


def test_outbound_policy_refuses_unconfigured_local_addresses(tmp_path: Path, server: str) -> None:
    source = article(server, "/a.png")
    post = localize(normalize(source, LOCAL), source, LOCAL, ImageStore(tmp_path, "assets/img/briefing"))
    assert f'src="{server}/a.png"' in post.body
    assert not (tmp_path / "assets").exists()


@pytest.mark.parametrize("text_only, license_type", [(True, 1), (False, None)])
def test_text_only_or_unlicensed_articles_never_download(
    tmp_path: Path, server: str, text_only: bool, license_type: int | None
) -> None:
    source = article(server, "/a.png", text_only=text_only, license_type=license_type)
    post = localize(normalize(source, LOCAL), source, LOCAL, store(tmp_path, server))
    assert not (tmp_path / "assets").exists()
    if text_only:
        assert "<img" not in post.body


def test_off_by_default(tmp_path: Path, server: str) -> None:
    source = article(server, "/a.png")
    plain = replace(LOCAL, local_images=False)
    post = normalize(source, plain)
    assert localize(post, source, plain, store(tmp_path, server)) is post


def test_a_second_store_reuses_the_copies_without_downloading(tmp_path: Path, server: str) -> None:
    source = article(server, "/a.png")
    first = store(tmp_path, server)
    before = localize(normalize(source, LOCAL), source, LOCAL, first)
    first.save_index()
    # the server is no longer reachable under the policy: only the index can give the copy
    second = ImageStore(tmp_path, "assets/img/briefing")
    assert localize(normalize(source, LOCAL), source, LOCAL, second).text == before.text
    assert second.written == []
