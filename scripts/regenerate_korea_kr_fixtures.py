"""Rewrite tests/fixtures/korea_kr/*.expected.json from the parser's current output (review the diff!)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.test_korea_kr_parser import FIXTURES, fixture_names, render, snapshot  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "names", nargs="*", help="fixture names (default: every fixture with an expected file)"
    )
    parser.add_argument("--new", metavar="NAME", help="start an expected file for NAME.html")
    parser.add_argument("--kind", choices=("article", "list", "viewer"), default="article", help="with --new")
    parser.add_argument("--url", help="with --new: the URL the page was fetched from")
    parser.add_argument("--section", default="policy", help="with --new, articles only")
    args = parser.parse_args(argv)

    if args.new:
        if not args.url:
            parser.error("--new needs --url")
        case: dict[str, object] = {"kind": args.kind, "url": args.url}
        if args.kind == "article":
            case["section"] = args.section
        (FIXTURES / f"{args.new}.expected.json").write_text(snapshot(case), encoding="utf-8")
        args.names = [args.new]

    for name in args.names or fixture_names():
        path = FIXTURES / f"{name}.expected.json"
        case = json.loads(path.read_text(encoding="utf-8"))
        case["expected"] = render(name, case)
        path.write_text(snapshot(case), encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
