"""The bridge's own cost per streamed delta, measured inside one process.

    python -m bench.deltas --db URL --data-dir DIR --deltas 2000 --reps 5

A threads.create turn whose responder yields N deltas as fast as it can is driven through the
real ASGI app (routing, decoding, the turn pipeline, SSE framing) with hand-written
`receive`/`send`, so no socket or client is timed. From that the fixed cost of a turn
(N = 0) and the responder's own cost (iterating it alone) are subtracted:

    per delta = ((app(N) - app(0)) - (responder(N) - responder(0))) / N

Each figure is the median of `reps` interleaved runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from pathlib import Path
from typing import Any

from starlette.applications import Starlette

from bridge.responder import Turn
from bridge.settings import Settings
from db import Store, make_engine
from schemas import ThreadMetadata, UserMessageItem, utcnow

from .load import create_body, run
from .responders import Script, scripted_answer


async def drive(app: Starlette, body: bytes) -> tuple[float, int]:
    """POST /chatkit through the ASGI app; (seconds until the body ended, body messages)."""
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/chatkit",
        "raw_path": b"/chatkit",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"127.0.0.1"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    ended = asyncio.Event()
    sent = False
    messages = 0
    status = 0
    finished_at = 0.0

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await ended.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal messages, status, finished_at
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            messages += 1
            if not message.get("more_body", False):
                finished_at = time.perf_counter()
                ended.set()

    started = time.perf_counter()
    await app(scope, receive, send)  # type: ignore[arg-type]
    if status != 200:
        raise RuntimeError(f"the bridge answered {status}")
    return finished_at - started, messages


async def responder_alone(store: Store, settings: Settings, script: Script) -> float:
    """Seconds to iterate the scripted responder with nothing consuming its events."""
    thread = ThreadMetadata(id="thr_alone", created_at=utcnow())
    item = UserMessageItem(
        id="msg_alone",
        thread_id=thread.id,
        created_at=utcnow(),
        content=[{"type": "input_text", "text": script.text()}],  # type: ignore[list-item]
    )
    turn = Turn(user_id="bench", thread=thread, store=store, settings=settings, input=item)
    started = time.perf_counter()
    async for _ in scripted_answer(turn, script):
        pass
    return time.perf_counter() - started


async def measure(db_url: str, data_dir: Path, deltas: int, reps: int) -> dict[str, Any]:
    """Median timings and the per-delta cost, in microseconds."""
    from .servers import bridge_app

    app = bridge_app(db_url, data_dir)
    settings = Settings.from_env(database_url=db_url, data_dir=data_dir, offline=True)
    store = Store(make_engine(db_url))
    long, short = Script(deltas), Script(0)
    runs: dict[str, list[float]] = {"app_n": [], "app_0": [], "alone_n": [], "alone_0": []}
    messages = 0
    async with app.router.lifespan_context(app):
        for _ in range(2):  # warm caches, imports and the connection pool
            await drive(app, create_body(long.text()))
        for _ in range(reps):
            seconds, messages = await drive(app, create_body(long.text()))
            runs["app_n"].append(seconds)
            runs["app_0"].append((await drive(app, create_body(short.text())))[0])
            runs["alone_n"].append(await responder_alone(store, settings, long))
            runs["alone_0"].append(await responder_alone(store, settings, short))
    await store.engine.dispose()
    median = {key: statistics.median(values) for key, values in runs.items()}
    pipeline = median["app_n"] - median["app_0"]
    model = median["alone_n"] - median["alone_0"]
    return {
        "deltas": deltas,
        "reps": reps,
        "body_messages": messages,
        "app_seconds": median["app_n"],
        "app_empty_seconds": median["app_0"],
        "responder_seconds": median["alone_n"],
        "bridge_us_per_delta": (pipeline - model) / deltas * 1e6,
        "responder_us_per_delta": model / deltas * 1e6,
    }


def main(argv: list[str] | None = None) -> None:
    """Measure and print one JSON line."""
    parser = argparse.ArgumentParser(prog="python -m bench.deltas")
    parser.add_argument("--db", required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--deltas", type=int, default=2000)
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args(argv)
    print(json.dumps(run(measure(args.db, args.data_dir, args.deltas, args.reps))), flush=True)


if __name__ == "__main__":
    main()
