"""The router has one handler per op type the request union decodes, no more, no fewer."""

from __future__ import annotations

from bridge.router import ROUTES
from schemas import REQUEST_TYPES


def test_every_op_type_has_a_handler() -> None:
    assert sorted(ROUTES) == list(REQUEST_TYPES)
