"""`serve`: run every workbook's sync once a day at its configured local time.

Built on the `schedule` package. Two things it adds: a process started after today's time
whose workbook has no run for today in its sync log runs at once (a restart or a late boot
does not skip a day), and a stop request (Ctrl-C, SIGTERM) is honoured between runs, never
in the middle of one. The clock and the wait are passed in, so tests drive a day in
microseconds instead of sleeping.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable

import schedule

from sheetsync import app
from sheetsync.config import Settings

log = logging.getLogger("sheetsync")
MAX_WAIT = 60.0  # seconds between checks: also how soon a stop is noticed while idle


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class DailyRunner:
    def __init__(self, workbooks: list[Settings], run: Callable[[Settings], object] = app.run_logged,
                 clock: Callable[[], dt.datetime] = utc_now,
                 last_run: Callable[[Settings], dt.date | None] = app.last_run_date) -> None:  # fmt: skip
        self.workbooks, self.run, self.clock, self.last_run = workbooks, run, clock, last_run
        self.scheduler = schedule.Scheduler()
        for settings in workbooks:
            self.scheduler.every().day.at(settings.run_at, settings.zone.key).do(
                self._run, settings
            )

    def _run(self, settings: Settings) -> None:
        log.debug("starting the sync of %s", settings.label)
        try:
            self.run(settings)
        except Exception:  # logged; tomorrow's run and the other workbooks go on
            log.exception("the run of %s failed", settings.label)

    def _missed_today(self, settings: Settings) -> bool:
        local = self.clock().astimezone(settings.zone)
        if local.strftime("%H:%M") < settings.run_at:
            return False
        try:
            last = self.last_run(settings)
        except Exception as exc:  # an unreadable workbook: let the run itself report it
            log.debug("could not read the sync log of %s: %s", settings.label, exc)
            return True
        return last is None or last < local.date()

    def catch_up(self) -> None:
        for settings in self.workbooks:
            if self._missed_today(settings):
                log.info(
                    "today's %s run of %s has not happened: running it now",
                    settings.run_at,
                    settings.label,
                )
                self._run(settings)

    def serve(self, stop: threading.Event, wait: Callable[[float], object] | None = None) -> None:
        """Until `stop` is set: run what is due, then wait for the next job (at most a minute)."""
        wait = wait or stop.wait
        log.info("serving %d workbook(s): %s", len(self.workbooks),
                 ", ".join(f"{s.label} at {s.run_at} {s.zone.key}" for s in self.workbooks))  # fmt: skip
        self.catch_up()
        while not stop.is_set():
            self.scheduler.run_pending()
            if stop.is_set():
                break
            idle = self.scheduler.idle_seconds
            wait(max(0.0, min(MAX_WAIT, idle if idle is not None else MAX_WAIT)))
        log.info("stopped")
