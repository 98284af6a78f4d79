"""The servers under test, each run as its own uvicorn process on 127.0.0.1.

    python -m bench.servers bridge --port P --db URL --data-dir DIR
    python -m bench.servers bare --port P --bodies FILE
    python -m bench.servers bare-pg --port P --db URL

Both run with the same uvicorn settings (one worker, uvloop and httptools when installed) and
the same `--log-level`, which defaults to what `python -m bridge serve` uses (info). Each writes
one line per request, as in production: the bridge its own structured line (`bridge serve`
turns uvicorn's access log off), the bare endpoint uvicorn's access line. The logs go to a
file of the run.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

BENCH_USER_HEADER = "x-bench-user"
BENCH_USER = "bench"


class HeaderAuthenticator:
    """The user named by `x-bench-user` (default `bench`), so one database holds many users."""

    async def authenticate(self, request: Request) -> object:
        """A Principal for the header's user."""
        from bridge.auth import Principal

        return Principal(request.headers.get(BENCH_USER_HEADER, BENCH_USER), {})


def bridge_app(db_url: str, data_dir: Path, *, limiter: str = "off") -> Starlette:
    """The bridge on `db_url`, answering with the bench responder (offline model fallback).

    `limiter="default"` keeps the rate limiter a deployment gets (RATE_LIMIT_PER_MINUTE,
    counting in the same database); "off" measures the bridge without it.
    """
    from bridge.app import create_app
    from bridge.limits import RateLimiter
    from bridge.settings import Settings

    from .responders import BenchResponder, offline_responder

    settings = Settings.from_env(
        database_url=db_url, data_dir=data_dir, offline=True, openai_api_key=None, cors_origins=()
    )
    fallback, _ = offline_responder(settings)
    from bridge.todo.todo_app import TodoApp

    return create_app(
        settings,
        app=TodoApp(),  # the offline fallback uses the todo tools and their tables
        responder=BenchResponder(fallback),
        authenticator=HeaderAuthenticator(),
        limiter=RateLimiter(0) if limiter == "off" else None,
    )


def bare_app(bodies: dict[str, bytes]) -> Starlette:
    """A Starlette endpoint answering canned bodies, picked by the op name in the request."""
    table = [(f'"{op}"'.encode(), body) for op, body in bodies.items()]

    async def chatkit(request: Request) -> Response:
        body = await request.body()
        for marker, canned in table:
            if marker in body:
                return Response(canned, media_type="application/json")
        return Response(b'{"error":{"code":"unknown"}}', 400, media_type="application/json")

    async def healthz(request: Request) -> Response:
        return Response(b'{"status":"ok"}', media_type="application/json")

    return Starlette(
        routes=[
            Route("/chatkit", chatkit, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ]
    )


BARE_PG_POOL = 10
"""Connections of the bare PostgreSQL endpoint: the bridge's default pool size."""


def bare_pg_app(db_url: str) -> Starlette:
    """items.list's one query through psycopg 3 on the bridge's table: the floor for the
    bridge on PostgreSQL (a body parse, a pooled autocommit connection, the page's JSON)."""
    import asyncio
    import contextlib
    from collections.abc import AsyncIterator

    import psycopg
    from sqlalchemy.engine import make_url

    from schemas import HIDDEN_ITEM_TYPES

    url = make_url(db_url).set(drivername="postgresql").render_as_string(hide_password=False)
    hidden = sorted(HIDDEN_ITEM_TYPES)
    sql = (
        "SELECT id, data FROM items WHERE thread_id = %s AND user_id = %s"
        + "".join(" AND type <> %s" for _ in hidden)
        + " ORDER BY seq DESC LIMIT %s"
    )
    pool: asyncio.Queue[psycopg.AsyncConnection[Any]] = asyncio.Queue()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        for _ in range(BARE_PG_POOL):
            pool.put_nowait(await psycopg.AsyncConnection.connect(url, autocommit=True))
        yield
        while not pool.empty():
            await pool.get_nowait().close()

    async def chatkit(request: Request) -> Response:
        body = json.loads(await request.body())
        params = body["params"]
        limit = int(params.get("limit") or 20)
        user = request.headers.get(BENCH_USER_HEADER, BENCH_USER)
        conn = await pool.get()
        try:
            cur = await conn.execute(sql, (params["thread_id"], user, *hidden, limit + 1))
            rows = await cur.fetchall()
        finally:
            pool.put_nowait(conn)
        has_more = len(rows) > limit
        rows = rows[:limit]
        page = '{"data":[' + ",".join(row[1] for row in rows) + '],"has_more":'
        page += "true" if has_more else "false"
        if has_more:
            page += ',"after":' + json.dumps(rows[-1][0])
        return Response((page + "}").encode(), media_type="application/json")

    async def healthz(request: Request) -> Response:
        return Response(b'{"status":"ok"}', media_type="application/json")

    return Starlette(
        routes=[
            Route("/chatkit", chatkit, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ],
        lifespan=lifespan,
    )


def configure_logs(level: str) -> None:
    """The root logger as the bridge's command line sets it (bridge.logs when it exists)."""
    try:
        from bridge.logs import configure
    except ImportError:
        import logging

        logging.basicConfig(level=level.upper())
        logging.getLogger().setLevel(level.upper())
    else:
        configure(level)


def serve(app: Starlette, port: int, log_level: str, *, access_log: bool) -> None:
    """Serve `app` on 127.0.0.1:port until SIGTERM."""
    configure_logs(log_level)
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        workers=1,
        log_level=log_level,
        access_log=access_log and log_level in ("info", "debug", "trace"),
        timeout_graceful_shutdown=3,
    )


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and serve."""
    parser = argparse.ArgumentParser(prog="python -m bench.servers")
    sub = parser.add_subparsers(dest="kind", required=True)
    bridge = sub.add_parser("bridge")
    bridge.add_argument("--port", type=int, required=True)
    bridge.add_argument("--db", required=True)
    bridge.add_argument("--data-dir", type=Path, required=True)
    bridge.add_argument("--limiter", choices=["off", "default"], default="off")
    bare = sub.add_parser("bare")
    bare.add_argument("--port", type=int, required=True)
    bare.add_argument("--bodies", type=Path, required=True)
    bare_pg = sub.add_parser("bare-pg")
    bare_pg.add_argument("--port", type=int, required=True)
    bare_pg.add_argument("--db", required=True)
    for kind in (bridge, bare, bare_pg):
        kind.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)
    if args.kind == "bridge":
        app = bridge_app(args.db, args.data_dir, limiter=args.limiter)
    elif args.kind == "bare-pg":
        app = bare_pg_app(args.db)
    else:
        raw = json.loads(args.bodies.read_text())
        app = bare_app({op: text.encode() for op, text in raw.items()})
    # The bridge logs each request itself, as `bridge serve` runs it; the bare endpoint has
    # only uvicorn's access line: one line per request on both sides.
    serve(app, args.port, args.log_level, access_log=args.kind != "bridge")


if __name__ == "__main__":
    main()
