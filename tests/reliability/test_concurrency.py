"""Concurrency on a real uvicorn server: 50 users streaming at once, and two requests racing
on one thread (exactly one streams, the other gets 409 before streaming)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from bridge.responder import Turn
from schemas import ThreadStreamEvent

from ..fakes import stream_text
from .conftest import MakeApp, store_of
from .support import assert_error_json, auth, bounded, item_types, parse_sse, serve, snapshot

USERS = [f"user{n:02d}" for n in range(50)]
PIECES = 5


class Echo:
    """Echoes the user's text in pieces, a few milliseconds apart."""

    def __init__(self, delay: float = 0.01) -> None:
        self.delay = delay

    async def respond(self, turn: Turn) -> AsyncIterator[ThreadStreamEvent]:
        assert turn.input is not None
        said = turn.input.content[0].text
        pieces = [f"{said}/{n} " for n in range(PIECES)]
        async for event in stream_text(turn, pieces, self.delay):
            yield event


def _message(text: str) -> dict[str, Any]:
    return {"content": [{"type": "input_text", "text": text}], "attachments": []}


async def _stream(http: httpx.AsyncClient, user: str, op: str, **params: Any) -> httpx.Response:
    body = json.dumps({"type": op, "params": params})
    response: httpx.Response = await bounded(
        http.post("/chatkit", content=body, headers=auth(user)), f"{user}'s {op}"
    )
    return response


def _check_answer(events: list[dict[str, Any]], said: str, *, created: bool, titled: bool) -> None:
    kinds = item_types(events)
    expected = (
        (["thread.created"] if created else [])
        + ["done:user_message", "stream_options", "added:assistant_message", "~content_part_added"]
        + ["~content_part_text_delta"] * PIECES
        + ["~content_part_done", "done:assistant_message"]
        + (["thread.updated"] if titled else [])
    )
    assert kinds == expected, kinds
    echo = events[1 if created else 0]["item"]
    assert echo["content"][0]["text"] == said
    deltas = [e["update"]["delta"] for e in events if "delta" in e.get("update", {})]
    assert deltas == [f"{said}/{n} " for n in range(PIECES)]
    done = events[-2 if titled else -1]["item"]
    assert "".join(p["text"] for p in done["content"]) == "".join(deltas)


@pytest.mark.slow
async def test_fifty_users_stream_at_once(rel_make_app: MakeApp) -> None:
    app = await rel_make_app(responder=Echo())
    store = store_of(app)
    limits = httpx.Limits(max_connections=len(USERS) + 10)
    async with serve(app) as base:
        # A client per round: a kept-alive connection that uvicorn closes while idle between
        # rounds would fail the next request in the client, not in the bridge.
        http = httpx.AsyncClient(base_url=base, limits=limits, timeout=20)

        async def first(user: str) -> tuple[str, list[str]]:
            said = f"hi from {user}"
            response = await _stream(http, user, "threads.create", input=_message(said))
            assert response.status_code == 200, (user, response.status_code, response.text)
            events = parse_sse(response.text)
            _check_answer(events, said, created=True, titled=True)
            ids = [events[1]["item"]["id"], events[-2]["item"]["id"]]
            return events[0]["thread"]["id"], ids

        started = await asyncio.gather(*(first(user) for user in USERS))
        threads = dict(zip(USERS, started, strict=True))

        async def second(user: str) -> list[str]:
            thread_id, _ = threads[user]
            said = f"again from {user}"
            response = await _stream(
                http, user, "threads.add_user_message", thread_id=thread_id, input=_message(said)
            )
            assert response.status_code == 200, (user, response.status_code, response.text)
            events = parse_sse(response.text)
            _check_answer(events, said, created=False, titled=False)
            return [events[0]["item"]["id"], events[-1]["item"]["id"]]

        await http.aclose()
        http = httpx.AsyncClient(base_url=base, limits=limits, timeout=20)
        try:
            more = await asyncio.gather(*(second(user) for user in USERS))
        finally:
            await http.aclose()

    shot = await snapshot(store)
    assert set(shot.threads) == set(USERS)
    for user, (thread_id, ids), later in zip(USERS, started, more, strict=True):
        assert list(shot.threads[user]) == [thread_id]
        assert shot.threads[user][thread_id] == {"title": f"hi from {user}", "busy": None}
        stored = shot.items[thread_id]
        assert [i for i, _ in stored] == ids + later, stored  # each once, in order
        assert [t for _, t in stored] == ["user_message", "assistant_message"] * 2
        assert all(shot.item_owner[i] == user for i, _ in stored)


async def test_two_requests_racing_on_one_thread(rel_make_app: MakeApp) -> None:
    app = await rel_make_app(responder=Echo(delay=0.02))
    store = store_of(app)
    user = "ann"
    async with serve(app) as base, httpx.AsyncClient(base_url=base, timeout=20) as http:
        response = await _stream(http, user, "threads.create", input=_message("start"))
        thread_id = parse_sse(response.text)[0]["thread"]["id"]
        expected = [i for i, _ in (await snapshot(store)).items[thread_id]]
        for round_ in range(5):
            texts = [f"r{round_}a", f"r{round_}b"]
            results = await asyncio.gather(
                *(
                    _stream(
                        http,
                        user,
                        "threads.add_user_message",
                        thread_id=thread_id,
                        input=_message(t),
                    )
                    for t in texts
                )
            )
            statuses = sorted(r.status_code for r in results)
            assert statuses == [200, 409], [(r.status_code, r.text[:200]) for r in results]
            winner = next(r for r in results if r.status_code == 200)
            loser = next(r for r in results if r.status_code == 409)
            assert assert_error_json(loser)["code"] == "thread_busy"
            assert winner.headers["content-type"].startswith("text/event-stream")
            events = parse_sse(winner.text)
            said = events[0]["item"]["content"][0]["text"]
            assert said in texts
            _check_answer(events, said, created=False, titled=False)
            expected += [events[0]["item"]["id"], events[-1]["item"]["id"]]
            stored = (await snapshot(store)).items[thread_id]
            assert [i for i, _ in stored] == expected, (round_, stored)
        assert (await snapshot(store)).threads[user][thread_id]["busy"] is None
