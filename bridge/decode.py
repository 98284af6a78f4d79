"""Request bytes → a typed request, or a 400 that says exactly what is wrong."""

from __future__ import annotations

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from schemas import REQUEST_TYPES, ChatKitReq, chatkit_req_adapter

from .errors import BadRequest

MAX_LISTED_ERRORS = 5


def decode_request(body: bytes) -> ChatKitReq:
    """Decode a ChatKit request body with the module-level adapter."""
    try:
        return chatkit_req_adapter.validate_json(body)
    except ValidationError as exc:
        raise _describe(exc) from None


def _describe(exc: ValidationError) -> BadRequest:
    errors = exc.errors(include_url=False, include_input=False)
    first = errors[0]
    kind = first["type"]
    if kind == "json_invalid":
        return BadRequest(f"the body is not valid JSON: {first['msg']}", code="invalid_json")
    # Only an error at the top (empty loc) is about the body itself; the same kinds deeper
    # down (a content part's `type`, `params: []`) are bad params of a known request type.
    if first["loc"]:
        return _invalid_params(errors)
    if kind in ("model_attributes_type", "dict_type", "model_type"):
        return BadRequest("the body must be a JSON object", code="invalid_request")
    if kind == "union_tag_not_found":
        return BadRequest(
            "the body has no 'type'; known types: " + ", ".join(REQUEST_TYPES),
            code="missing_type",
        )
    if kind == "union_tag_invalid":
        tag = (first.get("ctx") or {}).get("tag", "?")
        return BadRequest(
            f"unknown request type {tag!r}; known types: " + ", ".join(REQUEST_TYPES),
            code="unknown_type",
        )
    return _invalid_params(errors)


def _invalid_params(errors: list[ErrorDetails]) -> BadRequest:
    first = errors[0]
    op = str(first["loc"][0]) if first["loc"] else "request"
    problems = []
    for error in errors[:MAX_LISTED_ERRORS]:
        where = ".".join(str(part) for part in error["loc"][1:]) or "body"
        problems.append(f"{where}: {error['msg']}")
    more = len(errors) - MAX_LISTED_ERRORS
    if more > 0:
        problems.append(f"and {more} more")
    return BadRequest(
        f"invalid {op} request: " + "; ".join(problems),
        code="invalid_params",
        details=[
            {"loc": [str(part) for part in e["loc"]], "msg": e["msg"], "type": e["type"]}
            for e in errors[:MAX_LISTED_ERRORS]
        ],
    )
