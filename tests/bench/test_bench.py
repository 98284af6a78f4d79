"""The bench runs end to end in its quick mode and writes every metric (numbers not judged)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.report import targets

ROOT = Path(__file__).resolve().parents[2]

THROUGHPUT_KEYS = {"rps", "p50_ms", "p99_ms", "errors", "rounds_rps"}
TTFE_KEYS = {"samples", "p50_ms", "p99_ms", "model_first_p50_ms", "turn_p50_ms"}
DELTA_KEYS = {
    "deltas",
    "bridge_us_per_delta",
    "responder_us_per_delta",
    "uvicorn_cpu_us_per_delta",
    "client_deltas_per_second",
}
STREAM_KEYS = {
    "streams",
    "open",
    "rss_before_mb",
    "rss_during_mb",
    "kb_per_stream",
    "items_list_p50_ms",
    "items_list_p99_ms",
    "items_list_rps",
}


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("bench") / "quick.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--postgres", "off", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-3000:]
    doc: dict = json.loads(out.read_text())
    doc["_stdout"] = done.stdout.decode()
    return doc


@pytest.mark.slow
def test_quick_bench_writes_every_metric(quick_run: dict) -> None:
    metrics = quick_run["metrics"]
    assert quick_run["quick"] is True
    for op in ("items.list", "threads.get_by_id"):
        assert set(metrics["throughput"][op]) == {"bare", "sqlite"}
        assert set(metrics["throughput"][op]["bare"]) >= THROUGHPUT_KEYS
        assert THROUGHPUT_KEYS | {"ratio"} <= set(metrics["throughput"][op]["sqlite"])
        assert metrics["throughput"][op]["sqlite"]["errors"] == 0
    for op in ("threads.create", "threads.add_user_message"):
        assert set(metrics["ttfe"]["sqlite"][op]) >= TTFE_KEYS
    assert set(metrics["deltas"]) >= DELTA_KEYS
    assert set(metrics["streams"]) >= STREAM_KEYS
    sizes = [str(size) for size in quick_run["plan"]["growth_sizes"]]
    for op in ("items.list", "items.list.after", "threads.list"):
        assert set(metrics["growth"]["sqlite"][op]["p50_ms"]) == set(sizes)
        assert "growth" in metrics["growth"]["sqlite"][op]


@pytest.mark.slow
def test_quick_bench_checks_every_target(quick_run: dict) -> None:
    checked = quick_run["targets"]
    assert [row["target"] for row in checked] == [t.name for t in targets(quick_run)]
    for row in checked:
        assert row["measured"] is not None, row["target"]
        assert isinstance(row["pass"], bool)
        assert row["target"] in quick_run["_stdout"]
