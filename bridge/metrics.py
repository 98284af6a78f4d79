"""`GET /metrics`: Prometheus metrics (the `prometheus-client` library's text format).

Off unless `BRIDGE_METRICS=on` (requests are not counted either, so the bridge pays nothing
for them); with `BRIDGE_METRICS_TOKEN` set, a scraper must send `Authorization: Bearer
<token>`. Each app has a registry of its own, so two apps in one process (tests, embedding)
do not mix their counts.

| metric | labels | what |
|---|---|---|
| `chatkit_requests_total` | op, status | requests answered (op: the ChatKit op, or the route) |
| `chatkit_time_to_first_event_seconds` | op | request start to the stream's first event |
| `chatkit_time_to_first_token_seconds` | op | request start to the first assistant text |
| `chatkit_stream_duration_seconds` | op, outcome | streams, start to end, by how they ended |
| `chatkit_turn_errors_total` | reason | failed turns by cause (`model_*` are the model's) |
| `chatkit_open_streams` | | streams running now |
| `chatkit_db_pool_connections` | pool, state | `in_use`, `idle`, `overflow`, `size` |
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

if TYPE_CHECKING:
    from .logs import RequestLog

# First events come in milliseconds, first tokens and whole streams in seconds.
FAST_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
SLOW_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)


class PoolCollector(Collector):
    """The database pools' state, read when scraped."""

    def __init__(self, pools: dict[str, Any]) -> None:
        self.pools = pools

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """One gauge family: connections by pool and state."""
        family = GaugeMetricFamily(
            "chatkit_db_pool_connections",
            "Database pool connections by state (in_use, idle, overflow, size).",
            labels=["pool", "state"],
        )
        for name, pool in self.pools.items():
            for state, method in (
                ("in_use", "checkedout"),
                ("idle", "checkedin"),
                ("overflow", "overflow"),
                ("size", "size"),
            ):
                read = getattr(pool, method, None)
                if callable(read):
                    family.add_metric([name, state], float(read()))
        yield family


class Metrics:
    """The bridge's metrics, in a registry of their own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "chatkit_requests",
            "Requests answered, by op and HTTP status.",
            ["op", "status"],
            registry=self.registry,
        )
        self.first_event = Histogram(
            "chatkit_time_to_first_event_seconds",
            "Seconds from the request's start to the stream's first event.",
            ["op"],
            buckets=FAST_BUCKETS,
            registry=self.registry,
        )
        self.first_token = Histogram(
            "chatkit_time_to_first_token_seconds",
            "Seconds from the request's start to the first assistant text.",
            ["op"],
            buckets=SLOW_BUCKETS,
            registry=self.registry,
        )
        self.stream_duration = Histogram(
            "chatkit_stream_duration_seconds",
            "Seconds a stream ran, by op and outcome.",
            ["op", "outcome"],
            buckets=SLOW_BUCKETS,
            registry=self.registry,
        )
        self.turn_errors = Counter(
            "chatkit_turn_errors",
            "Turns that ended with an error event, by cause (model_* from the model).",
            ["reason"],
            registry=self.registry,
        )
        self.open_streams = Gauge(
            "chatkit_open_streams", "Streams running now.", registry=self.registry
        )
        self._pools: dict[str, Any] = {}
        self.registry.register(PoolCollector(self._pools))

    def watch_pool(self, name: str, pool: Any) -> None:
        """Report `pool` (a SQLAlchemy pool) as `chatkit_db_pool_connections{pool=name}`."""
        self._pools[name] = pool

    def observe(self, record: RequestLog) -> None:
        """Count one finished request (streams: when the stream ends)."""
        op = record.op or record.route or "other"
        self.requests.labels(op, str(record.status or 0)).inc()
        if record.first_event_at is not None:
            self.first_event.labels(op).observe(record.first_event_at - record.started)
        if record.first_token_at is not None:
            self.first_token.labels(op).observe(record.first_token_at - record.started)
        if record.events is not None:
            elapsed = time.perf_counter() - record.started
            self.stream_duration.labels(op, record.outcome or "completed").observe(elapsed)
        if record.events is not None and record.reason is not None:
            self.turn_errors.labels(record.reason).inc()

    def exposition(self) -> bytes:
        """The Prometheus text format."""
        return generate_latest(self.registry)


def metrics_route(metrics: Metrics, token: str | None) -> Route:
    """`GET /metrics`; with `token`, only for `Authorization: Bearer <token>`."""
    expected = f"Bearer {token}".encode() if token else None

    async def endpoint(request: Request) -> Response:
        if expected is not None:
            given = request.headers.get("authorization", "").encode()
            if not hmac.compare_digest(given, expected):
                return Response(
                    "metrics need Authorization: Bearer <BRIDGE_METRICS_TOKEN>\n",
                    status_code=401,
                    media_type="text/plain",
                    headers={"www-authenticate": "Bearer"},
                )
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    return Route("/metrics", endpoint, methods=["GET"], name="metrics")
