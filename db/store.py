"""The Store: every read and write of threads, items, attachments, feedback and leases.

Every method takes the owner's `user_id` and puts it in the query itself, so another user's
rows are exactly as absent as rows that do not exist. Reads of items return the stored wire
JSON, which handlers send as is.

The operations live in one module per concept, each a part of `Store`:

| module | what |
|---|---|
| `store_base` | the one pool, and how reads, single statements and transactions use it |
| `thread_queries` | threads: create (with the first message and lease), load, list, delete |
| `item_queries` | items: append, replace, pages, history |
| `lease_queries` | the stream lease, and the turn's fenced writes (one round trip each) |
| `attachment_queries`, `feedback_queries` | attachments, feedback |
| `prepared`, `records`, `tables` | compiled hot reads; what the store returns; the tables |

A turn on PostgreSQL costs one round trip before its first event (`start_turn` or
`create_thread`: authorise, lease and user message in one statement), one more before the
model's first token (the history read), then one per finished item, one for the title and
one to release the lease (issue #13; `make bench` measures it through a delay proxy).
"""

from __future__ import annotations

from .attachment_queries import AttachmentQueries
from .feedback_queries import FeedbackQueries
from .item_queries import ItemQueries
from .lease_queries import LeaseQueries
from .not_found import (
    AttachmentNotFound,
    ItemNotFound,
    LeaseLost,
    NotFound,
    ThreadNotFound,
)
from .prepared import Order
from .records import ItemPage, StoredAttachment, thread_json, wire_thread
from .thread_queries import ThreadQueries

__all__ = [
    "AttachmentNotFound",
    "ItemNotFound",
    "ItemPage",
    "LeaseLost",
    "NotFound",
    "Order",
    "Store",
    "StoredAttachment",
    "ThreadNotFound",
    "thread_json",
    "wire_thread",
]


class Store(ThreadQueries, ItemQueries, LeaseQueries, AttachmentQueries, FeedbackQueries):
    """All persistence of the bridge, on one async engine (SQLite or PostgreSQL)."""
