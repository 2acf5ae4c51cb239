"""The stall watchdog: a guarded call past its deadline ends the process (exit 75, a log line);
calls that return in time, and a watchdog turned off, never do."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading

import pytest

from newswire.settings import Settings, SettingsError
from newswire.watchdog import EXIT_STALLED, Watchdog, guarded
from tests.conftest import ROOT, wait_until


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_only_a_call_still_running_past_the_deadline_is_stalled() -> None:
    clock = FakeClock()
    dog = Watchdog("t", 10, on_stall=lambda: None, clock=clock)
    assert dog.stalled() is None
    with dog.guard("poll"):
        clock.now += 9.5
        assert dog.stalled() is None
        clock.now += 1
        assert dog.stalled() == ("poll", pytest.approx(10.5))
    assert dog.stalled() is None, "a call that returned is not stalled, however late"
    clock.now += 100
    assert dog.stalled() is None


def test_each_call_is_timed_from_its_own_start() -> None:
    clock = FakeClock()
    dog = Watchdog("t", 10, on_stall=lambda: None, clock=clock)
    for _ in range(5):
        with dog.guard("poll"):
            clock.now += 8
    with dog.guard("commit"):
        clock.now += 8
        assert dog.stalled() is None


def test_a_blocked_call_triggers_on_stall_once() -> None:
    stalls: list[str] = []
    dog = Watchdog("t", 0.2, on_stall=lambda: stalls.append("stalled"), check_every_s=0.02).start()
    never = threading.Event()
    blocked = threading.Thread(target=lambda: _block(dog, never), daemon=True)
    blocked.start()
    try:
        wait_until(lambda: stalls, timeout=10, what="the watchdog to fire")
        assert stalls == ["stalled"]
    finally:
        never.set()
        blocked.join(5)
        dog.stop()


def _block(dog: Watchdog, until: threading.Event) -> None:
    with dog.guard("poll"):
        until.wait(30)


def test_turned_off_it_starts_no_thread_and_guarded_none_is_a_no_op() -> None:
    dog = Watchdog("t", 0).start()
    assert not dog.enabled and dog._thread is None
    with guarded(None, "poll"):
        pass
    dog.stop()


def test_the_default_action_exits_the_process_with_75_and_says_why() -> None:
    script = textwrap.dedent(
        """
        import logging, threading
        from newswire import logs
        from newswire.watchdog import Watchdog
        logging.basicConfig(level=logging.INFO)
        dog = Watchdog("stuck-stage", 0.3, check_every_s=0.05).start()
        with dog.guard("commit"):
            threading.Event().wait(60)   # a client call that never returns
        """
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == EXIT_STALLED, done.stderr
    assert "kafka client call stalled" in done.stderr


def test_settings_refuse_a_deadline_shorter_than_a_legitimate_join() -> None:
    env = {"NEWSWIRE_MAX_POLL_INTERVAL_MS": "30000", "NEWSWIRE_REQUEST_TIMEOUT_MS": "30000"}
    with pytest.raises(SettingsError, match="STALL_TIMEOUT"):
        Settings.from_env({**env, "NEWSWIRE_STALL_TIMEOUT_S": "60"})
    assert Settings.from_env({**env, "NEWSWIRE_STALL_TIMEOUT_S": "61"}).stall_timeout_s == 61
    assert Settings.from_env({**env, "NEWSWIRE_STALL_TIMEOUT_S": "0"}).stall_timeout_s == 0
    assert Settings().stall_timeout_s > (Settings().max_poll_interval_ms + Settings().request_timeout_ms) / 1000
