"""The one place that chooses a backend: `open_backend` returns SQLite + FAISS in the data folder,
or PostgreSQL + pgvector when a database URL is configured. Nothing above `index` names either."""

from __future__ import annotations

from collections.abc import Callable

from index.embedders.base import Embedder
from index.protocols import Backend, Exporting, Storage
from index.types import BackendConfig


def open_backend(config: BackendConfig, embedder: Embedder) -> Backend:
    """Open the store and its vectors for `embedder`'s model: vectors of another model are embedded
    again, and a missing or damaged vector file is rebuilt from the store."""
    if config.database_url is not None:
        from index.postgres.backend import PostgresBackend  # psycopg only when configured

        return PostgresBackend(config, embedder)
    from index.sqlite.backend import SqliteBackend

    return SqliteBackend(config, embedder)


def open_migration(config: BackendConfig, url: str) -> tuple[Exporting, Callable[[int], Storage]]:
    """For `qa migrate`: the embedded store to copy from (without its vectors' index: the vectors
    are copied from the database), and how to open the PostgreSQL store for vectors of a dimension."""
    from index.postgres.store import PostgresStore
    from index.sqlite.store import SqliteStore

    return SqliteStore(config.database_path), lambda dim: PostgresStore(url, dim)


def stored_model(config: BackendConfig) -> str | None:
    """The model the stored vectors came from, read without opening the backend (None when there
    is no store yet): to choose the encoder that matches them."""
    if config.database_url is not None:
        from index.postgres.store import read_meta as read_postgres_meta

        return read_postgres_meta(config.database_url, "vector_model")
    from index.sqlite.connection import read_meta

    return read_meta(config.database_path, "vector_model")
