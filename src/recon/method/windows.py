"""Windows of pairs: stages submit the requests of many pairs in one backend call per phase.

A stage works through its pairs in windows: the candidate requests of every pair of a window go to the
backend in one call, then all their scoring requests, then all their judge calls, so an HTTP server has
`concurrency` requests in flight and a GPU runs full batches. The window size comes from the backend
(`window_pairs`: `concurrency` for HTTP, the batch size for hf, 1 for llama.cpp, where batching does not
help); a window of 1 is the one-pair-at-a-time path. Every request is the same as on that path and is cached
on its own, and results are split back per pair in order, so both paths give the same results.

`salvage` is what survives a batch that failed part-way: the results that exist, in request order.
`retry_rounds` runs bounded retries as rounds over a window (each round one call for every item still
without a usable answer).

    >>> windows(list(range(5)), 2)
    [[0, 1], [2, 3], [4]]
    >>> from recon.errors import BackendError
    >>> salvage(BackendError("x", partial=["a", None]), 2), salvage(BackendError("x"), 2)
    (['a', None], [None, None])
    >>> from recon.backends.fake import FakeBackend
    >>> from recon.backends.base import GenRequest, Message
    >>> ask = lambda text: GenRequest(messages=(Message("user", text),))
    >>> results, errors = call_window(FakeBackend(script=["1", "2", "3"]), "generate", [[ask("a"), ask("b")], [],
    ...                                                                                   [ask("c")]])
    >>> [[g.text for g in group] for group in results], errors
    ([['1', '2'], [], ['3']], [None, None, None])
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from recon.backends.base import Backend, GenRequest
from recon.errors import BackendError, JudgeParseError

T = TypeVar("T")


def window_pairs(backend: Backend, override: int | None = None) -> int:
    """How many pairs a stage submits together to `backend` (`override` when given: 1 is the serial path)."""
    if override is not None:
        return max(1, override)
    return max(1, int(getattr(backend, "window_pairs", 1)))


def windows(items: Sequence[T], size: int) -> list[list[T]]:
    """`items` in consecutive windows of `size` (the last one shorter)."""
    return [list(items[start:start + size]) for start in range(0, len(items), max(1, size))]


def salvage(exc: BackendError, n: int) -> list:
    """The results a failed batch of `n` requests still produced (None for the rest), in request order."""
    return list(exc.partial) if exc.partial and len(exc.partial) == n else [None] * n


@contextmanager
def metered(backends: Sequence[Any], meters: list) -> Iterator[None]:
    """Charge each call of these backends to the meter of the pair it was made for (`call_window`'s groups are
    positions in `meters`), for backends that keep per-pair meters (the cache)."""
    keeping = [b for b in backends if hasattr(b, "pair_meters")]
    for b in keeping:
        b.pair_meters = meters
    try:
        yield
    finally:
        for b in keeping:
            b.pair_meters = None


@contextmanager
def narrowed(backends: Sequence[Any], positions: list[int]) -> Iterator[None]:
    """Within: pair i of a call is the pair at `positions[i]` of the window being metered (a phase that works
    on part of the window keeps charging each call to its own pair)."""
    saved = [(b, b.pair_meters) for b in backends if getattr(b, "pair_meters", None) is not None]
    for b, meters in saved:
        b.pair_meters = [meters[p] for p in positions]
    try:
        yield
    finally:
        for b, meters in saved:
            b.pair_meters = meters


def call_window(backend: Backend, op: Literal["generate", "logprob"], groups: list[list]
                ) -> tuple[list[list], list[BackendError | None]]:
    """One call with every group's requests (group i: pair i of the window, maybe none): each group's results
    (None where its call failed) and its error, None when all of its results came back."""
    flat = [r for g in groups for r in g]
    owners = [i for i, g in enumerate(groups) for _ in g]
    results: list = []
    error = None
    if flat:
        call = backend.generate if op == "generate" else backend.logprob
        charging = getattr(backend, "charging", None)
        with charging(owners) if charging is not None else nullcontext():
            try:
                results = call(flat)
            except BackendError as exc:
                results, error = salvage(exc, len(flat)), exc
    out, errors, pos = [], [], 0
    for g in groups:
        part = results[pos:pos + len(g)]
        pos += len(g)
        out.append(part)
        errors.append(error if error is not None and any(r is None for r in part) else None)
    return out, errors


@dataclass
class Attempts:
    """How one item's bounded retries went: the parsed answer (None if none parsed), the raw answers, why each
    unusable one was refused, and the error of a failed call (no further attempt after it)."""

    value: Any = None
    answers: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    error: BackendError | None = None

    @property
    def attempts(self) -> int:
        return len(self.answers) + (self.error is not None)


def retry_rounds(backend: Backend, n: int, request: Callable[[int, int], GenRequest],
                 parse: Callable[[int, str], Any], retries: int) -> list[Attempts]:
    """Up to 1 + `retries` attempts for each of `n` items, as rounds: round k sends `request(item, k)` for every
    item still without a usable answer, in one call. `parse(item, text)` returns the answer or raises
    JudgeParseError; a failed call ends that item's attempts (a re-run retries it; it is not a bad answer).

    >>> from recon.backends.fake import FakeBackend
    >>> from recon.backends.base import Message
    >>> def parse(i, text):
    ...     if not text.isdigit():
    ...         raise JudgeParseError(f"not a number: {text}")
    ...     return int(text)
    >>> fake = FakeBackend(script=["7", "seven", "8"])
    >>> req = lambda i, k: GenRequest(messages=(Message("user", f"item {i}"),), sample_index=k)
    >>> [(a.value, a.attempts) for a in retry_rounds(fake, 2, req, parse, retries=2)]
    [(7, 1), (8, 2)]
    """
    out = [Attempts() for _ in range(n)]
    pending = list(range(n))
    for attempt in range(retries + 1):
        if not pending:
            break
        asked = set(pending)                  # groups stay aligned with the items: item i is pair i's meter
        results, errors = call_window(backend, "generate", [[request(i, attempt)] if i in asked else []
                                                             for i in range(n)])
        still = []
        for i in pending:
            [gen], error = results[i], errors[i]
            if gen is None:
                out[i].error = error
                continue
            out[i].answers.append(gen.text)
            try:
                out[i].value = parse(i, gen.text)
            except JudgeParseError as exc:
                out[i].problems.append(str(exc))
                still.append(i)
        pending = still
    return out
