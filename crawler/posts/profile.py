"""Site profile: every blog-specific choice of the post format, loaded from a TOML file."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path, PurePosixPath
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from crawler.posts.frontmatter import EXTRA_KEYS

IMAGE_POLICIES: tuple[str, ...] = ("default", "lead")
# Keys older profiles had, and why they went (the message tells the user what to delete).
_RETIRED = {
    "attribution": "the licence line now follows each article's KOGL type and section "
    "(crawler/posts/licence.py); delete the line",
}

# Tables a profile file may hold besides the post keys: read by the service, not by the normalizer
# (scheduler/publish.py reads [publish]; scheduler/notify.py reads [notify]).
SERVICE_TABLES: tuple[str, ...] = ("publish", "notify")


@dataclass(frozen=True)
class Profile:
    """What one blog wants. The defaults are neutral: no blog's name, links or images
    (post-format.md §4); profiles/seed.toml reproduces the seed post."""

    heading: str = ""  # the first line of `feature_text`; "" for none
    default_image: str = ""  # the `image` front matter key; "" leaves the key out
    # "default": always `default_image`; "lead": the article's first image when it has one.
    image_policy: str = "default"
    hero_image_src: str = ""  # the first body block; "" for none
    hero_image_alt: str = ""
    # article section -> category; left out of the hash so that a profile stays hashable
    categories: Mapping[str, str] = field(default_factory=dict, hash=False)
    default_category: str = "News"
    excerpt_limit: int = 300
    extra_keys: tuple[str, ...] = EXTRA_KEYS  # which optional front matter keys to write
    link_rel: str = "nofollow noopener"  # on every body link and the source link; "" for none
    contact_label: str = "추가 문의"
    source_label: str = "출처"
    source_link_text: str = "대한민국 정책브리핑(www.korea.kr)"
    footer_html: str = ""  # HTML, written verbatim as the last line; "" for none
    # The blog's time zone (its Jekyll `timezone:`): file name dates and timed `date:` values are
    # in it, so Jekyll files each post under the day its name says.
    timezone: str = "Asia/Seoul"
    # Download the images the licence lets us use into the blog (crawler/posts/images.py) and
    # link the copies; `assets_dir` is relative to the site folder.
    local_images: bool = False
    assets_dir: str = "assets/img/briefing"

    def __post_init__(self) -> None:
        problem = _invalid_value(self)
        if problem:
            raise ValueError(problem)

    def category_for(self, section: str) -> str:
        return self.categories.get(section, self.default_category)


class ProfileError(ValueError):
    """A profile file that cannot be used; the message names the file and the key."""


def load_profile(path: Path | None) -> Profile:
    """The profile in a TOML file whose keys are `Profile`'s field names; None gives the defaults."""
    if path is None:
        return Profile()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ProfileError(f"{path}: cannot read profile: {exc}") from exc
    return profile_from_dict(data, origin=str(path))


def profile_from_dict(data: Mapping[str, Any], *, origin: str = "<profile>") -> Profile:
    """A profile from already-parsed data, checking every key and type."""
    known = {f.name: f for f in fields(Profile)}
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key in SERVICE_TABLES and isinstance(value, dict):
            continue
        if key in _RETIRED:
            raise ProfileError(f"{origin}: {key!r} is no longer a profile key: {_RETIRED[key]}")
        if key not in known:
            raise ProfileError(f"{origin}: unknown key {key!r}; known keys: {', '.join(sorted(known))}")
        values[key] = _checked(key, value, origin)
    try:
        return Profile(**values)
    except ValueError as exc:
        raise ProfileError(f"{origin}: {exc}") from exc


def _checked(key: str, value: Any, origin: str) -> Any:
    """The TOML value converted to the field's type, or a ProfileError naming what was expected."""
    if key == "categories":
        if isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
            return dict(value)
        raise ProfileError(f'{origin}: {key!r} must be a table of section = "Category" strings')
    if key == "extra_keys":
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(value)
        raise ProfileError(f"{origin}: {key!r} must be a list of strings")
    if key == "local_images":
        if isinstance(value, bool):
            return value
        raise ProfileError(f"{origin}: {key!r} must be true or false, not {type(value).__name__}")
    if key == "excerpt_limit":
        # bool is an int subclass; `excerpt_limit = true` is a mistake, not 1.
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise ProfileError(f"{origin}: {key!r} must be an integer, not {type(value).__name__}")
    if isinstance(value, str):
        return value
    raise ProfileError(f"{origin}: {key!r} must be a string, not {type(value).__name__}")


def _invalid_value(profile: Profile) -> str | None:
    if profile.image_policy not in IMAGE_POLICIES:
        return f"image_policy must be one of {', '.join(IMAGE_POLICIES)}, not {profile.image_policy!r}"
    unknown = [key for key in profile.extra_keys if key not in EXTRA_KEYS]
    if unknown:
        return f"extra_keys has unknown key(s) {', '.join(unknown)}; known: {', '.join(EXTRA_KEYS)}"
    if profile.excerpt_limit < 1:
        return f"excerpt_limit must be at least 1, not {profile.excerpt_limit}"
    try:
        ZoneInfo(profile.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return f"timezone {profile.timezone!r} is not a time zone name (e.g. Asia/Seoul, Europe/London)"
    parts = PurePosixPath(profile.assets_dir).parts
    if not parts or profile.assets_dir.startswith("/") or ".." in parts or parts[0].startswith(("_", ".")):
        return f"assets_dir must be a folder inside the site (assets/img/news), not {profile.assets_dir!r}"
    return None


def zone_of(profile: Profile) -> ZoneInfo:
    return ZoneInfo(profile.timezone)
