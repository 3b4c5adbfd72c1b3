"""PostgreSQL + pgvector: the store, its SQL, conversations, and the backend."""
