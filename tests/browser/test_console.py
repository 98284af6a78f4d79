"""The debug console in Chromium: composer, streaming, thread list, widgets, raw panel, auth."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from bridge.actions import ActionContext, ActionRegistry
from bridge.auth import AuthSettings, JWTAuthenticator
from bridge.responder import Turn
from bridge.todo.task_store import TaskStore
from schemas import (
    Action,
    ClientEffectEvent,
    ProgressUpdateEvent,
    ThreadItemDoneEvent,
    ThreadItemReplacedEvent,
    ThreadStreamEvent,
    WidgetItem,
    utcnow,
)

from ..fakes import ScriptedResponder, stream_text, text_step
from ..live import bridge_app, running
from .conftest import ARTIFACTS, Console

MakeConsole = Callable[..., Console]

# Records every text the assistant bubble showed, to prove the answer arrived in pieces.
WATCH_ASSISTANT = """
window.__seen = [];
new MutationObserver(() => {
  const bubble = document.querySelector('.msg.assistant');
  const text = bubble ? bubble.textContent : null;
  if (text && window.__seen[window.__seen.length - 1] !== text) window.__seen.push(text);
}).observe(document.getElementById('conversation'), {subtree: true, childList: true,
  characterData: true});
"""


def send_message(page: Any, text: str) -> None:
    """Type in the composer and press Enter."""
    page.fill("#message", text)
    page.press("#message", "Enter")


def test_composer_streams_the_answer_and_lists_the_thread(make_console: MakeConsole) -> None:
    responder = ScriptedResponder([text_step("Hello", " from", " the", " bridge", delay=0.15)])
    console = make_console(responder=responder)
    page = console.open()
    page.evaluate(WATCH_ASSISTANT)

    send_message(page, "hello browser")

    assistant = page.locator(".msg.assistant")
    assistant.filter(has_text="Hello from the bridge").wait_for()
    assert page.locator(".msg.user").inner_text() == "hello browser"
    seen = page.evaluate("window.__seen")
    assert seen[-1] == "Hello from the bridge"
    assert len(seen) >= 3, f"the answer did not stream: {seen}"  # partial texts were shown
    thread_id = page.inner_text("#thread-id")
    assert thread_id.startswith("thr_")
    listed = page.locator(f'#thread-list button.thread[data-thread-id="{thread_id}"]')
    listed.wait_for()
    assert "active" in (listed.get_attribute("class") or "")
    assert page.locator("#banner").is_hidden()


def test_second_message_continues_the_thread_and_reopens(make_console: MakeConsole) -> None:
    console = make_console()
    page = console.open()
    send_message(page, "one")
    page.locator(".msg.assistant", has_text="You said: one").wait_for()
    thread_id = page.inner_text("#thread-id")
    page.wait_for_selector("#send:not([disabled])")
    send_message(page, "two")
    page.locator(".msg.assistant", has_text="You said: two").wait_for()

    page.click("#new-thread")
    assert page.locator(".msg").count() == 0
    page.click(f'#thread-list button[data-thread-id="{thread_id}"]')
    page.locator(".msg.assistant", has_text="You said: two").wait_for()

    texts = page.locator("#conversation .msg").all_inner_texts()
    assert texts == ["one", "You said: one", "two", "You said: two"]
    assert [turn.thread.id for turn in console.responder.turns] == [thread_id, thread_id]
    assert page.locator("#thread-list button.thread").count() == 1


def test_raw_panel_sends_threads_list_and_shows_the_answer(make_console: MakeConsole) -> None:
    console = make_console()
    page = console.open()
    send_message(page, "make a thread")
    page.locator(".msg.assistant", has_text="You said").wait_for()
    thread_id = page.inner_text("#thread-id")

    page.select_option("#raw-preset", "threads.list")
    page.click("#raw-send")

    page.locator("#raw-meta", has_text="(raw) → 200").wait_for()
    page.locator("#raw-frames li").first.wait_for()
    frames = page.locator("#raw-frames li")
    assert frames.count() == 1
    assert frames.locator(".ms").inner_text().startswith("+")
    answer = json.loads(frames.locator("pre").inner_text())
    assert [thread["id"] for thread in answer["data"]] == [thread_id]
    assert "application/json" in page.inner_text("#raw-meta")


def test_raw_panel_shows_every_sse_frame_with_timing(make_console: MakeConsole) -> None:
    console = make_console(responder=ScriptedResponder([text_step("a", "b", delay=0.2)]))
    page = console.open()
    body = {
        "type": "threads.create",
        "params": {"input": {"content": [{"type": "input_text", "text": "raw"}]}},
    }
    page.fill("#raw-body", json.dumps(body))

    page.click("#raw-send")

    page.locator("#raw-frames li summary", has_text="part.done").wait_for()
    page.wait_for_timeout(300)  # the final frames
    frames = page.locator("#raw-frames li")
    texts = frames.locator("pre").all_text_contents()  # collapsed: present, not shown
    kinds = [json.loads(text.removeprefix("data: "))["type"] for text in texts]
    assert kinds[0] == "thread.created"
    assert "thread.item.updated" in kinds
    times = [int(ms.strip("+ ms")) for ms in frames.locator(".ms").all_inner_texts()]
    assert times == sorted(times)
    assert times[-1] - times[0] >= 300  # two 0.2 s pauses, measured from the request's start
    assert "text/event-stream" in page.inner_text("#raw-meta")


def _widget_turn(turn: Turn) -> AsyncIterator[ThreadStreamEvent]:
    async def events() -> AsyncIterator[ThreadStreamEvent]:
        yield ProgressUpdateEvent(text="Fetching tasks")
        await asyncio.sleep(0.3)
        yield ThreadItemDoneEvent(
            item=WidgetItem(
                id=turn.new_id("wdg"),
                thread_id=turn.thread.id,
                created_at=utcnow(),
                widget={
                    "type": "Card",
                    "children": [
                        {"type": "Title", "value": "Your tasks"},
                        {
                            "type": "Row",
                            "children": [
                                {"type": "Text", "value": "buy milk"},
                                {"type": "Badge", "label": "open"},
                                {
                                    "type": "Button",
                                    "label": "Complete",
                                    "onClickAction": {"type": "demo.complete", "payload": {"n": 1}},
                                },
                            ],
                        },
                        {"type": "Sparkline", "children": [{"type": "Text", "value": "inner"}]},
                    ],
                },
            )
        )
        yield ClientEffectEvent(name="tasks.changed", data={"count": 1})
        async for event in stream_text(turn, ["Here they are."]):
            yield event

    return events()


def test_widgets_render_and_their_buttons_send_custom_actions(make_console: MakeConsole) -> None:
    seen: list[tuple[str, Any, str | None]] = []
    actions = ActionRegistry()

    @actions.stream("demo.complete")
    async def complete(
        ctx: ActionContext, action: Action, sender: WidgetItem | None
    ) -> AsyncIterator[ThreadStreamEvent]:
        seen.append((action.type, action.payload, sender.id if sender else None))
        assert sender is not None
        done = {"type": "Card", "children": [{"type": "Text", "value": "Completed #1"}]}
        yield ThreadItemReplacedEvent(item=sender.model_copy(update={"widget": done}))

    console = make_console(responder=ScriptedResponder([_widget_turn]), actions=actions)
    page = console.open()
    send_message(page, "show my tasks")

    page.locator(".note.progress", has_text="Fetching tasks").wait_for()
    card = page.locator('.item.widget [data-component="Card"]')
    card.wait_for()
    assert page.locator(".note.progress").count() == 0  # gone once the widget arrived
    assert card.locator(".w-title").inner_text() == "Your tasks"
    assert card.locator(".w-badge").inner_text() == "open"
    assert card.locator(".w-unknown .w-tag").inner_text() == "<Sparkline>"
    page.locator(".note.effect", has_text='effect tasks.changed {"count":1}').wait_for()
    page.locator(".msg.assistant", has_text="Here they are.").wait_for()
    widget_id = page.locator(".item.widget").get_attribute("data-item-id")
    page.wait_for_selector("#send:not([disabled])")

    card.get_by_role("button", name="Complete").click()

    page.locator(".item.widget", has_text="Completed #1").wait_for()
    assert seen == [("demo.complete", {"n": 1}, widget_id)]
    assert page.locator(".item.widget").count() == 1  # replaced in place


def test_errors_in_the_stream_are_shown(make_console: MakeConsole) -> None:
    from ..fakes import failing_step

    console = make_console(responder=ScriptedResponder([failing_step("model unavailable")]))
    page = console.open()

    send_message(page, "hi")

    note = page.locator(".note.error")
    note.wait_for()
    assert note.inner_text() == "error: model unavailable (retry allowed)"


SECRET = "c" * 40


def test_token_field_is_kept_in_memory_and_sent_as_bearer(make_console: MakeConsole) -> None:
    console = make_console(authenticator=JWTAuthenticator(AuthSettings(jwt_secret=SECRET)))
    page = console.page
    page.goto(console.base + "/")
    banner = page.locator("#banner")
    banner.filter(has_text="HTTP 401").wait_for()
    assert "set a token above" in banner.inner_text()

    token = jwt.encode({"sub": "ann", "exp": int(time.time()) + 600}, SECRET, algorithm="HS256")
    page.fill("#token", token)
    page.press("#token", "Tab")  # `change`
    page.wait_for_selector("#thread-list li.muted")  # "No threads yet."
    assert banner.is_hidden()  # the old token's 401 no longer applies
    send_message(page, "with a token")
    page.locator(".msg.assistant", has_text="You said: with a token").wait_for()

    assert console.responder.turns[0].user_id == "ann"
    # Issue 15: no storage another page of this origin could read holds the token.
    stored = page.evaluate(
        "() => JSON.stringify([{...localStorage}, {...sessionStorage}, document.cookie])"
    )
    assert token not in stored and "ann" not in stored, stored
    other = page.context.new_page()
    other.goto(console.base + "/console/console.css")
    assert token not in other.evaluate("() => JSON.stringify({...localStorage})")
    page.reload()
    assert page.input_value("#token") == ""  # gone with the page's memory
    banner.filter(has_text="HTTP 401").wait_for()


def test_console_page_is_self_contained(make_console: MakeConsole) -> None:
    console = make_console()
    requested: list[str] = []
    console.page.on("request", lambda request: requested.append(request.url))

    console.open()

    assert requested and all(url.startswith(console.base) for url in requested), requested


def test_widget_page_names_this_bridge(tmp_path: Path) -> None:
    with running(bridge_app(tmp_path)) as base:
        page = httpx.get(base + "/widget")

    assert page.status_code == 200
    assert '<script src="https://cdn.platform.openai.com/' not in page.text  # loaded by code
    assert "https://cdn.platform.openai.com/deployments/chatkit/chatkit.js" in page.text
    assert f'"api_url": "{base}/chatkit"' in page.text
    assert '"domain_key": "domain_pk_localhost_dev"' in page.text


def test_console_files_are_served_with_a_strict_policy(tmp_path: Path) -> None:
    with running(bridge_app(tmp_path)) as base:
        page = httpx.get(base + "/")
        script = httpx.get(base + "/console/console.js")
        style = httpx.get(base + "/console/console.css")
        missing = httpx.get(base + "/console/widget.html")

    assert page.status_code == script.status_code == style.status_code == 200
    assert '<meta name="chatkit-path" content="/chatkit">' in page.text
    policy = page.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "connect-src 'self';" in policy
    assert script.headers["content-type"].startswith("text/javascript")
    assert style.headers["content-type"].startswith("text/css")
    assert "http" not in "".join(  # nothing fetched from elsewhere
        line for line in (script.text + style.text).splitlines() if "url(" in line
    )
    assert missing.status_code == 404


@pytest.mark.slow
@pytest.mark.skipif(
    importlib.util.find_spec("bridge.agent") is None, reason="bridge.agent is not there yet"
)
def test_offline_model_adds_a_task(make_console: MakeConsole) -> None:
    from bridge.settings import Settings
    from bridge.todo.todo_app import TodoApp
    from bridge.todo.tools import make_responder
    from db import Store, make_engine

    console = make_console(
        responder=make_responder(Settings.from_env(offline=True, openai_api_key=None)),
        app=TodoApp(),
    )
    page = console.open()

    send_message(page, "add buy milk")

    page.wait_for_selector("#send:not([disabled])", timeout=60_000)
    page.locator("#conversation .msg.assistant, #conversation .item.widget").first.wait_for()
    answer = page.locator("#conversation").inner_text().lower()
    assert "milk" in answer

    async def tasks() -> list[dict[str, Any]]:
        store = Store(make_engine(console.db_url))
        try:
            return await TaskStore.of(store).list_tasks("local")
        finally:
            await store.close()

    # Sync Playwright keeps an event loop on this thread; the store gets a thread of its own.
    with ThreadPoolExecutor(1) as pool:
        found = pool.submit(lambda: asyncio.run(tasks())).result()
    titles = [task["title"].lower() for task in found]
    assert any("milk" in title for title in titles), titles


# ---- issue 14: failures keep the text, stale errors go, favicon, sizes, readable raw JSON ----


def test_a_refused_send_keeps_the_typed_text(make_console: MakeConsole) -> None:
    """Bug: the console cleared the typed text when a send failed (401). Fix: cleared on 2xx."""
    console = make_console(authenticator=JWTAuthenticator(AuthSettings(jwt_secret=SECRET)))
    page = console.page
    page.goto(console.base + "/")
    page.locator("#banner", has_text="HTTP 401").wait_for()

    send_message(page, "keep me")

    page.locator("#raw-meta", has_text="→ 401").wait_for()
    assert page.input_value("#message") == "keep me"
    assert "HTTP 401" in page.inner_text("#banner")

    token = jwt.encode({"sub": "ann", "exp": int(time.time()) + 600}, SECRET, algorithm="HS256")
    page.fill("#token", token)
    page.press("#token", "Tab")
    page.wait_for_selector("#thread-list li.muted")
    assert page.locator("#banner").is_hidden()
    page.press("#message", "Enter")  # the same text, now accepted
    page.locator(".msg.assistant", has_text="You said: keep me").wait_for()
    assert page.input_value("#message") == ""


def test_a_too_large_message_keeps_the_typed_text(
    make_console: MakeConsole, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bug: a 413 cleared the composer. Fix: the text stays, the banner says why."""
    monkeypatch.setenv("BRIDGE_MAX_BODY_BYTES", "2000")
    console = make_console()
    page = console.open()
    long_text = "x" * 3000

    send_message(page, long_text)

    page.locator("#banner", has_text="HTTP 413").wait_for()
    assert page.input_value("#message") == long_text
    assert console.responder.turns == []


def test_favicon_is_served(make_console: MakeConsole) -> None:
    console = make_console()
    failed: list[str] = []
    console.page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    console.open()
    icon = httpx.get(console.base + "/favicon.ico")
    linked = httpx.get(console.base + "/console/favicon.svg")

    assert icon.status_code == linked.status_code == 200
    assert icon.headers["content-type"].startswith("image/svg+xml")
    assert icon.content.startswith(b"<svg")
    assert failed == []


SIZES = [
    pytest.param(400, 800, id="phone-400"),
    pytest.param(820, 1180, id="tablet-820"),
    pytest.param(1280, 720, id="laptop-1280"),
    pytest.param(1440, 900, id="laptop-1440"),
]


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_layout_fits_the_screen(make_console: MakeConsole, width: int, height: int) -> None:
    """Bug: at 400 px the token field ran off screen; at 820 px the chat pane was ~170 px."""
    console = make_console()
    page = console.page
    page.set_viewport_size({"width": width, "height": height})
    console.open()
    send_message(page, "hello at this size")
    page.locator(".msg.assistant", has_text="You said").wait_for()

    token = page.locator("#token").bounding_box()
    chat = page.locator("section.chat").bounding_box()
    composer = page.locator("#composer").bounding_box()
    scroll_width = page.evaluate("document.documentElement.scrollWidth")

    assert scroll_width <= width  # nothing wider than the screen
    assert token is not None and token["x"] >= 0 and token["x"] + token["width"] <= width
    assert token["width"] >= 150  # room to paste a token
    assert chat is not None and chat["height"] >= min(400, 0.55 * height), chat
    assert composer is not None and composer["x"] + composer["width"] <= width
    page.screenshot(path=str(ARTIFACTS / f"layout-{width}x{height}.png"), full_page=True)


def test_raw_events_are_readable_collapsible_json(make_console: MakeConsole) -> None:
    console = make_console(responder=ScriptedResponder([text_step("one", " two")]))
    page = console.open()
    send_message(page, "show me the frames")
    page.locator("#raw-frames details summary", has_text="thread.item.done").first.wait_for()

    summaries = page.locator("#raw-frames details summary").all_inner_texts()
    assert summaries[0].startswith("thread.created · thr_")
    assert any('part.text_delta · " two"' in text for text in summaries), summaries
    first = page.locator("#raw-frames details").first
    assert first.evaluate("d => d.open") is False  # collapsed until asked
    body = first.locator("pre.json").text_content() or ""
    assert body.startswith('{\n  "type": "thread.created"')  # indented, one key per line
    assert json.loads(body)["type"] == "thread.created"

    page.click("#raw-toggle")
    opened = page.locator("#raw-frames details").evaluate_all("ds => ds.map(d => d.open)")
    assert opened and all(opened)
    assert page.inner_text("#raw-toggle") == "Collapse all"
    page.screenshot(path=str(ARTIFACTS / "raw-frames-expanded.png"))
    page.click("#raw-toggle")
    closed = page.locator("#raw-frames details").evaluate_all("ds => ds.map(d => d.open)")
    assert not any(closed)
