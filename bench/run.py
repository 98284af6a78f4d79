"""The bench run: seed, start the servers, measure each part, stop everything.

Throughput runs alternate between the bare endpoint and the bridges within each round (the
order rotates every round), so both see the same machine state; every figure is a median
over rounds.
"""

from __future__ import annotations

import asyncio
import json
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import seed as seeding
from .client import post
from .procs import Holder, Server, load
from .responders import Script
from .roundtrips import measure_round_trips

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Plan:
    """How much to measure: `FULL` for `make bench`, `QUICK` for the smoke test."""

    rounds: int = 5
    seconds: float = 3.0
    concurrency: int = 16
    ttfe_samples: int = 100
    stream_deltas: int = 2000
    delta_reps: int = 7
    delta_turns: int = 5
    streams: int = 500
    stream_interval: float = 0.1
    hold_seconds: float = 90.0
    growth_sizes: tuple[int, ...] = (10, 1_000, 100_000)
    growth_rounds: int = 3
    growth_seconds: float = 1.0
    log_level: str = "info"
    rt_rounds: int = 5
    rt_samples: int = 10
    rtt_ms: float = 20.0


FULL = Plan()
QUICK = Plan(
    rounds=1,
    seconds=1.0,
    ttfe_samples=10,
    delta_reps=3,
    delta_turns=2,
    streams=50,
    hold_seconds=40.0,
    growth_sizes=(10, 100, 1_000),
    growth_rounds=1,
    growth_seconds=0.4,
    rt_rounds=1,
    rt_samples=3,
)

THROUGHPUT_OPS = ("items.list", "threads.get_by_id")
GROWTH_OPS = ("items.list", "items.list.after", "threads.list")
BARE_PG_OPS = ("items.list",)
"""What the bare PostgreSQL endpoint answers (the bridge on PostgreSQL is compared to it)."""


def _log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _body(op: str, **params: Any) -> str:
    return json.dumps({"type": op, "params": params})


def throughput_body(op: str) -> str:
    """The request each throughput run repeats."""
    if op == "items.list":
        return _body(op, thread_id=seeding.PAGE_THREAD, limit=20, order="desc")
    return _body(op, thread_id=seeding.PAGE_THREAD)


def growth_request(op: str, size: int) -> tuple[str, str | None]:
    """(body, user) for a growth run at `size` stored items or threads."""
    thread = seeding.growth_thread(size)
    if op == "items.list":
        return _body("items.list", thread_id=thread, limit=20, order="desc"), None
    if op == "items.list.after":
        middle = seeding.item_id(thread, size // 2)
        return _body("items.list", thread_id=thread, limit=20, order="desc", after=middle), None
    return _body("threads.list", limit=20, order="desc"), seeding.growth_user(size)


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


# ---- the parts ---------------------------------------------------------------------------------


def measure_throughput(
    plan: Plan, servers: dict[str, Server], ops: tuple[str, ...] = THROUGHPUT_OPS
) -> dict[str, Any]:
    """items.list and threads.get_by_id at `plan.concurrency` connections, interleaved."""
    runs: dict[str, dict[str, list[dict[str, Any]]]] = {
        op: {name: [] for name in servers if _serves(name, op)} for op in ops
    }
    names = list(servers)
    for round_ in range(plan.rounds):
        order = names[round_ % len(names) :] + names[: round_ % len(names)]
        for op in ops:
            for name in order:
                if not _serves(name, op):
                    continue
                cpu = servers[name].cpu_seconds()
                result = load(
                    "rps",
                    servers[name].port,
                    "--body",
                    throughput_body(op),
                    "--concurrency",
                    str(plan.concurrency),
                    "--seconds",
                    str(plan.seconds),
                )
                # Server CPU per answer: unlike req/s, barely moved by other load on the machine.
                used = servers[name].cpu_seconds() - cpu
                result["cpu_us"] = used / result["answered"] * 1e6 if result["answered"] else None
                runs[op][name].append(result)
        _log(f"throughput round {round_ + 1}/{plan.rounds} done")
    out: dict[str, Any] = {}
    for op in ops:
        per_server: dict[str, Any] = {}
        bare = runs[op]["bare"]
        for name, results in runs[op].items():
            summary: dict[str, Any] = {
                "rps": _median([r["rps"] for r in results]),
                "p50_ms": _median([r["p50_ms"] for r in results]),
                "p99_ms": _median([r["p99_ms"] for r in results]),
                "errors": sum(len(r["errors"]) for r in results),
                "rounds_rps": [round(r["rps"], 1) for r in results],
                "cpu_us_per_request": _median([r["cpu_us"] for r in results if r["cpu_us"]]),
            }
            if name not in ("bare", "bare-pg"):
                summary["ratio"] = _median(
                    [r["rps"] / b["rps"] for r, b in zip(results, bare, strict=True) if b["rps"]]
                )
            if name == "postgres" and "bare-pg" in runs[op]:
                floor = runs[op]["bare-pg"]
                summary["ratio_bare_pg"] = _median(
                    [r["rps"] / b["rps"] for r, b in zip(results, floor, strict=True) if b["rps"]]
                )
                summary["cpu_ratio_bare_pg"] = _median(
                    [
                        b["cpu_us"] / r["cpu_us"]
                        for r, b in zip(results, floor, strict=True)
                        if b["cpu_us"] and r["cpu_us"]
                    ]
                )
            per_server[name] = summary
        out[op] = per_server
    return out


def _serves(name: str, op: str) -> bool:
    return name != "bare-pg" or op in BARE_PG_OPS


def measure_growth(plan: Plan, bridges: dict[str, Server]) -> dict[str, Any]:
    """Sequential page latency (p50) at each stored size, per database."""
    out: dict[str, Any] = {}
    for name, server in bridges.items():
        samples: dict[str, dict[int, list[float]]] = {
            op: {size: [] for size in plan.growth_sizes} for op in GROWTH_OPS
        }
        for _ in range(plan.growth_rounds):
            for size in plan.growth_sizes:
                for op in GROWTH_OPS:
                    body, user = growth_request(op, size)
                    args = ["--body", body, "--concurrency", "1"]
                    args += ["--seconds", str(plan.growth_seconds), "--warmup", "0.2"]
                    if user:
                        args += ["--user", user]
                    result = load("rps", server.port, *args)
                    if result["errors"]:
                        raise RuntimeError(f"growth {op} at {size}: {result['errors']}")
                    samples[op][size].append(result["p50_ms"])
        per_op: dict[str, Any] = {}
        for op, by_size in samples.items():
            p50 = {str(size): _median(values) for size, values in by_size.items()}
            smallest, largest = p50[str(plan.growth_sizes[0])], p50[str(plan.growth_sizes[-1])]
            per_op[op] = {"p50_ms": p50, "growth": largest / smallest if smallest else None}
        out[name] = per_op
        _log(f"growth on {name} done")
    return out


def measure_ttfe(plan: Plan, bridges: dict[str, Server]) -> dict[str, Any]:
    """Time to first event of threads.create and threads.add_user_message, per database."""
    out: dict[str, Any] = {}
    for name, server in bridges.items():
        out[name] = load(
            "ttfe", server.port, "--samples", str(plan.ttfe_samples), "--text", "hello"
        )
        _log(f"time to first event on {name} done")
    return out


def measure_deltas(plan: Plan, bridge: Server, work: Path) -> dict[str, Any]:
    """Bridge cost per delta: in process (primary) and as uvicorn process CPU (secondary)."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.deltas",
            "--db",
            f"sqlite:///{work / 'deltas.db'}",
            "--data-dir",
            str(work / "deltas-data"),
            "--deltas",
            str(plan.stream_deltas),
            "--reps",
            str(plan.delta_reps),
        ],
        capture_output=True,
        timeout=300,
        check=False,
    )
    lines = [line for line in done.stdout.decode().splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"bench.deltas failed:\n{done.stderr.decode(errors='replace')}")
    result: dict[str, Any] = json.loads(lines[-1])

    long = Script(plan.stream_deltas).text()
    short = Script(0).text()
    turns = str(plan.delta_turns)
    load("turns", bridge.port, "--samples", "2", "--text", long)
    cpu0 = bridge.cpu_seconds()
    streamed = load("turns", bridge.port, "--samples", turns, "--text", long)
    cpu1 = bridge.cpu_seconds()
    load("turns", bridge.port, "--samples", turns, "--text", short)
    cpu2 = bridge.cpu_seconds()
    deltas = plan.delta_turns * plan.stream_deltas
    per_delta = ((cpu1 - cpu0) - (cpu2 - cpu1)) / deltas * 1e6
    result["uvicorn_cpu_us_per_delta"] = per_delta - result["responder_us_per_delta"]
    result["client_deltas_per_second"] = deltas / sum(streamed["seconds"])
    _log("per-delta cost done")
    return result


def measure_streams(plan: Plan, work: Path, logs: Path) -> dict[str, Any]:
    """Open `plan.streams` slow answers; RSS per stream and items.list latency meanwhile."""
    db = f"sqlite:///{work / 'streams.db'}"
    asyncio.run(seeding.seed(db, "bench", ()))
    bridge = Server.start(
        "bridge-streams",
        [
            "bridge",
            "--db",
            db,
            "--data-dir",
            str(work / "streams-data"),
            "--log-level",
            plan.log_level,
        ],
        logs,
    )
    try:
        load("rps", bridge.port, "--body", throughput_body("items.list"), "--seconds", "0.5")
        load("turns", bridge.port, "--samples", "3", "--text", Script(5, 0.01).text())
        time.sleep(1.0)
        rss_before = bridge.rss_kb()
        deltas = int(plan.hold_seconds / plan.stream_interval) + 100
        holder = Holder(
            bridge.port,
            "--streams",
            str(plan.streams),
            "--batch",
            "50",
            "--text",
            Script(deltas, plan.stream_interval).text(),
            max_seconds=plan.hold_seconds,
        )
        try:
            opened = holder.ready()
            time.sleep(1.0)
            rss_open = bridge.rss_kb()
            during = load(
                "rps",
                bridge.port,
                "--body",
                throughput_body("items.list"),
                "--concurrency",
                str(plan.concurrency),
                "--seconds",
                str(max(plan.seconds, 3.0)),
            )
            rss_after = bridge.rss_kb()
        finally:
            held = holder.stop()
    finally:
        bridge.stop()
    open_streams = opened["ready"]
    rss_during = max(rss_open, rss_after)
    _log(f"{open_streams} open streams done")
    return {
        "streams": plan.streams,
        "open": open_streams,
        "open_at_stop": held["open_at_stop"],
        "ramp_seconds": opened["ramp_seconds"],
        "failures": opened["failures"] + held["failures"],
        "rss_before_mb": rss_before / 1024,
        "rss_during_mb": rss_during / 1024,
        "kb_per_stream": (rss_during - rss_before) / open_streams if open_streams else None,
        "items_list_rps": during["rps"],
        "items_list_p50_ms": during["p50_ms"],
        "items_list_p99_ms": during["p99_ms"],
        "items_list_errors": len(during["errors"]),
        "frames_received": held["frames"],
    }


# ---- the run -----------------------------------------------------------------------------------


@contextmanager
def _servers(
    plan: Plan, work: Path, logs: Path, pg_url: str | None, notes: list[str]
) -> Iterator[tuple[dict[str, Server], Server, dict[str, str]]]:
    with ExitStack() as stack:
        dbs = {"sqlite": f"sqlite:///{work / 'bench.db'}"}
        if pg_url != "off":
            from .postgres import bench_schema

            found = bench_schema(pg_url)
            if isinstance(found, str):
                notes.append(f"PostgreSQL skipped: {found}")
                _log(notes[-1])
            else:
                dbs["postgres"], drop = found
                stack.callback(drop)
        bridges: dict[str, Server] = {}
        for name, url in dbs.items():
            started = time.perf_counter()
            asyncio.run(seeding.seed(url, "bench", plan.growth_sizes))
            _log(f"seeded {name} in {time.perf_counter() - started:.1f}s")
            server = Server.start(
                f"bridge-{name}",
                [
                    "bridge",
                    "--db",
                    url,
                    "--data-dir",
                    str(work / f"{name}-data"),
                    "--log-level",
                    plan.log_level,
                ],
                logs,
            )
            stack.callback(server.stop)
            bridges[name] = server
        sqlite = bridges["sqlite"]
        bodies = {
            op: asyncio.run(post(sqlite.port, "/chatkit", throughput_body(op).encode())).decode()
            for op in THROUGHPUT_OPS
        }
        servers = {**_bare_servers(stack, plan, work, logs, bodies, dbs.get("postgres")), **bridges}
        yield servers, sqlite, dbs


def _bare_servers(
    stack: ExitStack,
    plan: Plan,
    work: Path,
    logs: Path,
    bodies: dict[str, str],
    pg_url: str | None,
) -> dict[str, Server]:
    """The floors the bridge is compared with: `bare` answers the recorded bodies, `bare-pg`
    runs the same page query through psycopg (when PostgreSQL is measured)."""
    (work / "bodies.json").write_text(json.dumps(bodies))
    args = ["--log-level", plan.log_level]
    bare = Server.start("bare", ["bare", "--bodies", str(work / "bodies.json"), *args], logs)
    stack.callback(bare.stop)
    servers = {"bare": bare}
    if pg_url is not None:
        bare_pg = Server.start("bare-pg", ["bare-pg", "--db", pg_url, *args], logs)
        stack.callback(bare_pg.stop)
        servers["bare-pg"] = bare_pg
    return servers


def run_postgres(plan: Plan, *, pg_url: str | None, keep: bool = False) -> dict[str, Any]:
    """Only issue #13's PostgreSQL measurements: items.list against bare psycopg, interleaved,
    and the round trips per phase of a turn."""
    from .postgres import bench_schema

    work = Path(tempfile.mkdtemp(prefix="chatkit-bench-"))
    logs = work / "logs"
    logs.mkdir()
    started = time.perf_counter()
    metrics: dict[str, Any] = {}
    notes: list[str] = []
    found = bench_schema(None if pg_url in (None, "off") else pg_url)
    if isinstance(found, str):
        raise SystemExit(found)
    url, drop = found
    try:
        asyncio.run(seeding.seed(url, "bench", ()))
        with ExitStack() as stack:
            bridge = Server.start(
                "bridge-postgres",
                [
                    *("bridge", "--db", url, "--data-dir", str(work / "pg-data")),
                    *("--log-level", plan.log_level),
                ],
                logs,
            )
            stack.callback(bridge.stop)
            bodies = {
                "items.list": asyncio.run(
                    post(bridge.port, "/chatkit", throughput_body("items.list").encode())
                ).decode()
            }
            servers = {**_bare_servers(stack, plan, work, logs, bodies, url), "postgres": bridge}
            metrics["throughput"] = {
                "items.list": measure_throughput(plan, servers, ops=("items.list",))["items.list"]
            }
        metrics["round_trips"] = _round_trips(plan, url, work, logs)
    finally:
        drop()
        if keep:
            _log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return _document(
        "python -m bench --only postgres",
        plan,
        quick=False,
        started=started,
        offline=offline_model_status() is None,
        databases=["postgres"],
        notes=notes,
        metrics=metrics,
    )


def offline_model_status() -> str | None:
    """None when `bridge.agent.make_responder` imports, else why not."""
    try:
        from bridge.todo.tools import make_responder  # noqa: F401
    except Exception as exc:
        return f"bridge.agent.make_responder did not import ({exc!r}); turns used an echo"
    return None


def run(plan: Plan, *, quick: bool, pg_url: str | None, keep: bool = False) -> dict[str, Any]:
    """Measure everything; the results as the JSON document `report` prints."""
    work = Path(tempfile.mkdtemp(prefix="chatkit-bench-"))
    logs = work / "logs"
    logs.mkdir()
    notes: list[str] = []
    offline = offline_model_status()
    if offline:
        notes.append(offline)
    started = time.perf_counter()
    metrics: dict[str, Any] = {}
    try:
        with _servers(plan, work, logs, pg_url, notes) as (servers, sqlite, dbs):
            bridges = {name: s for name, s in servers.items() if not name.startswith("bare")}
            metrics["throughput"] = measure_throughput(plan, servers)
            metrics["growth"] = measure_growth(plan, bridges)
            metrics["ttfe"] = measure_ttfe(plan, bridges)
            metrics["deltas"] = measure_deltas(plan, sqlite, work)
            if "postgres" in dbs:
                metrics["round_trips"] = _round_trips(plan, dbs["postgres"], work, logs)
                _log("round trips on PostgreSQL done")
        metrics["streams"] = measure_streams(plan, work, logs)
    finally:
        if keep:
            _log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return _document(
        "make bench" + (" BENCH_ARGS=--quick" if quick else ""),
        plan,
        quick=quick,
        started=started,
        offline=offline is None,
        databases=sorted(metrics["ttfe"]),
        notes=notes,
        metrics=metrics,
    )


def _round_trips(plan: Plan, url: str, work: Path, logs: Path) -> dict[str, Any]:
    """`measure_round_trips` with the plan's rounds, samples, RTT and log level."""
    return measure_round_trips(
        url,
        work,
        logs,
        rounds=plan.rt_rounds,
        samples=plan.rt_samples,
        rtt_ms=plan.rtt_ms,
        level=plan.log_level,
    )


def _document(
    command: str,
    plan: Plan,
    *,
    quick: bool,
    started: float,
    offline: bool,
    databases: list[str],
    notes: list[str],
    metrics: dict[str, Any],
) -> dict[str, Any]:
    """The results as the JSON document `report` prints."""
    return {
        "version": 1,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": command,
        "quick": quick,
        "seconds": round(time.perf_counter() - started, 1),
        "machine": _machine(),
        "plan": asdict(plan),
        "offline_model": offline,
        "databases": databases,
        "notes": notes,
        "metrics": metrics,
    }


def _machine() -> dict[str, Any]:
    import os

    memory = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "memory_gb": memory,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "versions": _versions(),
    }


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for name in ("starlette", "uvicorn", "sse-starlette", "sqlalchemy", "aiosqlite", "psycopg"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            continue
    return found
