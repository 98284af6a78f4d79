"""Ids the bridge makes. Never `client_…` (the widget's own temporary ids)."""

from __future__ import annotations

import secrets


def new_id(prefix: str) -> str:
    """A new random id such as `thr_3f9a0c1d2e4b5a69` (64 random bits)."""
    return f"{prefix}_{secrets.token_hex(8)}"
