"""Turn an archived page (the WARC archive a crawl keeps) into a golden fixture of the korea.kr parser.

Writes tests/fixtures/korea_kr/<NAME>.html, the page exactly as the site sent it, and
<NAME>.expected.json with the URL and fetch date it came from and what today's parser reads in it
(the same shape tests/test_korea_kr_parser.py checks). Review the expected file before committing:
it pins what the parser does, which is only right if the parser is.

    python scripts/archive_to_fixture.py --archive data/archive --url 148950001 --name policy_news_2026_12
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.archive import ArchivedPage, read_pages  # noqa: E402
from crawler.errors import CrawlError  # noqa: E402
from crawler.sites.korea_kr import parse_article  # noqa: E402
from domain.article import content_dict  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "korea_kr"


def find_page(archive: Path, wanted: str) -> ArchivedPage | None:
    """The newest archived copy of the page whose canonical or fetched URL is `wanted` (or ends
    with `newsId=<wanted>`)."""
    found = None
    for page in read_pages(archive):
        urls = (page.canonical_url, page.url)
        named = wanted in urls or any(u.endswith(f"newsId={wanted}") for u in urls)
        if named and (found is None or page.fetched_at >= found.fetched_at):
            found = page
    return found


def expected_case(page: ArchivedPage, html: str) -> dict[str, object]:
    section = page.section or page.source.partition(":")[2] or "policy"
    case: dict[str, object] = {
        "kind": "article",
        "section": section,
        "url": page.canonical_url,
        "fetched_from": page.url,
        "fetched_at": page.fetched_at.isoformat(),
    }
    try:
        result: object = content_dict(parse_article(html, page.canonical_url, section=section))
    except CrawlError as exc:  # a page the parser cannot read is a fixture too: it pins the error
        missing, layout = getattr(exc, "missing", None), getattr(exc, "layout", None)
        result = {"error": exc.kind, "missing": missing, "layout": layout}
    case["expected"] = json.loads(json.dumps(result, default=str))
    return case


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--archive", type=Path, required=True, help="the archive (DATA_DIR/archive)")
    parser.add_argument("--url", required=True, help="the article URL, or its newsId")
    parser.add_argument("--name", required=True, help="the fixture name, e.g. policy_news_2026_12")
    parser.add_argument("--fixtures", type=Path, default=FIXTURES, help="where fixtures live")
    parser.add_argument("--force", action="store_true", help="overwrite a fixture of that name")
    args = parser.parse_args(argv)
    page = find_page(args.archive, args.url)
    if page is None:
        print(f"archive_to_fixture: no page {args.url} in {args.archive}", file=sys.stderr)
        return 1
    html_path = args.fixtures / f"{args.name}.html"
    json_path = args.fixtures / f"{args.name}.expected.json"
    if not args.force and (html_path.exists() or json_path.exists()):
        print(f"archive_to_fixture: {html_path.name} exists; pick another --name or pass --force",
              file=sys.stderr)
        return 1
    html = page.text()
    args.fixtures.mkdir(parents=True, exist_ok=True)
    with html_path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(html)
    case = expected_case(page, html)
    with json_path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(json.dumps(case, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
    print(f"wrote {html_path} and {json_path.name} (fetched {page.fetched_at:%Y-%m-%d} from {page.url})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
