"""The load process: drives one server over loopback and prints its numbers as one JSON line.

    python -m bench.load rps   --port P --body JSON [--body JSON…] --concurrency 16 --seconds 3
    python -m bench.load ttfe  --port P --samples 50
    python -m bench.load turns --port P --samples 5 --text "bench deltas=2000 interval=0"
    python -m bench.load hold  --port P --streams 500 --text "bench deltas=600 interval=0.1"

Every mode stops by itself: `rps` after its seconds, `ttfe` and `turns` after their samples,
`hold` when told `stop` on stdin or at `--max-seconds`, whichever comes first.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections.abc import Coroutine, Sequence
from typing import Any

from .client import Connection, request_bytes

PATH = "/chatkit"
TEXT_DELTA = b'"type":"assistant_message.content_part.text_delta"'


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0 to 100) by the nearest-rank method; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def summary_ms(seconds: Sequence[float]) -> dict[str, float]:
    """p50, p90, p99, max and mean of durations, in milliseconds."""
    if not seconds:
        return {"p50_ms": float("nan"), "p90_ms": float("nan"), "p99_ms": float("nan")}
    ms = [s * 1000 for s in seconds]
    return {
        "p50_ms": percentile(ms, 50),
        "p90_ms": percentile(ms, 90),
        "p99_ms": percentile(ms, 99),
        "max_ms": max(ms),
        "mean_ms": statistics.fmean(ms),
    }


def user_message(text: str) -> dict[str, Any]:
    """The `input` of a user message with `text`."""
    return {"content": [{"type": "input_text", "text": text}], "attachments": []}


def create_body(text: str) -> bytes:
    """A threads.create request."""
    return json.dumps({"type": "threads.create", "params": {"input": user_message(text)}}).encode()


def add_message_body(thread_id: str, text: str) -> bytes:
    """A threads.add_user_message request."""
    params = {"thread_id": thread_id, "input": user_message(text)}
    return json.dumps({"type": "threads.add_user_message", "params": params}).encode()


# ---- rps: throughput and latency of JSON ops ---------------------------------------------------


async def run_rps(
    port: int,
    bodies: list[bytes],
    headers: dict[str, str],
    concurrency: int,
    seconds: float,
    warmup: float,
) -> dict[str, Any]:
    """`concurrency` keep-alive connections sending `bodies` in turn for `seconds`."""
    requests = [request_bytes(PATH, body, headers=headers) for body in bodies]
    latencies: list[float] = []
    completed = 0
    answered = 0
    errors: list[str] = []
    begin = time.perf_counter() + warmup
    end = begin + seconds

    async def worker(index: int) -> None:
        nonlocal completed, answered
        conn = await Connection(port).open()
        turn = index
        try:
            while True:
                started = time.perf_counter()
                if started >= end:
                    return
                status, body = await conn.request(requests[turn % len(requests)])
                finished = time.perf_counter()
                answered += 1
                turn += 1
                if status != 200:
                    if len(errors) < 5:
                        errors.append(f"{status}: {body[:200]!r}")
                elif begin <= finished <= end:
                    completed += 1
                if started >= begin and status == 200:
                    latencies.append(finished - started)
        finally:
            conn.close()

    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    return {
        "requests": len(latencies),
        "answered": answered,
        "errors": errors,
        "rps": completed / seconds,
        **summary_ms(latencies),
    }


# ---- ttfe and turns: streaming ops, one at a time ----------------------------------------------


async def timed_stream(conn: Connection, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    """One streaming op: when each frame arrived, relative to the request's first byte."""
    started = time.perf_counter()
    frames: list[tuple[float, bytes]] = []
    buffer = b""
    status = 0
    async for answered, at, chunk in conn.stream(request_bytes(PATH, body, headers=headers)):
        status = answered
        buffer += chunk
        *complete, buffer = buffer.split(b"\n\n")
        frames.extend((at - started, frame) for frame in complete if frame.startswith(b"data:"))
    if status != 200:
        raise RuntimeError(f"stream answered {status}: {buffer[:300]!r}")
    if not frames:
        raise RuntimeError("stream sent no events")
    options = next(
        (i for i, (_, frame) in enumerate(frames) if b'"type":"stream_options"' in frame), None
    )
    model_first = (
        frames[options + 1][0] if options is not None and options + 1 < len(frames) else None
    )
    delta_first = next((at for at, frame in frames if TEXT_DELTA in frame), None)
    return {
        "first": frames[0][0],
        "model_first": model_first,
        "delta_first": delta_first,
        "end": time.perf_counter() - started,
        "frames": [frame for _, frame in frames],
        "times": [at for at, _ in frames],
    }


def _thread_id(frame: bytes) -> str:
    event = json.loads(frame[len(b"data:") :])
    if event.get("type") != "thread.created":
        raise RuntimeError(f"the first event is {event.get('type')!r}, not thread.created")
    return str(event["thread"]["id"])


async def run_ttfe(
    port: int, samples: int, warmup: int, text: str, headers: dict[str, str]
) -> dict[str, Any]:
    """Time to first event of threads.create, then of threads.add_user_message."""
    conn = await Connection(port).open()
    results: dict[str, Any] = {}
    try:
        created: list[str] = []
        turns: list[dict[str, Any]] = []
        for n in range(warmup + samples):
            turn = await timed_stream(conn, create_body(text), headers)
            created.append(_thread_id(turn["frames"][0]))
            if n >= warmup:
                turns.append(turn)
        results["threads.create"] = _ttfe_summary(turns)
        turns = []
        for n in range(warmup + samples):
            thread_id = created[n % len(created)]
            turn = await timed_stream(conn, add_message_body(thread_id, text), headers)
            if n >= warmup:
                turns.append(turn)
        results["threads.add_user_message"] = _ttfe_summary(turns)
    finally:
        conn.close()
    return results


def _ttfe_summary(turns: list[dict[str, Any]]) -> dict[str, Any]:
    def p50(key: str) -> float:
        return summary_ms([t[key] for t in turns if t[key] is not None])["p50_ms"]

    ms = summary_ms([t["first"] for t in turns])
    return {
        "samples": len(turns),
        "p50_ms": ms["p50_ms"],
        "p99_ms": ms["p99_ms"],
        "model_first_p50_ms": p50("model_first"),
        "delta_first_p50_ms": p50("delta_first"),
        "turn_p50_ms": p50("end"),
    }


async def run_turns(port: int, samples: int, text: str, headers: dict[str, str]) -> dict[str, Any]:
    """`samples` threads.create turns one after another: their frame counts and durations."""
    conn = await Connection(port).open()
    spans: list[float] = []
    frames = 0
    try:
        for _ in range(samples):
            turn = await timed_stream(conn, create_body(text), headers)
            frames += len(turn["frames"])
            spans.append(turn["end"])
    finally:
        conn.close()
    return {"samples": samples, "frames": frames, "seconds": spans}


# ---- hold: many open streams at once -----------------------------------------------------------


async def run_hold(
    port: int,
    streams: int,
    batch: int,
    text: str,
    headers: dict[str, str],
    max_seconds: float,
) -> dict[str, Any]:
    """Open `streams` answers that stay open; report once all have streamed a delta."""
    deadline = time.perf_counter() + max_seconds
    stop = asyncio.Event()
    frames = 0
    failures: list[str] = []
    body = request_bytes(PATH, create_body(text), headers=headers)

    async def hold(ready: asyncio.Event) -> None:
        nonlocal frames
        conn = await Connection(port).open()
        try:
            async for status, _, chunk in conn.stream(body):
                if status != 200:
                    failures.append(f"{status}: {chunk[:200]!r}")
                    return
                frames += chunk.count(b"data:")
                if b'"assistant_message.content_part.text_delta"' in chunk:
                    ready.set()
                if stop.is_set():
                    return
        except Exception as exc:
            failures.append(repr(exc))
        finally:
            ready.set()
            conn.close()

    started = time.perf_counter()
    tasks: list[asyncio.Task[None]] = []
    for first in range(0, streams, batch):
        readies = [asyncio.Event() for _ in range(min(batch, streams - first))]
        tasks.extend(asyncio.create_task(hold(ready)) for ready in readies)
        remaining = max(0.1, deadline - time.perf_counter())
        await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), remaining)
    open_now = sum(1 for task in tasks if not task.done())
    _emit(
        {"ready": open_now, "failures": failures[:5], "ramp_seconds": time.perf_counter() - started}
    )

    loop = asyncio.get_running_loop()
    told = loop.run_in_executor(None, sys.stdin.readline)
    remaining = max(0.1, deadline - time.perf_counter())
    await asyncio.wait([told], timeout=remaining)
    still_open = sum(1 for task in tasks if not task.done())
    stop.set()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return {
        "ready": open_now,
        "open_at_stop": still_open,
        "frames": frames,
        "failures": failures[:5],
    }


# ---- command line ------------------------------------------------------------------------------


def _emit(value: dict[str, Any]) -> None:
    print(json.dumps(value), flush=True)


def _headers(user: str | None) -> dict[str, str]:
    return {"x-bench-user": user} if user else {}


async def _main(args: argparse.Namespace) -> dict[str, Any]:
    headers = _headers(args.user)
    match args.mode:
        case "rps":
            bodies = [body.encode() for body in args.body]
            return await run_rps(
                args.port, bodies, headers, args.concurrency, args.seconds, args.warmup
            )
        case "ttfe":
            return await run_ttfe(args.port, args.samples, args.warmup_samples, args.text, headers)
        case "turns":
            return await run_turns(args.port, args.samples, args.text, headers)
        case "hold":
            return await run_hold(
                args.port, args.streams, args.batch, args.text, headers, args.max_seconds
            )
    raise AssertionError(args.mode)


def main(argv: list[str] | None = None) -> None:
    """Run one mode and print its JSON."""
    parser = argparse.ArgumentParser(prog="python -m bench.load")
    parser.add_argument("mode", choices=["rps", "ttfe", "turns", "hold"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--user", default=None, help="x-bench-user header")
    parser.add_argument("--body", action="append", default=[], help="rps: a request body")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--warmup", type=float, default=0.5)
    parser.add_argument("--samples", type=int, default=50)
    parser.add_argument("--warmup-samples", type=int, default=3)
    parser.add_argument("--text", default="hello")
    parser.add_argument("--streams", type=int, default=500)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--max-seconds", type=float, default=120.0)
    args = parser.parse_args(argv)
    _emit(run(_main(args)))


def run(main: Coroutine[Any, Any, dict[str, Any]]) -> dict[str, Any]:
    """Run on uvloop when it is installed (as uvicorn does), else on asyncio's loop."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)


if __name__ == "__main__":
    main()
