"""Errors raised by the storage layer; `qa.errors` builds on these."""


class StoreError(Exception):
    """Base class for everything the index layer raises."""


class DocumentNotFound(StoreError):
    def __init__(self, document_id: str) -> None:
        super().__init__(f"document {document_id!r} not found")
        self.document_id = document_id


class CorruptFile(StoreError):
    """A persisted file failed its checksum or could not be parsed."""


class EmbedderUnavailable(StoreError):
    """The configured embedding model could not be loaded."""


class StoreUnavailable(StoreError):
    """The database server cannot be reached (a network database only)."""


class StorageFull(StoreError):
    """The disk (or the database server's) has no room for the write; nothing was stored."""
