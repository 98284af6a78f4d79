"""The one reader of environment variables: typed, with the variable named in every error.

    env = Env()                       # or Env({"BRIDGE_PAGE_SIZE": "50"}) in a test
    env.whole("BRIDGE_PAGE_SIZE", 20)

An empty value counts as unset (a `.env` line `X=` means "default"). Settings, auth, limits
and logging all read through it (model: Starlette's `config.py`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

T = TypeVar("T")
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


class Env:
    """Typed reads of an environment (the process's by default)."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self.environ = os.environ if environ is None else environ

    def text(self, name: str, default: str | None = None) -> str | None:
        """The value, stripped; `default` when unset or empty."""
        raw = self.environ.get(name, "").strip()
        return raw or default

    def whole(self, name: str, default: int) -> int:
        """A whole number."""
        return self._parse(name, default, int, "a whole number")

    def number(self, name: str, default: float) -> float:
        """A number."""
        return self._parse(name, default, float, "a number")

    def _parse(self, name: str, default: T, cast: Callable[[str], T], what: str) -> T:
        raw = self.text(name)
        if raw is None:
            return default
        try:
            return cast(raw)
        except ValueError:
            raise ValueError(f"{name} must be {what}, got {raw!r}") from None

    def flag(self, name: str, default: bool = False) -> bool:
        """A yes/no: 1, true, yes, on or 0, false, no, off (any case)."""
        raw = self.text(name)
        if raw is None:
            return default
        if raw.lower() in _TRUE:
            return True
        if raw.lower() in _FALSE:
            return False
        raise ValueError(f"{name} must be 1/true/yes/on or 0/false/no/off, got {raw!r}")

    def items(self, name: str) -> tuple[str, ...]:
        """A comma-separated list, blanks dropped."""
        raw = self.environ.get(name, "")
        return tuple(part.strip() for part in raw.split(",") if part.strip())

    def json(self, name: str, what: str = "JSON") -> Any:
        """A JSON value (`what` names it in the error); None when unset or empty."""
        raw = self.text(name)
        if raw is None:
            return None
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise ValueError(f"{name} must be {what}: {exc}") from None
