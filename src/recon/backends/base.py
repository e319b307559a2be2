"""The one LM interface every backend implements (docs/design.md conventions 1–3).

`generate(list[GenRequest]) -> list[Generation]` and `logprob(list[ScoreRequest]) -> list[Score]`
return lists of the same length and order as their input. `fingerprint` names what produced a result
(backend kind, model id, quantisation; a server backend adds its address) and is part of every cache key;
it never holds credentials or API keys.

    >>> req = GenRequest(messages=(Message("user", "Hi"),), temperature=0.7, max_tokens=8)
    >>> [r.sample_index for r in req.samples(3)]
    [0, 1, 2]
"""

from __future__ import annotations

import abc
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from recon.errors import ConfigError
from recon.hashing import content_hash, derive_seed

Role = Literal["system", "user", "assistant"]
ResultHook = Callable[[int, Any], None]
T = TypeVar("T")


@dataclass(frozen=True)
class Message:
    role: Role
    content: str


@dataclass(frozen=True)
class GenRequest:
    """One sampled completion of a chat prompt. `sample_index` distinguishes the n samples of one prompt.
    `json_schema` asks for structured output: llama.cpp enforces it with a grammar, OpenAI-compatible servers
    get `response_format`, the hf backend does not constrain (callers parse and retry)."""

    messages: tuple[Message, ...]
    temperature: float = 0.0
    top_p: float = 1.0
    max_tokens: int = 256
    stop: tuple[str, ...] = ()
    seed: int = 0
    sample_index: int = 0
    json_schema: str | None = None     # constrain the output to this JSON schema (canonical JSON text)
    # > 1 discourages repeating recent tokens (1.0 or None: off, kept as None so cache keys stay unchanged)
    repetition_penalty: float | None = None
    # the start of the assistant turn, which the model continues (not part of the Generation's text)
    prefix: str | None = None

    def __post_init__(self) -> None:
        if self.prefix == "":
            object.__setattr__(self, "prefix", None)
        if self.repetition_penalty == 1.0:
            object.__setattr__(self, "repetition_penalty", None)
        if self.repetition_penalty is not None and self.repetition_penalty <= 0:
            raise ConfigError(f"repetition_penalty must be > 0, got {self.repetition_penalty}")
        if not self.messages:
            raise ConfigError("a GenRequest needs at least one message")
        if self.temperature < 0:
            raise ConfigError(f"temperature must be >= 0, got {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise ConfigError(f"top_p must be in (0, 1], got {self.top_p}")
        if self.max_tokens < 1:
            raise ConfigError(f"max_tokens must be >= 1, got {self.max_tokens}")
        if self.sample_index < 0:
            raise ConfigError(f"sample_index must be >= 0, got {self.sample_index}")

    def samples(self, n: int) -> list[GenRequest]:
        """The n requests `sample_index = 0 .. n-1` of this prompt (n samples, each cached on its own)."""
        return [dataclasses.replace(self, sample_index=i) for i in range(n)]

    @property
    def effective_seed(self) -> int:
        """The seed a backend samples with: derived from (seed, sample_index)."""
        return derive_seed(self.seed, self.sample_index)

    def prompt_hash(self) -> str:
        return messages_hash(self.messages)


PROMPT_TOO_LONG = "prompt_too_long"


@dataclass(frozen=True)
class Generation:
    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str = "stop"          # stop | length | prompt_too_long (nothing generated)

    @classmethod
    def refused(cls, prompt_tokens: int) -> Generation:
        """The outcome of a prompt that does not fit the model's window: no text. A re-run cannot change it
        (the window is in the fingerprint), so it is cached and judged like any result, never retried.

        >>> Generation.refused(5000).finish_reason
        'prompt_too_long'
        """
        return cls(text="", prompt_tokens=prompt_tokens, completion_tokens=0, finish_reason=PROMPT_TOO_LONG)


@dataclass(frozen=True)
class ScoreRequest:
    """Log-probability of `continuation` right after the chat prompt `messages` (rendered with the model's
    chat template and the assistant turn opened). Only the prompt is ever truncated, from the left."""

    messages: tuple[Message, ...]
    continuation: str

    def __post_init__(self) -> None:
        if not self.messages:
            raise ConfigError("a ScoreRequest needs at least one message")
        if not self.continuation:
            raise ConfigError("a ScoreRequest needs a non-empty continuation")


@dataclass(frozen=True)
class Score:
    logprob: float                 # sum of the continuation's token log-probabilities (nats)
    n_tokens: int                  # continuation tokens scored
    truncated_prompt_tokens: int = 0
    prompt_tokens: int = 0         # prompt tokens conditioned on (after truncation)

    @property
    def mean(self) -> float:
        return self.logprob / self.n_tokens


# request fields added after results were first cached: left out of a request's identity while None, so
# every existing cache key (and everything else derived from a request) stays what it was
OPTIONAL_FIELDS = ("repetition_penalty", "prefix")


def request_payload(request: GenRequest | ScoreRequest) -> dict[str, Any]:
    """A request as the data that identifies it (cache keys, seeds): every field, except optional ones unset.

    >>> "repetition_penalty" in request_payload(GenRequest(messages=(Message("user", "Hi"),)))
    False
    """
    payload = dataclasses.asdict(request)
    for name in OPTIONAL_FIELDS:
        if name in payload and payload[name] is None:
            del payload[name]
    return payload


def messages_hash(messages: tuple[Message, ...]) -> str:
    """Content hash of a chat prompt (what output records call `prompt_hash`)."""
    return content_hash([dataclasses.asdict(m) for m in messages], tag="messages", length=16)


@dataclass(frozen=True)
class Fingerprint:
    kind: str
    model: str
    quantization: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "model": self.model}
        if self.quantization:
            out["quantization"] = self.quantization
        if self.extra:
            out["extra"] = self.extra
        return out


@dataclass
class TokenCounters:
    """What a backend was asked to process vs. what it actually ran through the model (prefix reuse
    makes the second smaller). Backends without reuse count both the same."""

    requested: int = 0
    evaluated: int = 0


class Backend(abc.ABC):
    """Subclasses implement `_generate` / `_logprob`; the public methods check the batch contract."""

    fingerprint: Fingerprint
    # pairs a stage submits together (method/windows.py): enough to keep the backend busy; 1 where batching
    # across pairs does not help
    window_pairs: int = 1

    @property
    def counters(self) -> TokenCounters:
        """Prompt tokens requested vs. evaluated by this instance (created on first use)."""
        if "_counters" not in self.__dict__:
            self.__dict__["_counters"] = TokenCounters()
        return self.__dict__["_counters"]

    def generate(self, requests: list[GenRequest], *, on_result: ResultHook | None = None) -> list[Generation]:
        """Results in request order. `on_result(i, result)` is called as soon as result i exists."""
        out = self._generate(list(requests), on_result)
        if len(out) != len(requests):
            raise AssertionError(f"{type(self).__name__} returned {len(out)} generations for {len(requests)}")
        return out

    def logprob(self, requests: list[ScoreRequest], *, on_result: ResultHook | None = None) -> list[Score]:
        out = self._logprob(list(requests), on_result)
        if len(out) != len(requests):
            raise AssertionError(f"{type(self).__name__} returned {len(out)} scores for {len(requests)}")
        return out

    def preflight(self, op: Literal["generate", "logprob"]) -> None:
        """Raise ConfigError now if this backend cannot serve `op` as configured (before any paid work)."""

    @abc.abstractmethod
    def _generate(self, requests: list[GenRequest], on_result: ResultHook | None) -> list[Generation]: ...

    @abc.abstractmethod
    def _logprob(self, requests: list[ScoreRequest], on_result: ResultHook | None) -> list[Score]: ...

    def close(self) -> None:
        """Release model memory or connections; safe to call twice."""


def each(requests: list, fn: Callable[[Any], Any], on_result: ResultHook | None) -> list:
    """Run `fn` on each request in order, reporting each result as it is made (sequential backends)."""
    out = []
    for i, req in enumerate(requests):
        out.append(fn(req))
        if on_result is not None:
            on_result(i, out[-1])
    return out


def filled(slots: list[T | None]) -> list[T]:
    """A list of results filled in by position, every slot of which its maker has set.

        >>> filled([1, 2])
        [1, 2]
    """
    out = [s for s in slots if s is not None]
    assert len(out) == len(slots), "a result slot was left unset"
    return out
