"""Serve the replica: `python -m tests.replica --articles 60 --start 2026-11-18 --days 5 [--port 0]`."""

from __future__ import annotations

import argparse
from datetime import date, datetime, timedelta

from tests.local_server import announce_and_serve

from .generator import build_site
from .model import KST
from .server import ReplicaServer


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tests.replica",
        description="Serve a local replica of www.korea.kr policy news on 127.0.0.1.",
        epilog="example: python -m tests.replica --articles 60 --start 2026-11-18 --days 5 --port 0",
    )
    parser.add_argument("--articles", type=int, default=60, help="number of articles (default 60)")
    parser.add_argument("--start", type=date.fromisoformat, default=None,
                        help="first day, YYYY-MM-DD (default: so that the last day is today in KST)")
    parser.add_argument("--days", type=int, default=5, help="days the articles spread over (default 5)")
    parser.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    parser.add_argument("--press", type=int, default=12, help="press releases (default 12)")
    parser.add_argument("--briefings", type=int, default=6, help="briefings (default 6)")
    parser.add_argument("--facts", type=int, default=8, help="fact-checks (default 8)")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1; 0 picks a free one (default)")
    args = parser.parse_args(argv)
    if args.articles < 1 or args.days < 1:
        parser.error("--articles and --days must be at least 1")
    if min(args.press, args.briefings, args.facts) < 0:
        parser.error("--press, --briefings and --facts must not be negative")
    if args.start is None:
        args.start = datetime.now(KST).date() - timedelta(days=args.days - 1)
    return args


def main(argv: list[str] | None = None) -> None:
    args = _arguments(argv)
    site = build_site(articles=args.articles, start=args.start, days=args.days, seed=args.seed,
                      press=args.press, briefings=args.briefings, facts=args.facts)
    server = ReplicaServer(site, args.port)
    announce_and_serve(server, "REPLICA_URL ")


if __name__ == "__main__":
    main()
