"""`chatkit-bridge …` (also `python -m bridge …`): serve the bridge, or talk to a running one.

Exit codes: 0 done, 1 the bridge answered with an error (HTTP 4xx/5xx or an `error` event),
2 bad usage (or a command this install cannot run), 3 the bridge could not be reached,
130 interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import importlib.util
import inspect
import json
import logging
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO
from urllib.parse import urlsplit, urlunsplit

import httpx

from . import __version__

DEFAULT_URL = "http://127.0.0.1:8000/chatkit"
TOKEN_ENV = "CHATKIT_BRIDGE_TOKEN"
URL_ENV = "CHATKIT_BRIDGE_URL"
PAGE_LIMIT = 100
# Reads wait between chunks; the bridge sends a keep-alive comment every 15 s while it works.
TIMEOUT = httpx.Timeout(10.0, read=120.0)

EXIT_HTTP = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3
EXIT_INTERRUPTED = 130


class CliError(Exception):
    """A failure reported as one line on stderr, with its exit code."""

    def __init__(self, message: str, code: int = EXIT_HTTP) -> None:
        super().__init__(message)
        self.code = code


class HTTPStatusError(CliError):
    """The bridge answered with an HTTP error status."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(_http_error(response), EXIT_HTTP)
        self.status = response.status_code
        self.body = response.text


# ---- talking to the bridge -------------------------------------------------------------------


class Spinner:
    """A progress indicator on stderr (TTY only) until `stop()`: waiting for the first event."""

    FRAMES = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"

    def __init__(self, stream: TextIO, label: str = "waiting for the bridge") -> None:
        self._stream = stream
        self._label = label
        self._done = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Spinner:
        """Start spinning if the stream is a terminal."""
        if self._stream.isatty():
            self._thread = threading.Thread(target=self._spin, daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop and erase the indicator (idempotent)."""
        if self._done.is_set():
            return
        self._done.set()
        if self._thread is not None:
            self._thread.join()
            self._stream.write("\r\x1b[K")
            self._stream.flush()

    def _spin(self) -> None:
        index = 0
        while not self._done.wait(0.1):
            frame = self.FRAMES[index % len(self.FRAMES)]
            self._stream.write(f"\r{frame} {self._label}…")
            self._stream.flush()
            index += 1


class Client:
    """The bridge at `url`, as one CLI command sees it."""

    def __init__(self, url: str, token: str | None) -> None:
        self.url = url
        headers = {"user-agent": f"chatkit-bridge-cli/{__version__}"}
        if token:
            headers["authorization"] = f"Bearer {token}"
        self.http = httpx.Client(headers=headers, timeout=TIMEOUT)
        self._spinner = Spinner(sys.stderr)

    def root(self, path: str) -> str:
        """An absolute URL on the bridge's host (such as `/api/tasks`)."""
        parts = urlsplit(self.url)
        return urlunsplit((parts.scheme, parts.netloc, path, "", ""))

    @contextmanager
    def post(self, body: bytes, *, stream: bool) -> Iterator[httpx.Response]:
        """POST a request body to the ChatKit endpoint; the response is checked, unread.

        On a stream the progress indicator keeps going until `first_output()`.
        """
        headers = {"content-type": "application/json"}
        if stream:
            headers["accept"] = "text/event-stream"
        request = self.http.build_request("POST", self.url, content=body, headers=headers)
        with self.send(request, until_output=stream) as response:
            yield response

    def first_output(self) -> None:
        """Something is about to be printed: the progress indicator goes."""
        self._spinner.stop()

    @contextmanager
    def send(
        self, request: httpx.Request, *, until_output: bool = False
    ) -> Iterator[httpx.Response]:
        """Send a request, streaming the answer; connection and HTTP failures become CliError."""
        self._spinner = Spinner(sys.stderr).start()
        try:
            response = self.http.send(request, stream=True)
            try:
                if response.is_error or not until_output:
                    self._spinner.stop()
                if response.is_error:
                    response.read()
                    raise HTTPStatusError(response)
                yield response
            finally:
                response.close()
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise CliError(
                f"cannot reach the bridge at {request.url} ({_reason(exc)}): "
                "is the bridge running? try `make run`",
                EXIT_UNREACHABLE,
            ) from None
        except httpx.TransportError as exc:
            raise CliError(
                f"the connection to {request.url} failed: {_reason(exc)}", EXIT_UNREACHABLE
            ) from None
        finally:
            self._spinner.stop()

    def call(self, op: str, **params: Any) -> Any:
        """A JSON op's answer."""
        with self.post(_body(op, params), stream=False) as response:
            response.read()
            return response.json()


def _body(op: str, params: dict[str, Any]) -> bytes:
    return json.dumps({"type": op, "params": params}).encode()


def _reason(exc: Exception) -> str:
    return str(exc) or type(exc).__name__


def _http_error(response: httpx.Response) -> str:
    """One line naming the status and the body's message (`{"error": {"code", "message"}}`)."""
    status = f"HTTP {response.status_code} {response.reason_phrase}".strip()
    try:
        error = response.json().get("error", {})
        message = error.get("message") or json.dumps(error)
        code = error.get("code")
    except (ValueError, AttributeError):
        message, code = response.text.strip()[:500], None
    detail = f"{code}: {message}" if code else message
    return f"{status}: {detail}" if detail else status


def iter_sse(response: httpx.Response) -> Iterator[str]:
    """The data of each SSE frame as it arrives (comments such as keep-alives skipped)."""
    data: list[str] = []
    for line in response.iter_lines():
        if line == "":
            if data:
                yield "\n".join(data)
                data = []
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
    if data:
        yield "\n".join(data)


# ---- showing what arrives --------------------------------------------------------------------


def _text(content: list[dict[str, Any]]) -> str:
    return " ".join(part.get("text", "") for part in content if isinstance(part, dict))


def _one_line(value: Any, limit: int = 120) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe_item(item: dict[str, Any]) -> str:
    """A thread item as one short line (`user: hi`, `widget ListView: …`)."""
    kind = str(item.get("type", "?"))
    match kind:
        case "user_message":
            return "user: " + _one_line(_text(item.get("content", [])), 400)
        case "assistant_message":
            return "assistant: " + _one_line(_text(item.get("content", [])), 400)
        case "widget":
            widget = item.get("widget", {})
            summary = item.get("copy_text") or _widget_text(widget)
            return f"widget {widget.get('type', '?')}: {_one_line(summary)}"
        case "client_tool_call":
            args = _one_line(item.get("arguments", {}), 80)
            return f"client tool {item.get('name')}({args}) [{item.get('status')}]"
        case "task":
            task = item.get("task", {})
            return "task: " + _one_line(task.get("title") or task.get("content") or task)
        case "workflow":
            tasks = item.get("workflow", {}).get("tasks", [])
            return f"workflow: {len(tasks)} step(s)"
        case _:
            return kind


def _widget_text(node: Any) -> str:
    """The visible strings of a widget tree, in order."""
    if isinstance(node, list):
        return " ".join(filter(None, (_widget_text(child) for child in node)))
    if not isinstance(node, dict):
        return ""
    own = [str(node[key]) for key in ("title", "value", "label") if isinstance(node.get(key), str)]
    return " ".join([*own, _widget_text(node.get("children", []))]).strip()


class EventPrinter:
    """Prints stream events readably: assistant text inline as it arrives, the rest as notes."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.thread_id: str | None = None
        self.failed = False
        self._streaming: str | None = None  # the assistant item whose text is being printed

    def _line(self, text: str) -> None:
        self._end_text()
        self.out.write(text + "\n")
        self.out.flush()

    def _end_text(self) -> None:
        if self._streaming is not None:
            self.out.write("\n")
            self._streaming = None

    def handle(self, event: dict[str, Any]) -> None:
        """Show one event."""
        kind = event.get("type")
        match kind:
            case "thread.created":
                self.thread_id = event["thread"]["id"]
                self._line(f"thread {self.thread_id}")
            case "thread.updated":
                title = event.get("thread", {}).get("title")
                self._line(f"· thread title: {title}" if title else "· thread updated")
            case "thread.item.added":
                item = event.get("item", {})
                self.thread_id = self.thread_id or item.get("thread_id")
                if item.get("type") == "assistant_message":
                    self._end_text()
                    self._streaming = item.get("id")
                    self.out.write("assistant: " + _text(item.get("content", [])))
                    self.out.flush()
            case "thread.item.updated":
                self._update(event.get("item_id"), event.get("update", {}))
            case "thread.item.done":
                self._done(event.get("item", {}))
            case "thread.item.removed":
                self._line(f"· item {event.get('item_id')} removed")
            case "thread.item.replaced":
                self._line("· replaced: " + describe_item(event.get("item", {})))
            case "progress_update":
                self._line(f"… {event.get('text', '')}")
            case "client_effect":
                self._line(f"· effect {event.get('name')} {_one_line(event.get('data', {}))}")
            case "notice":
                self._line(f"· notice ({event.get('level')}): {event.get('message')}")
            case "error":
                self.failed = True
                retry = " (retry allowed)" if event.get("allow_retry") else ""
                message = event.get("message") or event.get("code")
                self._line(f"error: {message}{retry}")
            case "stream_options":
                pass
            case _:
                self._line(f"· {kind}")

    def _update(self, item_id: str | None, update: dict[str, Any]) -> None:
        kind = update.get("type", "")
        if kind == "assistant_message.content_part.text_delta":
            if self._streaming != item_id:
                self._end_text()
                self._streaming = item_id
                self.out.write("assistant: ")
            self.out.write(update.get("delta", ""))
            self.out.flush()
        elif kind.startswith("workflow.task"):
            task = update.get("task", {})
            self._line("· step: " + _one_line(task.get("title") or task.get("content") or ""))
        elif kind.startswith("widget."):
            self._line(f"· widget {kind.removeprefix('widget.')}")

    def _done(self, item: dict[str, Any]) -> None:
        kind = item.get("type")
        self.thread_id = self.thread_id or item.get("thread_id")
        if kind == "user_message":
            return  # the echo of what was just sent
        if kind == "assistant_message" and self._streaming == item.get("id"):
            self._end_text()
            return
        self._line(describe_item(item))

    def close(self) -> None:
        """End a line left open by streamed text."""
        self._end_text()
        self.out.flush()


# ---- commands --------------------------------------------------------------------------------


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from .auth import AuthSettings, InsecureBind, check_bind
    from .http_limits import GuardedHttpToolsProtocol, header_limits
    from .logs import configure as configure_logs
    from .settings import Settings

    try:
        settings = Settings.from_env()
        warning = check_bind(AuthSettings.from_env(), args.host, args.insecure_no_auth)
        header_limits()
    except (ValueError, InsecureBind) as exc:
        print(f"chatkit-bridge: {exc}", file=sys.stderr)
        return 2
    if warning:
        print(f"warning: {warning}", file=sys.stderr)
    model = "OpenAI " + settings.model if settings.uses_openai else "the offline model"
    print(
        f"chatkit-bridge: ChatKit endpoint http://{args.host}:{args.port}{settings.path}"
        f" ({settings.database_url}, {model})",
        file=sys.stderr,
    )
    configure_logs(args.log_level)
    uvicorn.run(
        "bridge.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        reload=args.reload,
        log_level=args.log_level,
        # The bridge writes one structured line per request; uvicorn's would repeat it.
        access_log=False,
        timeout_graceful_shutdown=10,
        # Bounded header size and time (issue 15); uvicorn has no setting for httptools.
        http=GuardedHttpToolsProtocol,
    )
    return 0


def _migrate(args: argparse.Namespace) -> int:
    # Migrations are optional: `db.migrations.upgrade(url)` runs when that module exists.
    if importlib.util.find_spec("db.migrations") is None:
        print(
            "chatkit-bridge migrate: not yet available "
            "(this version creates its tables when it starts)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    from .settings import Settings

    url = args.database_url or Settings.from_env().database_url
    result = importlib.import_module("db.migrations").upgrade(url)
    if inspect.isawaitable(result):
        asyncio.run(_wait(result))
    print(f"chatkit-bridge: {url} is up to date", file=sys.stderr)
    return 0


async def _wait(awaitable: Any) -> None:
    await awaitable


def _user_input(text: str) -> dict[str, Any]:
    return {
        "content": [{"type": "input_text", "text": text}],
        "attachments": [],
        "inference_options": {},
    }


def _send(args: argparse.Namespace, client: Client) -> int:
    if args.thread:
        op, params = "threads.add_user_message", {"thread_id": args.thread}
    else:
        op, params = "threads.create", {}
    params["input"] = _user_input(args.text)
    printer = EventPrinter(sys.stdout)
    with client.post(_body(op, params), stream=True) as response:
        kind = response.headers.get("content-type", "")
        if not kind.startswith("text/event-stream"):
            response.read()
            raise CliError(
                f"expected an event stream, got {kind or 'no content type'}: "
                f"{_one_line(response.text, 300)}"
            )
        for data in iter_sse(response):
            client.first_output()
            if args.json:
                print(data, flush=True)
                continue
            try:
                event = json.loads(data)
            except ValueError:
                printer.close()
                print(f"(not JSON) {data}", flush=True)
                continue
            printer.handle(event)
    printer.close()
    if not args.json and printer.thread_id and not args.thread:
        print(
            f'(continue with: chatkit-bridge send --thread {printer.thread_id} "…")',
            file=sys.stderr,
        )
    return EXIT_HTTP if printer.failed else 0


def _raw(args: argparse.Namespace, client: Client) -> int:
    body = args.body
    if body is None or body == "-":
        if body is None and sys.stdin.isatty():
            raise CliError("give a JSON body as an argument, or on stdin", EXIT_USAGE)
        body = sys.stdin.read()
    try:
        json.loads(body)
    except ValueError as exc:
        raise CliError(f"the body is not JSON: {exc}", EXIT_USAGE) from None
    try:
        with client.post(body.encode(), stream=True) as response:
            _print_raw(response, args.include, client)
    except HTTPStatusError as exc:
        print(exc.body)  # raw means raw, errors included; the summary goes to stderr
        raise
    return 0


def _print_raw(response: httpx.Response, include: bool, client: Client) -> None:
    if include:
        client.first_output()
        print(f"HTTP/1.1 {response.status_code} {response.reason_phrase}", file=sys.stderr)
        for name, value in response.headers.items():
            print(f"{name}: {value}", file=sys.stderr)
    for chunk in response.iter_text():
        client.first_output()
        sys.stdout.write(chunk)
        sys.stdout.flush()
    if not response.headers.get("content-type", "").startswith("text/event-stream"):
        sys.stdout.write("\n")


def _all_pages(client: Client, op: str, **params: Any) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        page = client.call(op, limit=PAGE_LIMIT, **params, **({"after": after} if after else {}))
        records.extend(page.get("data", []))
        if not page.get("has_more") or not page.get("data"):
            return records
        after = page.get("after") or page["data"][-1]["id"]


def _threads(args: argparse.Namespace, client: Client) -> int:
    threads = _all_pages(client, "threads.list", order="desc")
    if args.json:
        print(json.dumps(threads, indent=2))
        return 0
    if not threads:
        print('no threads yet (start one with: chatkit-bridge send "hello")')
    for thread in threads:
        created = str(thread.get("created_at", ""))[:19].replace("T", " ")
        status = thread.get("status", {}).get("type", "")
        title = thread.get("title") or "(untitled)"
        print(f"{thread['id']}  {created}  {status:<7}  {title}")
    return 0


def _items(args: argparse.Namespace, client: Client) -> int:
    items = _all_pages(client, "items.list", thread_id=args.thread, order="asc")
    if args.json:
        print(json.dumps(items, indent=2))
        return 0
    for item in items:
        created = str(item.get("created_at", ""))[11:19]
        print(f"{created}  {item.get('id')}  {describe_item(item)}")
    return 0


def _tasks(args: argparse.Namespace, client: Client) -> int:
    url = client.root("/api/tasks")
    try:
        with client.send(client.http.build_request("GET", url)) as response:
            response.read()
            answer = response.json()
    except HTTPStatusError as exc:
        if exc.status == 404:
            raise CliError(f"this bridge has no task API yet (GET {url} answered 404)") from None
        raise
    if args.json:
        print(json.dumps(answer, indent=2))
        return 0
    tasks = answer.get("data", []) if isinstance(answer, dict) else answer
    if not tasks:
        print("no tasks")
    for task in tasks:
        mark = "x" if task.get("completed") else " "
        due = f" (due {task['due_date']})" if task.get("due_date") else ""
        print(f"[{mark}] {task.get('id')}. {task.get('title')}{due}")
    return 0


# ---- the command line ------------------------------------------------------------------------


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
        epilog=(__doc__ or "").split("\n\n", 1)[-1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _client_options(parser, None)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser("serve", help="run the bridge")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--reload", action="store_true", help="restart on code changes")
    serve.add_argument(
        "--insecure-no-auth",
        action="store_true",
        help="allow a non-loopback bind with no auth configured (everyone is one user)",
    )
    serve.add_argument(
        "--log-level",
        default=os.environ.get("BRIDGE_LOG_LEVEL", "info"),
        help="debug, info, warning or error (default: BRIDGE_LOG_LEVEL or info)",
    )
    serve.set_defaults(func=_serve)

    migrate = sub.add_parser("migrate", help="bring the database schema up to date")
    migrate.add_argument("--database-url", help="default: DATABASE_URL, as `serve` uses")
    migrate.set_defaults(func=_migrate)

    def client_command(name: str, help: str) -> argparse.ArgumentParser:
        command = sub.add_parser(name, help=help, description=help)
        _client_options(command, argparse.SUPPRESS)
        return command

    send = client_command("send", "send a message and show the answer as it streams")
    send.add_argument("text")
    send.add_argument("--thread", help="continue this thread (default: start a new one)")
    send.add_argument("--json", action="store_true", help="print each event's raw JSON")
    send.set_defaults(call=_send)

    raw = client_command("raw", "POST any JSON body and print the raw answer")
    raw.add_argument("body", nargs="?", help="the JSON body; `-` or absent reads stdin")
    raw.add_argument("-i", "--include", action="store_true", help="status and headers on stderr")
    raw.set_defaults(call=_raw)

    threads = client_command("threads", "list the threads, newest first")
    threads.add_argument("--json", action="store_true")
    threads.set_defaults(call=_threads)

    items = client_command("items", "list a thread's items, oldest first")
    items.add_argument("thread")
    items.add_argument("--json", action="store_true")
    items.set_defaults(call=_items)

    tasks = client_command("tasks", "list the todo app's tasks (GET /api/tasks)")
    tasks.add_argument("--json", action="store_true")
    tasks.set_defaults(call=_tasks)
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
    except KeyboardInterrupt:
        print("\n(interrupted)", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # `chatkit-bridge threads | head`: the reader left; say nothing.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
