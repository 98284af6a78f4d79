"""Normalise ChatKit requests and responses so that two servers' answers can be compared.

Stdlib only: the recorder (throwaway venv with the reference SDK) and the bridge's replay test
(project venv) both use it.

One `Normaliser` lives for one scenario. It walks JSON values in document order and replaces

* ids by stable placeholders numbered in order of first appearance, per kind:
  `<thread:N>`, `<item:N>`, `<attachment:N>`, `<call:N>` (tool call_id), `<id:N>` (an id of
  unknown kind); in model inputs (`loose=True`) also `<model_item:N>`;
* ISO 8601 timestamps by `<ts>`;
* the server's base URL (e.g. `http://127.0.0.1:43117`) by `<base>`, and known ids inside
  other strings (URLs) by their placeholders.

Which strings are ids is decided by key, never by prefix (the two servers use different id
formats):

* `thread_id`, `item_id`, `item_ids[]`, `attachment_id`, `call_id`, `input.attachments[]`
  (a list of strings under `attachments`), `after` (an id seen before);
* `id` of an object that is a thread (it has `items`, or sits under the key `thread`),
  an attachment (it has `mime_type`) or a thread item (it has `thread_id`, `created_at` and
  `type`). Other `id`s (widget components, structured-input questions) are the app's own
  stable names and are left alone, unless the value is already a known id.

The mapping is two-way: `resolve()` turns the placeholders in a recorded request back into
the real ids the server under test produced, which is how a replay sends follow-up requests.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["PLACEHOLDER_RE", "TS", "Normaliser", "UnknownPlaceholder", "is_iso_timestamp"]

TS = "<ts>"
BASE = "<base>"
PLACEHOLDER_RE = re.compile(r"<(thread|item|attachment|call|id|model_item):(\d+)>")

_ISO_RE = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")

_KEY_KIND = {
    "thread_id": "thread",
    "item_id": "item",
    "item_ids": "item",
    "attachment_id": "attachment",
    "call_id": "call",
}


def is_iso_timestamp(value: str) -> bool:
    return bool(_ISO_RE.match(value))


class UnknownPlaceholder(KeyError):
    """A request refers to a placeholder no earlier response produced."""


class Normaliser:
    """Stateful id/timestamp normaliser for one scenario (see the module docstring)."""

    def __init__(self, base_urls: tuple[str, ...] | list[str] = ()) -> None:
        self.forward: dict[str, str] = {}  # real id -> placeholder
        self.backward: dict[str, str] = {}  # placeholder -> real id
        self.counters: dict[str, int] = {}
        self.base_urls = [b.rstrip("/") for b in base_urls if b]

    # -- mapping -------------------------------------------------------------------------

    def placeholder(self, kind: str, real: str) -> str:
        """The placeholder for `real`, allocating `<kind:N>` on first sight."""
        if real in self.forward:
            return self.forward[real]
        if PLACEHOLDER_RE.fullmatch(real):
            return real  # already normalised
        self.counters[kind] = self.counters.get(kind, 0) + 1
        ph = f"<{kind}:{self.counters[kind]}>"
        self.forward[real] = ph
        self.backward[ph] = real
        return ph

    def bind(self, placeholder: str, real: str) -> None:
        """Declare that `placeholder` stands for `real` (used by replays for client ids)."""
        self.forward[real] = placeholder
        self.backward[placeholder] = real

    # -- normalising ---------------------------------------------------------------------

    def normalise(self, value: Any, *, loose: bool = False) -> Any:
        """A normalised deep copy of a JSON value.

        `loose=True` (for model inputs) also maps every `id`/`call_id` string it meets.
        """
        return self._walk(value, key=None, loose=loose)

    def _walk(self, value: Any, key: str | None, loose: bool) -> Any:
        if isinstance(value, dict):
            id_kind = self._id_kind(value, key, loose)
            out: dict[str, Any] = {}
            for k, v in value.items():
                if k == "id" and isinstance(v, str):
                    if id_kind is not None:
                        out[k] = self.placeholder(id_kind, v)
                    elif v in self.forward:
                        out[k] = self.forward[v]
                    else:
                        out[k] = self._string(v)
                else:
                    out[k] = self._walk(v, k, loose)
            return out
        if isinstance(value, list):
            if key in ("item_ids", "attachments") and all(isinstance(v, str) for v in value):
                kind = "item" if key == "item_ids" else "attachment"
                return [self.placeholder(kind, v) for v in value]
            return [self._walk(v, key, loose) for v in value]
        if isinstance(value, str):
            if key in _KEY_KIND:
                return self.placeholder(_KEY_KIND[key], value)
            if key == "after":
                return self.forward.get(value) or self.placeholder("id", value)
            return self._string(value)
        return value

    def _id_kind(self, obj: dict[str, Any], key: str | None, loose: bool) -> str | None:
        if "id" not in obj or not isinstance(obj["id"], str):
            return None
        if key == "thread" or ("items" in obj and "created_at" in obj):
            return "thread"
        if "mime_type" in obj:
            return "attachment"
        if "thread_id" in obj and "created_at" in obj and "type" in obj:
            return "item"
        if loose:
            return "model_item"
        return None

    def _string(self, value: str) -> str:
        if is_iso_timestamp(value):
            return TS
        for base in self.base_urls:
            if base and base in value:
                value = value.replace(base, BASE)
        if any(real in value for real in self.forward):
            # longest first so that an id that prefixes another does not break it
            for real in sorted(self.forward, key=len, reverse=True):
                if len(real) >= 6 and real in value:
                    value = value.replace(real, self.forward[real])
        return value

    # -- resolving -----------------------------------------------------------------------

    def resolve(self, value: Any, base_url: str | None = None) -> Any:
        """Replace placeholders (and `<base>`) in a recorded request by real values."""
        if isinstance(value, dict):
            return {k: self.resolve(v, base_url) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v, base_url) for v in value]
        if isinstance(value, str):
            if base_url is not None:
                value = value.replace(BASE, base_url.rstrip("/"))

            def sub(m: re.Match[str]) -> str:
                ph = m.group(0)
                if ph not in self.backward:
                    raise UnknownPlaceholder(ph)
                return self.backward[ph]

            return PLACEHOLDER_RE.sub(sub, value)
        return value


def placeholders_in(value: Any) -> list[str]:
    """Every placeholder mentioned in a JSON value, in document order."""
    found: list[str] = []
    if isinstance(value, dict):
        for v in value.values():
            found.extend(placeholders_in(v))
    elif isinstance(value, list):
        for v in value:
            found.extend(placeholders_in(v))
    elif isinstance(value, str):
        found.extend(m.group(0) for m in PLACEHOLDER_RE.finditer(value))
    return found
