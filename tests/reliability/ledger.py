"""What the store should hold, kept from the answers of the requests that succeeded.

Every success is also checked as it is recorded (the event order of a stream, the echo of the
user's text, a read showing only the user's own records), and `compare` holds the store to it.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Any

import httpx

from .support import Snapshot, assert_error_json, item_types, parse_sse

USERS = ("ann", "bob")
PAGE_SIZE = 20

STREAMING = {
    "threads.create",
    "threads.add_user_message",
    "threads.retry_after_item",
    "threads.custom_action",
    "threads.add_client_tool_output",
    "threads.add_structured_input",
}
ANSWER = [
    "added:assistant_message",
    "~content_part_added",
    "~content_part_text_delta",
    "~content_part_text_delta",
    "~content_part_done",
    "done:assistant_message",
]


@dataclass
class Item:
    id: str
    type: str
    text: str = ""


@dataclass
class ThreadState:
    owner: str
    items: list[Item] = field(default_factory=list)
    title: str | None = None


@dataclass
class Ledger:
    """Threads, items, titles, feedback and attachments that successful requests made."""

    threads: dict[str, ThreadState] = field(default_factory=dict)
    deleted: list[str] = field(default_factory=list)
    feedback: dict[tuple[str, str], str] = field(default_factory=dict)
    attachments: dict[str, set[str]] = field(default_factory=lambda: {u: set() for u in USERS})
    successes: dict[str, int] = field(default_factory=dict)

    def owned(self, user: str) -> list[str]:
        return [tid for tid, state in self.threads.items() if state.owner == user]

    def foreign(self, user: str) -> list[str]:
        return [tid for tid, state in self.threads.items() if state.owner != user]

    def items_of(self, user: str, *, own: bool) -> list[tuple[str, str]]:
        """(thread id, item id) pairs of the user's (or the other users') threads."""
        return [
            (tid, item.id)
            for tid, state in self.threads.items()
            if (state.owner == user) == own
            for item in state.items
        ]

    # ---- recording a success ----------------------------------------------------------------

    def record(self, user: str, body: dict[str, Any], response: httpx.Response) -> None:
        """Check a 2xx answer to `body` and apply what it did."""
        op = body["type"]
        params = body.get("params") or {}
        self.successes[op] = self.successes.get(op, 0) + 1
        kind = response.headers.get("content-type", "")
        if op in STREAMING:
            assert kind.startswith("text/event-stream"), (op, kind, response.text[:300])
            events = parse_sse(response.text)
            assert events, f"{op} streamed nothing"
            if op != "threads.add_client_tool_output":
                assert not [e for e in events if e["type"] == "error"], events
        else:
            assert kind.startswith("application/json"), (op, kind, response.text[:300])
            events = []
        match op:
            case "threads.create":
                self._created(user, params, events)
            case "threads.add_user_message":
                self._added(user, params, events)
            case "threads.retry_after_item":
                self._retried(user, params, events)
            case "threads.get_by_id":
                self._read_thread(user, params, response.json())
            case "threads.list":
                ids = [t["id"] for t in response.json()["data"]]
                assert set(ids) <= set(self.owned(user)), (user, ids)
                if params.get("after") is None and len(self.owned(user)) <= len(ids):
                    assert set(ids) == set(self.owned(user))
            case "items.list":
                state = self._own(user, params["thread_id"])
                listed = [i["id"] for i in response.json()["data"]]
                assert set(listed) <= {i.id for i in state.items}, listed
            case "threads.update":
                state = self._own(user, params["thread_id"])
                state.title = _trimmed_title(params["title"])
                assert response.json().get("title") == state.title, response.text
            case "threads.delete":
                self._own(user, params["thread_id"])
                tid = params["thread_id"]
                del self.threads[tid]
                self.deleted.append(tid)
                self.feedback = {k: v for k, v in self.feedback.items() if k[0] != tid}
            case "items.feedback":
                state = self._own(user, params["thread_id"])
                known = {i.id for i in state.items}
                for item_id in params["item_ids"]:
                    assert item_id in known, item_id
                    self.feedback[(params["thread_id"], item_id)] = params["kind"]
            case "attachments.create":
                answer = response.json()
                assert answer["name"] == params["name"].strip(), answer
                self.attachments[user].add(answer["id"])
            case "attachments.delete":
                assert params["attachment_id"] in self.attachments[user]
                self.attachments[user].discard(params["attachment_id"])
            case "threads.add_client_tool_output":
                # Nothing is ever pending here: the answer is an in-band error, nothing changes.
                self._own(user, params["thread_id"])
                assert [e["type"] for e in events] == ["stream_options", "error"], events
                assert events[-1]["code"] == "custom", events
            case _:
                # No actions are registered, nothing is pending, dictation is off: these
                # can only fail.
                raise AssertionError(
                    f"{op} succeeded: {response.status_code} {response.text[:300]}"
                )

    def _own(self, user: str, thread_id: str) -> ThreadState:
        state = self.threads.get(thread_id)
        assert state is not None and state.owner == user, (
            f"{user} succeeded on thread {thread_id!r}, which is not theirs "
            f"({'deleted' if thread_id in self.deleted else state and state.owner})"
        )
        return state

    def _answer(
        self, events: list[dict[str, Any]], said: str, *, title: bool
    ) -> tuple[Item, str | None]:
        kinds = item_types(events)
        expected = ["stream_options", *ANSWER] + (["thread.updated"] if title else [])
        assert kinds == expected, kinds
        done = events[len(ANSWER)]
        text = "".join(p["text"] for p in done["item"]["content"])
        assert text == "You said: " + (said or "(nothing)"), text
        new_title = events[-1]["thread"].get("title") if title else None
        if title:
            assert new_title, events[-1]
        return Item(done["item"]["id"], "assistant_message", text), new_title

    @staticmethod
    def _said(content: list[dict[str, Any]]) -> str:
        return " ".join(p["text"] for p in content if p.get("type") == "input_text")

    def _echo(self, events: list[dict[str, Any]], params: dict[str, Any]) -> Item:
        echo = events[0]
        assert item_types([echo]) == ["done:user_message"], echo
        sent = params["input"]["content"]
        assert [p.get("text") for p in echo["item"]["content"]] == [p.get("text") for p in sent]
        assert echo["item"]["attachments"] == [], echo
        return Item(echo["item"]["id"], "user_message", self._said(sent))

    @staticmethod
    def _titled(content: list[dict[str, Any]]) -> bool:
        return any(p.get("type") == "input_text" and _has_words(p["text"]) for p in content)

    def _created(self, user: str, params: dict[str, Any], events: list[dict[str, Any]]) -> None:
        created = events[0]
        assert created["type"] == "thread.created", item_types(events)
        assert created["thread"]["items"] == {"data": [], "has_more": False}, created
        tid = created["thread"]["id"]
        assert tid not in self.threads and not tid.startswith("client_"), tid
        user_item = self._echo(events[1:], params)
        content = params["input"]["content"]
        answer, title = self._answer(events[2:], user_item.text, title=self._titled(content))
        self.threads[tid] = ThreadState(user, [user_item, answer], title)

    def _added(self, user: str, params: dict[str, Any], events: list[dict[str, Any]]) -> None:
        state = self._own(user, params["thread_id"])
        user_item = self._echo(events, params)
        titled = state.title is None and self._titled(params["input"]["content"])
        answer, title = self._answer(events[1:], user_item.text, title=titled)
        state.items += [user_item, answer]
        if titled:
            state.title = title

    def _retried(self, user: str, params: dict[str, Any], events: list[dict[str, Any]]) -> None:
        state = self._own(user, params["thread_id"])
        ids = [i.id for i in state.items]
        at = ids.index(params["item_id"])
        anchor = state.items[at]
        assert anchor.type == "user_message", anchor
        removed = {i.id for i in state.items[at + 1 :]}
        state.items = state.items[: at + 1]
        self.feedback = {
            k: v
            for k, v in self.feedback.items()
            if not (k[0] == params["thread_id"] and k[1] in removed)
        }
        titled = state.title is None and _has_words(anchor.text)
        answer, title = self._answer(events, anchor.text, title=titled)
        state.items.append(answer)
        if titled:
            state.title = title

    def _read_thread(self, user: str, params: dict[str, Any], body: dict[str, Any]) -> None:
        state = self._own(user, params["thread_id"])
        assert body["id"] == params["thread_id"], body
        assert body.get("title") == state.title, (body.get("title"), state.title)
        shown = [i["id"] for i in body["items"]["data"]]
        assert shown == [i.id for i in state.items][:PAGE_SIZE], (shown, state.items)

    # ---- comparing with the store -----------------------------------------------------------

    def compare(self, shot: Snapshot) -> None:
        """The store holds exactly what the successful requests made, and no lease is held."""
        for user in USERS:
            stored = shot.threads.get(user, {})
            assert set(stored) == set(self.owned(user)), (user, set(stored), self.owned(user))
            for tid, row in stored.items():
                assert row["busy"] is None, f"thread {tid} is still leased"
                assert row["title"] == self.threads[tid].title, (tid, row, self.threads[tid].title)
            assert shot.attachments.get(user, set()) == self.attachments[user], user
        assert set(shot.threads) <= set(USERS), set(shot.threads)
        for tid, state in self.threads.items():
            expected = [(i.id, i.type) for i in state.items]
            assert shot.items.get(tid, []) == expected, (tid, shot.items.get(tid), expected)
            for item_id, _ in expected:
                assert shot.item_owner[item_id] == state.owner
        assert set(shot.items) <= set(self.threads), set(shot.items) - set(self.threads)
        assert shot.feedback == self.feedback, (shot.feedback, self.feedback)


def _trimmed_title(given: str) -> str | None:
    """A rename as stored (README, threads.update): control characters and runs of white
    space become one space; past 200 characters it is cut at a word and ends with '…'."""
    text = " ".join("".join(" " if unicodedata.category(c) == "Cc" else c for c in given).split())
    if len(text) <= 200:
        return text or None
    head = text[:199]
    if " " in head:
        head = head[: head.rindex(" ")]
    return head.rstrip(",.;:!?-") + "…"


def _has_words(text: str) -> bool:
    """Whether a message has anything to title a thread with (control characters are not)."""
    return any(not c.isspace() and unicodedata.category(c) != "Cc" for c in text)


def check_refusal(response: httpx.Response) -> dict[str, Any]:
    """A refusal is a 4xx with the JSON error body, never a 5xx."""
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:500])
    return assert_error_json(response)
