"""Article + site profile -> Jekyll post: the body parsed once, an ordered list of steps, sanitizer last.

    parse → body steps (chrome, URLs, blocks, images, Tistory sizes, layout; `body.clean_body`)
          → excerpt from the same tree → sanitize each block → front matter → the post text
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from crawler.posts.blocks import body_blocks, closing_blocks, hero_block
from crawler.posts.body import clean_body
from crawler.posts.frontmatter import render_front_matter
from crawler.posts.post import Post, front_matter, post_date
from crawler.posts.profile import Profile, zone_of
from crawler.posts.slug import slugify
from crawler.posts.text import clean_title, make_excerpt
from crawler.posts.tree import parse_fragment
from domain.article import Article

__all__ = ["Post", "normalize"]


def normalize(article: Article, profile: Profile) -> Post:
    """Render `article` as a post; the same article and profile always give the same bytes."""
    title = clean_title(article.title)
    body = clean_body(
        parse_fragment(article.body_html), article.url, article.images, text_only=article.license_text_only
    )
    excerpt = make_excerpt(article.subtitles, body, profile.excerpt_limit)
    # File name and `date:` always name the same day (post.post_date).
    published = post_date(article.published_at, zone_of(profile))
    values = front_matter(article, profile, title=title, excerpt=excerpt, published=published)
    hero = [block for block in (hero_block(profile),) if block]
    blocks = [*hero, *body_blocks(body, profile.link_rel), *closing_blocks(article, profile)]
    body_text = "\n\n".join(blocks) + "\n"
    text = render_front_matter(values) + "\n" + body_text
    slug = slugify(title)
    day = published.date() if isinstance(published, datetime) else published
    return Post(
        front_matter=values,
        body=body_text,
        text=text,
        slug=slug,
        date=day,
        filename=f"{day.isoformat()}-{slug}.md",
        hash=hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )
