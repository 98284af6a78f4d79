"""The targets of issue #7, checked against a run's numbers, and the tables printed for them."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

FLAT = 1.5
"""Largest-to-smallest p50 ratio still called flat (timer and cache noise on ~1 ms pages)."""


@dataclass(frozen=True)
class Target:
    """One target: what it asks, where the number is, and the test it must pass."""

    name: str
    wants: str
    measured: Callable[[dict[str, Any]], float | None]
    passes: Callable[[float], bool]
    unit: str


def _get(*path: str) -> Callable[[dict[str, Any]], float | None]:
    def read(metrics: dict[str, Any]) -> float | None:
        value: Any = metrics
        for key in path:
            if not isinstance(value, dict) or key not in value:
                return None
            value = value[key]
        return None if value is None else float(value)

    return read


def targets(doc: dict[str, Any]) -> list[Target]:
    """The issue's targets (single worker, SQLite), for this run's plan."""
    streams = doc["plan"]["streams"]
    found = [
        Target(
            "items.list throughput vs bare (16 conns)",
            ">= 0.5x",
            _get("throughput", "items.list", "sqlite", "ratio"),
            lambda v: v >= 0.5,
            "x",
        ),
        Target(
            "time to first event, threads.create p50",
            "< 10 ms",
            _get("ttfe", "sqlite", "threads.create", "p50_ms"),
            lambda v: v < 10,
            "ms",
        ),
        Target(
            "time to first event, threads.add_user_message p50",
            "< 10 ms",
            _get("ttfe", "sqlite", "threads.add_user_message", "p50_ms"),
            lambda v: v < 10,
            "ms",
        ),
        Target(
            "bridge cost per streamed delta",
            "< 50 us",
            _get("deltas", "bridge_us_per_delta"),
            lambda v: v < 50,
            "us",
        ),
        Target(
            f"{streams} open streams: all open",
            f"= {streams}",
            _get("streams", "open"),
            lambda v: v == streams,
            "",
        ),
        Target(
            f"{streams} open streams: items.list p99",
            "< 100 ms",
            _get("streams", "items_list_p99_ms"),
            lambda v: v < 100,
            "ms",
        ),
        Target(
            f"{streams} open streams: memory per stream",
            "< 100 KB",
            _get("streams", "kb_per_stream"),
            lambda v: v < 100,
            "KB",
        ),
    ]
    if doc["metrics"].get("round_trips"):
        found += postgres_targets()
    if doc["metrics"].get("growth") is None:
        return [t for t in found if t.name.endswith("(PostgreSQL)")]
    sizes = doc["plan"]["growth_sizes"]
    for op in ("items.list", "items.list.after", "threads.list"):
        found.append(
            Target(
                f"{op} p50, {sizes[-1]:,} vs {sizes[0]:,} stored",
                f"<= {FLAT}x (flat)",
                _get("growth", "sqlite", op, "growth"),
                lambda v: v <= FLAT,
                "x",
            )
        )
    return found


ROUND_TRIP_LIMITS = {"first_event": 1, "first_text_delta": 2, "whole_turn": 6}
"""Issue #13: round trips to the database per phase of a turn, with an instant model."""


def postgres_targets() -> list[Target]:
    """Issue #13's targets: round trips per phase, and items.list against bare psycopg."""
    found = [
        Target(
            "items.list throughput vs bare psycopg (PostgreSQL)",
            ">= 0.6x",
            _get("throughput", "items.list", "postgres", "ratio_bare_pg"),
            lambda v: v >= 0.6,
            "x",
        )
    ]
    for op in ("threads.create", "threads.add_user_message"):
        for phase, limit in ROUND_TRIP_LIMITS.items():
            found.append(
                Target(
                    f"{op} round trips, {phase.replace('_', ' ')} (PostgreSQL)",
                    f"<= {limit}",
                    _get("round_trips", op, phase, "round_trips"),
                    lambda v, limit=limit: v <= limit + 0.5,  # type: ignore[misc]
                    "",
                )
            )
    return found


def check(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Every target with its measured value and whether it passes."""
    rows = []
    for target in targets(doc):
        value = target.measured(doc["metrics"])
        ok = value is not None and not math.isnan(value) and target.passes(value)
        rows.append(
            {
                "target": target.name,
                "wants": target.wants,
                "measured": value,
                "unit": target.unit,
                "pass": ok,
            }
        )
    return rows


def _num(value: Any, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}"


def _table(head: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(head[i]), *(len(r[i]) for r in rows)) for i in range(len(head))]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)) + " |"
    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    body = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in rows
    ]
    return [line, rule, *body]


def _round_trip_table(rt: dict[str, Any]) -> list[str]:
    out = [
        "",
        f"PostgreSQL round trips per phase ((proxied - direct) / the RTT the proxy added, "
        f"{_rtt(rt)}; median of {rt['rounds']} interleaved rounds of {rt['samples']} turns "
        f"each; rate limiter {rt.get('limiter', 'off')}):",
        "",
    ]
    rows = []
    configs = [("", rt)] + ([(" (limiter off)", rt["limiter_off"])] if "limiter_off" in rt else [])
    for label, config in configs:
        for op in ("threads.create", "threads.add_user_message"):
            for phase, s in config[op].items():
                rows.append(
                    [
                        op + label,
                        phase.replace("_", " "),
                        _num(s["round_trips"], 1),
                        _num(s.get("round_trips_nominal", s["round_trips"]), 1),
                        _num(s["direct_ms"], 2),
                        _num(s["proxied_ms"], 2),
                    ]
                )
    header = ["op", "phase", "round trips", f"by nominal {rt['rtt_ms']:.0f} ms"]
    return out + _table([*header, "direct p50 ms", "proxied p50 ms"], rows)


def _rtt(rt: dict[str, Any]) -> str:
    if "measured_rtt_ms" not in rt:  # results written before the RTT was measured
        return f"{rt['rtt_ms']:.0f} ms"
    return f"measured {rt['measured_rtt_ms']:.1f} ms for a nominal {rt['rtt_ms']:.0f} ms"


def render(doc: dict[str, Any]) -> str:
    """The targets table and the detail tables, as Markdown."""
    m = doc["metrics"]
    plan = doc["plan"]
    machine = doc["machine"]
    out = [
        f"`{doc['command']}` on {machine['cpus']} CPUs, Python {machine['python']}, "
        f"{doc['created']} ({doc['seconds']:.0f} s; offline model: "
        f"{'yes' if doc['offline_model'] else 'no'})",
        "",
    ]
    out += _table(
        ["target (single worker, SQLite unless said)", "wants", "measured", "pass"],
        [
            [
                r["target"],
                r["wants"],
                f"{_num(r['measured'], 2)} {r['unit']}".strip(),
                "yes" if r["pass"] else "NO",
            ]
            for r in doc["targets"]
        ],
    )
    out += [
        "",
        f"Throughput, {plan['concurrency']} connections, median of {plan['rounds']} "
        "interleaved rounds:",
        "",
    ]
    rows = []
    for op, servers in m["throughput"].items():
        for name, s in servers.items():
            rows.append(
                [
                    op,
                    name,
                    _num(s["rps"], 0),
                    _num(s["p50_ms"], 2),
                    _num(s["p99_ms"], 2),
                    _num(s.get("ratio"), 2),
                    _num(s.get("ratio_bare_pg"), 2),
                    _num(s.get("cpu_us_per_request"), 0),
                    _num(s.get("cpu_ratio_bare_pg"), 2),
                ]
            )
    out += _table(
        [
            "op",
            "server",
            "req/s",
            "p50 ms",
            "p99 ms",
            "bridge/bare",
            "bridge/bare-pg",
            "server CPU us/req",
            "bare-pg CPU / bridge CPU",
        ],
        rows,
    )
    if m.get("round_trips"):
        out += _round_trip_table(m["round_trips"])
    if "ttfe" not in m:
        for note in doc["notes"]:
            out += ["", f"Note: {note}"]
        return "\n".join(out) + "\n"
    out += ["", "Time to first event (sequential, offline model):", ""]
    rows = []
    for db, ops in m["ttfe"].items():
        for op, s in ops.items():
            rows.append(
                [
                    db,
                    op,
                    _num(s["p50_ms"], 2),
                    _num(s["p99_ms"], 2),
                    _num(s["model_first_p50_ms"], 2),
                    _num(s["turn_p50_ms"], 2),
                ]
            )
    out += _table(
        [
            "db",
            "op",
            "first event p50 ms",
            "p99 ms",
            "first model event p50 ms",
            "whole turn p50 ms",
        ],
        rows,
    )
    sizes = [str(size) for size in plan["growth_sizes"]]
    out += ["", "Page latency (p50 ms, one connection) by stored items / threads:", ""]
    rows = []
    for db, ops in m["growth"].items():
        for op, s in ops.items():
            rows.append(
                [db, op, *(_num(s["p50_ms"][size], 2) for size in sizes), _num(s["growth"], 2)]
            )
    out += _table(["db", "op", *[f"{int(s):,}" for s in sizes], "largest/smallest"], rows)
    d = m["deltas"]
    s = m["streams"]
    out += [
        "",
        f"Streaming, {d['deltas']:,} deltas as fast as the model yields: bridge "
        f"{_num(d['bridge_us_per_delta'], 1)} us/delta in process (ASGI + SSE framing, the "
        f"responder's {_num(d['responder_us_per_delta'], 1)} us excluded); "
        f"{_num(d['uvicorn_cpu_us_per_delta'], 1)} us/delta of uvicorn process CPU; "
        f"{_num(d['client_deltas_per_second'], 0)} deltas/s seen by the client.",
        "",
        f"{s['open']} of {s['streams']} streams open (one delta every "
        f"{plan['stream_interval'] * 1000:.0f} ms): RSS {_num(s['rss_before_mb'])} -> "
        f"{_num(s['rss_during_mb'])} MB, {_num(s['kb_per_stream'])} KB/stream; items.list "
        f"meanwhile {_num(s['items_list_rps'], 0)} req/s, p50 {_num(s['items_list_p50_ms'], 2)} "
        f"ms, p99 {_num(s['items_list_p99_ms'], 2)} ms.",
    ]
    for note in doc["notes"]:
        out += ["", f"Note: {note}"]
    return "\n".join(out) + "\n"
