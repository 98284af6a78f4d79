"""Bad input, property-based: whatever a client POSTs to /chatkit, the answer is a 4xx with a
JSON error or a correct success (never a 5xx, never a hang), and the store then holds exactly
what the successful requests made.

Two JWT users share one app per database. Bodies are valid requests (so threads, items,
deletions and other users' ids exist), valid requests mutated (a key dropped, a value of the
wrong type, an unknown key, an unknown op), random JSON, random or invalid-UTF-8 bytes, deep
nesting, huge strings within and past the body limit, and bad tokens.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import delete

from db.models import Base

from .conftest import MakeApp, store_of
from .ledger import STREAMING, USERS, Ledger, check_refusal
from .support import FUZZ, SECRET, auth, bounded, snapshot, token

MAX_BODY = 200_000
MAX_CHARS = 20_000

OPS = [
    "threads.create",
    "threads.add_user_message",
    "threads.retry_after_item",
    "threads.get_by_id",
    "threads.list",
    "threads.update",
    "threads.delete",
    "items.list",
    "items.feedback",
    "attachments.create",
    "attachments.delete",
    "threads.custom_action",
    "threads.sync_custom_action",
    "threads.add_client_tool_output",
    "threads.add_structured_input",
    "input.transcribe",
]

json_leaf = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
json_value = st.recursive(
    json_leaf,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
# Text the composer could send: any characters, NUL and lone surrogates included.
message_text = st.text(max_size=40) | st.sampled_from(
    ["", "   ", "a\x00b", "\ud800", "héllo 👋", "\n\t"]
)


@dataclass
class Env:
    """The app, a client, and what should be in the store."""

    app: Any
    http: httpx.AsyncClient
    ledger: Ledger


@pytest.fixture
async def env(rel_make_app: MakeApp, rel_client: Any) -> Env:
    """The app with a small body limit (one per database; `reset` empties it per example)."""
    app = await rel_make_app(max_body_bytes=MAX_BODY, max_message_chars=MAX_CHARS)
    return Env(app, rel_client(app), Ledger())


async def _reset(env: Env) -> None:
    """Empty the store, then seed: two threads per user and a deleted one each.

    Every example starts from the same state, so what Hypothesis draws depends on nothing
    but the example (and a failure replays).
    """
    async with store_of(env.app).engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            await conn.execute(delete(table))
    env.ledger = Ledger()
    for user in USERS:
        for n in range(3):
            body = {"type": "threads.create", "params": {"input": _input(f"seed {n} of {user}")}}
            await _send(env, user, json.dumps(body).encode(), headers=auth(user))
        victim = env.ledger.owned(user)[0]
        body = {"type": "threads.delete", "params": {"thread_id": victim}}
        await _send(env, user, json.dumps(body).encode(), headers=auth(user))
    assert len(env.ledger.deleted) == 2 and len(env.ledger.threads) == 4


def _input(text: str, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"content": [{"type": "input_text", "text": text}], "attachments": []}
    body.update(extra)
    return body


async def _send(
    env: Env, user: str, body: bytes | Any, *, headers: dict[str, str]
) -> httpx.Response:
    """POST, bounded; a 2xx is checked and recorded, anything else must be a clean refusal."""
    try:
        response: httpx.Response = await bounded(
            env.http.post("/chatkit", content=body, headers=headers)
        )
    except AssertionError:
        raise
    except Exception as exc:  # the app raised instead of answering (after the first byte)
        raise AssertionError(f"the request raised {type(exc).__name__}: {exc}") from exc
    if 200 <= response.status_code < 300:
        assert isinstance(body, bytes), "a streamed (chunked) oversize body was accepted"
        env.ledger.record(user, json.loads(body), response)
    else:
        check_refusal(response)
    return response


# ---- strategies -----------------------------------------------------------------------------


def _thread_id(data: st.DataObject, ledger: Ledger, user: str) -> tuple[str, str]:
    """A thread id and whose it is: `own`, `foreign`, `deleted` or `unknown`."""
    pools = {
        "own": ledger.owned(user),
        "foreign": ledger.foreign(user),
        "deleted": ledger.deleted,
    }
    choices = [k for k, v in pools.items() if v] + ["unknown"]
    kind = data.draw(st.sampled_from(choices), label="thread kind")
    if kind == "unknown":
        value = data.draw(
            st.sampled_from(["thr_" + secrets.token_hex(8), "", "client_abc", "thr_\x00"])
            | st.text(max_size=70),
            label="unknown id",
        )
        return value, kind
    return data.draw(st.sampled_from(pools[kind]), label=f"{kind} thread"), kind


def _item_id(data: st.DataObject, ledger: Ledger, user: str, thread_id: str) -> str:
    state = ledger.threads.get(thread_id)
    own = [i.id for i in state.items] if state else []
    others = [iid for _, iid in ledger.items_of(user, own=False)]
    elsewhere = [iid for tid, iid in ledger.items_of(user, own=True) if tid != thread_id]
    pools = [p for p in (own, own, others, elsewhere) if p]
    strategy = st.text(max_size=30)
    for pool in pools:
        strategy = strategy | st.sampled_from(pool)
    return data.draw(strategy, label="item id")


def _valid_body(data: st.DataObject, ledger: Ledger, user: str) -> tuple[dict[str, Any], str]:
    """A well-formed body; returns it and the kind of thread it names (or `none`)."""
    op = data.draw(
        st.sampled_from(OPS[:11]) | st.sampled_from(OPS), label="op"
    )  # the first eleven can succeed: drawn twice as often
    if op == "threads.list":
        params: dict[str, Any] = data.draw(
            st.fixed_dictionaries(
                {},
                optional={
                    "limit": st.integers(-3, 10_000),
                    "order": st.sampled_from(["asc", "desc"]),
                    "after": st.sampled_from([*ledger.owned(user), *ledger.foreign(user), "x"]),
                },
            ),
            label="list params",
        )
        return {"type": op, "params": params}, "none"
    if op == "attachments.create":
        params = {
            "name": data.draw(st.text(max_size=30), label="name"),
            "size": data.draw(st.integers(-1, 30_000_000), label="size"),
            "mime_type": data.draw(
                st.sampled_from(["image/png", "text/plain", "x" * 300]) | st.text(max_size=20),
                label="mime",
            ),
        }
        return {"type": op, "params": params}, "none"
    if op == "attachments.delete":
        mine = sorted(ledger.attachments[user])
        theirs = sorted(a for u in USERS if u != user for a in ledger.attachments[u])
        strategy = st.text(max_size=20)
        for pool in (mine, theirs):
            if pool:
                strategy = strategy | st.sampled_from(pool)
        return {"type": op, "params": {"attachment_id": data.draw(strategy)}}, "none"
    if op == "input.transcribe":
        return {"type": op, "params": {"audio_base64": "AAAA", "mime_type": "audio/webm"}}, "none"
    if op == "threads.create":
        attachments = data.draw(
            st.lists(st.sampled_from(sorted(ledger.attachments[user]) or ["atc_x"]), max_size=1)
        )
        text = data.draw(message_text, label="text")
        return {"type": op, "params": {"input": _input(text, attachments=attachments)}}, "none"
    thread_id, kind = _thread_id(data, ledger, user)
    params = {"thread_id": thread_id}
    match op:
        case "threads.add_user_message":
            params["input"] = _input(data.draw(message_text, label="text"))
        case "threads.retry_after_item" | "threads.add_structured_input":
            params["item_id"] = _item_id(data, ledger, user, thread_id)
            if op == "threads.add_structured_input":
                params["input"] = {"status": "answered", "answers": {}}
        case "threads.update":
            params["title"] = data.draw(message_text | st.just("t" * 300), label="title")
        case "items.list":
            params["limit"] = data.draw(st.integers(-1, 50) | st.none())
            params["order"] = data.draw(st.sampled_from(["asc", "desc"]))
        case "items.feedback":
            count = data.draw(st.integers(0, 3), label="feedback count")
            params["item_ids"] = [_item_id(data, ledger, user, thread_id) for _ in range(count)]
            params["kind"] = data.draw(st.sampled_from(["positive", "negative"]))
        case "threads.custom_action" | "threads.sync_custom_action":
            params["action"] = {"type": data.draw(st.text(max_size=10)), "payload": {"n": 1}}
        case "threads.add_client_tool_output":
            params["result"] = data.draw(json_value)
    return {"type": op, "params": params}, kind


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, inner in value.items():
            out += _paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            out += _paths(inner, (*prefix, index))
    return out


def _mutate(data: st.DataObject, body: dict[str, Any]) -> dict[str, Any] | bytes:
    """The body with one thing wrong (or odd) in it."""
    body = json.loads(json.dumps(body))
    paths = _paths(body)
    path = data.draw(st.sampled_from(paths), label="path")
    parent: Any = body
    for key in path[:-1]:
        parent = parent[key]
    how = data.draw(
        st.sampled_from(
            ["drop", "retype", "unknown key", "unknown op", "invalid utf-8", "truncate"]
        ),
        label="mutation",
    )
    match how:
        case "drop":
            del parent[path[-1]]
        case "retype":
            parent[path[-1]] = data.draw(json_value, label="new value")
        case "unknown key":
            target = parent[path[-1]] if isinstance(parent[path[-1]], dict) else body
            target[data.draw(st.text(min_size=1, max_size=10))] = data.draw(json_value)
        case "unknown op":
            body["type"] = data.draw(
                st.sampled_from(["threads.Create", "threads.create ", "thread.create", "", "x"])
                | st.text(max_size=20)
            )
        case "invalid utf-8":
            raw = json.dumps(body, ensure_ascii=False).encode("utf-8", "surrogatepass")
            at = data.draw(st.integers(0, len(raw)), label="at")
            bad = data.draw(
                st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xf8\x88\x80\x80"])
            )
            return raw[:at] + bad + raw[at:]
        case "truncate":
            raw = json.dumps(body).encode()
            return raw[: data.draw(st.integers(0, max(0, len(raw) - 1)), label="cut")]
    return body


def _deep(data: st.DataObject) -> bytes:
    depth = data.draw(st.integers(50, 20_000), label="depth")
    opener, closer = data.draw(st.sampled_from([(b"[", b"]"), (b'{"a":', b"}")]))
    nested = opener * depth + b"1" + closer * depth
    where = data.draw(st.sampled_from(["top", "params", "payload"]))
    if where == "top":
        return nested
    if where == "params":
        return b'{"type":"threads.list","params":' + nested + b"}"
    return (
        b'{"type":"threads.add_client_tool_output","params":{"thread_id":"t","result":'
        + nested
        + b"}}"
    )


def _huge(data: st.DataObject, ledger: Ledger, user: str) -> bytes:
    """A body with one huge string, within the body limit or past it."""
    size = data.draw(
        st.sampled_from(
            [MAX_CHARS - 10, MAX_CHARS + 1, 150_000, MAX_BODY - 100, MAX_BODY + 1, 600_000]
        ),
        label="size",
    )
    where = data.draw(st.sampled_from(["message", "title", "thread_id", "unknown key"]))
    own = ledger.owned(user) or ["thr_none"]
    big = "x" * size
    body: dict[str, Any]
    if where == "message":
        body = {"type": "threads.create", "params": {"input": _input(big)}}
    elif where == "title":
        body = {"type": "threads.update", "params": {"thread_id": own[0], "title": big}}
    elif where == "thread_id":
        body = {"type": "threads.get_by_id", "params": {"thread_id": big}}
    else:
        body = {"type": "threads.list", "params": {"junk": big}}
    return json.dumps(body).encode()


def _bad_token(data: st.DataObject, user: str) -> dict[str, str]:
    headers = dict(auth(user))
    kind = data.draw(
        st.sampled_from(["missing", "garbage", "expired", "other secret", "none alg", "no bearer"]),
        label="token",
    )
    match kind:
        case "missing":
            del headers["authorization"]
        case "garbage":
            headers["authorization"] = "Bearer " + data.draw(
                st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), max_size=40)
            )
        case "expired":
            headers["authorization"] = f"Bearer {token(user, expires_in=-3600)}"
        case "other secret":
            headers["authorization"] = f"Bearer {token(user, secret=SECRET[::-1])}"
        case "none alg":
            import jwt

            unsigned = jwt.encode({"sub": user}, None, algorithm="none")
            headers["authorization"] = f"Bearer {unsigned}"
        case "no bearer":
            headers["authorization"] = token(user)
    return headers


# ---- the property ---------------------------------------------------------------------------


@pytest.mark.slow
@FUZZ
@given(data=st.data())
async def test_any_body_gets_a_clean_answer_and_the_store_stays_exact(
    env: Env, data: st.DataObject
) -> None:
    await _reset(env)
    ledger = env.ledger
    for _ in range(data.draw(st.integers(1, 4), label="requests")):
        user = data.draw(st.sampled_from(USERS), label="user")
        headers = auth(user)
        kind = data.draw(
            st.sampled_from(
                [
                    "valid",
                    "valid",
                    "valid",
                    "mutated",
                    "mutated",
                    "random json",
                    "bytes",
                    "deep",
                    "huge",
                    "oversize streamed",
                    "bad token",
                ]
            ),
            label="kind",
        )
        thread_kind = "none"
        content: bytes | Any
        match kind:
            case "valid" | "bad token":
                body, thread_kind = _valid_body(data, ledger, user)
                content = json.dumps(body, ensure_ascii=data.draw(st.booleans())).encode(
                    "utf-8", "surrogatepass"
                )
                if kind == "bad token":
                    headers = _bad_token(data, user)
            case "mutated":
                body, _ = _valid_body(data, ledger, user)
                mutated = _mutate(data, body)
                content = mutated if isinstance(mutated, bytes) else json.dumps(mutated).encode()
            case "random json":
                content = json.dumps(data.draw(json_value, label="json")).encode()
            case "bytes":
                content = data.draw(st.binary(max_size=200), label="bytes")
            case "deep":
                content = _deep(data)
            case "huge":
                content = _huge(data, ledger, user)
            case "oversize streamed":
                # No Content-Length: the limit must hold while the bytes arrive.
                async def chunks() -> AsyncIterator[bytes]:
                    yield b'{"type":"threads.create","params":{"input":{"content":'
                    yield b'[{"type":"input_text","text":"'
                    for _ in range(MAX_BODY // 10_000 + 2):
                        yield b"y" * 10_000
                    yield b'"}]}}}'

                content = chunks()
        before = await snapshot(store_of(env.app)) if kind == "bad token" else None
        response = await _send(env, user, content, headers=headers)
        status = response.status_code
        if kind == "bad token":
            assert status == 401, (status, response.text)
            assert await snapshot(store_of(env.app)) == before
        elif kind == "oversize streamed" or (
            isinstance(content, bytes) and len(content) > MAX_BODY
        ):
            assert status == 413, (status, response.text[:300])
        elif thread_kind in ("foreign", "deleted"):
            # Another user's thread, or a deleted one, is exactly as absent as a made-up id.
            assert status in (400, 404, 413), (thread_kind, status, response.text[:300])
            assert status != 404 or "not_found" in response.json()["error"]["code"], response.text
        if status == 200 and isinstance(content, bytes):
            sent = json.loads(content)
            assert sent["type"] in STREAMING or response.headers["content-type"].startswith(
                "application/json"
            )
    ledger.compare(await snapshot(store_of(env.app)))
