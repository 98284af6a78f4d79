"""The store's errors: records that are absent (or another user's), and a lost lease."""

from __future__ import annotations


class NotFound(LookupError):
    """Base of the store's not-found errors (a 404 to the client)."""

    kind = "record"

    def __init__(self, record_id: str) -> None:
        super().__init__(f"{self.kind} {record_id!r} not found")
        self.record_id = record_id


class ThreadNotFound(NotFound):
    """No such thread for this user."""

    kind = "thread"


class ItemNotFound(NotFound):
    """No such item in this user's thread."""

    kind = "item"


class AttachmentNotFound(NotFound):
    """No such attachment for this user."""

    kind = "attachment"


class TaskNotFound(NotFound):
    """No such task for this user."""

    kind = "task"


class LeaseLost(RuntimeError):
    """The stream no longer holds its thread's lease: another stream took the thread over.

    Raised by a fenced write that found another token on the thread; the stream must stop and
    write nothing more (issue #15, "no fencing").
    """

    def __init__(self, thread_id: str) -> None:
        super().__init__(f"the lease on thread {thread_id!r} was taken by another stream")
        self.thread_id = thread_id
