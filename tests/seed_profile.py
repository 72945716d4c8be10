"""The seed blog's profile (profiles/seed.toml): the tests that pin the seed format use it."""

from __future__ import annotations

from pathlib import Path

from crawler.posts.profile import Profile, load_profile

SEED_TOML = Path(__file__).resolve().parent.parent / "profiles" / "seed.toml"
SEED_PROFILE: Profile = load_profile(SEED_TOML)
