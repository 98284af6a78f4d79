"""The public API: `bridge.__all__` is the one list of names an app imports, and the examples
and docs/extending.md use nothing else from the bridge."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import bridge

ROOT = Path(__file__).resolve().parents[2]

EXPECTED = {
    # the app and its parts
    "create_app",
    "Settings",
    "Responder",
    "Turn",
    "stream_text",
    "TurnFailed",
    "ActionRegistry",
    "ActionContext",
    # an app plugged in whole (bridge/plugin.py, docs/apps.md), its routes, errors and store
    "App",
    "AppTables",
    "Services",
    "endpoint",
    "require_user",
    "BadRequest",
    "BridgeError",
    "Store",
    # the agent API
    "AgentResponder",
    "AgentContext",
    "LiveWidget",
    "ClientTool",
    "with_progress",
    "StepModel",
    "EchoModel",
    "Say",
    "Call",
    # widgets
    "ActionConfig",
    "Badge",
    "Box",
    "Button",
    "Caption",
    "Card",
    "Col",
    "Divider",
    "Icon",
    "Image",
    "ListView",
    "ListViewItem",
    "Markdown",
    "Row",
    "Spacer",
    "Text",
    "Title",
    "diff_widget",
    # protocol types an app's tools and actions use
    "Action",
    "Annotation",
    "AssistantMessageContent",
    "AssistantMessageItem",
    "ClientEffectEvent",
    "CustomTask",
    "EntitySource",
    "FileSource",
    "FileTask",
    "HiddenContextItem",
    "ImageTask",
    "ProgressUpdateEvent",
    "SearchTask",
    "ThoughtTask",
    "ThreadItem",
    "ThreadItemDoneEvent",
    "ThreadItemReplacedEvent",
    "ThreadMetadata",
    "ThreadStreamEvent",
    "URLSource",
    "UserMessageItem",
    "WidgetItem",
    "utcnow",
}


def test_all_is_sorted_unique_and_complete() -> None:
    assert bridge.__all__ == sorted(bridge.__all__)
    assert len(set(bridge.__all__)) == len(bridge.__all__)
    assert set(bridge.__all__) == EXPECTED


def test_every_public_name_resolves() -> None:
    assert sorted(bridge._EXPORTS) == bridge.__all__
    for name in bridge.__all__:
        assert getattr(bridge, name) is not None, name


def _bridge_imports(source: str) -> list[str]:
    """Modules imported from the bridge's packages other than `bridge` itself."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module:
            top = node.module.split(".")[0]
            if top in ("bridge", "schemas", "db") and node.module != "bridge":
                found.append(node.module)
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] in ("schemas", "db")]
            found += [a.name for a in node.names if a.name.startswith("bridge.")]
    return found


def _names_from_bridge(source: str) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module == "bridge":
            names |= {alias.name for alias in node.names}
    return names


def test_examples_use_only_public_names() -> None:
    files = sorted((ROOT / "examples").glob("*.py"))
    assert any(f.name == "trip_planner.py" for f in files)
    for path in files:
        source = path.read_text()
        assert _bridge_imports(source) == [], path.name
        assert _names_from_bridge(source) <= set(bridge.__all__), path.name


def test_extending_guide_uses_only_public_names() -> None:
    text = (ROOT / "docs" / "extending.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks
    for block in blocks:
        imports = "\n".join(
            line for line in block.splitlines() if line.startswith(("from ", "import "))
        )
        assert _bridge_imports(imports) == [], block
        assert _names_from_bridge(imports) <= set(bridge.__all__), block
