#!/usr/bin/env python3
"""Re-check ChatKit answers against the official SDK's own types (issue 10).

The project's strict check (tests/frames.py, strict.py) validates against `schemas/`; this
script validates the same kind of data against `openai-chatkit` 1.6.5's `chatkit.types`, so a
place where `schemas/` is looser than the official types shows up. It imports the SDK, so it
runs only in a throwaway virtualenv outside the repository (never under pytest: its name
does not start with `test_`, and nothing imports it):

    python3 -m venv /tmp/sdk-venv
    /tmp/sdk-venv/bin/pip install openai-chatkit==1.6.5
    # the bridge's own answers: run the suite with the frame dump on (project venv)
    CHATKIT_FRAME_DUMP=/tmp/frames.jsonl .venv/bin/python -m pytest -q tests
    # then, from the repository root:
    /tmp/sdk-venv/bin/python tests/conformance/sdk_check.py --frames /tmp/frames.jsonl

Checked: every event and JSON body of the recorded corpus (`scenarios/*.json`, the
reference's answers, placeholders made concrete) and, with `--frames`, every SSE event and
JSON body the bridge sent during the test run (`CHATKIT_FRAME_DUMP`). Each is validated
with unknown fields forbidden. Error bodies (the bridge's own 4xx JSON, not ChatKit types)
are counted, not checked. Exit status 1 if anything failed.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from chatkit.types import (  # type: ignore[import-not-found]
    Attachment,
    Page,
    SyncCustomActionResponse,
    Thread,
    ThreadItem,
    ThreadStreamEvent,
    TranscriptionResult,
)
from pydantic import TypeAdapter, ValidationError

HERE = Path(__file__).resolve().parent
EVENT = TypeAdapter(ThreadStreamEvent)
BODIES: dict[str, TypeAdapter[Any]] = {
    "threads.get_by_id": TypeAdapter(Thread),
    "threads.update": TypeAdapter(Thread),
    "threads.list": TypeAdapter(Page[Thread]),
    "items.list": TypeAdapter(Page[ThreadItem]),
    "threads.sync_custom_action": TypeAdapter(SyncCustomActionResponse),
    "attachments.create": TypeAdapter(Attachment),
    "upload": TypeAdapter(Attachment),
    "upload.direct": TypeAdapter(Attachment),
    "input.transcribe": TypeAdapter(TranscriptionResult),
}
EMPTY_OBJECT_OPS = {"threads.delete", "items.feedback", "attachments.delete"}


class Tally:
    """Counts per source and kind, and the failures with where they came from."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.failures: list[str] = []

    def check(self, source: str, kind: str, op: str, raw: bytes) -> None:
        self.counts[f"{source} {kind}s"] += 1
        try:
            if kind == "event":
                EVENT.validate_json(raw, extra="forbid")
            elif op in EMPTY_OBJECT_OPS:
                if json.loads(raw) != {}:
                    raise ValueError(f"{op} answers {{}}")
            else:
                BODIES[op].validate_json(raw, extra="forbid")
        except (ValidationError, ValueError, KeyError) as exc:
            first = str(exc).splitlines()[:3]
            self.failures.append(f"{source} {kind} ({op}): {' | '.join(first)}: {raw[:300]!r}")


def _concrete(value: Any) -> Any:
    """A corpus value with its placeholders made real: timestamps and the base URL."""
    text = json.dumps(value)
    text = text.replace('"<ts>"', '"2026-01-02T03:04:05.000006"')
    return json.loads(text.replace("<base>", "http://127.0.0.1:8000"))


def check_corpus(tally: Tally) -> None:
    """The reference's recorded answers."""
    for path in sorted((HERE / "scenarios").glob("*.json")):
        doc = json.loads(path.read_text())
        for exchange in doc["exchanges"]:
            response = exchange["response"]
            if response.get("status") != 200:
                continue
            for event in response.get("events", []):
                tally.check(
                    "corpus", "event", exchange["op"], json.dumps(_concrete(event)).encode()
                )
            if "body" in response:
                body = json.dumps(_concrete(response["body"])).encode()
                tally.check("corpus", "body", exchange["op"], body)


def check_frames(tally: Tally, dump: Path) -> None:
    """The bridge's answers during a test run (tests/frames.py's dump)."""
    for line in dump.read_text(encoding="utf-8").splitlines():
        frame = json.loads(line)
        raw = frame["raw"].encode()
        if frame["kind"] == "body" and frame["status"] >= 400:
            tally.counts["bridge error bodies (not ChatKit types, not checked)"] += 1
            continue
        tally.check("bridge", frame["kind"], frame["op"], raw)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=Path, help="a CHATKIT_FRAME_DUMP file of a test run")
    parser.add_argument("--no-corpus", action="store_true", help="skip the recorded corpus")
    args = parser.parse_args()
    tally = Tally()
    if not args.no_corpus:
        check_corpus(tally)
    if args.frames:
        check_frames(tally, args.frames)
    for name, count in sorted(tally.counts.items()):
        print(f"{count:7d}  {name}")
    print(f"{len(tally.failures):7d}  failures")
    for failure in tally.failures[:50]:
        print("  " + failure)
    return 1 if tally.failures else 0


if __name__ == "__main__":
    sys.exit(main())
