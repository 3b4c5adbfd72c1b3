"""The FAISS vector index the SQLite backend keeps beside its database."""
