"""Persistence: SQLAlchemy models, the engine, and the Store every handler goes through."""

from .session import connect_url, make_engine
from .store import (
    AttachmentNotFound,
    ItemNotFound,
    ItemPage,
    LeaseLost,
    NotFound,
    Store,
    TaskNotFound,
    ThreadNotFound,
)

__all__ = [
    "AttachmentNotFound",
    "ItemNotFound",
    "ItemPage",
    "LeaseLost",
    "NotFound",
    "Store",
    "TaskNotFound",
    "ThreadNotFound",
    "connect_url",
    "make_engine",
]
