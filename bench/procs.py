"""Child processes: the servers under test and the load runs, on loopback, always bounded.

Every child is started by this module and stopped by its own pid; nothing here outlives the
bench run.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from .client import get

READY_SECONDS = 60.0
_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    """A port nobody listens on right now (the server binds it a moment later)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _python(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]


@dataclass
class Server:
    """A server under test: a uvicorn child process on 127.0.0.1:port."""

    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path
    _log_file: IO[bytes] | None = field(default=None, repr=False)

    @classmethod
    def start(cls, name: str, args: Sequence[str], log_dir: Path) -> Server:
        """Start `python -m bench.servers <args> --port <free>` and wait for /healthz."""
        log = log_dir / f"{name}.log"
        log_file = log.open("wb")
        port = free_port()
        process = subprocess.Popen(
            _python("bench.servers", *args, "--port", str(port)),
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        server = cls(name, port, process, log, log_file)
        try:
            server.wait_ready()
        except BaseException:
            server.stop()
            raise
        return server

    def wait_ready(self) -> None:
        """Poll /healthz until it answers 200, or fail with the server's log."""
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                status, _ = asyncio.run(get(self.port, "/healthz"))
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not start; its log:\n{self.tail()}")

    def tail(self, lines: int = 30) -> str:
        """The end of the server's log."""
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def rss_kb(self) -> int:
        """Resident memory of the server process (VmRSS), in KiB."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("no VmRSS in /proc status")

    def cpu_seconds(self) -> float:
        """User plus system CPU time the server process (all its threads) has used."""
        stat = Path(f"/proc/{self.process.pid}/stat").read_text()
        fields = stat[stat.rindex(")") + 2 :].split()
        return (int(fields[11]) + int(fields[12])) / _TICKS

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it does not exit within a few seconds."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=8)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None


def load(mode: str, port: int, *args: str, timeout: float = 300.0) -> dict[str, Any]:
    """Run `python -m bench.load <mode>` to completion and return its JSON."""
    done = subprocess.run(
        _python("bench.load", mode, "--port", str(port), *args),
        capture_output=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"bench.load {mode} failed:\n{done.stderr.decode(errors='replace')}")
    result: dict[str, Any] = json.loads(done.stdout.decode().strip().splitlines()[-1])
    return result


class Holder:
    """`python -m bench.load hold …` running: it reports once its streams are open."""

    def __init__(self, port: int, *args: str, max_seconds: float) -> None:
        self.process = subprocess.Popen(
            _python(
                "bench.load", "hold", "--port", str(port), "--max-seconds", str(max_seconds), *args
            ),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.max_seconds = max_seconds

    def ready(self) -> dict[str, Any]:
        """Wait for the 'streams are open' line."""
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            self.process.wait(timeout=10)
            assert self.process.stderr is not None
            raise RuntimeError(
                f"hold failed:\n{self.process.stderr.read().decode(errors='replace')}"
            )
        result: dict[str, Any] = json.loads(line)
        return result

    def stop(self) -> dict[str, Any]:
        """Tell it to close its streams; its final numbers."""
        try:
            out, err = self.process.communicate(b"stop\n", timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            out, err = self.process.communicate(timeout=5)
        lines = out.decode().strip().splitlines()
        if self.process.returncode != 0 or not lines:
            raise RuntimeError(f"hold failed:\n{err.decode(errors='replace')}")
        result: dict[str, Any] = json.loads(lines[-1])
        return result
