"""The fault suite's rig: a broker, stage processes with their own logs, an oracle, reconciliation.

The method is Jepsen's: record what the system *acknowledged* (the oracle), inject a fault (SIGKILL,
SIGSTOP, no broker, poison input, membership churn), then read everything back and reconcile by
ids. Every wait has a deadline (:func:`wait_until`); nothing sleeps to synchronise. Every process
writes to its own log file under the test's tmp dir; a failing assertion shows the log tails.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any, TypeVar

import confluent_kafka
import orjson

from ingestor.replay import ReplayReport, collect_files, replay
from newswire import events
from newswire.broker import EmbeddedBroker, free_port, start_broker
from newswire.bus import Shutdown, ensure_topics
from newswire.events import Envelope
from newswire.settings import Settings
from newswire.topics import topic_name
from newswire.watchdog import EXIT_STALLED

T = TypeVar("T")

ROOT = Path(__file__).resolve().parents[2]
SEEDS = ROOT / "seeds"

#: Stage command lines (the same ones ``newswire up`` runs), by short name.
PY = [sys.executable, "-m", "newswire"]
COMMANDS: dict[str, list[str]] = {
    "entities": [*PY, "enrich", "entities"],
    "claims": [*PY, "enrich", "claims"],
    "project": [*PY, "project"],
    "echo": [sys.executable, "-m", "tests.integration.echo_stage"],
}


def wait_until(check: Callable[[], T], timeout: float, what: str, interval: float = 0.1) -> T:
    """Poll ``check`` until it returns something truthy; raise at the deadline (never a bare sleep)."""
    deadline = time.monotonic() + timeout
    last = check()
    while not last:
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)
        last = check()
    return last


# --------------------------------------------------------------------------------------------
# processes


@dataclass
class Proc:
    """One stage process: started, SIGKILLed, restarted and stopped by the test; logs to a file."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0
    kills: int = 0
    _log: IO[bytes] | None = None

    def start(self) -> Proc:
        assert not self.alive, f"{self.name} is already running"
        self.starts += 1
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in _reap
        self._log.write(f"\n=== start #{self.starts}: {' '.join(self.argv)}\n".encode())
        self._log.flush()
        self.process = subprocess.Popen(
            self.argv, env=self.env, cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def returncode(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def kill(self) -> None:
        """SIGKILL: no shutdown hook, no flush, no commit."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)
        self.kills += 1
        self._reap()

    def stop(self, timeout_s: float = 60.0) -> int:
        """SIGTERM and wait for a clean drain; SIGKILL (and a non-zero code) if it does not come."""
        if self.process is None:
            return 0
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)
                self._reap()
                return -9
        self._reap()
        return int(self.process.returncode)

    def _reap(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def log_count(self, needle: str) -> int:
        return self.log_text().count(needle)

    def tail(self, n: int = 40) -> str:
        return "\n".join(self.log_text().splitlines()[-n:])

    def rss_kb(self) -> int:
        return proc_rss_kb(self.pid)

    def open_fds(self) -> int:
        return proc_fds(self.pid)


class RestartPolicy:
    """docker compose's ``restart: unless-stopped`` (and ``newswire up``'s supervisor) for a test:
    a process that ended *on its own* with the stall watchdog's exit code is started again, counted.
    Processes the test stopped or killed stay down (those are the test's own faults)."""

    def __init__(self, procs: Iterable[Proc]) -> None:
        self.procs = list(procs)
        self.restarts: Counter[str] = Counter()

    def tick(self) -> int:
        """Restart every stalled-and-exited process now; returns how many were restarted."""
        n = 0
        for proc in self.procs:
            if proc.process is not None and proc.returncode == EXIT_STALLED:
                proc._reap()
                proc.process = None
                proc.start()
                self.restarts[proc.name] += 1
                n += 1
        return n


_JOIN_PROBE = """
import sys, time
from newswire.bus import make_consumer
from newswire.settings import Settings
from newswire.topics import group_name, topic_name
s = Settings.from_env()
c = make_consumer(s, "join-probe", group_name(sys.argv[1], s.topic_prefix), [topic_name("articles", s.topic_prefix)])
deadline = time.monotonic() + float(sys.argv[2])
while time.monotonic() < deadline:
    c.poll(timeout_ms=500)
    if c.assignment():
        c.close(autocommit=False)
        sys.exit(0)
sys.exit(3)
"""


def group_accepts_a_new_member(settings: Settings, stage: str, timeout_s: float = 45.0) -> bool:
    """Whether a brand-new process can join ``stage``'s group and get partitions within the deadline.

    Run in a child process (a client blocked for good must not take the test with it). ``False``
    with stages stuck means the broker's group coordinator, not the stages, stopped answering.
    """
    try:
        done = subprocess.run(
            [sys.executable, "-c", _JOIN_PROBE, stage, str(timeout_s)],
            env={**os.environ, **settings.as_env()},
            cwd=ROOT,
            capture_output=True,
            timeout=timeout_s + 30,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return False
    return done.returncode == 0


def proc_rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def proc_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def fault_settings(bootstrap: str, data_dir: Path, prefix: str = "", **overrides: Any) -> Settings:
    """Settings for the suite: a short rebalance timeout (Tansu completes a join only when it runs
    out), small batches (bounded redelivery per kill), bounded connect retries."""
    base = replace(
        Settings(),
        kafka_bootstrap=bootstrap,
        topic_prefix=prefix,
        partitions=3,
        max_poll_records=8,
        max_poll_interval_ms=int(os.environ.get("NEWSWIRE_FAULTS_POLL_INTERVAL_MS", "6000")),
        session_timeout_ms=6_000,
        request_timeout_ms=30_000,
        connect_timeout_s=240,
        data_dir=str(data_dir),
        log_format="json",
    )
    return replace(base, **overrides)


class Rig:
    """A broker (optional: tests of a missing broker start it later) and named stage processes."""

    def __init__(self, tmp: Path, *, broker: bool = True, port: int = 0, **overrides: Any) -> None:
        self.tmp = tmp
        self.port = port or free_port()
        self.broker: EmbeddedBroker | None = None
        self.procs: dict[str, Proc] = {}
        self.settings = fault_settings(f"127.0.0.1:{self.port}", tmp / "data", **overrides)
        if broker:
            self.start_broker()

    def start_broker(self) -> EmbeddedBroker:
        self.broker = start_broker(port=self.port, log_path=self.tmp / "broker.log")
        return self.broker

    def ensure_topics(self) -> None:
        ensure_topics(self.settings)

    def stage(self, name: str, kind: str | None = None, args: Sequence[str] = (), **env: str) -> Proc:
        """Declare (not start) a process running stage ``kind`` (default ``name``)."""
        kind = kind or name
        data_dir = self.tmp / "data" / name
        child_env = {
            **os.environ,
            **self.settings.as_env(),
            "NEWSWIRE_DATA_DIR": str(data_dir),
            "PYTHONUNBUFFERED": "1",
            **env,
        }
        proc = Proc(name, [*COMMANDS[kind], *args], child_env, self.tmp / f"{name}.log")
        self.procs[name] = proc
        return proc

    def projector(self, name: str = "project", *, rebuild: bool = False, checkpoint_s: float = 0.5) -> tuple[Proc, int]:
        port = free_port()
        args = ["--port", str(port), "--checkpoint-interval", str(checkpoint_s)] + (["--rebuild"] if rebuild else [])
        return self.stage(name, "project", args), port

    def check_alive(self) -> None:
        dead = {n: p.returncode for n, p in self.procs.items() if p.process is not None and not p.alive}
        assert not dead, f"processes exited unexpectedly: {dead}\n" + self.tails(list(dead))

    def tails(self, names: Iterable[str] | None = None, n: int = 30) -> str:
        chosen = list(names) if names is not None else list(self.procs)
        return "\n".join(f"--- {k} ({self.procs[k].log_path})\n{self.procs[k].tail(n)}" for k in chosen)

    def close(self) -> None:
        for proc in self.procs.values():
            proc.stop(timeout_s=20)
        if self.broker is not None:
            self.broker.resume()  # a paused broker would not terminate
            self.broker.stop()

    def __enter__(self) -> Rig:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


# --------------------------------------------------------------------------------------------
# the oracle: what the broker acknowledged


@dataclass
class Oracle:
    """Article ids (and their event ids) the broker acknowledged, with the acknowledgement time."""

    acked: dict[str, str] = field(default_factory=dict)  # article id -> article event id
    acked_at: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def on_ack(self, env: Envelope) -> None:
        with self._lock:
            self.acked[env.subject] = env.id
            self.acked_at.setdefault(env.subject, time.time())

    def __len__(self) -> int:
        with self._lock:
            return len(self.acked)

    def event_ids(self) -> set[str]:
        with self._lock:
            return set(self.acked.values())

    def article_ids(self) -> set[str]:
        with self._lock:
            return set(self.acked)


@dataclass
class Replayer:
    """``replay --loop N --rate R`` in a thread of the test, feeding the oracle."""

    settings: Settings
    loops: int
    rate: float = 0.0
    files: list[Path] = field(default_factory=lambda: collect_files([SEEDS]))
    oracle: Oracle = field(default_factory=Oracle)
    shutdown: Shutdown = field(default_factory=Shutdown)
    report: ReplayReport | None = None
    error: BaseException | None = None
    thread: threading.Thread | None = None

    @property
    def total(self) -> int:
        return self.loops * len(self.files)

    def start(self) -> Replayer:
        def target() -> None:
            try:
                self.report = replay(
                    self.files,
                    self.settings,
                    rate=self.rate,
                    loops=self.loops,
                    shutdown=self.shutdown,
                    on_ack=self.oracle.on_ack,
                )
            except BaseException as exc:  # reported by join(); the test fails on it
                self.error = exc

        self.thread = threading.Thread(target=target, name="replay", daemon=True)
        self.thread.start()
        return self

    def join(self, timeout_s: float) -> ReplayReport:
        assert self.thread is not None
        self.thread.join(timeout_s)
        assert not self.thread.is_alive(), f"replay did not finish within {timeout_s}s"
        if self.error is not None:
            raise self.error
        assert self.report is not None
        return self.report

    def stop(self) -> None:
        self.shutdown.event.set()
        if self.thread is not None:
            self.thread.join(60)


# --------------------------------------------------------------------------------------------
# reading topics back


@dataclass(frozen=True)
class TailRecord:
    """One record as the oracle read it (the fields of kafka-python's ConsumerRecord that tests use)."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


class TopicTail:
    """Every record of one topic from offset 0, read incrementally with ``assign`` (no group).

    The oracle reads with confluent-kafka (librdkafka), not with the client under test: a reader
    that shares kafka-python's blocking bug (dpkp/kafka-python#3121) could hang the test itself.
    """

    def __init__(self, settings: Settings, role: str, client: str = "faults-tail") -> None:
        self.settings = settings
        self.name = topic_name(role, settings.topic_prefix)
        self.consumer = confluent_kafka.Consumer(
            {
                "bootstrap.servers": settings.kafka_bootstrap,
                "client.id": client,
                "group.id": f"{settings.topic_prefix}{client}-unused",  # required; never joined (assign)
                "enable.auto.commit": False,
                "allow.auto.create.topics": False,
            }
        )
        self.records: list[TailRecord] = []
        self.decoded: list[dict[str, Any] | None] = []
        self._assigned = False

    def _assign(self) -> bool:
        topic = self.consumer.list_topics(self.name, timeout=5).topics.get(self.name)
        if topic is None or topic.error is not None or not topic.partitions:
            return False
        self.consumer.assign(
            [
                confluent_kafka.TopicPartition(self.name, p, confluent_kafka.OFFSET_BEGINNING)
                for p in sorted(topic.partitions)
            ]
        )
        self._assigned = True
        return True

    def poll(self, timeout_ms: int = 200) -> int:
        """Fetch what arrived since the last call; returns how many records came."""
        if not self._assigned and not self._assign():
            return 0
        n = 0
        for msg in self.consumer.consume(num_messages=5000, timeout=timeout_ms / 1000):
            if msg.error() is not None:
                continue  # transient (broker paused, leader moving): librdkafka retries by itself
            topic, partition, offset = msg.topic(), msg.partition(), msg.offset()
            if topic is None or partition is None or offset is None:  # (only an error lacks them)
                raise RuntimeError(f"a record without topic, partition or offset: {msg!r}")
            record = TailRecord(topic, partition, offset, msg.key(), msg.value())
            self.records.append(record)
            self.decoded.append(_loads(record.value))
            n += 1
        return n

    def drain(self, idle_s: float = 1.0, timeout_s: float = 60.0) -> int:
        """Poll until nothing new came for ``idle_s`` (or the deadline); returns the total count."""
        deadline = time.monotonic() + timeout_s
        quiet_since = time.monotonic()
        while time.monotonic() < deadline:
            if self.poll():
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since > idle_s:
                break
        return len(self.records)

    def until(self, check: Callable[[TopicTail], bool], timeout_s: float, what: str) -> None:
        def step() -> bool:
            self.poll()
            return check(self)

        wait_until(step, timeout_s, what, interval=0.0)

    def causations(self) -> Counter[str]:
        return Counter(str(d.get("causationid")) for d in self.decoded if d is not None)

    def ids(self) -> Counter[str]:
        return Counter(str(d.get("id")) for d in self.decoded if d is not None)

    def close(self) -> None:
        self.consumer.close()


def _loads(value: bytes | None) -> dict[str, Any] | None:
    try:
        out = orjson.loads(value or b"")
    except orjson.JSONDecodeError:
        return None
    return out if isinstance(out, dict) else None


def covered(tail: TopicTail, wanted: set[str]) -> bool:
    """Every wanted input event id has an output (by ``causationid``) in the tail."""
    return wanted <= set(tail.causations())


# --------------------------------------------------------------------------------------------
# the projector's view


def http_json(port: int, path: str, timeout_s: float = 10.0) -> Any:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout_s) as resp:
        return orjson.loads(resp.read())


def try_state(port: int) -> dict[str, Any] | None:
    try:
        out = http_json(port, "/api/state")
    except OSError:
        return None
    return out if isinstance(out, dict) else None


def state_hash(state: Mapping[str, Any]) -> str:
    """The same canonical hash as ``TalksView.canonical_hash`` (sorted-key JSON, sha256)."""
    return hashlib.sha256(orjson.dumps(state, option=orjson.OPT_SORT_KEYS)).hexdigest()


def view_outcomes(data_dir: Path) -> tuple[set[str], dict[str, str], dict[str, str], int, int]:
    """From a projector's checkpoint: article ids, the entities and claims event id kept per article,
    the number of distinct event ids applied (those still kept and those the window forgot), and
    ``applied`` (which counts every application)."""
    from consumers.projector.seen import SeenEvents
    from consumers.projector.store import CheckpointStore

    store = CheckpointStore.in_dir(data_dir)
    try:
        saved = store.load()
    finally:
        store.close()
    snap = saved.snapshot or {"articles": [], "entities": {}, "claims": {}, "seen": [], "applied": 0}
    rows = snap["articles"]  # by article id (version 1: a list of rows)
    articles = {str(a) for a in rows} if isinstance(rows, dict) else {str(row[0]) for row in rows}
    ents = {aid: str(v[0][2]) for aid, v in snap["entities"].items()}
    claims = {aid: str(v[0][2]) for aid, v in snap["claims"].items()}
    seen = SeenEvents.restore(snap["seen"])
    return articles, ents, claims, len(seen) + seen.forgotten, int(snap["applied"])


def derived_id(event_type: str, input_id: str, extractor: str) -> str:
    from newswire import ids

    return ids.derived_event_id(event_type, input_id, extractor)


ARTICLE = events.ARTICLE_INGESTED


#: Exit codes of a projector asked to stop with SIGTERM. uvicorn 0.54 re-raises the captured SIGTERM
#: when its server returns, so the process dies by the signal (-15) before ``Projector.stop()`` runs
#: its final checkpoint (reported; see test_stage_bugs.py). Checkpoints every 0.5 s bound the loss.
PROJECTOR_STOPPED = (0, -15)


Outcomes = tuple[set[str], dict[str, str], dict[str, str], int, int]


def checkpointed(proj: Proc, applied: int, timeout_s: float = 120.0) -> Outcomes:
    """Wait until the projector's checkpoint holds ``applied`` events, and return its outcomes."""
    data_dir = Path(proj.env["NEWSWIRE_DATA_DIR"])

    def check() -> Outcomes | None:
        out = view_outcomes(data_dir)
        return out if out[4] >= applied else None

    found = wait_until(
        check,
        timeout_s,
        f"the {proj.name} checkpoint holding {applied} applied events",
        interval=0.3,
    )
    assert found is not None
    return found


def view_hash(data_dir: Path) -> tuple[str, int]:
    """The canonical hash of the view in a projector's checkpoint (rebuilt as the projector would)."""
    from consumers.projector.store import CheckpointStore
    from consumers.projector.view import TalksView

    store = CheckpointStore.in_dir(data_dir)
    try:
        saved = store.load()
    finally:
        store.close()
    assert saved.snapshot is not None, f"no checkpoint in {data_dir}"
    view = TalksView.from_snapshot(saved.snapshot)
    return view.canonical_hash(), view.applied


def scrape(port: int, path: str = "/metrics") -> dict[str, float]:
    """Prometheus text → {'name{labels}': value} (enough for reconciling counters)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as resp:
        text = resp.read().decode()
    out: dict[str, float] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        name, _, value = line.rpartition(" ")
        out[name] = float(value)
    return out


def metric_sum(metrics: Mapping[str, float], name: str, **labels: str) -> float:
    """Sum of every series of ``name`` whose labels include ``labels``."""
    total = 0.0
    for series, value in metrics.items():
        base = series.split("{", 1)[0]
        if base != name:
            continue
        if all(f'{k}="{v}"' in series for k, v in labels.items()):
            total += value
    return total
