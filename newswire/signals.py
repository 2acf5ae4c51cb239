"""Remembering SIGTERM/SIGINT from the first instant of a process (imports take a while).

Imported first by ``python -m newswire`` and by the CLI; :class:`newswire.bus.Shutdown` picks the
remembered signal up when it installs its own handlers, so an early stop is a clean stop.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType

EARLY_SIGNAL = threading.Event()


def _remember(_signum: int, _frame: FrameType | None) -> None:
    EARLY_SIGNAL.set()


def catch_early_signals() -> None:
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _remember)
        signal.signal(signal.SIGINT, _remember)
