"""A TCP proxy that adds round-trip time, to stand in for a database in another zone.

    python -m bench.proxy --target 127.0.0.1:5432 --rtt-ms 20

Every chunk is forwarded half the round-trip time after it arrived, in order, in both
directions, so a request-reply exchange costs one RTT more than direct and pipelined bytes are
not delayed twice. It prints `{"port": P}` once it listens and runs until SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal


class _Delayed:
    """One direction of a connection: chunks queued with the time they may be sent."""

    def __init__(self, writer: asyncio.StreamWriter, delay: float) -> None:
        self.writer = writer
        self.delay = delay
        self.queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    def put(self, chunk: bytes) -> None:
        self.queue.put_nowait((asyncio.get_running_loop().time() + self.delay, chunk))

    async def send(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due, chunk = await self.queue.get()
            if not chunk:
                break
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            self.writer.write(chunk)
            await self.writer.drain()
        self.writer.close()


async def _pipe(reader: asyncio.StreamReader, out: _Delayed) -> None:
    try:
        while chunk := await reader.read(65536):
            out.put(chunk)
    except OSError:
        pass
    out.put(b"")


async def _serve(target: tuple[str, int], rtt: float) -> None:
    async def handle(client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        try:
            server_r, server_w = await asyncio.open_connection(*target)
        except OSError:
            client_w.close()
            return
        up, down = _Delayed(server_w, rtt / 2), _Delayed(client_w, rtt / 2)
        tasks = [_pipe(client_r, up), up.send(), _pipe(server_r, down), down.send()]
        try:
            await asyncio.gather(*tasks)
        except OSError:
            pass
        finally:
            client_w.close()
            server_w.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    print(json.dumps({"port": port}), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and proxy until told to stop."""
    parser = argparse.ArgumentParser(prog="python -m bench.proxy")
    parser.add_argument("--target", default="127.0.0.1:5432", help="host:port to forward to")
    parser.add_argument("--rtt-ms", type=float, default=20.0, help="round-trip time to add")
    args = parser.parse_args(argv)
    host, _, port = args.target.rpartition(":")
    asyncio.run(_serve((host, int(port)), args.rtt_ms / 1000))


if __name__ == "__main__":
    main()
