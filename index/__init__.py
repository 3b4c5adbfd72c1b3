"""Storage and search: documents, sentences, vectors, lexical postings and the embedder.

This layer knows nothing about questions or HTTP; it stores and finds.
"""
