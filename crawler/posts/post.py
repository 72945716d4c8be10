"""The post: its dataclass, and the front matter an article and a profile give."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from crawler.posts.frontmatter import build_front_matter
from crawler.posts.profile import Profile
from crawler.posts.sanitize import web_url
from domain.article import KST, Article


@dataclass(frozen=True)
class Post:
    """One rendered post. `text` is the whole file: front matter, a blank line, then `body`."""

    front_matter: dict[str, object]  # the values, exactly as yaml.safe_load reads them back
    body: str  # the HTML blocks, separated by one blank line, ending with one "\n"
    text: str
    slug: str
    date: date  # publication date in the profile's time zone (the article's own date if date-only)
    filename: str  # YYYY-MM-DD-<slug>.md
    hash: str  # sha256 of text (UTF-8), hex

    @property
    def excerpt(self) -> str:
        return str(self.front_matter["excerpt"]).strip()


def publication_time(published_at: datetime, zone: ZoneInfo = KST) -> datetime:
    """The publication time in `zone`; a naive time is taken to be Seoul time."""
    if published_at.tzinfo is None:
        published_at = published_at.replace(tzinfo=KST)
    return published_at.astimezone(zone)


def post_date(published_at: datetime, zone: ZoneInfo = KST) -> datetime | date:
    """What the post is dated: the time in the blog's zone, or only the day for a date-only article.

    Parsers stamp an article that states only its day at midnight of the source's zone (korea.kr
    pages: 00:00 +09:00). Written as a time, Jekyll would move it to the previous day on any site
    west of Seoul; written as a date (`date: 2026-05-12`), Jekyll files it on that day everywhere.
    """
    local = published_at if published_at.tzinfo is not None else published_at.replace(tzinfo=KST)
    if local.timetz().replace(tzinfo=None) == time(0, 0):
        return local.date()
    return publication_time(published_at, zone)


def lead_image(article: Article, profile: Profile) -> str:
    """The front matter `image`: the profile's, or the article's first image under `lead`.

    Never the article's image when its licence covers the text only: that would hotlink a photo
    nobody licensed.
    """
    if profile.image_policy == "lead" and not article.license_text_only:
        for image in article.images[:1]:
            if web_url("", image.url.strip()):
                return image.url.strip()
    return profile.default_image


def source_name(url: str, fallback: str) -> str:
    """`https://www.korea.kr/…` -> `korea.kr`."""
    host = urlsplit(url).hostname or ""
    return host.removeprefix("www.") or fallback


def front_matter(
    article: Article, profile: Profile, *, title: str, excerpt: str, published: datetime | date
) -> dict[str, object]:
    """The front matter values of the post, the extra keys as the profile wants them."""
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
