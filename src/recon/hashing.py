"""Canonical JSON and version-tagged content hashes (cache keys, splits, prompt versions, swap order).

    >>> canonical_json({"b": 1, "a": [1.0, "é"]})
    '{"a":[1.0,"é"],"b":1}'
    >>> content_hash({"a": 1}) == content_hash({"a": 1})
    True
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any

# Bump when the meaning of a hashed payload changes: every cache key and split assignment changes with it.
HASH_VERSION = "recon-v1"


def _default(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return dataclasses.asdict(obj)
    if isinstance(obj, (set, frozenset)):
        return sorted(obj)
    if isinstance(obj, tuple):
        return list(obj)
    raise TypeError(f"cannot hash object of type {type(obj).__name__}")


def canonical_json(obj: Any) -> str:
    """Key-sorted, compact, UTF-8 JSON: equal values give equal strings."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False, default=_default)


def content_hash(obj: Any, *, tag: str = "", length: int = 64) -> str:
    """SHA-256 hex of `HASH_VERSION`, an optional tag and the canonical JSON of `obj`."""
    h = hashlib.sha256()
    h.update(f"{HASH_VERSION}\x00{tag}\x00".encode())
    h.update(canonical_json(obj).encode("utf-8"))
    return h.hexdigest()[:length]


def hash_fraction(obj: Any, *, tag: str = "") -> float:
    """A deterministic number in [0, 1) derived from `obj` (for seeded splits and order swaps)."""
    return int(content_hash(obj, tag=tag, length=16), 16) / float(1 << 64)


def file_hash(path) -> str:
    """SHA-256 of a file's bytes (16 hex digits): what manifests and checkpoints record of their data files."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:16]


def derive_seed(*parts: Any) -> int:
    """A 31-bit seed derived from any JSON-able parts, e.g. (base_seed, sample_index)."""
    return int(content_hash(list(parts), tag="seed", length=8), 16) & 0x7FFFFFFF


def file_sha256(path) -> str:
    """SHA-256 hex of a file's bytes (what `sha256sum` prints)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
