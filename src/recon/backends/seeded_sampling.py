"""Sampling in batches where every sample is a function of its own request (the hf backend).

transformers' sampler draws from one global random stream, so a row's sample depends on what else is in its
batch. Here generation runs *greedy* and this logits processor does the sampling itself, row by row, with the
Gumbel-max trick: divide the row's logits by its temperature, keep its top-p nucleus of the tempered
distribution, add Gumbel noise drawn from a generator seeded by that row's request hash, and let the argmax
pick. argmax(log p + Gumbel) is an exact sample from p. A greedy row (temperature 0) is left untouched. The
noise of a row depends only on its seed and the decoding step, so the same request gives the same text alone
or inside any batch (up to the float rounding of batched logits; bit-exact on CPU in float32 in our tests).

transformers hands user processors float32 logits and adds no warpers of its own when not sampling.

    >>> import torch
    >>> rows = [RowSampling(temperature=1.0, top_p=1.0, seed=7), RowSampling(temperature=0.0, top_p=1.0, seed=0)]
    >>> proc = SeededSampling(rows, device="cpu")
    >>> scores = torch.tensor([[0.0, 0.0, 0.0], [0.0, 5.0, 0.0]])
    >>> out = proc(torch.zeros((2, 1), dtype=torch.long), scores)
    >>> int(out[1].argmax())          # the greedy row keeps its argmax
    1
"""

from __future__ import annotations

from dataclasses import dataclass

SAMPLER_VERSION = "gumbel-v1"        # part of the hf fingerprint: samples of another sampler never share a cache entry


@dataclass(frozen=True)
class RowSampling:
    temperature: float
    top_p: float
    seed: int                         # from the request hash (not the bare seed, which ignores the prompt)


def nucleus_mask(logits, top_p: float):
    """Boolean mask of the tokens outside the smallest set whose probability reaches `top_p` (at least one kept)."""
    import torch
    probs = torch.softmax(logits, dim=-1)
    sorted_probs, order = torch.sort(probs, descending=True)
    before = torch.cumsum(sorted_probs, dim=-1) - sorted_probs        # mass strictly before each token
    drop_sorted = before >= top_p
    drop_sorted[..., 0] = False
    return torch.zeros_like(drop_sorted).scatter(-1, order, drop_sorted)


class SeededSampling:
    """A transformers LogitsProcessor: per-row temperature, top-p and seeded Gumbel noise."""

    def __init__(self, rows: list[RowSampling], *, device):
        import torch
        self.rows = rows
        self.generators = []
        for row in rows:
            g = torch.Generator(device="cpu")
            g.manual_seed(row.seed)
            self.generators.append(g)
        self.device = device

    def __call__(self, input_ids, scores):
        import torch
        out = scores.clone()
        for i, (row, gen) in enumerate(zip(self.rows, self.generators, strict=True)):
            if row.temperature <= 0:
                continue
            logits = scores[i] / row.temperature
            if row.top_p < 1.0:
                logits = logits.masked_fill(nucleus_mask(logits, row.top_p), float("-inf"))
            # Gumbel(0, 1) noise, drawn on the CPU from this row's own generator (one draw per step)
            u = torch.rand(logits.shape[-1], generator=gen, dtype=torch.float64).clamp_(1e-20, 1.0 - 1e-16)
            noise = (-torch.log(-torch.log(u))).to(dtype=logits.dtype, device=logits.device)
            out[i] = logits + noise
        return out
