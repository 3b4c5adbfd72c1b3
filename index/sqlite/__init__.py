"""SQLite + FTS5: the embedded store, its postings and conversations, and the backend pairing it with FAISS."""
