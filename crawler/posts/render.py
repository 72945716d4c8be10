"""Binds a site profile to the normalizer: Article in, (post text, post hash) out."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from crawler.posts.normalize import Post, normalize
from crawler.posts.profile import Profile, load_profile
from domain.article import Article


@dataclass(frozen=True, slots=True)
class PostRenderer:
    profile: Profile

    @classmethod
    def from_path(cls, path: str | Path | None) -> PostRenderer:
        return cls(load_profile(Path(path) if path else None))

    def post(self, article: Article) -> Post:
        return normalize(article, self.profile)

    def render(self, article: Article) -> tuple[str, str]:
        post = self.post(article)
        return post.text, post.hash
