"""Writing posts into a Jekyll site's `_posts`: licence and embargo checks, name clashes, atomic writes."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import yaml

from crawler.posts.post import Post
from crawler.posts.slug import FALLBACK, slugify, truncate
from domain.article import KST

# KOGL type 1 ("출처표시") is the only licence that allows republishing with attribution alone.
EXPORTABLE_LICENSE = 1
# Most file systems limit a file name to 255 bytes.
_MAX_NAME_BYTES = 255


@dataclass(frozen=True, slots=True)
class ExportItem:
    source: str
    external_id: str
    post: Post
    license_type: int | None
    embargo_until: datetime | None


@dataclass(frozen=True, slots=True)
class ExportResult:
    written: int
    unchanged: int
    skipped: int
    paths: list[Path] = field(default_factory=list)  # every post file written or already current
    removed: int = 0  # older files of the same articles (a changed title or date renames the post)


class ExportError(RuntimeError):
    """A post cannot be written without overwriting a file that belongs to another article."""


def export_posts(
    items: Iterable[ExportItem], out_dir: Path, *, all_licenses: bool = False, now: datetime
) -> ExportResult:
    """Write each exportable post to `out_dir/_posts/<filename>`, rewriting only what changed.

    Skipped: licences other than KOGL type 1 (unless `all_licenses`) and embargoes later than `now`.
    Two articles wanting the same file name: see `assign_filenames`. Each write is atomic.
    """
    posts_dir = out_dir / "_posts"
    exportable: dict[tuple[str, str], ExportItem] = {}
    skipped = 0
    for item in items:
        if is_exportable(item, all_licenses=all_licenses, now=now):
            # The same article twice: the later item is the newer rendering.
            exportable[(item.source, item.external_id)] = item
        else:
            skipped += 1
    for item in exportable.values():
        _source_url(item)  # fail before writing anything
    owners = _existing_owners(posts_dir)
    names = assign_filenames(exportable.values(), owners.get)
    files_of: dict[str, list[str]] = {}
    for name, url in owners.items():
        files_of.setdefault(url, []).append(name)
    written = unchanged = removed = 0
    paths: list[Path] = []
    for item in exportable.values():
        name = names[(item.source, item.external_id)]
        path = _inside(posts_dir, name)
        if _write_if_changed(path, item.post.text):
            written += 1
        else:
            unchanged += 1
        paths.append(path)
        for old in files_of.get(_source_url(item), []):
            if old != name and old not in names.values():
                _inside(posts_dir, old).unlink(missing_ok=True)
                removed += 1
    return ExportResult(written=written, unchanged=unchanged, skipped=skipped, paths=paths, removed=removed)


def is_exportable(item: ExportItem, *, all_licenses: bool, now: datetime) -> bool:
    if not all_licenses and item.license_type != EXPORTABLE_LICENSE:
        return False
    return item.embargo_until is None or _aware(item.embargo_until) <= _aware(now)


def _aware(moment: datetime) -> datetime:
    # Stored times are Seoul times; a naive one would otherwise not compare at all.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=KST)


def assign_filenames(
    items: Iterable[ExportItem], owner_of: Callable[[str], str | None]
) -> dict[tuple[str, str], str]:
    """The file name of each item, keyed by (source, external_id); never one name for two articles.

    `owner_of(name)` tells who owns an existing file: None when there is no such file, else the
    `source_url` in its front matter ("" when it has none). The rule does not depend on the
    order of `items` within a batch: of the articles wanting the same `post.filename`, the
    owner of the existing file keeps it; when there is no file yet, the article with the
    smallest (source, external_id) takes it; every other one gets `-<source>-<external_id>`
    appended to its slug. A file owned by none of them is never touched.
    """
    by_name: dict[str, list[ExportItem]] = {}
    for item in items:
        by_name.setdefault(item.post.filename, []).append(item)
    names: dict[tuple[str, str], str] = {}
    for name, claimants in sorted(by_name.items()):
        claimants.sort(key=lambda item: (item.source, item.external_id))
        owner = owner_of(name)
        for item in claimants:
            keeps = _source_url(item) == owner if owner is not None else item is claimants[0]
            names[(item.source, item.external_id)] = name if keeps else _suffixed_name(item, owner_of)
    if len(set(names.values())) != len(names):
        raise ExportError("two articles' ids differ only in case or punctuation; their files would collide")
    return names


def _source_url(item: ExportItem) -> str:
    url = item.post.front_matter.get("source_url")
    if not isinstance(url, str) or not url:
        raise ExportError(
            f"{item.source}/{item.external_id}: the post has no source_url, which export needs to tell "
            "which article owns a file; keep 'source_url' in the profile's extra_keys"
        )
    return url


def _suffixed_name(item: ExportItem, owner_of: Callable[[str], str | None]) -> str:
    suffix = f"-{slugify(item.source)}-{slugify(item.external_id)}"
    prefix = f"{item.post.date.isoformat()}-"
    budget = _MAX_NAME_BYTES - len(f"{prefix}{suffix}.md".encode())
    slug = truncate(item.post.slug, max_chars=len(item.post.slug), max_bytes=budget) or FALLBACK
    name = f"{prefix}{slug}{suffix}.md"
    if owner_of(name) not in (None, _source_url(item)):
        # Only a title whose slug ends in another article's suffix could get here.
        raise ExportError(f"{name} already holds another article's post; move it away and export again")
    return name


def _existing_owners(posts_dir: Path) -> dict[str, str]:
    """File name -> the `source_url` in its front matter, for every post already in `posts_dir`."""
    if not posts_dir.is_dir():
        return {}
    owners = {}
    for path in sorted(posts_dir.glob("*.md")):
        if path.is_file() and not path.name.startswith("."):
            owners[path.name] = _file_owner(path) or ""
    return owners


def _file_owner(path: Path) -> str | None:
    """None when `path` does not exist, else its front matter's `source_url` ("" when unreadable)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError):
        return ""
    lines = text.split("\n")
    if lines[0] != "---" or "---" not in lines[1:]:
        return ""
    try:
        data = yaml.safe_load("\n".join(lines[1 : lines.index("---", 1)]))
    except yaml.YAMLError:
        return ""
    url = data.get("source_url") if isinstance(data, dict) else None
    return url if isinstance(url, str) else ""


def _inside(posts_dir: Path, name: str) -> Path:
    """`posts_dir / name`, refusing any name that would leave the directory."""
    path = posts_dir / name
    if "/" in name or "\\" in name or name.startswith(".") or path.resolve().parent != posts_dir.resolve():
        raise ExportError(f"refusing to write {name!r}: not a plain file name inside {posts_dir}")
    return path


def _write_if_changed(path: Path, text: str) -> bool:
    """Atomically replace `path` with `text` unless it already holds exactly that; True if written."""
    data = text.encode("utf-8")
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    # A temporary file in the same directory, so os.replace is a rename on one file system.
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".md")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return True
