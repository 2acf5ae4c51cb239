"""A stall watchdog: a process whose Kafka client call never returns exits, so it can be restarted.

kafka-python 3.0.12 can block forever inside one call (poll, commit, close) when the broker never
answers a request: ``NetworkSelector.run`` waits on an event without a timeout
(dpkp/kafka-python#3121; the fix is not released). Seen here after consumer-group churn: the
process consumes nothing, its lag grows, and even SIGTERM cannot drain it. Nothing inside the
process can unblock that thread, so the watchdog ends the process with :data:`EXIT_STALLED` and a
log line; its supervisor (``newswire up``, docker compose's restart policy) starts a fresh one.
Nothing is lost: outputs are acknowledged before offsets are committed, so a fresh member re-reads
what was in flight and downstream drops the duplicate ids.

The deadline must exceed the longest *legitimate* call: a poll that waits for a group join (up to
the rebalance timeout plus a request timeout) and a flush (four request timeouts).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext

from newswire import logs

log = logging.getLogger(__name__)

#: exit status of a process ended by the watchdog (EX_TEMPFAIL: try again, a restart will do)
EXIT_STALLED = 75


def _exit_now() -> None:
    logging.shutdown()  # flush the log line first: os._exit skips every handler
    os._exit(EXIT_STALLED)


class Watchdog:
    """Times each guarded call; one that outlives ``deadline_s`` triggers ``on_stall`` (default: exit).

    ``deadline_s <= 0`` turns it off (stages run inside a test's own process, for instance).
    """

    def __init__(
        self,
        name: str,
        deadline_s: float,
        on_stall: Callable[[], None] = _exit_now,
        clock: Callable[[], float] = time.monotonic,
        check_every_s: float = 1.0,
    ) -> None:
        self.name = name
        self.deadline_s = deadline_s
        self._on_stall = on_stall
        self._clock = clock
        self._check_every_s = check_every_s
        self._lock = threading.Lock()
        self._operation: str | None = None
        self._since = 0.0
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def enabled(self) -> bool:
        return self.deadline_s > 0

    def start(self) -> Watchdog:
        if self.enabled and self._thread is None:
            self._thread = threading.Thread(target=self._watch, name=f"watchdog-{self.name}", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    @contextmanager
    def guard(self, operation: str) -> Iterator[None]:
        """Time one client call (``poll``, ``commit``, ``flush``, ``close``)."""
        with self._lock:
            self._operation, self._since = operation, self._clock()
        try:
            yield
        finally:
            with self._lock:
                self._operation = None

    def stalled(self) -> tuple[str, float] | None:
        """The guarded call in progress and how long it has run, if past the deadline."""
        with self._lock:
            if self._operation is None:
                return None
            running = self._clock() - self._since
            return (self._operation, running) if running > self.deadline_s else None

    def _watch(self) -> None:
        while not self._stopped.wait(self._check_every_s):
            found = self.stalled()
            if found is None:
                continue
            operation, running = found
            log.error(
                "kafka client call stalled; exiting so the supervisor restarts this process",
                extra=logs.fields(
                    stage=self.name,
                    operation=operation,
                    seconds=round(running, 1),
                    deadline_s=self.deadline_s,
                    exit_code=EXIT_STALLED,
                ),
            )
            self._on_stall()
            return


def guarded(watchdog: Watchdog | None, operation: str) -> AbstractContextManager[None]:
    """``watchdog.guard(operation)``, or nothing when there is no watchdog (a loop driven by a test)."""
    return watchdog.guard(operation) if watchdog is not None else nullcontext()
