"""Token boundaries and continuation log-probabilities, in one place (docs/design.md convention 2).

Rule (lm-evaluation-harness's `encode_pair`): move trailing whitespace of the context into the
continuation, encode context+continuation as one string, split at the context's token count. Only the
context is ever truncated, from the left. Log-probabilities come from `log_softmax`, never softmax-then-log.

    >>> encode_pair(lambda s: list(s.encode()), "Q: hi ", "there")
    ([81, 58, 32, 104, 105], [32, 116, 104, 101, 114, 101])
    >>> import numpy as np
    >>> rows = np.zeros((2, 4))                        # uniform next-token logits for two positions
    >>> bool(np.isclose(target_logprob(rows, [1, 3]), 2 * np.log(0.25)))
    True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from recon.errors import BackendError


def split_whitespace(context: str, continuation: str) -> tuple[str, str]:
    """Move the context's trailing whitespace to the front of the continuation."""
    stripped = context.rstrip()
    return stripped, context[len(stripped):] + continuation


def encode_pair(encode: Callable[[str], list[int]], context: str,
                continuation: str) -> tuple[list[int], list[int]]:
    """(context ids, continuation ids) for the joined string, split at the context's token count."""
    context, continuation = split_whitespace(context, continuation)
    whole = encode(context + continuation)
    n_context = len(encode(context))
    if n_context >= len(whole):
        raise BackendError("the continuation encodes to no tokens after the context")
    return whole[:n_context], whole[n_context:]


def truncate_left(context_ids: Sequence[int], continuation_ids: Sequence[int], max_tokens: int,
                  *, keep_first: int = 0) -> tuple[list[int], int]:
    """Drop context tokens from the left (after the first `keep_first`, e.g. BOS) until
    context + continuation fits in `max_tokens`. Returns (context ids, number dropped).
    The continuation is never cut: if it alone does not fit, that is an error."""
    room = max_tokens - len(continuation_ids)
    if room < max(1, keep_first + 1):
        raise BackendError(f"the continuation ({len(continuation_ids)} tokens) does not fit in a "
                           f"{max_tokens}-token window; raise the backend's context size")
    context_ids = list(context_ids)
    excess = len(context_ids) - room
    if excess <= 0:
        return context_ids, 0
    return context_ids[:keep_first] + context_ids[keep_first + excess:], excess


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """Numerically stable log-softmax over the last axis (float64)."""
    x = np.asarray(logits, dtype=np.float64)
    shifted = x - x.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def target_logprob(rows: np.ndarray, targets: Sequence[int]) -> float:
    """Sum over i of log_softmax(rows[i])[targets[i]]: `rows[i]` are the logits that predict `targets[i]`
    (for a sequence `ids` with `n` context tokens: rows = logits after ids[n-1 .. len-2], targets = ids[n:])."""
    rows = np.asarray(rows)
    if rows.ndim != 2 or rows.shape[0] != len(targets):
        raise BackendError(f"logit rows {rows.shape} do not match {len(targets)} target tokens")
    picked = log_softmax(rows)[np.arange(len(targets)), np.asarray(targets, dtype=np.int64)]
    total = float(picked.sum())
    if not np.isfinite(total):
        raise BackendError(f"non-finite log-probability ({total}); the model gave a continuation token "
                           "zero probability or produced invalid logits")
    return total
