"""Bug (issue 15, medium): unbounded request headers in the server `serve` runs.

Five connections each sending a 20 MB unterminated header raised the bridge's RSS from 216 to
341 MB, never released; 200 connections trickling a header were all still held after 40 s.
Fix: `bridge.http_limits.GuardedHttpToolsProtocol` (431 past BRIDGE_MAX_HEADER_BYTES, 408
past BRIDGE_HEADER_TIMEOUT_SECONDS), tested here on a real `chatkit-bridge serve` process.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ..live import bridge_process

pytestmark = pytest.mark.slow

START = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Filler: "


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    if not Path("/proc/self/status").exists():
        pytest.skip("RSS is read from /proc (Linux)")
    with bridge_process(
        BRIDGE_DATA_DIR=str(tmp_path / "data"),
        BRIDGE_OFFLINE="1",
        BRIDGE_HEADER_TIMEOUT_SECONDS="2",
    ) as (process, base):
        yield process, int(base.rsplit(":", 1)[1])


def _closed(sock: socket.socket) -> bool:
    """Whether the server closed (or answered and closed) the connection."""
    sock.settimeout(0.05)
    try:
        while chunk := sock.recv(65536):
            if b"\r\n\r\n" in chunk and b"connection: close" in chunk.lower():
                return True
        return True  # EOF
    except TimeoutError:
        return False
    except OSError:
        return True


def test_unbounded_headers_20mb_header_is_cut_and_memory_stays(
    server: tuple[subprocess.Popen[bytes], int],
) -> None:
    process, port = server
    for _ in range(3):
        httpx.get(f"http://127.0.0.1:{port}/healthz")
    baseline = _rss_kb(process.pid)
    chunk = b"a" * 65536
    answers = []
    for _ in range(5):
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sent = 0
            try:
                sock.sendall(START)
                while sent < 20 * 1024 * 1024:
                    sock.sendall(chunk)
                    sent += len(chunk)
            except OSError:
                pass  # the server closed the connection, as it should
            sock.settimeout(2)
            try:
                answers.append(sock.recv(200))
            except OSError:
                answers.append(b"")
            assert sent < 20 * 1024 * 1024, "the server read a 20 MB header"
    time.sleep(0.5)
    grown_mb = (_rss_kb(process.pid) - baseline) / 1024
    assert grown_mb < 15, f"RSS grew by {grown_mb:.0f} MB"
    assert any(a.startswith(b"HTTP/1.1 431") for a in answers), answers


def test_unbounded_headers_slow_header_connections_are_dropped(
    server: tuple[subprocess.Popen[bytes], int],
) -> None:
    _, port = server
    socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(200)]
    try:
        for sock in socks:
            sock.sendall(START)
        started = time.monotonic()
        while time.monotonic() - started < 4:  # a byte every 0.5 s, past the 2 s timeout
            for sock in socks:
                with contextlib.suppress(OSError):
                    sock.sendall(b"a")
            time.sleep(0.5)
        held = sum(not _closed(sock) for sock in socks)
        assert held == 0, f"{held} of 200 slow-header connections still held after 4 s"
        # The server still answers.
        assert httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200
    finally:
        for sock in socks:
            sock.close()
