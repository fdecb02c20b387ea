"""Chunks → embeddings, FAISS, BM25, fusion, persistence and search."""
