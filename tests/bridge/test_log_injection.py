"""Bug (issue 15, low): CR/LF in a request value forged a separate line in the text log.

A thread id like `thr_x\\r\\nforged-line` was written raw by the `key=value` formatter,
so the log showed a line the bridge never wrote. Fix: any value with a control character (or
a space, `=`, `"`) is written JSON-quoted, which escapes CR, LF and NUL.
"""

from __future__ import annotations

import logging

import httpx
import pytest

from bridge.logs import _Formatter

from ..wire import post

# No space or `=`, which the formatter already quoted: only the line break forges the line.
FORGED = "thr_x\r\nforged-line:level:error\x00\x1b[2J"


async def test_crlf_in_a_request_value_stays_on_one_log_line(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bridge.request")
    await post(client, "threads.get_by_id", thread_id=FORGED)
    records = [r for r in caplog.records if r.name == "bridge.request" and hasattr(r, "fields")]
    assert len(records) == 1
    text = _Formatter(as_json=False).format(records[0])
    assert "\n" not in text and "\r" not in text and "\x00" not in text and "\x1b" not in text
    assert "forged" in text, text  # the value is kept, escaped
    assert "thr_x" in text, text


@pytest.mark.parametrize("value", ["a\nb", "a\rb", "a\x00b", "a\tb", "a\u2028b", "\x85"])
def test_crlf_every_control_character_is_escaped(value: str) -> None:
    record = logging.LogRecord("bridge.request", logging.INFO, __file__, 1, "request", None, None)
    record.fields = {"thread": value}  # type: ignore[attr-defined]
    text = _Formatter(as_json=False).format(record)
    assert text.isprintable(), text
