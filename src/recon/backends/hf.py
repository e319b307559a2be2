"""Local `transformers` backend: an HF model directory, or a GGUF file dequantised into transformers
(`hf:embedded` is the embedded SmolLM2 GGUF). Loads offline only (HF_HUB_OFFLINE=1).

Prompts are rendered with the tokenizer's chat template; tokens are encoded without extra special tokens
(the template carries them). Sampling seeds torch per request, so a request's text does not depend on
what ran before it. Scores keep only the logits rows they need (`logits_to_keep`).

Example (not run here: loads the model; the contract tests do)::

    backend = HFBackend("embedded")
    backend.logprob([ScoreRequest(messages=(Message("user", "Hi"),), continuation="Hello.")])
"""

from __future__ import annotations

import importlib.metadata
import os
from pathlib import Path

from recon.backends.base import (Backend, Fingerprint, Generation, GenRequest, Message, Score,
                                 ScoreRequest)
from recon.backends.tokenize import encode_pair, target_logprob, truncate_left
from recon.errors import BackendError, ConfigError


def resolve_model_source(path: str) -> tuple[Path, str | None]:
    """(directory to load from, gguf file name or None) for `embedded`, a .gguf path or a directory."""
    if path == "embedded":
        from recon.backends.llamacpp import embedded_gguf_path
        gguf = embedded_gguf_path()
        return gguf.parent, gguf.name
    p = Path(path).expanduser()
    if p.is_file() and p.suffix == ".gguf":
        return p.parent, p.name
    if p.is_dir() and (p / "config.json").is_file():
        return p, None
    raise ConfigError(f"hf backend: {path!r} is neither a .gguf file nor a model directory with config.json "
                      "(models are never downloaded at run time)")


class HFBackend(Backend):
    preferred_batch = 4

    def __init__(self, path: str, *, n_ctx: int = 4096, dtype: str = "float32", device: str | None = None):
        self.source, self.gguf_file = resolve_model_source(path)
        self.n_ctx, self.dtype_name, self.device = n_ctx, dtype, device
        name = (self.gguf_file.removesuffix(".gguf") if self.gguf_file else self.source.name)
        quant = ""
        if self.gguf_file and "." in name:
            name, q = name.rsplit(".", 1)
            quant = f"dequantized-{q}"
        self.fingerprint = Fingerprint(kind="hf", model=name, quantization=quant,
                                       extra={"dtype": dtype, "n_ctx": n_ctx,
                                              "transformers": importlib.metadata.version("transformers")})
        self._model = self._tok = None

    def _load(self):
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer
            kw = {"gguf_file": self.gguf_file} if self.gguf_file else {}
            self._tok = AutoTokenizer.from_pretrained(str(self.source), **kw)
            self._model = AutoModelForCausalLM.from_pretrained(
                str(self.source), dtype=getattr(torch, self.dtype_name), **kw)
            self.device = self.device or ("cuda" if torch.cuda.is_available() else "cpu")
            self._model.to(self.device).eval()
        return self._model, self._tok

    @property
    def model(self):
        return self._load()[0]

    @property
    def tokenizer(self):
        return self._load()[1]

    def render(self, messages: tuple[Message, ...]) -> str:
        return self.tokenizer.apply_chat_template([{"role": m.role, "content": m.content} for m in messages],
                                                  tokenize=False, add_generation_prompt=True)

    def encode(self, text: str) -> list[int]:
        return self.tokenizer(text, add_special_tokens=False)["input_ids"]

    def _generate_one(self, req: GenRequest) -> Generation:
        import torch
        model, tok = self._load()
        ids = self.encode(self.render(req.messages))
        if len(ids) + 1 >= self.n_ctx:
            raise BackendError(f"prompt of {len(ids)} tokens does not fit the {self.n_ctx}-token window")
        kwargs = {"max_new_tokens": req.max_tokens, "pad_token_id": tok.pad_token_id or tok.eos_token_id}
        if req.temperature > 0:
            torch.manual_seed(req.effective_seed)
            kwargs.update(do_sample=True, temperature=req.temperature, top_p=req.top_p, top_k=0)
        else:
            kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        if req.stop:
            kwargs.update(stop_strings=list(req.stop), tokenizer=tok)
        with torch.no_grad():
            out = model.generate(torch.tensor([ids], device=self.device), **kwargs)
        new = out[0, len(ids):].tolist()
        cfg_eos = getattr(model.generation_config, "eos_token_id", None)
        eos = {tok.eos_token_id} | set(cfg_eos if isinstance(cfg_eos, list) else [cfg_eos])
        hit_eos = bool(new) and new[-1] in eos
        text = tok.decode([t for t in new if t not in eos], skip_special_tokens=True)
        stopped = hit_eos
        for s in req.stop:
            if s in text:
                text, stopped = text[:text.index(s)], True
        finish = "stop" if stopped or len(new) < req.max_tokens else "length"
        return Generation(text=text, prompt_tokens=len(ids), completion_tokens=len(new), finish_reason=finish)

    def _generate(self, requests: list[GenRequest]) -> list[Generation]:
        return [self._generate_one(r) for r in requests]

    def _score_one(self, req: ScoreRequest) -> Score:
        import torch
        model, _ = self._load()
        ctx_ids, cont_ids = encode_pair(self.encode, self.render(req.messages), req.continuation)
        ctx_ids, dropped = truncate_left(ctx_ids, cont_ids, self.n_ctx)
        ids = torch.tensor([ctx_ids + cont_ids], device=self.device)
        with torch.no_grad():
            logits = model(ids, logits_to_keep=len(cont_ids) + 1).logits[0, :-1]
        return Score(logprob=target_logprob(logits.float().cpu().numpy(), cont_ids), n_tokens=len(cont_ids),
                     truncated_prompt_tokens=dropped)

    def _logprob(self, requests: list[ScoreRequest]) -> list[Score]:
        return [self._score_one(r) for r in requests]

    def close(self) -> None:
        self._model = self._tok = None
