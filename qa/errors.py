"""The errors the service reports. Built on the index layer's errors so one mapping at the API
edge covers both."""

from index.errors import (
    CorruptFile,
    DocumentNotFound,
    EmbedderUnavailable,
    StorageFull,
    StoreError,
    StoreUnavailable,
)

__all__ = [
    "QAError", "BadInput", "Busy", "Conflict", "NotReady", "DocumentNotFound", "CorruptFile",
    "EmbedderUnavailable", "StorageFull", "StoreError", "StoreUnavailable",
]


class QAError(StoreError):
    """Base class for errors raised by the question answering layer."""


class BadInput(QAError):
    """The request is well-formed but cannot be processed (empty document, unknown format...)."""


class Conflict(QAError):
    """The request clashes with stored state (a different document already has that id)."""


class NotReady(QAError):
    """The model or index is still loading."""


class Busy(QAError):
    """Too much of one kind of work is in progress (document writes): retry after `retry_after` seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
