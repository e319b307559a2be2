"""Reasoning synthesis: `forward` (the synthesizer sees the context) and `backward` (context and the
true action; the paper's baseline). One trace per example.

    >>> from recon.backends.fake import FakeBackend
    >>> from recon.types import Example, Turn
    >>> ex = Example(id="1", domain="d", individual="Ann", conversation_id="c", turn_index=1,
    ...              context=(Turn("Bob", "Why?"),), action="Because it matters.")
    >>> cfg = SynthesisConfig(method="backward")
    >>> result = synthesize([ex], FakeBackend(script=["I want to explain myself."]), cfg)
    >>> result.traces[0].reasoning, result.failures
    ('I want to explain myself.', [])
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from recon.backends.base import PROMPT_TOO_LONG, Backend, GenRequest, Message
from recon.config import LeakageConfig, SynthesisConfig
from recon.errors import BackendError
from recon.method.leakage import measure_leakage
from recon.method.windows import salvage, window_pairs
from recon.prompts import load_prompt
from recon.render import clip_text, render_context
from recon.types import Example, Trace


def synthesis_messages(example: Example, cfg: SynthesisConfig) -> tuple[Message, ...]:
    context = render_context(example, max_turns=cfg.max_context_turns, max_turn_chars=cfg.max_turn_chars)
    values = {"individual": example.individual, "context": context}
    if cfg.method == "backward":
        values["action"] = clip_text(example.action, cfg.max_action_chars)
    return load_prompt(cfg.method).render(**values)


def synthesis_request(example: Example, cfg: SynthesisConfig) -> GenRequest:
    return GenRequest(messages=synthesis_messages(example, cfg), temperature=cfg.temperature, top_p=cfg.top_p,
                      max_tokens=cfg.max_tokens, seed=cfg.seed, repetition_penalty=cfg.repetition_penalty)


@dataclass(frozen=True)
class Failure:
    id: str
    error: str
    transient: bool = False        # a backend error (not cached: a re-run retries it), not an empty text


@dataclass
class SynthesisResult:
    traces: list[Trace] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)


def synthesize(examples: Sequence[Example], backend: Backend, cfg: SynthesisConfig, *,
               batch_size: int | None = None, on_progress: Callable[[int], None] | None = None,
               leakage: LeakageConfig | None = None) -> SynthesisResult:
    """One trace per example, in input order, `batch_size` pairs per call (default: the backend's window). A
    failed or empty generation is a `Failure`, never an empty trace. Every trace carries its leakage figures
    against the true action (forward traces too)."""
    batch_size = window_pairs(backend, batch_size)
    result = SynthesisResult()
    fingerprint = backend.fingerprint.to_json()
    for start in range(0, len(examples), batch_size):
        chunk = examples[start:start + batch_size]
        requests = [synthesis_request(ex, cfg) for ex in chunk]
        try:
            generations = backend.generate(requests)
        except BackendError as exc:
            generations, error = salvage(exc, len(chunk)), str(exc)
        else:
            error = ""
        for ex, req, gen in zip(chunk, requests, generations, strict=True):
            if gen is None:
                result.failures.append(Failure(ex.id, error or "no generation", transient=True))
                continue
            reasoning = gen.text.strip()
            if gen.finish_reason == PROMPT_TOO_LONG:
                result.failures.append(Failure(ex.id, f"the prompt ({gen.prompt_tokens} tokens) does not fit the "
                                                      "synthesizer's context window"))
                continue
            if not reasoning:
                result.failures.append(Failure(ex.id, "the synthesizer returned empty text"))
                continue
            result.traces.append(Trace(id=ex.id, method=cfg.method, reasoning=reasoning, model=fingerprint,
                                       prompt_hash=req.prompt_hash(), prompt_tokens=gen.prompt_tokens,
                                       completion_tokens=gen.completion_tokens, finish_reason=gen.finish_reason,
                                       leakage=measure_leakage(reasoning, ex.action, leakage,
                                                               max_action_chars=cfg.max_action_chars).to_json()))
        if on_progress is not None:
            on_progress(len(chunk))
    return result
