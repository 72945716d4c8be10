"""A local replica of www.korea.kr policy news for crawler tests (run it with `python -m tests.replica`)."""

from __future__ import annotations

from .generator import build_site
from .model import ReplicaArticle, ReplicaAttachment, ReplicaImage, Site

__all__ = ["ReplicaArticle", "ReplicaAttachment", "ReplicaImage", "Site", "build_site"]
