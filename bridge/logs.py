"""Logging: one structured line per request (and per error with its cause).

`BRIDGE_LOG_FORMAT=json` writes JSON lines; the default writes `key=value` pairs. The level
comes from `--log-level` or `BRIDGE_LOG_LEVEL`.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .metrics import Metrics

from .env import Env

log = logging.getLogger("bridge.request")


@dataclass
class RequestLog:
    """What the request line says; streams fill in `events` and `outcome` as they go."""

    method: str
    path: str
    started: float = field(default_factory=time.perf_counter)
    op: str | None = None
    user: str | None = None
    thread: str | None = None
    status: int | None = None
    events: int | None = None
    outcome: str | None = None
    error: str | None = None
    reason: str | None = None
    """The machine-readable cause of a failed turn (its error event has a protocol code only)."""
    done: bool = False
    # For /metrics (bridge/metrics.py): the route's name, when the first event and the first
    # assistant text went out, and where to count it all.
    route: str | None = None
    first_event_at: float | None = None
    first_token_at: float | None = None
    metrics: Metrics | None = None

    def emit(self) -> None:
        """Write the line once."""
        if self.done:
            return
        self.done = True
        if self.metrics is not None:
            self.metrics.observe(self)
        level = (
            logging.WARNING
            if (self.status or 0) >= 500 or self.outcome == "error"
            else logging.INFO
        )
        if not log.isEnabledFor(level):
            return  # a level that drops the line: do not build it (a read costs ~300 µs)
        fields = {
            "method": self.method,
            "path": self.path,
            "op": self.op,
            "user": self.user,
            "thread": self.thread,
            "status": self.status,
            "ms": round((time.perf_counter() - self.started) * 1000, 1),
            "events": self.events,
            "outcome": self.outcome,
            "error": self.error,
            "reason": self.reason,
        }
        log.log(
            level, "request", extra={"fields": {k: v for k, v in fields.items() if v is not None}}
        )


class _Formatter(logging.Formatter):
    def __init__(self, as_json: bool) -> None:
        super().__init__()
        self.as_json = as_json

    def format(self, record: logging.LogRecord) -> str:
        fields: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        fields.update(getattr(record, "fields", {}))
        if record.exc_info:
            fields["exc"] = self.formatException(record.exc_info)
        if self.as_json:
            return json.dumps(fields, default=str)
        parts = []
        for key, value in fields.items():
            text = str(value)
            # Quoting escapes CR, LF and every other control character: a request value must
            # never start a line of its own (issue 15, forged log lines).
            if not text or not text.isprintable() or " " in text or "=" in text or '"' in text:
                text = json.dumps(text)
            parts.append(f"{key}={text}")
        return " ".join(parts)


def configure(level: str | None = None, fmt: str | None = None) -> None:
    """Send the bridge's logs to stderr in the chosen format and level."""
    env = Env()
    level = (level or env.text("BRIDGE_LOG_LEVEL") or "info").upper()
    fmt = fmt or env.text("BRIDGE_LOG_FORMAT") or "text"
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Formatter(as_json=fmt == "json"))
    # The "Optimization" knobs of Python's logging HOWTO: the lines never show the caller's
    # file, thread or process, so skip finding them for every record (one per request).
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(getattr(logging, level, logging.INFO))
    # Alembic narrates its plugins and context at start-up; the bridge says what matters.
    logging.getLogger("alembic").setLevel(max(root.level, logging.WARNING))
