"""Extra MCP servers (`BRIDGE_MCP_SERVERS`): connected once when the app starts, their tools
given to the agent, and a server that cannot be reached skipped with a warning.

The "extra" server is the bridge's own `/mcp` endpoint, served by uvicorn on loopback."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from agents import Agent
from starlette.applications import Starlette
from starlette.types import Message, Receive, Scope, Send

from bridge.auth import LOCAL_USER
from bridge.responder import Turn
from bridge.settings import MCPServerConfig, Settings
from bridge.todo.task_store import TaskStore
from bridge.todo.todo_app import TodoApp
from bridge.todo.tools import TaskContext, make_responder

from ...conftest import Connect, MakeApp, RunningLifespan
from ...wire import stream, user_input
from . import fakeprovider as fp
from .live import free_port, serve


class RPCLog:
    """ASGI wrapper that records the JSON-RPC method of every request to an MCP server."""

    def __init__(self, app: Starlette) -> None:
        self.app = app
        self.methods: list[str] = []
        self.headers: set[str] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        self.headers |= {v.decode() for k, v in scope["headers"] if k == b"x-test"}

        async def recording() -> Message:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body") and chunks:
                payload = json.loads(b"".join(chunks) or b"{}")
                batch = payload if isinstance(payload, list) else [payload]
                self.methods += [entry.get("method", "") for entry in batch]
            return message

        await self.app(scope, recording, send)


def plain_agent(turn: Turn) -> Agent[TaskContext]:
    """An agent with no tools of its own: every tool it has comes from MCP."""
    return Agent[TaskContext](name="Assistant", instructions="Use your tools.")


def _settings(*servers: MCPServerConfig) -> Settings:
    return Settings(
        openai_api_key="sk-test",
        openai_base_url="http://provider.test/v1",
        mcp_servers=servers,
    )


async def test_agent_calls_a_tool_of_an_extra_mcp_server(
    make_app: MakeApp, connect: Connect, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    todo_server = await make_app(app=TodoApp())  # another bridge; its /mcp is the extra server
    rpc = RPCLog(todo_server)
    provider = fp.FakeProvider()
    async with serve(rpc) as url:
        down = MCPServerConfig(name="down", url=f"http://127.0.0.1:{free_port()}/mcp")
        todo = MCPServerConfig(name="todo", url=f"{url}/mcp", headers={"x-test": "1"})
        responder = make_responder(
            _settings(down, todo), agent=plain_agent, client=provider.client()
        )
        with caplog.at_level(logging.WARNING, logger="bridge.agent"):
            # Started here, inside the log capture; its own data folder beside the other's.
            bridge = await make_app(
                responder=responder, data_dir=tmp_path / "bridge", lifespan=False
            )
            async with RunningLifespan(bridge):
                warnings = [r.getMessage() for r in caplog.records if r.name == "bridge.agent"]
                assert len(warnings) == 1
                assert "'down'" in warnings[0] and "skipped" in warnings[0]
                assert [s.name for s in responder.mcp_servers] == ["todo"]
                connected = list(rpc.methods)  # the handshake, before any turn
                assert connected and not {"tools/list", "tools/call"} & set(connected)

                async with connect(bridge) as http:
                    for title in ("from mcp", "again"):
                        provider.replies += [
                            provider.sse(
                                fp.responses_events(fp.call("add_task", {"title": title}))
                            ),
                            provider.sse(fp.responses_events(fp.text(["Added."]))),
                        ]
                        events = await stream(http, "threads.create", input=user_input("add"))
                        assert events[-2]["item"]["content"][0]["text"] == "Added."

            assert not responder.mcp_servers  # disconnected with the app

    tasks = await TaskStore.of(todo_server.state.services.store).list_tasks(LOCAL_USER)
    assert [t["title"] for t in tasks] == ["from mcp", "again"]
    offered = {tool["name"] for tool in provider.requests[0]["tools"]}
    assert {"add_task", "list_tasks", "delete_task"} <= offered
    output = next(
        i for i in provider.requests[1]["input"] if i.get("type") == "function_call_output"
    )
    [part] = output["output"]  # MCP results come back as text parts
    assert json.loads(part["text"])["title"] == "from mcp"
    # Connected once at start-up, tools listed once (cached), one call per turn.
    assert rpc.methods == [*connected, "tools/list", "tools/call", "tools/call"]
    assert rpc.headers == {"1"}  # the configured headers reach the server


async def test_bridge_starts_when_every_mcp_server_is_down(
    make_app: MakeApp, connect: Connect, caplog: pytest.LogCaptureFixture
) -> None:
    provider = fp.FakeProvider()
    provider.replies.append(provider.sse(fp.responses_events(fp.text(["Hi."]))))
    down = MCPServerConfig(name="nowhere", url=f"http://127.0.0.1:{free_port()}/mcp")
    responder = make_responder(_settings(down), client=provider.client())
    with caplog.at_level(logging.WARNING, logger="bridge.agent"):
        bridge = await make_app(responder=responder, lifespan=False)
        async with RunningLifespan(bridge):
            events = await stream(connect(bridge), "threads.create", input=user_input("hi"))
    assert events[-2]["item"]["content"][0]["text"] == "Hi."
    assert any("'nowhere'" in r.getMessage() for r in caplog.records)
    assert {tool["name"] for tool in provider.requests[0]["tools"]} >= {"add_task"}


# ---- BRIDGE_MCP_SERVERS ---------------------------------------------------------------------


def test_mcp_servers_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "BRIDGE_MCP_SERVERS",
        '[{"name": "docs", "url": "https://mcp.example/mcp", "headers": {"Authorization": "B x"}},'
        ' {"name": "local", "url": "http://127.0.0.1:9000/mcp"}]',
    )
    settings = Settings.from_env()
    assert settings.mcp_servers == (
        MCPServerConfig("docs", "https://mcp.example/mcp", {"Authorization": "B x"}),
        MCPServerConfig("local", "http://127.0.0.1:9000/mcp"),
    )


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        pytest.param("not json", "JSON list", id="not-json"),
        pytest.param('{"name": "x"}', "JSON list", id="not-a-list"),
        pytest.param('[{"name": "x"}]', "string name and a string url", id="no-url"),
        pytest.param('[{"name": "x", "url": "ftp://h"}]', "http(s) url", id="bad-scheme"),
        pytest.param('[{"name": "x", "url": "http://h", "auth": 1}]', "unknown keys", id="extra"),
        pytest.param('[{"name": "x", "url": "http://h", "headers": {"a": 1}}]', "headers", id="h"),
        pytest.param(
            '[{"name": "x", "url": "http://h"}, {"name": "x", "url": "http://i"}]',
            "unique",
            id="duplicate",
        ),
    ],
)
def test_bad_mcp_servers_setting_is_refused(
    monkeypatch: pytest.MonkeyPatch, raw: str, message: str
) -> None:
    monkeypatch.setenv("BRIDGE_MCP_SERVERS", raw)
    with pytest.raises(ValueError, match="BRIDGE_MCP_SERVERS") as caught:
        Settings.from_env()
    assert message in str(caught.value)
