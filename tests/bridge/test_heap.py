"""Issue #13: the heap import and start-up build is frozen out of the garbage collector's
scans once the app has started (`bridge.app._freeze_start_up_heap`), once per process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = """
import asyncio, gc, sys
from pathlib import Path
from bridge.app import _freeze_start_up_heap, create_app
from bridge.settings import Settings

async def main():
    settings = Settings.from_env(
        database_url="sqlite:///" + sys.argv[1], data_dir=Path(sys.argv[2]),
        offline=True, openai_api_key=None, cors_origins=(),
    )
    app = create_app(settings)
    before = gc.get_freeze_count()
    async with app.router.lifespan_context(app):
        started = gc.get_freeze_count()
        kept = [[] for _ in range(1000)]  # what a second start-up would add (tracked)
        _freeze_start_up_heap()
        again = gc.get_freeze_count()
    print(before, started, again)

asyncio.run(main())
"""


def test_start_up_freezes_the_heap_once(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "bridge.db"), str(tmp_path / "data")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr
    before, started, again = (int(n) for n in done.stdout.split())
    assert before == 0
    assert started > 10_000  # the modules, schemas and engine of a started bridge
    assert again == started  # a second start-up in the same process does not freeze again
