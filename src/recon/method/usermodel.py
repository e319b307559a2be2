"""User models: predict(context) → (reasoning, action) for one individual.

- `icl`: k demonstrations (context → reasoning → action) from the same individual's *training* pairs with
  the chosen method's traces, as earlier chat turns, then the test context. It answers in JSON,
  `{"reasoning": …, "reply": …}` (`{"reply": …}` for method `none`). Works with any backend.
- `sft`: a model fine-tuned by `recon train sft` on `<reasoning>…</reasoning>` then the action, with no
  demonstrations; served by the hf backend.

Either answers in two calls with a token budget each (`method/answer_calls.py`): the reasoning (constrained
to `{"reasoning": …}` by a schema where the backend supports one), then the action after the closed reasoning,
so the action has `action_max_tokens` for every method.

`parse_prediction` reads either format, and plain text as the action alone.

    >>> parse_prediction('{"reasoning": "She is wary.", "reply": "Counsel, why?"}')
    ('She is wary.', 'Counsel, why?', True)
    >>> parse_prediction("<reasoning>She is wary.</reasoning> Counsel, why?")
    ('She is wary.', 'Counsel, why?', True)
    >>> parse_prediction("Counsel, why?")
    ('', 'Counsel, why?', True)
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence

from recon.backends.base import PROMPT_TOO_LONG, Backend, Generation, GenRequest, Message
from recon.config import UserModelConfig
from recon.data.prediction_records import PredictionRecord
from recon.errors import BackendError, ConfigError
from recon.hashing import content_hash
from recon.method.answer_calls import action_request, read_action, read_reasoning, reasoning_request
from recon.method.windows import salvage
from recon.methods import answers_with_reasoning
from recon.prompts import load_prompt
from recon.render import clip_text, render_context
from recon.types import Example

FORMAT_JSON = {True: 'Answer in JSON: {"reasoning": what they are thinking, "reply": what they say}.',
               False: 'Answer in JSON: {"reply": what they say}.'}
FORMAT_TAGS = {True: "First write what they are thinking between <reasoning> and </reasoning>, then what they say.",
               False: "Write only what they say."}


def format_completion(reasoning: str | None, action: str) -> str:
    """The SFT target: `<reasoning>…</reasoning>` then the action (the action alone without reasoning)."""
    return f"<reasoning>{reasoning}</reasoning>\n{action}" if reasoning else action


def format_json_answer(reasoning: str | None, action: str) -> str:
    """An ICL demonstration's answer."""
    return json.dumps({"reasoning": reasoning, "reply": action} if reasoning is not None else {"reply": action},
                      ensure_ascii=False)


_OPEN, _CLOSE = re.compile(r"<\s*reasoning\s*>", re.I), re.compile(r"<\s*/\s*reasoning\s*>", re.I)


def _parse_json(text: str) -> tuple[str, str, bool] | None:
    match = re.search(r"\{.*\}", text, flags=re.S)
    if not match:
        return None
    try:
        obj = json.loads(match.group(0))
    except json.JSONDecodeError:
        return None
    if not isinstance(obj, dict) or not isinstance(obj.get("reply"), str):
        return None
    reasoning = obj.get("reasoning")
    return (reasoning.strip() if isinstance(reasoning, str) else ""), obj["reply"].strip(), True


def parse_prediction(text: str) -> tuple[str, str, bool]:
    """(reasoning, action, well-formed). JSON first; then tags, tolerating missing ones: no tags → all
    action; an unclosed tag → reasoning up to the first blank line, the rest action (not well-formed)."""
    text = text.strip()
    parsed = _parse_json(text)
    if parsed is not None:
        return parsed
    opened = _OPEN.search(text)
    closed = _CLOSE.search(text)
    if opened and closed and closed.start() > opened.end():
        return text[opened.end():closed.start()].strip(), text[closed.end():].strip(), True
    if closed and not opened:
        return text[:closed.start()].strip(), text[closed.end():].strip(), False
    if opened:
        body = text[opened.end():].strip()
        head, _, tail = body.partition("\n\n")
        return head.strip(), tail.strip(), False
    return "", text, True


def user_model_messages(example: Example, demos: Sequence[tuple[Example, str | None]], cfg: UserModelConfig,
                        *, with_reasoning: bool, answer_format: str = "json") -> tuple[Message, ...]:
    """System + one user/assistant turn per demonstration + the test context."""
    template = load_prompt("user_model")
    fmt = (FORMAT_JSON if answer_format == "json" else FORMAT_TAGS)[with_reasoning]

    def context(ex: Example, turns: int, chars: int) -> str:
        return render_context(ex, max_turns=turns, max_turn_chars=chars)

    system, first_user = template.render(individual=example.individual, format=fmt,
                                         context=context(example, cfg.max_context_turns, cfg.max_turn_chars))
    messages = [system]
    for demo, reasoning in demos:
        _, user = template.render(individual=example.individual, format=fmt,
                                  context=context(demo, cfg.demo_context_turns, cfg.demo_turn_chars))
        reasoning = clip_text(reasoning or "", cfg.demo_text_chars) if with_reasoning else None
        action = clip_text(demo.action, cfg.demo_text_chars)
        answer = (format_json_answer(reasoning, action) if answer_format == "json"
                  else format_completion(reasoning, action))
        messages += [user, Message("assistant", answer)]
    return tuple(messages) + (first_user,)


class DemonstrationPool:
    """The training pairs a user model may show, per individual, with the method's traces.

    A pair of the test conversation (or the test pair itself) is never a demonstration. With `fixed`
    ({test id: [training ids]}, decided once per run for every method: `method/parity.py`) those pairs are
    shown, so methods differ only in the traces they show."""

    def __init__(self, train: Sequence[Example], traces: dict[str, str] | None, *,
                 similarity: Callable[[str, list[str]], list[float]] | None = None,
                 fixed: dict[str, list[str]] | None = None):
        self.by_individual: dict[str, list[Example]] = {}
        for ex in train:
            if traces is None or traces.get(ex.id):
                self.by_individual.setdefault(ex.individual, []).append(ex)
        self.traces = traces
        self.similarity = similarity
        self.fixed = fixed
        self.by_id = {ex.id: ex for ex in train}

    def draw(self, example: Example, cfg: UserModelConfig) -> list[tuple[Example, str | None]]:
        if self.fixed is not None:
            return [(self.by_id[i], self._trace(i)) for i in self.fixed.get(example.id, [])]
        pool = [d for d in self.by_individual.get(example.individual, [])
                if d.id != example.id and d.conversation_id != example.conversation_id]
        if cfg.draw == "nearest" and self.similarity is not None and pool:
            sims = self.similarity(render_context(example, max_turns=cfg.max_context_turns, max_turn_chars=400),
                                   [render_context(d, max_turns=cfg.max_context_turns, max_turn_chars=400)
                                    for d in pool])
            ranked = [d for _, d in sorted(zip(sims, pool, strict=True), key=lambda t: (-t[0], t[1].id))]
        else:
            ranked = sorted(pool, key=lambda d: content_hash([cfg.seed, example.id, d.id], tag="demo-draw"))
        return [(d, self._trace(d.id)) for d in ranked[:cfg.k]]

    def _trace(self, pair_id: str) -> str | None:
        if self.traces is None:
            return None
        if not self.traces.get(pair_id):
            raise ConfigError(f"demonstration {pair_id!r} has no trace of this method (fixed demonstrations come "
                              "from pairs every method has a trace for)")
        return self.traces[pair_id]


class ICLUserModel:
    """In-context user model (`answer_format="json"`); with no pool and `answer_format="tags"` it is the
    prompt side of an SFT user model."""

    def __init__(self, backend: Backend, pool: DemonstrationPool | None, cfg: UserModelConfig, *, method: str,
                 answer_format: str = "json", name: str = "icl"):
        self.backend, self.pool, self.cfg, self.method = backend, pool, cfg, method
        self.with_reasoning = answers_with_reasoning(method)
        self.answer_format, self.name = answer_format, name
        if cfg.repetition_penalty is None:
            raise ConfigError("user_model.repetition_penalty None (the model's default) must be resolved when the "
                              "model is opened: backends/model_defaults.resolved_penalty")
        self.repetition_penalty: float = cfg.repetition_penalty

    def request(self, example: Example) -> tuple[GenRequest, list[str]]:
        """The prompt of `example` with the sampling settings (each call sets its own budget, prefix and stop)."""
        demos = self.pool.draw(example, self.cfg) if self.pool is not None else []
        messages = user_model_messages(example, demos, self.cfg, with_reasoning=self.with_reasoning,
                                       answer_format=self.answer_format)
        req = GenRequest(messages=messages, temperature=self.cfg.temperature, max_tokens=self.cfg.action_max_tokens,
                         seed=self.cfg.seed, repetition_penalty=self.repetition_penalty)
        return req, [d.id for d, _ in demos]

    def _generate(self, requests: list[GenRequest | None]) -> tuple[list[Generation | None], str | None]:
        """One batched call of the requests that are not None (None in, None out; failed ones None too)."""
        asked = [r for r in requests if r is not None]
        try:
            done, error = (self.backend.generate(asked) if asked else []), None
        except BackendError as exc:
            done, error = salvage(exc, len(asked)), str(exc)
        it = iter(done)
        return [next(it) if r is not None else None for r in requests], error

    def predict(self, examples: Sequence[Example]) -> list[PredictionRecord]:
        """Two calls per pair (the reasoning, then the action; the action alone for method `none`)."""
        prepared = [self.request(ex) for ex in examples]
        fmt, model = self.answer_format, self.backend.fingerprint.to_json()
        first: list[Generation | None] = [None] * len(examples)
        error = None
        if self.with_reasoning:
            first, error = self._generate([reasoning_request(req, fmt, self.cfg) for req, _ in prepared])
        thoughts = [read_reasoning(g, fmt) if g is not None and g.finish_reason != PROMPT_TOO_LONG else None
                    for g in first]
        asked = [action_request(req, fmt, t[0] if t else None, self.cfg)
                 if (t is not None or not self.with_reasoning) else None
                 for (req, _), t in zip(prepared, thoughts, strict=True)]
        second, action_error = self._generate(asked)
        out = []
        for ex, (_, demos), gen1, thought, req, gen2 in zip(examples, prepared, first, thoughts, asked, second,
                                                             strict=True):
            base = {"id": ex.id, "method": self.method, "user_model": self.name, "model": model, "demos": demos}
            if self.with_reasoning and gen1 is None:
                out.append(failed_prediction(base, None, error))
            elif gen1 is not None and gen1.finish_reason == PROMPT_TOO_LONG:
                out.append(failed_prediction(base, gen1, error))
            elif gen2 is None or gen2.finish_reason == PROMPT_TOO_LONG:
                out.append(failed_prediction(base, gen2, action_error))
            else:
                out.append(answered_prediction(base, thought, gen2, req.prefix if req else None, fmt))
        return out


def failed_prediction(base: dict, gen: Generation | None, error: str | None) -> PredictionRecord:
    """No action: a failed call (transient: a re-run retries it), or a prompt over the window (an outcome)."""
    if gen is None:
        return PredictionRecord(**base, action=None, well_formed=False, error=error or "no output", transient=True)
    return PredictionRecord(**base, action=None, well_formed=False, finish_reason=PROMPT_TOO_LONG,
                            error=f"the prompt ({gen.prompt_tokens} tokens) does not fit the user model's context "
                                  "window")


def answered_prediction(base: dict, thought: tuple[str, bool, bool] | None, gen: Generation, prefix: str | None,
                        answer_format: str) -> PredictionRecord:
    """The record of a pair whose action call ran: `thought` is the reasoning call's (text, truncated, ok)."""
    reasoning, reasoning_cut, reasoning_ok = thought if thought is not None else ("", False, True)
    action, action_cut, action_ok = read_action(gen, answer_format)
    return PredictionRecord(**base, reasoning=reasoning, action=action or None, raw=(prefix or "") + gen.text,
                            well_formed=reasoning_ok and action_ok and bool(action),
                            error=None if action else "the user model wrote no action",
                            finish_reason=gen.finish_reason, reasoning_truncated=reasoning_cut,
                            action_truncated=action_cut)
