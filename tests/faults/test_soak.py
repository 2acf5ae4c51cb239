"""The soak (issue 8, item 7) as a test: ``bench.soak`` for NEWSWIRE_SOAK_MINUTES (10 in CI)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import soak

MINUTES = soak.default_minutes()
pytestmark = [pytest.mark.faults, pytest.mark.timeout(int(MINUTES * 60) + 900)]


def test_soak_acked_equals_projected_resources_flat(tmp_path: Path) -> None:
    warmup = min(120.0, MINUTES * 60 * 0.2)
    res = soak.run(MINUTES, soak.RATE, max(5.0, (MINUTES * 60 - warmup) / 20), warmup, tmp_path)
    soak.report(res, warmup)
    assert res.acked, "nothing was acknowledged"
    assert res.acked == res.projected, f"{len(res.missing)} missing, {len(res.extra)} extra"
    assert res.applied == res.distinct == 3 * len(res.acked)
    assert res.restarts == 0
    for name, s in res.series.items():
        # flat after warm-up: file descriptors do not leak anywhere
        assert s.fd_growth() <= 8, f"{name} open fds grew by {s.fd_growth()}: {s.samples}"
    for name in ("entities", "claims"):
        # the enrichers keep no state beyond a bounded id set: their memory is flat. (The memory-only
        # broker keeps every record and the projector the view of every article: they grow by design.)
        s = res.series[name]
        first = s.samples[0][1] if s.samples else 0.0
        assert s.rss_growth_mb() <= max(64.0, 0.25 * first), f"{name} RSS grew {s.rss_growth_mb():.0f} MB"
