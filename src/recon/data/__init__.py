"""Pair corpora: strict parsing, loaders (JSONL, ConvoKit), deterministic splits, statistics."""
