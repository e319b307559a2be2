from __future__ import annotations

import pytest

from recon.hashing import canonical_json, content_hash, derive_seed, hash_fraction


def test_canonical_json_ignores_key_order_and_keeps_unicode():
    assert canonical_json({"b": [1, 2], "a": "é"}) == canonical_json({"a": "é", "b": [1, 2]}) == '{"a":"é","b":[1,2]}'
    with pytest.raises(ValueError):
        canonical_json({"x": float("nan")})


def test_hashes_depend_on_content_tag_and_nothing_else():
    assert content_hash({"a": 1}) == content_hash({"a": 1})
    assert content_hash({"a": 1}) != content_hash({"a": 2})
    assert content_hash({"a": 1}, tag="x") != content_hash({"a": 1}, tag="y")
    assert 0 <= hash_fraction("g") < 1
    seeds = {derive_seed(0, i) for i in range(100)}
    assert len(seeds) == 100 and all(0 <= s < 2**31 for s in seeds)
