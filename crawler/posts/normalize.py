"""Article + site profile -> Jekyll post: the body parsed once, an ordered list of steps, sanitizer last.

    parse → body steps (chrome, URLs, blocks, images, Tistory sizes, layout; `body.clean_body`)
          → excerpt from the same tree → sanitize each block → front matter → the post text
"""

from __future__ import annotations

import hashlib

from crawler.posts.blocks import body_blocks, closing_blocks, hero_block
from crawler.posts.body import clean_body
from crawler.posts.frontmatter import render_front_matter
from crawler.posts.post import Post, front_matter, publication_time
from crawler.posts.profile import Profile
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
    published = publication_time(article.published_at)
    values = front_matter(article, profile, title=title, excerpt=excerpt, published=published)
    blocks = [hero_block(profile), *body_blocks(body, profile.link_rel), *closing_blocks(article, profile)]
    body_text = "\n\n".join(blocks) + "\n"
    text = render_front_matter(values) + "\n" + body_text
    slug = slugify(title)
    day = published.date()
    return Post(
        front_matter=values,
        body=body_text,
        text=text,
        slug=slug,
        date=day,
        filename=f"{day.isoformat()}-{slug}.md",
        hash=hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )
