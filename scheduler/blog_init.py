"""`briefing init`: a blogger's answers turned into a site profile, a sources.toml and Jekyll advice.

Pure apart from `write_files`: the answers in, the files' text out, so the CLI (prompts or flags)
and the tests share one path.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from crawler.atomic import write_atomic
from crawler.posts.profile import Profile, ProfileError, profile_from_dict
from scheduler.sources import HEADER, make_source, render_source

MARKDOWN_ENGINES = ("kramdown", "CommonMark")
SECTIONS = ("policy", "press", "briefing", "fact")
SECTION_TITLES = {
    "policy": "정책뉴스", "press": "보도자료", "briefing": "브리핑룸", "fact": "사실은 이렇습니다",
}


class InitError(ValueError):
    """An answer that cannot be used; the message names it."""


@dataclass(frozen=True, slots=True)
class BlogAnswers:
    """What `briefing init` asks. Empty strings mean "none" (no heading, no image, no footer)."""

    name: str  # the blog's name, used in the file name of its profile and in comments
    heading: str = ""
    footer_html: str = ""
    hero_image_src: str = ""
    hero_image_alt: str = ""
    default_image: str = ""
    default_category: str = "News"
    categories: Mapping[str, str] = field(default_factory=dict)
    timezone: str = "Asia/Seoul"
    sections: tuple[str, ...] = ("policy",)
    repo: str = ""  # the blog's working copy (a folder); "" = no [publish] table
    remote_url: str = ""  # clone from / push to ("" = the working copy's own origin)
    branch: str = "main"
    site_dir: str = ""
    after_crawl: bool = False
    local_images: bool = False
    markdown: str = "kramdown"  # the blog's Jekyll `markdown:` engine


def profile_slug(name: str) -> str:
    """A file name for the blog's profile: letters, digits and `-` of its name, else `blog`."""
    kept = "".join(ch if ch.isalnum() else "-" for ch in name.strip().lower())
    return "-".join(part for part in kept.split("-") if part)[:60] or "blog"


def _toml(value: object) -> str:
    """A TOML value: JSON's string escapes are valid TOML basic strings."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)


def profile_values(answers: BlogAnswers) -> dict[str, object]:
    """The profile keys the answers set (checked by the profile loader itself)."""
    return {
        "heading": answers.heading,
        "default_image": answers.default_image,
        "image_policy": "default",
        "hero_image_src": answers.hero_image_src,
        "hero_image_alt": answers.hero_image_alt,
        "default_category": answers.default_category,
        "footer_html": answers.footer_html,
        "timezone": answers.timezone,
        "local_images": answers.local_images,
        "categories": dict(answers.categories),
    }


def check(answers: BlogAnswers) -> Profile:
    """The profile the answers make; InitError names the first answer that cannot be used."""
    if not answers.name.strip():
        raise InitError("the blog needs a name")
    try:
        ZoneInfo(answers.timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InitError(f"time zone {answers.timezone!r} is not a zone name such as Asia/Seoul") from exc
    if answers.markdown not in MARKDOWN_ENGINES:
        raise InitError(f"markdown must be one of {', '.join(MARKDOWN_ENGINES)}, not {answers.markdown!r}")
    unknown = [s for s in answers.sections if s not in SECTIONS]
    if unknown or not answers.sections:
        raise InitError(f"sections must be some of {', '.join(SECTIONS)}; got {', '.join(answers.sections)}")
    try:
        return profile_from_dict(profile_values(answers), origin="answers")
    except ProfileError as exc:
        raise InitError(str(exc).removeprefix("answers: ")) from exc


def profile_text(answers: BlogAnswers) -> str:
    """The profile TOML: the answers, commented; keys not written keep the neutral defaults."""
    check(answers)
    values = profile_values(answers)
    categories = values.pop("categories")
    lines = [
        f"# Site profile of {answers.name}, written by `briefing init`.",
        "# Every key is optional; see profiles/default.toml for all of them and what they mean.",
        "",
    ]
    lines += [f"{key} = {_toml(value)}" for key, value in values.items()]
    lines += ["", "# Section (policy, press, briefing, fact) = \"Category\".", "[categories]"]
    lines += [f"{_toml(section)} = {_toml(name)}" for section, name in dict(categories).items()]  # type: ignore[call-overload]
    if answers.repo:
        publish = {"repo": answers.repo, "branch": answers.branch, "after_crawl": answers.after_crawl}
        if answers.remote_url:
            publish["remote_url"] = answers.remote_url
        if answers.site_dir:
            publish["site_dir"] = answers.site_dir
        lines += [
            "",
            "# `briefing publish`: the blog's git working copy (cloned from remote_url when missing),",
            "# the branch to push, and whether the service publishes after every crawl. Credentials",
            "# come from the environment (a credential helper, an SSH agent, or ${VARIABLES} in",
            "# remote_url); they are never written here.",
            "[publish]",
        ]
        lines += [f"{key} = {_toml(value)}" for key, value in publish.items()]
    return "\n".join(lines) + "\n"


def sources_text(answers: BlogAnswers) -> str:
    """A sources.toml crawling the chosen korea.kr sections every 30 minutes."""
    blocks = [
        render_source(make_source(
            name=f"korea_kr:{section}", type="korea_kr", section=section,
            title=SECTION_TITLES[section], schedule={"minutes": 30},
        ))
        for section in answers.sections
    ]
    return HEADER + "\n" + "\n".join(blocks)


def jekyll_settings(answers: BlogAnswers) -> str:
    """What the blog's `_config.yml` needs so that posts land on their day and their HTML renders."""
    lines = [f"timezone: {answers.timezone}"]
    if answers.markdown == "CommonMark":
        # jekyll-commonmark drops raw HTML (every post body) as `<!-- raw HTML omitted -->` unless
        # told it is safe: posts are sanitized by briefing before they are written.
        lines += [
            "markdown: CommonMark",
            "commonmark:",
            '  options: ["UNSAFE"]',
            "plugins:  # add to your list of plugins if you have one",
            "  - jekyll-commonmark",
        ]
    else:
        lines += ["markdown: kramdown"]
    return "\n".join(lines) + "\n"


def write_files(answers: BlogAnswers, directory: Path, *, force: bool = False) -> list[Path]:
    """Write `profiles/<slug>.toml` and `sources.toml` in `directory`; never overwrite without `force`."""
    check(answers)
    wanted = {
        directory / "profiles" / f"{profile_slug(answers.name)}.toml": profile_text(answers),
        directory / "sources.toml": sources_text(answers),
    }
    existing = [path for path in wanted if path.exists()]
    if existing and not force:
        names = ", ".join(str(path) for path in existing)
        raise InitError(f"{names} already exist(s); pass --force to replace, or choose another folder")
    for path, text in wanted.items():
        write_atomic(path, text.encode("utf-8"))
    return list(wanted)
