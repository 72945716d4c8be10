"""Which article owns which post file: the manifest in the output folder, and files adopted into it.

`OUT/.briefing-manifest.json` maps each post file name to its article id (source, external_id);
Jekyll skips dot files, and post-format.md lists the extra front matter keys, so the record lives
here and not in the posts.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import yaml

from crawler.posts.post import Post

MANIFEST_NAME = ".briefing-manifest.json"
_MANIFEST_VERSION = 1

ArticleKey = tuple[str, str]  # (source, external_id)


class ManifestError(RuntimeError):
    """The manifest cannot be read; the message says what to do."""


def read_manifest(out_dir: Path) -> dict[str, ArticleKey] | None:
    """File name -> owner, from the manifest; None when there is none yet."""
    path = out_dir / MANIFEST_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ManifestError(f"{path} cannot be read ({exc}); move it away and export again") from exc
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, dict) or not all(
        _is_plain_name(name) and _is_key(key) for name, key in files.items()
    ):
        raise ManifestError(f"{path} is not a briefing manifest; move it away and export again")
    return {str(name): (key[0], key[1]) for name, key in files.items()}


def _is_key(key: object) -> bool:
    return isinstance(key, list) and len(key) == 2 and all(isinstance(part, str) for part in key)


def _is_plain_name(name: str) -> bool:
    # The manifest names files inside _posts only; anything else was not written by export.
    return bool(name) and "/" not in name and "\\" not in name and not name.startswith(".")


def manifest_text(owners: Mapping[str, ArticleKey]) -> str:
    """The manifest file's text for `owners`, sorted so that equal owners give equal bytes."""
    files = {name: list(owners[name]) for name in sorted(owners)}
    return json.dumps({"version": _MANIFEST_VERSION, "files": files}, ensure_ascii=False, indent=1) + "\n"


def owners_of(
    posts_dir: Path, manifest: Mapping[str, ArticleKey] | None, posts: Mapping[ArticleKey, Post]
) -> dict[str, ArticleKey]:
    """Who owns each post file: the manifest's entries whose file still exists, plus adopted files.

    Adopted (files written without a manifest entry): a file holding exactly an item's post text
    (an export stopped before it wrote the manifest); and, in a folder that has no manifest yet
    (exported by an older briefing), a file whose `source_url` is that of exactly one item.
    """
    owners = {
        name: key for name, key in (manifest or {}).items() if (posts_dir / name).is_file()
    }
    unowned = [path for path in _post_files(posts_dir) if path.name not in owners]
    if not unowned:
        return owners
    by_text = {post.text.encode("utf-8"): key for key, post in posts.items()}
    by_url: dict[str, list[ArticleKey]] = {}
    for key, post in posts.items():
        url = post.front_matter.get("source_url")
        if isinstance(url, str) and url:
            by_url.setdefault(url, []).append(key)
    claimed = set(owners.values())
    for path in unowned:
        if path.is_symlink():
            continue  # never adopt a link: writing through it could reach anywhere
        data = _read_bytes(path)
        if data is None:
            continue
        owner = by_text.get(data)  # exactly its post: its own, whatever else it owns
        if owner is None and manifest is None:
            keys = by_url.get(_source_url_of(data) or "", [])
            owner = keys[0] if len(keys) == 1 and keys[0] not in claimed else None
        if owner is not None:
            owners[path.name] = owner
            claimed.add(owner)
    return owners


def foreign_files(posts_dir: Path, owners: Mapping[str, ArticleKey]) -> set[str]:
    """Names in `_posts` that no article owns (hand-written posts, links, anything else)."""
    if not posts_dir.is_dir():
        return set()
    return {path.name for path in posts_dir.iterdir() if path.name not in owners}


def _post_files(posts_dir: Path) -> list[Path]:
    if not posts_dir.is_dir():
        return []
    return sorted(path for path in posts_dir.glob("*.md") if not path.name.startswith("."))


def _read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _source_url_of(data: bytes) -> str | None:
    """The `source_url` in a post file's front matter, or None."""
    try:
        lines = data.decode("utf-8").split("\n")
    except UnicodeDecodeError:
        return None
    if lines[0] != "---" or "---" not in lines[1:]:
        return None
    try:
        values = yaml.safe_load("\n".join(lines[1 : lines.index("---", 1)]))
    except yaml.YAMLError:
        return None
    url = values.get("source_url") if isinstance(values, dict) else None
    return url if isinstance(url, str) else None
