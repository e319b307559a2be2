"""The token-boundary helper and the log-softmax sum: a bug here corrupts every reward."""

from __future__ import annotations

import numpy as np
import pytest

from recon.backends.tokenize import encode_pair, log_softmax, split_whitespace, target_logprob, truncate_left
from recon.errors import BackendError


def words(text):
    """A toy tokenizer: each token is a word with its leading space, so a context's trailing space would
    become a token of its own if it were not moved into the continuation."""
    out, cur = [], ""
    for ch in text:
        if ch == " " and cur.strip():
            out.append(cur)
            cur = ""
        cur += ch
    return [hash(t) % 1000 for t in out + ([cur] if cur else [])]


def test_trailing_whitespace_moves_into_the_continuation():
    assert split_whitespace("Q: hi \n", "there") == ("Q: hi", " \nthere")
    ctx, cont = encode_pair(words, "the cat ", "sat down")
    assert ctx == words("the cat") and cont == words("the cat sat down")[2:]


def test_joint_encoding_is_split_at_the_context_length():
    # a byte tokenizer: the continuation ids are exactly the continuation's bytes
    ctx, cont = encode_pair(lambda s: list(s.encode()), "ab", "cd")
    assert ctx == [97, 98] and cont == [99, 100]


def test_empty_continuation_is_an_error():
    with pytest.raises(BackendError, match="no tokens"):
        encode_pair(lambda s: list(s.encode()), "ab", "")


def test_truncation_cuts_only_the_context_from_the_left():
    ctx, dropped = truncate_left([1, 2, 3, 4, 5], [8, 9], 5)
    assert ctx == [3, 4, 5] and dropped == 2
    ctx, dropped = truncate_left([0, 2, 3, 4, 5], [8, 9], 5, keep_first=1)   # keeps BOS
    assert ctx == [0, 4, 5] and dropped == 2
    assert truncate_left([1, 2], [8], 10) == ([1, 2], 0)
    with pytest.raises(BackendError, match="does not fit"):
        truncate_left([1, 2], list(range(10)), 10)


def test_log_softmax_is_stable_and_normalised():
    rows = np.array([[1000.0, 0.0, -1000.0], [0.1, 0.2, 0.3]])
    out = log_softmax(rows)
    assert np.all(np.isfinite(out))
    assert np.allclose(np.exp(out).sum(axis=-1), 1.0)


def test_target_logprob_matches_a_manual_sum():
    rng = np.random.default_rng(0)
    rows = rng.normal(size=(4, 50)) * 3
    targets = [3, 17, 0, 49]
    manual = sum(float(np.log(np.exp(r[t]) / np.exp(r).sum())) for r, t in zip(rows, targets, strict=True))
    assert target_logprob(rows, targets) == pytest.approx(manual, abs=1e-9)
    with pytest.raises(BackendError, match="do not match"):
        target_logprob(rows, targets[:3])
