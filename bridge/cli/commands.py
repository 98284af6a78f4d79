"""The commands that talk to a running bridge: send, raw, threads, items, tasks."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import httpx

from .client import EXIT_HTTP, EXIT_USAGE, Client, CliError, HTTPStatusError, iter_sse, request_body
from .printer import EventPrinter, describe_item, one_line

PAGE_LIMIT = 100
LAST = "last"
"""A thread name meaning the newest thread (`send --thread last`, `items last`)."""


def _user_input(text: str) -> dict[str, Any]:
    return {
        "content": [{"type": "input_text", "text": text}],
        "attachments": [],
        "inference_options": {},
    }


def thread_named(client: Client, name: str) -> str:
    """A thread id as given, or for `last` the newest thread's id."""
    if name != LAST:
        return name
    page = client.call("threads.list", limit=1, order="desc")
    if not page.get("data"):
        raise CliError('there is no thread yet (start one with: chatkit-bridge send "hello")')
    thread_id: str = page["data"][0]["id"]
    return thread_id


def send(args: argparse.Namespace, client: Client) -> int:
    """Send a message (new thread, or `--thread`) and print the answer as it streams."""
    params: dict[str, Any] = {}
    if args.thread:
        op, params["thread_id"] = "threads.add_user_message", thread_named(client, args.thread)
    else:
        op = "threads.create"
    params["input"] = _user_input(args.text)
    printer = EventPrinter(sys.stdout)
    with client.post(request_body(op, params), stream=True) as response:
        kind = response.headers.get("content-type", "")
        if not kind.startswith("text/event-stream"):
            response.read()
            raise CliError(
                f"expected an event stream, got {kind or 'no content type'}: "
                f"{one_line(response.text, 300)}"
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
            f'(continue with: chatkit-bridge send --thread {printer.thread_id} "…", '
            "or --thread last)",
            file=sys.stderr,
        )
    return EXIT_HTTP if printer.failed else 0


def raw(args: argparse.Namespace, client: Client) -> int:
    """POST any JSON body and print the raw answer."""
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


def threads(args: argparse.Namespace, client: Client) -> int:
    """List the threads, newest first."""
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


def items(args: argparse.Namespace, client: Client) -> int:
    """List a thread's items, oldest first."""
    thread_id = thread_named(client, args.thread)
    items = _all_pages(client, "items.list", thread_id=thread_id, order="asc")
    if args.json:
        print(json.dumps(items, indent=2))
        return 0
    for item in items:
        created = str(item.get("created_at", ""))[11:19]
        print(f"{created}  {item.get('id')}  {describe_item(item)}")
    return 0


def tasks(args: argparse.Namespace, client: Client) -> int:
    """List the todo app's tasks (GET /api/tasks)."""
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
