"""Question answering: cleaning, segmentation, ingestion, retrieval, reranking, answers, conversations."""
