"""The replica's validators switch: a site that sends no ETag / Last-Modified (the re-crawl
benchmark without validators) answers every request with the whole page."""

from __future__ import annotations

import httpx

from tests.replica.fixture import Replica

VIEW = "/news/policyNewsView.do"


def test_without_validators_no_etag_no_last_modified_and_no_304(replica: Replica) -> None:
    news_id = replica.truth()[3]["news_id"]
    with httpx.Client(base_url=replica.url) as client:
        first = client.get(VIEW, params={"newsId": news_id})
        etag, modified = first.headers["etag"], first.headers["last-modified"]
        replica.validators(False)
        plain = client.get(VIEW, params={"newsId": news_id})
        assert plain.status_code == 200
        assert "etag" not in plain.headers and "last-modified" not in plain.headers
        for headers in ({"If-None-Match": etag}, {"If-Modified-Since": modified}):
            again = client.get(VIEW, params={"newsId": news_id}, headers=headers)
            assert again.status_code == 200 and again.content
        replica.reset()  # validators are back on
        back = client.get(VIEW, params={"newsId": news_id}, headers={"If-None-Match": etag})
        assert back.status_code == 304
