"""Batched sampling on the hf backend: a sample is a function of its request, not of its batch."""

from __future__ import annotations

import pytest

from recon.backends.base import GenRequest, Message
from recon.backends.seeded_sampling import RowSampling, SeededSampling, nucleus_mask
from tests.tiny_model import make_tiny_model

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    from recon.backends.hf import HFBackend
    return HFBackend(str(make_tiny_model(tmp_path_factory.mktemp("tiny"))))


def request(prompt: str, *, sample_index: int = 0, temperature: float = 0.8, seed: int = 0) -> GenRequest:
    return GenRequest(messages=(Message("user", prompt),), temperature=temperature, top_p=0.95, max_tokens=16,
                      seed=seed, sample_index=sample_index)


def test_a_sampled_request_gives_the_same_text_alone_and_inside_a_batch_of_eight(tiny):
    batch = [request(f"prompt number {i}", sample_index=i % 3) for i in range(7)] + [request("the one", sample_index=2)]
    together = [g.text for g in tiny.generate(batch)]
    alone = [tiny.generate([r])[0].text for r in batch]
    assert together == alone
    assert len(set(together)) > 4                  # the rows really were sampled, not all the same text


def test_greedy_and_sampled_requests_share_a_batch_and_greedy_stays_greedy(tiny):
    greedy = request("a greedy prompt", temperature=0.0)
    mixed = tiny.generate([request("sampled", sample_index=1), greedy, request("sampled", sample_index=2)])
    assert mixed[1].text == tiny.generate([greedy])[0].text
    assert mixed[0].text != mixed[2].text


def test_noise_is_seeded_by_the_whole_request_not_the_bare_seed(tiny):
    from recon.backends.hf import row_sampling
    a, b = request("first pair's prompt", sample_index=0), request("second pair's prompt", sample_index=0)
    assert a.effective_seed == b.effective_seed            # the bare seed would give both the same noise
    assert row_sampling(a).seed != row_sampling(b).seed
    assert row_sampling(a).seed == row_sampling(request("first pair's prompt", sample_index=0)).seed


def test_the_fingerprint_names_the_sampler_and_the_resolved_dtype(tiny):
    extra = tiny.fingerprint.to_json()["extra"]
    assert extra["sampler"] == "gumbel-v1"
    assert extra["dtype"] == "float32"                     # auto on a CPU


def draws(logits: list[float], row: RowSampling, n: int) -> list[int]:
    scores = torch.tensor([logits] * n)
    rows = [RowSampling(row.temperature, row.top_p, seed) for seed in range(n)]
    out = SeededSampling(rows, device="cpu")(torch.zeros((n, 1), dtype=torch.long), scores)
    return out.argmax(dim=-1).tolist()


def test_gumbel_max_draws_follow_the_tempered_distribution():
    logits = [2.0, 1.0, 0.0, -1.0]
    picks = draws(logits, RowSampling(temperature=0.5, top_p=1.0, seed=0), 4000)
    expected = torch.softmax(torch.tensor(logits) / 0.5, dim=-1).tolist()
    for token, p in enumerate(expected):
        assert abs(picks.count(token) / len(picks) - p) < 0.03


def test_top_p_keeps_only_the_nucleus_of_the_tempered_distribution():
    logits = [3.0, 2.5, 0.0, -1.0, -2.0]
    picks = draws(logits, RowSampling(temperature=1.0, top_p=0.8, seed=0), 2000)
    assert set(picks) == {0, 1}                            # p = 0.56, 0.34: together they pass 0.8
    mask = nucleus_mask(torch.tensor([0.0, 0.0]), 0.1)
    assert mask.tolist() == [False, True]                  # at least one token is always kept


def test_sampled_requests_run_in_one_batch(tiny, monkeypatch):
    calls = []
    original = type(tiny)._generate_batch
    monkeypatch.setattr(type(tiny), "_generate_batch",
                        lambda self, reqs: calls.append(len(reqs)) or original(self, reqs))
    tiny.generate([request(f"p{i}", sample_index=i) for i in range(6)] + [request("g", temperature=0.0)])
    assert calls == [7]


def test_the_repetition_penalty_changes_greedy_text_and_batches_apart(tiny):
    plain = request("say it again and again and again", temperature=0.0)
    import dataclasses
    penalised = dataclasses.replace(plain, repetition_penalty=2.0)
    both = tiny.generate([plain, penalised])
    assert both[0].text != both[1].text                            # the penalty reached transformers
    assert [g.text for g in both] == [tiny.generate([r])[0].text for r in (plain, penalised)]
