"""A minimal stage for bus tests: article → an empty entities event (run as a process).

``ECHO_KILL_BEFORE_COMMIT=1`` makes the process SIGKILL itself after its first batch's outputs
were acknowledged and before the offsets are committed: the crash the commit order guards against.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Sequence

from newswire import events, ids, logs
from newswire.bus import Output, Shutdown, StageRunner
from newswire.events import Envelope
from newswire.metrics import StageMetrics, new_registry
from newswire.settings import Settings
from newswire.topics import ARTICLES, ENTITIES

EXTRACTOR = "echo@1"


def handler(batch: Sequence[Envelope]) -> list[list[Output]]:
    out = []
    for env in batch:
        if env.data.get("title") == "POISON":
            raise ValueError("this article makes the stage fail")
        data = {
            "article_id": env.data["article_id"],
            "revision": env.data["revision"],
            "extractor": EXTRACTOR,
            "outcome": {"status": "ok", "reason": None},
            "entities": [],
        }
        derived = events.derive(
            env,
            event_type=events.ENTITIES_EXTRACTED,
            event_id=ids.derived_event_id(events.ENTITIES_EXTRACTED, env.id, EXTRACTOR),
            source="urn:newswire/echo",
            extractor=EXTRACTOR,
            data=data,
        )
        out.append([Output(ENTITIES, derived)])
    return out


def make_runner(settings: Settings, shutdown: Shutdown, kill_before_commit: bool = False) -> StageRunner:
    def kill() -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    return StageRunner(
        name="echo",
        settings=settings,
        input_roles=[ARTICLES],
        accepted_types=[events.ARTICLE_INGESTED],
        handler=handler,
        metrics=StageMetrics.create(new_registry("echo")),
        shutdown=shutdown,
        before_commit=kill if kill_before_commit else None,
    )


if __name__ == "__main__":
    s = Settings.from_env()
    logs.configure(s.log_level, s.log_format)
    make_runner(s, Shutdown().install(), os.environ.get("ECHO_KILL_BEFORE_COMMIT") == "1").run()
    sys.exit(0)
