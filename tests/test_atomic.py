"""Files replaced whole or not at all, with the mode a user expects."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crawler.atomic import write_atomic
from crawler.posts.export import ExportItem, export_posts
from crawler.posts.normalize import normalize
from crawler.posts.profile import Profile
from tests.factories import make_article


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_file_takes_the_umask_like_open(tmp_path: Path, umask_022: None) -> None:
    target = tmp_path / "deep" / "new.md"
    write_atomic(target, "글".encode())
    assert target.read_text(encoding="utf-8") == "글"
    assert mode(target) == 0o644
    assert [p.name for p in target.parent.iterdir()] == ["new.md"]  # no temporary file left


def test_an_existing_file_keeps_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "sources.toml"
    target.write_text("old")
    target.chmod(0o640)
    write_atomic(target, b"new")
    assert target.read_bytes() == b"new" and mode(target) == 0o640


def test_a_failed_write_keeps_the_old_file_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "post.md"
    target.write_bytes(b"old")

    def broken(*_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", broken)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["post.md"]


def test_exported_posts_are_readable_by_the_web_server(tmp_path: Path, umask_022: None) -> None:
    """Exported posts were once written 0600 (mkstemp's mode): a Jekyll or web server running
    as another user could not read them."""
    article = make_article(1)
    item = ExportItem(article.source, article.external_id, normalize(article, Profile()), 1, None)
    export_posts([item], tmp_path, now=datetime.now(UTC))
    (post,) = (tmp_path / "_posts").iterdir()
    assert mode(post) == 0o644
