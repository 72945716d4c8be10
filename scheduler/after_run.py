"""What the service does once a crawl run has finished: notify, and publish when the profile says so.

    run finished → new/updated articles?  → `new_articles` to the profile's [notify] destinations
                 → the source's state moved to or from error/drift → `source_state`
                 → [publish] after_crawl = true and something changed (or a push is pending) → publish

All of it is best effort: a failure is logged and never changes the run's recorded outcome.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from scheduler.notify import Destination, Entry, Notifier, NotifyError, load_destinations
from scheduler.publish import PublishError, PublishTarget, load_target, publish_stored
from scheduler.settings import Settings
from storage import Database, get_article, get_source_state, run_changes
from storage.types import CrawlRun

log = logging.getLogger(__name__)

# Source states a notification is about (storage keeps ok/dead/error; the drift alarm adds drift).
ALARM_STATES = ("error", "drift", "dead")


@dataclass
class AfterRun:
    settings: Settings
    db: Database
    destinations: list[Destination] = field(default_factory=list)
    target: PublishTarget | None = None
    notifier: Notifier | None = None
    _states: dict[str, str] = field(default_factory=dict)  # source -> the last state seen here
    _push_pending: bool = False

    @classmethod
    def from_settings(cls, settings: Settings, db: Database) -> AfterRun | None:
        """The hook for the profile in BRIEFING_PROFILE; None when it neither notifies nor publishes."""
        path = settings.profile
        if path is None or not Path(path).is_file():
            return None
        try:
            destinations = load_destinations(Path(path))
            target = load_target(Path(path))
        except (NotifyError, PublishError) as exc:
            log.error("notifications and publishing are off: %s", exc)
            return None
        if not destinations and (target is None or not target.after_crawl):
            return None
        return cls(settings, db, destinations, target, Notifier(destinations) if destinations else None)

    def __call__(self, run: CrawlRun) -> None:
        for step in (self._notify_articles, self._notify_state, self._publish):
            try:
                step(run)
            except Exception:  # one step failing must not stop the others, nor the service
                log.exception("after run %s: %s failed", run.id, step.__name__.strip("_"))

    def _notify_articles(self, run: CrawlRun) -> None:
        if self.notifier is None or run.new + run.updated == 0:
            return
        entries = []
        with self.db.session(read_only=True) as session:
            for article_id, created in run_changes(session=session, run_id=run.id):
                stored = get_article(session=session, article_id=article_id)
                if stored is None:
                    continue
                article = stored.article
                entries.append(Entry(
                    source=run.source, external_id=article.external_id, title=article.title, url=article.url,
                    ministry=article.ministry, published_at=article.published_at.isoformat(),
                    summary=article.subtitle, change="new" if created else "updated",
                ))
        if entries:
            self.notifier.new_articles(entries)

    def source_state(self, run: CrawlRun) -> tuple[str, str | None]:
        """(state, reason) of the run's source now: its stored state, or error when the run failed."""
        with self.db.session(read_only=True) as session:
            stored = get_source_state(session=session, name=run.source)
        if stored is not None and stored.status in ALARM_STATES:
            return stored.status, stored.error
        if run.status == "failed":
            return "error", run.reason
        return "ok", None

    def _notify_state(self, run: CrawlRun) -> None:
        if self.notifier is None or run.status == "interrupted":
            return
        state, reason = self.source_state(run)
        previous = self._states.get(run.source)
        self._states[run.source] = state
        # first sight after a start: only an alarm is news; afterwards every change to or from one
        changed = state != previous if previous is not None else state != "ok"
        if changed and (state in ALARM_STATES or previous in ALARM_STATES):
            self.notifier.source_state(run.source, state, previous, reason)

    def _publish(self, run: CrawlRun) -> None:
        if self.target is None or not self.target.after_crawl or self.settings.profile is None:
            return
        if run.new + run.updated == 0 and not self._push_pending:
            return
        try:
            result = publish_stored(
                self.settings.database_url, Path(self.settings.profile), now=datetime.now(UTC),
                allowed_private_networks=[str(n) for n in self.settings.allowed_private_networks],
            )
        except PublishError as exc:
            self._push_pending = True
            log.warning("publish after run %s failed, tried again after the next run: %s", run.id, exc)
            return
        self._push_pending = result.push_error is not None
        log.info("published after run %s: %s", run.id,
                 "pushed" if result.pushed else result.push_error or "nothing to push")
