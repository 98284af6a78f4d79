"""The command line: `chatkit-bridge COMMAND …` parsed and run, failures as exit codes."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import Any

from . import commands
from .client import (
    DEFAULT_URL,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    TOKEN_ENV,
    URL_ENV,
    Client,
    CliError,
)
from .serve import add_migrate_command, add_serve_command
from .startup import StartupError

log = logging.getLogger("bridge.cli")

EXIT_CODES = """\
Exit codes: 0 done, 1 the bridge answered with an error (HTTP 4xx/5xx or an `error` event),
2 bad usage, a setting or database the bridge cannot start with (or a command this install
cannot run), 3 the bridge could not be reached, 130 interrupted.
"""


def _client_options(parser: argparse.ArgumentParser, default: Any) -> None:
    """--url and --token, accepted before or after the command."""
    parser.add_argument(
        "--url",
        default=default if default is argparse.SUPPRESS else os.environ.get(URL_ENV, DEFAULT_URL),
        help=f"the bridge's ChatKit endpoint (env {URL_ENV}; default {DEFAULT_URL})",
    )
    parser.add_argument(
        "--token",
        default=default if default is argparse.SUPPRESS else os.environ.get(TOKEN_ENV),
        help=f"a bearer token (env {TOKEN_ENV})",
    )


def build_parser() -> argparse.ArgumentParser:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="chatkit-bridge",
        description="Serve the bridge, or talk to a running one.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _client_options(parser, None)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    add_serve_command(sub)
    add_migrate_command(sub)

    def client_command(name: str, help: str) -> argparse.ArgumentParser:
        command = sub.add_parser(name, help=help, description=help)
        _client_options(command, argparse.SUPPRESS)
        return command

    send = client_command("send", "send a message and show the answer as it streams")
    send.add_argument("text")
    send.add_argument("--thread", help="continue this thread, or `last` (default: start a new one)")
    send.add_argument("--json", action="store_true", help="print each event's raw JSON")
    send.set_defaults(call=commands.send)

    raw = client_command("raw", "POST any JSON body and print the raw answer")
    raw.add_argument("body", nargs="?", help="the JSON body; `-` or absent reads stdin")
    raw.add_argument("-i", "--include", action="store_true", help="status and headers on stderr")
    raw.set_defaults(call=commands.raw)

    threads = client_command("threads", "list the threads, newest first")
    threads.add_argument("--json", action="store_true")
    threads.set_defaults(call=commands.threads)

    items = client_command("items", "list a thread's items, oldest first")
    items.add_argument("thread", help="a thread id, or `last` for the newest thread")
    items.add_argument("--json", action="store_true")
    items.set_defaults(call=commands.items)

    tasks = client_command("tasks", "list the todo app's tasks (GET /api/tasks)")
    tasks.add_argument("--json", action="store_true")
    tasks.set_defaults(call=commands.tasks)
    return parser


def _run_client(args: argparse.Namespace) -> int:
    client = Client(args.url, args.token)
    try:
        result: int = args.call(args, client)
        return result
    finally:
        client.http.close()


def main(argv: list[str] | None = None) -> int:
    """Entry point: run one command and return its exit code."""
    args = build_parser().parse_args(argv)
    level = str(getattr(args, "log_level", "warning")).upper()
    logging.basicConfig(level=getattr(logging, level, logging.INFO))
    try:
        if hasattr(args, "call"):
            return _run_client(args)
        result: int = args.func(args)
        return result
    except CliError as exc:
        sys.stdout.flush()
        print(f"chatkit-bridge: {exc}", file=sys.stderr)
        return exc.code
    except StartupError as exc:
        log.debug("start-up failed", exc_info=True)
        for line in exc.lines:
            print(f"chatkit-bridge: {line}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("\n(interrupted)", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # `chatkit-bridge threads | head`: the reader left; say nothing.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
