"""Stage configs: backends, synthesis, leakage, reconstruction, Recon-Select, user models and the pairwise judge.

    >>> SynthesisConfig(method="backward").max_tokens
    128
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictBool, StrictInt, model_validator

from recon.config.base import Number, Strict


class BackendConfig(Strict):
    """How to build one LM backend. `spec`: fake | embedded | llamacpp:FILE.gguf | hf:DIR_OR_GGUF |
    openai:MODEL@BASE_URL."""

    spec: str = "embedded"
    api_key_env: str | None = "OPENAI_API_KEY"     # the *name* of the variable, never the key
    concurrency: StrictInt = Field(8, ge=1, le=256)
    timeout_s: Number = Field(120.0, gt=0)
    max_retries: StrictInt = Field(4, ge=0, le=20)
    chat_template: str | None = None                 # openai logprob: 'chatml' or a Jinja file
    n_ctx: StrictInt | None = Field(None, ge=256)    # local backends' context window
    n_threads: StrictInt | None = Field(None, ge=1, le=1024)   # llama.cpp: threads (default: physical cores)
    # llama.cpp: extra buffer types (repacked / AMX weights) on; off by default, as some CPUs fault on them
    cpu_repack: StrictBool = False
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = "auto"   # hf: auto = bfloat16 on a capable GPU
    batch_size: StrictInt | None = Field(None, ge=1, le=1024)          # hf: sequences per forward pass (default 8)
    # openai: names the served weights in cache keys instead of the server's address (change it with the weights)
    revision: str | None = Field(None, min_length=1)


class SynthesisConfig(Strict):
    """Synthesis: the prompt (`forward` or `backward`, which Recon-Select's candidates also use) and the one home
    of the sampling settings (temperature, top_p, max_tokens, seed) for forward, backward and the candidates."""

    method: Literal["forward", "backward"] = "backward"
    temperature: Number = Field(0.7, ge=0.0, le=2.0)
    top_p: Number = Field(0.95, gt=0.0, le=1.0)
    max_tokens: StrictInt = Field(128, ge=8, le=4096)
    seed: StrictInt = 0
    repetition_penalty: Number | None = Field(1.0, ge=1.0, le=2.0)   # 1.0: off; None: the model's default
    # prompt budget: sized for the embedded 135M model (shorter prompts gave it more coherent traces)
    max_context_turns: StrictInt = Field(4, ge=1, le=64)
    max_turn_chars: StrictInt = Field(400, ge=50)
    max_action_chars: StrictInt = Field(600, ge=50)


class LeakageConfig(Strict):
    """When a trace counts as quoting the action, and what selection does about it."""

    max_shared_run: StrictInt = Field(7, ge=1)       # a run of more shared words than this leaks
    max_ngram_fraction: Number = Field(0.3, ge=0.0, le=1.0)  # of the action's 4-grams
    max_coverage: Number = Field(0.5, ge=0.0, le=1.0)        # of the action's words inside shared 4-grams
    # longest common word subsequence / min(action words, trace words); the 99th percentile of forward traces,
    # which never saw the action (0.429 on 160 of them: docs/method.md, benchmarks/bench_leakage.py)
    max_lcs_fraction: Number = Field(0.43, ge=0.0, le=1.0)
    short_action_words: StrictInt = Field(6, ge=0, le=32)  # this short: an in-order quote in a small window leaks
    # share of the action's content stems the trace holds in any order (a keyword list), judged for actions with
    # at least `min_content_words` distinct content words; calibrated on forward traces (docs/method.md)
    max_content_share: Number = Field(0.5, ge=0.0, le=1.0)
    min_content_words: StrictInt = Field(6, ge=1, le=64)
    # a quote of 8+ words with up to 3 filler words between quoted words: the larger of the action's share
    # quoted and the trace's share it fills
    max_quote_share: Number = Field(0.3, ge=0.0, le=1.0)
    policy: Literal["reject", "penalize"] = "reject"
    penalty: Number = Field(1.0, ge=0.0)             # λ in score − λ·overlap (policy "penalize")


class ListwiseJudgeConfig(Strict):
    """The listwise judge (the `judge` scorer and the E2E judge reward): its answer length, bounded retries of an
    unparsable answer (each a new sample at `retry_temperature`), and how long a graded text may be. The field
    names are those of `PairJudgeConfig`."""

    retries: StrictInt = Field(2, ge=0, le=10)           # extra attempts when its output does not parse
    max_tokens: StrictInt = Field(64, ge=8, le=1024)
    retry_temperature: Number = Field(0.7, gt=0.0, le=2.0)
    max_text_chars: StrictInt = Field(600, ge=50)         # each graded text is clipped to this


class ReconstructionConfig(Strict):
    """How the reconstruction model sees a pair: the context and a trace, never the action."""

    max_context_turns: StrictInt = Field(6, ge=1, le=64)
    max_turn_chars: StrictInt = Field(600, ge=50)
    max_action_chars: StrictInt = Field(1500, ge=50)       # the action scored by `likelihood` is clipped to this
    max_tokens: StrictInt = Field(96, ge=8, le=2048)       # reconstruction length (judge, embedding)
    judge: ListwiseJudgeConfig = ListwiseJudgeConfig()     # the `judge` scorer's listwise judge


JUDGE_LABELS = 26      # the listwise judge labels candidates A-Z


class ReconSelectConfig(Strict):
    """Recon-Select: N backward candidates, scored by reconstruction, the best non-leaking one kept. The
    candidates are sampled with the `synthesis` settings (one home for temperature, top_p, max_tokens, seed),
    so candidate 0 is the backward trace; this config has no sampling fields of its own."""

    n: StrictInt = Field(4, ge=1, le=64)
    scorer: Literal["likelihood", "judge", "embedding"] = "likelihood"
    reconstruction: ReconstructionConfig = ReconstructionConfig()
    leakage: LeakageConfig = LeakageConfig()

    @model_validator(mode="after")
    def _judge_labels(self):
        if self.scorer == "judge" and self.n > JUDGE_LABELS:
            raise ValueError(f"the listwise judge labels candidates A-Z: use n <= {JUDGE_LABELS} with scorer judge "
                             f"(got {self.n})")
        return self


class UserModelConfig(Strict):
    """A user model (ICL: k demonstrations from the individual's training pairs; SFT: a checkpoint). The
    reasoning and the action have a token budget each, so every method has the same room for the action; the
    older `max_tokens` is read as `action_max_tokens`.

    >>> UserModelConfig(max_tokens=96).action_max_tokens
    96
    """

    k: StrictInt = Field(3, ge=0, le=32)
    draw: Literal["random", "nearest"] = "random"    # nearest: by MiniLM similarity of the contexts
    seed: StrictInt = 0
    temperature: Number = Field(0.0, ge=0.0, le=2.0)
    # None: the model's own default, resolved when the model is opened (backends/model_defaults.py: the embedded
    # model and checkpoints trained from it 1.15, measured in docs/user-models.md; others off); 1.0: off
    repetition_penalty: Number | None = Field(None, ge=1.0, le=2.0)
    reasoning_max_tokens: StrictInt = Field(128, ge=8, le=4096)   # the reasoning stops here (trace methods)
    action_max_tokens: StrictInt = Field(192, ge=8, le=4096)      # always the action's own, for every method
    max_reasoning_chars: StrictInt = Field(400, ge=20)       # bounds of the JSON answer (enforced by a schema)
    max_reply_chars: StrictInt = Field(600, ge=20)
    demo_context_turns: StrictInt = Field(2, ge=1, le=16)
    demo_turn_chars: StrictInt = Field(300, ge=50)
    demo_text_chars: StrictInt = Field(400, ge=50)    # reasoning and action of a demonstration
    max_context_turns: StrictInt = Field(4, ge=1, le=64)
    max_turn_chars: StrictInt = Field(400, ge=50)

    @model_validator(mode="before")
    @classmethod
    def _renamed(cls, data):
        """The names every other config uses; an old name stops with the new one."""
        if isinstance(data, dict):
            for old in ("context_turns", "turn_chars"):
                if old in data:
                    raise ValueError(f"{old} is now max_{old} (the name every config uses)")
            if "max_tokens" in data:
                if "action_max_tokens" in data:
                    raise ValueError("max_tokens is the older name of action_max_tokens: set only "
                                     "action_max_tokens (and reasoning_max_tokens for the reasoning)")
                data = {("action_max_tokens" if k == "max_tokens" else k): v for k, v in data.items()}
        return data


class PairJudgeConfig(Strict):
    """The pairwise judge of `recon evaluate` (docs/design.md convention 14: the judge is data — this config and the
    prompt file `prompts/judge_pairwise.txt`)."""

    kind: Literal["embedding", "lm"] = "embedding"
    margin: Number = Field(0.02, ge=0.0, le=1.0)     # embedding: |cos_a − cos_b| below this is a tie
    both_orders: StrictBool = True                   # lm: judge A/B and B/A; a verdict that flips is a tie
    retries: StrictInt = Field(2, ge=0, le=10)       # lm: extra attempts when the answer does not parse
    max_tokens: StrictInt = Field(24, ge=4, le=512)
    retry_temperature: Number = Field(0.7, gt=0.0, le=2.0)   # lm: retries are new samples at this temperature
    max_context_turns: StrictInt = Field(4, ge=1, le=64)
    max_turn_chars: StrictInt = Field(400, ge=50)
    max_text_chars: StrictInt = Field(800, ge=50)
