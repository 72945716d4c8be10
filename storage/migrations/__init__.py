"""Alembic migrations of briefing's schema; run them through `storage.migrate`."""
