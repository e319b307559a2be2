"""Local `transformers` backend: an HF model directory, a Hub model id `ORG/NAME[@REVISION]` (its snapshot in
the Hugging Face cache, downloaded first unless HF_HUB_OFFLINE is set; `recon.hub`), or a GGUF file dequantised
into transformers (`hf:embedded` is the embedded SmolLM2 GGUF; converted once, see dequantize.py). A Hub
model's fingerprint names its id and the commit it resolved to.

Prompts are rendered with the tokenizer's chat template; tokens are encoded without extra special tokens
(the template carries them). Scoring and generation run in left-padded batches of `batch_size` (padding
changes results only by float rounding, ~1e-5 nats); scores keep only the logits rows they need
(`logits_to_keep`). Sampled requests are batched too: generation runs greedy and a logits processor samples
each row with noise seeded by that row's request hash (seeded_sampling.py), so a sample is a function of its
request, not of its batch. `dtype="auto"` is bfloat16 on a CUDA device that supports it, float32 otherwise;
attention uses SDPA. In bfloat16 batched logits differ more between batch shapes, and only the cache
guarantees that a re-run reproduces a sample.

Example (not run here: loads the model; the contract tests do)::

    backend = HFBackend("embedded")
    backend.logprob([ScoreRequest(messages=(Message("user", "Hi"),), continuation="Hello.")])
"""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

from recon.backends.base import (
    Backend,
    Fingerprint,
    Generation,
    GenRequest,
    Message,
    Score,
    ScoreRequest,
    filled,
    request_payload,
)
from recon.backends.dequantize import directory_identity, gguf_identity
from recon.backends.seeded_sampling import SAMPLER_VERSION, RowSampling, SeededSampling
from recon.backends.tokenize import encode_pair, target_logprob, truncate_left
from recon.errors import ConfigError
from recon.hashing import derive_seed
from recon.hub import MODEL_FILES, HubSnapshot, hub_snapshot, parse_hub_ref


def locate_model(path: str) -> tuple[Path, str | None, HubSnapshot | None]:
    """(directory to load from, gguf file name or None, the Hub snapshot or None) for `embedded`, a .gguf path,
    a directory or a Hub id."""
    if path == "embedded":
        from recon.backends.llamacpp import embedded_gguf_path
        gguf = embedded_gguf_path()
        return gguf.parent, gguf.name, None
    p = Path(path).expanduser()
    if p.is_file() and p.suffix == ".gguf":
        return p.parent, p.name, None
    if p.is_dir() and (p / "config.json").is_file():
        return p, None, None
    ref = parse_hub_ref(path)
    if ref is not None:
        snapshot = hub_snapshot(ref, "model", allow_patterns=MODEL_FILES)
        if not (snapshot.path / "config.json").is_file():
            raise ConfigError(f"hf backend: Hub model {ref} has no config.json (a transformers model is needed)")
        return snapshot.path, None, snapshot
    raise ConfigError(f"hf backend: {path!r} is neither a .gguf file, a model directory with config.json nor a "
                      "Hub model id ORG/NAME[@REVISION]")


def generation_kwargs(req: GenRequest) -> dict:
    """transformers `generate` settings shared by a batch: always greedy (sampled rows are sampled by
    SeededSampling, row by row), and `repetition_penalty` only when the request turns it on.

    >>> generation_kwargs(GenRequest(messages=(Message("user", "hi"),), max_tokens=4))["do_sample"]
    False
    """
    kwargs: dict = {"max_new_tokens": req.max_tokens, "do_sample": False, "temperature": None, "top_p": None,
                    "top_k": None}
    if req.repetition_penalty is not None:
        kwargs["repetition_penalty"] = req.repetition_penalty
    return kwargs


def resolve_dtype(dtype: str, device: str | None = None) -> str:
    """`auto` → bfloat16 on a CUDA device that supports it, else float32; other names pass through."""
    if dtype != "auto":
        return dtype
    import torch
    on_cuda = (device or ("cuda" if torch.cuda.is_available() else "cpu")).startswith("cuda")
    return "bfloat16" if on_cuda and torch.cuda.is_bf16_supported() else "float32"


def row_sampling(req: GenRequest) -> RowSampling:
    """How one request samples: its temperature and top-p, and noise seeded by the whole request."""
    return RowSampling(temperature=req.temperature, top_p=req.top_p,
                       seed=derive_seed("hf-sample", request_payload(req)))


class HFBackend(Backend):
    def __init__(self, path: str, *, n_ctx: int = 4096, dtype: str = "auto", device: str | None = None,
                 batch_size: int = 8):
        self.source, self.gguf_file, self.hub = locate_model(path)
        self.batch_size = self.preferred_batch = self.window_pairs = batch_size
        self.n_ctx, self.device = n_ctx, device
        self.dtype_name = resolve_dtype(dtype, device)
        name = (self.gguf_file.removesuffix(".gguf") if self.gguf_file
                else self.hub.ref.repo_id if self.hub else self.source.name)
        quant = ""
        if self.gguf_file and "." in name:
            name, q = name.rsplit(".", 1)
            quant = f"dequantized-{q}"
        identity = (gguf_identity(self.source / self.gguf_file) if self.gguf_file
                    else directory_identity(self.source))
        self.fingerprint = Fingerprint(kind="hf", model=name, quantization=quant,
                                       extra={"identity": identity, "dtype": self.dtype_name, "n_ctx": n_ctx,
                                              "sampler": SAMPLER_VERSION,
                                              "transformers": importlib.metadata.version("transformers"),
                                              **(self.hub.record() if self.hub else {})})
        self._model = self._tok = None

    def _load(self):
        if self._model is None:
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer
            from transformers.utils import logging as hf_logging
            hf_logging.disable_progress_bar()          # our own progress bars only
            directory = self.source
            if self.gguf_file:
                from recon.backends.dequantize import dequantized_dir
                directory = dequantized_dir(self.source / self.gguf_file)
            self._tok = AutoTokenizer.from_pretrained(str(directory))
            self._model = AutoModelForCausalLM.from_pretrained(str(directory), dtype=getattr(torch, self.dtype_name),
                                                               attn_implementation="sdpa")
            self.device = self.device or ("cuda" if torch.cuda.is_available() else "cpu")
            self._model.to(self.device).eval()
            if self._tok.pad_token_id is None:
                self._tok.pad_token = self._tok.eos_token
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

    def _pad_left(self, seqs: list[list[int]]):
        """A left-padded batch: (input_ids, attention_mask, position_ids) tensors on the model's device."""
        import torch
        width = max(len(x) for x in seqs)
        pad = self.tokenizer.pad_token_id
        ids = torch.tensor([[pad] * (width - len(x)) + x for x in seqs], device=self.device)
        mask = torch.tensor([[0] * (width - len(x)) + [1] * len(x) for x in seqs], device=self.device)
        return ids, mask, (mask.cumsum(-1) - 1).clamp(min=0)

    def _generate_batch(self, reqs: list[GenRequest]) -> list[Generation]:
        import torch
        model, tok = self._load()
        prompts = [self.encode(self.render(r.messages) + (r.prefix or "")) for r in reqs]
        fits = [i for i, ids in enumerate(prompts) if len(ids) + 1 < self.n_ctx]
        if len(fits) < len(reqs):                   # a prompt over the window is refused, the rest generated
            results = [Generation.refused(len(ids)) for ids in prompts]
            for i, gen in zip(fits, self._generate_batch([reqs[i] for i in fits]) if fits else [], strict=True):
                results[i] = gen
            return results
        from transformers import LogitsProcessorList
        first = reqs[0]
        kwargs = {**generation_kwargs(first), "pad_token_id": tok.pad_token_id}
        if any(r.temperature > 0 for r in reqs):
            kwargs["logits_processor"] = LogitsProcessorList([SeededSampling([row_sampling(r) for r in reqs],
                                                                             device=self.device)])
        if first.stop:
            kwargs.update(stop_strings=list(first.stop), tokenizer=tok)
        ids, mask, _ = self._pad_left(prompts)
        with torch.no_grad():
            out = model.generate(input_ids=ids, attention_mask=mask, **kwargs)
        cfg_eos = getattr(model.generation_config, "eos_token_id", None)
        eos = {tok.eos_token_id, tok.pad_token_id} | set(cfg_eos if isinstance(cfg_eos, list) else [cfg_eos])
        results = []
        for req, prompt, row in zip(reqs, prompts, out[:, ids.shape[1]:].tolist(), strict=True):
            new = row
            for i, t in enumerate(row):
                if t in eos:
                    new = row[:i + 1]
                    break
            hit_eos = bool(new) and new[-1] in eos
            text = tok.decode([t for t in new if t not in eos], skip_special_tokens=True)
            stopped = hit_eos
            for s in req.stop:
                if s in text:
                    text, stopped = text[:text.index(s)], True
            finish = "stop" if stopped or len(new) < req.max_tokens else "length"
            results.append(Generation(text=text, prompt_tokens=len(prompt), completion_tokens=len(new),
                                      finish_reason=finish))
        return results

    def _generate(self, requests: list[GenRequest], on_result=None) -> list[Generation]:
        """Requests with the same length limit, stop strings and repetition penalty share a batch, greedy and
        sampled alike."""
        out: list[Generation | None] = [None] * len(requests)
        groups: dict[tuple, list[int]] = {}
        for i, r in enumerate(requests):
            groups.setdefault((r.max_tokens, r.stop, r.repetition_penalty), []).append(i)
        for members in groups.values():
            for start in range(0, len(members), self.batch_size):
                chunk = members[start:start + self.batch_size]
                for i, g in zip(chunk, self._generate_batch([requests[i] for i in chunk]), strict=True):
                    out[i] = g
                    if on_result is not None:
                        on_result(i, g)
        return filled(out)

    def _score_batch(self, reqs: list[ScoreRequest]) -> list[Score]:
        import torch
        model, _ = self._load()
        pairs, dropped = [], []
        for req in reqs:
            ctx_ids, cont_ids = encode_pair(self.encode, self.render(req.messages), req.continuation)
            bos = self.tokenizer.bos_token_id
            keep = 1 if bos is not None and ctx_ids and ctx_ids[0] == bos else 0
            ctx_ids, n_dropped = truncate_left(ctx_ids, cont_ids, self.n_ctx, keep_first=keep)
            pairs.append((ctx_ids, cont_ids))
            dropped.append(n_dropped)
        ids, mask, positions = self._pad_left([c + x for c, x in pairs])
        keep = max(len(x) for _, x in pairs) + 1
        with torch.no_grad():
            logits = model(input_ids=ids, attention_mask=mask, position_ids=positions,
                           logits_to_keep=keep).logits
        scores = []
        n = sum(len(c) + len(x) for c, x in pairs)
        self.counters.requested += n
        self.counters.evaluated += n
        for row, (ctx_ids, cont_ids), n_dropped in zip(logits, pairs, dropped, strict=True):
            rows = row[keep - len(cont_ids) - 1:-1].float().cpu().numpy()
            scores.append(Score(logprob=target_logprob(rows, cont_ids), n_tokens=len(cont_ids),
                                truncated_prompt_tokens=n_dropped, prompt_tokens=len(ctx_ids)))
        return scores

    def _logprob(self, requests: list[ScoreRequest], on_result=None) -> list[Score]:
        out: list[Score] = []
        for start in range(0, len(requests), self.batch_size):
            for score in self._score_batch(requests[start:start + self.batch_size]):
                out.append(score)
                if on_result is not None:
                    on_result(len(out) - 1, score)
        return out

    def close(self) -> None:
        self._model = self._tok = None
