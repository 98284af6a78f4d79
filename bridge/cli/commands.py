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


def _user_input(text: str) -> dict[str, Any]:
    return {
        "content": [{"type": "input_text", "text": text}],
        "attachments": [],
        "inference_options": {},
    }


def send(args: argparse.Namespace, client: Client) -> int:
    if args.thread:
        op, params = "threads.add_user_message", {"thread_id": args.thread}
    else:
        op, params = "threads.create", {}
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
            f'(continue with: chatkit-bridge send --thread {printer.thread_id} "…")',
            file=sys.stderr,
        )
    return EXIT_HTTP if printer.failed else 0


def raw(args: argparse.Namespace, client: Client) -> int:
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
    items = _all_pages(client, "items.list", thread_id=args.thread, order="asc")
    if args.json:
        print(json.dumps(items, indent=2))
        return 0
    for item in items:
        created = str(item.get("created_at", ""))[11:19]
        print(f"{created}  {item.get('id')}  {describe_item(item)}")
    return 0


def tasks(args: argparse.Namespace, client: Client) -> int:
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
