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
    "QAError", "BadInput", "Conflict", "NotReady", "DocumentNotFound", "CorruptFile",
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
