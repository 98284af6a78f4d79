"""Database round trips per phase of a turn, on PostgreSQL, measured through a delay proxy.

Two bridges run on the same PostgreSQL schema: one connects directly, one through
`bench.proxy`, which adds `rtt_ms` of round-trip time. In each round both run the same
sequential turns (threads.create, then threads.add_user_message, offline model, "hello"), the
order alternating. Per phase (first event, first text delta, whole turn) the extra time the
proxied bridge takes, divided by the RTT, is the number of sequential round trips the bridge
made in that phase; the figure is the median over rounds of each round's p50s.

The RTT it is divided by is the one the proxy really adds, measured in the same rounds: the p50
of `SELECT 1` through the proxy minus direct, on one psycopg connection each
(`measured_rtt_ms`). On a busy 2-core machine the proxy's own scheduling adds a few ms to the
nominal `rtt_ms` per exchange, which divided by the nominal RTT reads as a fifth of a round
trip more per real one (1.2, 2.4, 4.8 for 1, 2, 4). Both figures are kept: `round_trips`
(by the measured RTT, what the targets check) and `round_trips_nominal`.

The figures the targets check are a deployment's default: the rate limiter on
(RATE_LIMIT_PER_MINUTE, 60 a user) counting in the same PostgreSQL (no REDIS_URL), so its
round trips, if any, are in them. A second pair of bridges with the limiter off runs in the
same rounds, for comparison (`limiter_off`). Each load run is a user of its own (24 turns,
within the default burst).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy.engine import make_url

from .procs import Server, load

PHASES = {
    "first_event": "p50_ms",
    "first_text_delta": "delta_first_p50_ms",
    "whole_turn": "turn_p50_ms",
}
OPS = ("threads.create", "threads.add_user_message")
PINGS = 30
"""`SELECT 1` exchanges per connection and round, for the RTT the proxy really adds."""
LIMITERS = ("default", "off")
"""The rate limiter as a deployment has it (the targets' figures), and off (for comparison)."""


@contextmanager
def delay_proxy(url: str, rtt_ms: float) -> Iterator[str]:
    """`url` rewritten to go through a delay proxy started for the block."""
    target = make_url(url)
    host, port = target.host or "127.0.0.1", target.port or 5432
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench.proxy",
            "--target",
            f"{host}:{port}",
            "--rtt-ms",
            str(rtt_ms),
        ],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            raise RuntimeError("the delay proxy did not start")
        proxy_port = json.loads(line)["port"]
        yield target.set(host="127.0.0.1", port=proxy_port).render_as_string(hide_password=False)
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        if process.stdout is not None:
            process.stdout.close()


def measure_round_trips(
    pg_url: str, work: Path, logs: Path, *, rounds: int, samples: int, rtt_ms: float, level: str
) -> dict[str, Any]:
    """Round trips per phase and op: median over rounds of (proxied - direct) / RTT, with the
    rate limiter as deployed (the targets), and under `limiter_off` without it, same rounds."""
    runs: dict[tuple[str, str], list[dict[str, Any]]] = {}
    measured: list[float] = []
    with delay_proxy(pg_url, rtt_ms) as proxied_url:
        servers = {}
        try:
            for limiter in LIMITERS:
                for name, url in (("direct", pg_url), ("proxied", proxied_url)):
                    data = str(work / f"rt-{limiter}-{name}-data")
                    servers[limiter, name] = Server.start(
                        f"bridge-rt-{limiter}-{name}",
                        [
                            *("bridge", "--db", url, "--data-dir", data),
                            *("--log-level", level, "--limiter", limiter),
                        ],
                        logs,
                    )
                    runs[limiter, name] = []
            for round_ in range(rounds):
                order = ["direct", "proxied"] if round_ % 2 == 0 else ["proxied", "direct"]
                measured.append(_ping_ms(proxied_url) - _ping_ms(pg_url))
                for limiter in LIMITERS:
                    for name in order:
                        runs[limiter, name].append(
                            load(
                                "ttfe",
                                servers[limiter, name].port,
                                *("--samples", str(samples), "--warmup-samples", "2"),
                                *("--text", "hello", "--user", f"rt-{limiter}-{name}-{round_}"),
                            )
                        )
        finally:
            for server in servers.values():
                server.stop()
    effective = statistics.median(measured)
    out: dict[str, Any] = {
        "rtt_ms": rtt_ms,
        "measured_rtt_ms": effective,
        "measured_rtt_rounds": [round(m, 2) for m in measured],
        "rounds": rounds,
        "samples": samples,
        "limiter": "default (on, counting in the same PostgreSQL)",
        **_per_phase(runs["default", "direct"], runs["default", "proxied"], effective, rtt_ms),
        "limiter_off": _per_phase(runs["off", "direct"], runs["off", "proxied"], effective, rtt_ms),
    }
    return out


def _ping_ms(url: str) -> float:
    """p50 ms of `SELECT 1` on one autocommit connection (after one to warm it)."""
    times = []
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT 1")
        for _ in range(PINGS):
            started = time.perf_counter()
            conn.execute("SELECT 1").fetchall()
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _per_phase(
    direct: list[dict[str, Any]], proxied: list[dict[str, Any]], rtt_ms: float, nominal: float
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for op in OPS:
        per_phase: dict[str, Any] = {}
        for phase, key in PHASES.items():
            extra = [p[op][key] - d[op][key] for d, p in zip(direct, proxied, strict=True)]
            trips = [ms / rtt_ms for ms in extra]
            per_phase[phase] = {
                "round_trips": statistics.median(trips),
                "round_trips_nominal": statistics.median(ms / nominal for ms in extra),
                "rounds": [round(t, 2) for t in trips],
                "direct_ms": statistics.median(d[op][key] for d in direct),
                "proxied_ms": statistics.median(p[op][key] for p in proxied),
            }
        out[op] = per_phase
    return out
