"""content_dict and content_hash: a hand-written conversion must give what dataclasses.asdict gave.

Stored snapshots (articles.data, revisions) and every content hash in a database were made by the
asdict version: a field converted differently would make every stored article look changed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.article import Article, Attachment, Image, content_dict, content_hash
from tests.factories import make_article

TEXT = st.text(alphabet=st.sampled_from("가나다 aZ_<>&\"'\n1é"), max_size=12)
MAYBE = st.none() | TEXT
MOMENT = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1)).map(
    lambda d: d.replace(tzinfo=UTC)
) | st.just(datetime(2026, 7, 1, 9, 0, tzinfo=timezone(timedelta(hours=9))))
IMAGES = st.lists(st.builds(Image, url=TEXT, caption=TEXT), max_size=3).map(tuple)
ATTACHMENTS = st.lists(
    st.builds(Attachment, name=TEXT, url=TEXT, extension=TEXT, file_id=MAYBE, viewer_url=MAYBE), max_size=3
).map(tuple)
STRINGS = st.lists(TEXT, max_size=3).map(tuple)

ARTICLES = st.builds(
    Article,
    source=TEXT,
    external_id=TEXT,
    url=TEXT,
    section=TEXT,
    title=TEXT,
    published_at=MOMENT,
    body_html=TEXT,
    subtitles=STRINGS,
    ministry=MAYBE,
    rep_code=MAYBE,
    tags=STRINGS,
    images=IMAGES,
    attachments=ATTACHMENTS,
    license_type=st.none() | st.integers(1, 4),
    license_text_only=st.booleans(),
    contact=MAYBE,
    author=MAYBE,
    speaker=MAYBE,
    embargo_until=st.none() | MOMENT,
    aliases=STRINGS,
    body_source=TEXT,
    layout=MAYBE,
)


def asdict_content_dict(article: Article) -> dict[str, object]:
    """The version every stored snapshot was written with."""
    data = asdict(article)
    for key, value in list(data.items()):
        if isinstance(value, datetime):
            data[key] = value.isoformat()
    return data


def asdict_content_hash(article: Article) -> str:
    data = {k: v for k, v in asdict_content_dict(article).items() if k not in {"aliases", "layout"}}
    data["attachments"] = [
        {k: v for k, v in asdict(a).items() if k not in {"file_id", "viewer_url"}}
        for a in article.attachments
    ]
    blob = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


@settings(max_examples=300, deadline=None)
@given(ARTICLES)
def test_content_dict_and_hash_are_what_asdict_gave(article: Article) -> None:
    data = content_dict(article)
    assert data == asdict_content_dict(article)
    assert list(data) == list(asdict_content_dict(article))  # the key order JSON keeps
    assert json.dumps(data) == json.dumps(asdict_content_dict(article))
    assert content_hash(article) == asdict_content_hash(article) == content_hash(article, data)


def test_a_factory_article_with_images_and_attachments() -> None:
    article = make_article(
        1,
        images=(Image("https://x/1.jpg", "사진"),),
        attachments=(Attachment("보도자료.hwpx", "https://x/f", "hwpx", file_id="F1"),),
    )
    assert content_dict(article) == asdict_content_dict(article)
    assert content_dict(article)["attachments"] == (
        {"name": "보도자료.hwpx", "url": "https://x/f", "extension": "hwpx", "file_id": "F1"}
        | {"viewer_url": None},
    )
