"""The engine runs without the todo app: with every import of `bridge.todo` blocked, an app
built with `create_app(responder=…)` from public names only streams an answer, and serves no
todo route (issue 11).

The script runs in a fresh interpreter: this test process has long imported `bridge.todo`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ..scripts import run_script

SCRIPT = r"""
import asyncio
import importlib.abc
import json
import sys
from pathlib import Path


class BlockTodo(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "bridge.todo" or name.startswith("bridge.todo."):
            raise ImportError(f"blocked by the test: {name}")
        return None


sys.meta_path.insert(0, BlockTodo())

from bridge import AgentResponder, Settings, Turn, create_app, stream_text
from tests.conftest import RunningLifespan, asgi_client  # the suite's helpers, blocked alike


class Echo:
    # A responder written against the public names only.
    async def respond(self, turn: Turn):
        text = turn.input.content[0].text if turn.input else ""
        async for event in stream_text(turn, ["you said: ", text]):
            yield event


async def main() -> dict:
    settings = Settings.from_env(
        database_url=sys.argv[1], data_dir=Path(sys.argv[2]), openai_api_key=None
    )
    responder = Echo() if sys.argv[3] == "echo" else AgentResponder(settings)
    app = create_app(settings, responder=responder)
    out = {}
    async with RunningLifespan(app), asgi_client(app, base_url="http://127.0.0.1") as http:
        body = {
            "type": "threads.create",
            "params": {"input": {"content": [{"type": "input_text", "text": "hello"}],
                                 "attachments": [], "inference_options": {}}},
        }
        answer = await http.post("/chatkit", json=body)
        out["status"] = answer.status_code
        out["events"] = [
            json.loads(line[len("data: "):])
            for line in answer.text.splitlines() if line.startswith("data: ")
        ]
        out["tasks_route"] = (await http.get("/api/tasks")).status_code
        out["mcp_route"] = (await http.post("/mcp", json={})).status_code
    out["todo_modules"] = sorted(m for m in sys.modules if m.startswith("bridge.todo"))
    return out


print(json.dumps(asyncio.run(main())))
"""


@pytest.mark.parametrize(
    ("responder", "answer"),
    [
        pytest.param("echo", "you said: hello", id="own-responder"),
        pytest.param("agent", "hello", id="AgentResponder-offline"),
    ],
)
def test_create_app_with_a_responder_streams_with_bridge_todo_blocked(
    tmp_path: Path, responder: str, answer: str
) -> None:
    run = run_script(SCRIPT, tmp_path, responder)
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert out["status"] == 200
    assert out["events"][0]["type"] == "thread.created"
    done = [e["item"] for e in out["events"] if e["type"] == "thread.item.done"]
    answers = [item for item in done if item["type"] == "assistant_message"]
    texts = [a["content"][0]["text"] for a in answers]
    assert len(texts) == 1 and answer in texts[0], out["events"]
    if responder == "agent":  # the neutral offline model says what it is, never todo talk
        assert "offline" in texts[0].lower() and "todo" not in texts[0].lower(), texts
    assert out["tasks_route"] == 404
    assert out["mcp_route"] == 404
    assert out["todo_modules"] == []
