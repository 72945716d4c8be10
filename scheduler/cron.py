"""Crontab lines ("m h dom mon dow", Asia/Seoul) as APScheduler triggers, with crontab's rules checked."""

from __future__ import annotations

from apscheduler.triggers.cron import CronTrigger

from domain.article import KST


def cron_trigger(cron: str, jitter: int | None = None) -> CronTrigger:
    """A trigger from "minute hour day month day-of-week" in Asia/Seoul; ValueError when invalid."""
    fields = cron.split()
    if len(fields) != 5:
        raise ValueError(f"cron {cron!r} needs 5 fields: minute hour day month day-of-week")
    minute, hour, day, month, day_of_week = fields
    if any(c.isdigit() for c in day_of_week):
        # APScheduler 3 counts weekdays from Monday=0, crontab from Sunday=0: names are unambiguous.
        raise ValueError(f"cron {cron!r}: write the day of week as names (mon-fri, sat,sun), not numbers")
    return CronTrigger(
        minute=minute, hour=hour, day=day, month=month, day_of_week=day_of_week, timezone=KST, jitter=jitter
    )
