"""Baselines that differ from Recon-Select only in their traces: one home for sampling settings, backward =
candidate 0 (one cache entry), the same ICL demonstrations for every method, the same SFT pairs and steps."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from recon.backends.fake import FakeBackend
from recon.config import BackendConfig, ReconSelectConfig, RunConfig, SynthesisConfig, UserModelConfig
from recon.jobs.context import JobContext
from recon.jobs.predict import run_predict
from recon.jobs.synthesize import run_recon_select, run_synthesis
from recon.method.selection import candidate_requests
from recon.store.cache import CachedBackend
from recon.store.db import Database
from recon.types import Example, Turn


def pair(i, convo=None, individual="Ann"):
    return Example(id=f"{individual}:{i}", domain="council", individual=individual, conversation_id=convo or f"c{i}",
                   turn_index=1, context=(Turn("Bob", f"Item {i}: the stadium or the library?"),),
                   action=f"Item {i}: the library, because the children of ward {i} need it.")


RUN = {"name": "t", "data": {"train": ["a.jsonl"], "test": ["b.jsonl"]}, "methods": ["none", "recon-select"]}


def test_recon_select_has_no_sampling_fields_of_its_own():
    for field in ("temperature", "top_p", "seed", "synthesis"):
        with pytest.raises(ValidationError):
            ReconSelectConfig.model_validate({field: 0.5 if field != "synthesis" else {}})
    with pytest.raises(ValidationError, match="recon_select.temperature"):
        RunConfig.model_validate(RUN | {"recon_select": {"temperature": 0.8}})


def test_the_run_reuses_the_stage_config_with_one_limit_for_n():
    assert RunConfig.model_fields["recon_select"].annotation is ReconSelectConfig
    for n in (26, 64):
        assert RunConfig.model_validate(RUN | {"recon_select": {"n": n}}).recon_select.n == n
        assert ReconSelectConfig(n=n).n == n
    for make in (lambda: ReconSelectConfig(n=65), lambda: ReconSelectConfig(n=27, scorer="judge"),
                 lambda: RunConfig.model_validate(RUN | {"recon_select": {"n": 27, "scorer": "judge"}})):
        with pytest.raises(ValidationError):
            make()


def test_the_run_has_one_synthesis_block_without_a_method():
    cfg = RunConfig.model_validate(RUN | {"synthesis": {"temperature": 0.5, "max_tokens": 64}})
    assert cfg.synthesis.temperature == 0.5
    with pytest.raises(ValidationError, match="synthesis.method"):
        RunConfig.model_validate(RUN | {"synthesis": {"method": "forward"}})


def test_candidates_sample_with_the_synthesis_settings():
    synth = SynthesisConfig(temperature=0.5, top_p=0.9, seed=7, max_tokens=64)
    reqs = candidate_requests(pair(0), ReconSelectConfig(n=3), synth)
    assert [r.sample_index for r in reqs] == [0, 1, 2]
    assert {(r.temperature, r.top_p, r.seed, r.max_tokens) for r in reqs} == {(0.5, 0.9, 7, 64)}
    default = candidate_requests(pair(0), ReconSelectConfig(n=1))[0]
    assert (default.temperature, default.top_p) == (0.7, 0.95)


def test_backward_is_candidate_zero_and_costs_nothing_extra(tmp_path):
    db, inner = Database(tmp_path / "db.sqlite3"), FakeBackend()
    pairs = [pair(i) for i in range(3)]
    run_synthesis(JobContext(database=db, backend_factory=lambda cfg: inner), pairs, BackendConfig(spec="fake"),
                  SynthesisConfig(), out=tmp_path / "bw.jsonl")
    generated = len(inner.history)
    run_recon_select(JobContext(database=db, backend_factory=lambda cfg: inner), pairs, ReconSelectConfig(n=3),
                     synthesis=SynthesisConfig(), synthesizer=BackendConfig(spec="fake"),
                     reconstructor=BackendConfig(spec="fake"), judge=None, out=tmp_path / "rs.jsonl")
    new_samples = [r.sample_index for r in inner.history[generated:] if hasattr(r, "sample_index")]
    assert 0 not in new_samples and sorted(set(new_samples)) == [1, 2]       # candidate 0 came from the cache
    backward = [json.loads(x) for x in (tmp_path / "bw.jsonl").read_text().splitlines()]
    selected = [json.loads(x) for x in (tmp_path / "rs.jsonl").read_text().splitlines()]
    assert [b["reasoning"] for b in backward] == [s["candidates"][0]["reasoning"] for s in selected]


def test_an_empty_candidate_zero_is_recorded_as_backwards_failure(tmp_path):
    db = Database(tmp_path / "db.sqlite3")
    inner = FakeBackend(responder=lambda r: "" if r.sample_index == 0 and "Item 1:" in r.messages[-1].content
                        else f"She weighs it, sample {r.sample_index}.")
    pairs = [pair(i) for i in range(2)]
    _, failures = run_synthesis(JobContext(database=db, backend_factory=lambda cfg: inner), pairs,
                                BackendConfig(spec="fake"), SynthesisConfig(), out=tmp_path / "bw.jsonl")
    backward = [json.loads(x) for x in (tmp_path / "bw.jsonl").read_text().splitlines()]
    assert [b["id"] for b in backward] == ["Ann:0", "Ann:1"]
    assert backward[1]["reasoning"] is None and "empty" in backward[1]["invalid"] and len(failures) == 1
    run_recon_select(JobContext(database=db, backend_factory=lambda cfg: inner), pairs, ReconSelectConfig(n=2),
                     synthesizer=BackendConfig(spec="fake"), reconstructor=BackendConfig(spec="fake"), judge=None,
                     out=tmp_path / "rs.jsonl")
    selected = [json.loads(x) for x in (tmp_path / "rs.jsonl").read_text().splitlines()]
    assert selected[1]["candidates"][0]["flags"] == ["empty"] and selected[1]["selected_index"] == 1


def test_icl_demonstrations_are_identical_for_every_method_despite_missing_traces(tmp_path):
    train = [pair(i) for i in range(24)] + [pair(i, individual="Bea") for i in range(24)]
    test = [pair(100 + i, convo=f"t{i}") for i in range(6)] + [pair(100 + i, f"t{i}", "Bea") for i in range(6)]
    ids = [e.id for e in train]
    backward = {i: f"Because of {i}." for k, i in enumerate(ids) if k % 4 != 0}        # 25% missing
    forward = {i: f"Maybe {i}." for k, i in enumerate(ids) if k % 4 != 1}              # another 25% missing
    traces = {"none": None, "backward": backward, "forward": forward}
    from recon.method.parity import common_training_ids, fixed_demonstrations
    eligible, left_out = common_training_ids(train, traces)
    assert len(eligible) == len(train) // 2 and left_out == {"none": 0, "backward": 12, "forward": 12}
    cfg = UserModelConfig(k=3)
    demos = fixed_demonstrations(test, train, eligible, cfg)
    assert set(demos) == {e.id for e in test} and all(len(d) == 3 for d in demos.values())
    seen = {}
    for method, method_traces in traces.items():
        out = tmp_path / f"{method}.jsonl"
        run_predict(JobContext(database=Database(tmp_path / "db.sqlite3")), test, train=train, traces=method_traces,
                    method=method, user_model="icl", backend_config=BackendConfig(spec="fake"), cfg=cfg, out=out,
                    demos=demos)
        seen[method] = {p["id"]: p["demos"] for p in map(json.loads, out.read_text().splitlines())}
    assert seen["none"] == seen["backward"] == seen["forward"]
    assert all(d in eligible for ds in seen["none"].values() for d in ds)


def test_fixed_demonstrations_never_show_the_test_conversation():
    from recon.method.parity import fixed_demonstrations
    train = [pair(i, convo="shared" if i < 3 else None) for i in range(8)]
    test = [pair(100, convo="shared")]
    demos = fixed_demonstrations(test, train, {e.id for e in train}, UserModelConfig(k=8))
    assert not {"Ann:0", "Ann:1", "Ann:2"} & set(demos["Ann:100"]) and len(demos["Ann:100"]) == 5


def test_cached_candidates_are_what_backward_would_pay_for(tmp_path):
    db = Database(tmp_path / "db.sqlite3")
    inner = FakeBackend()
    synth = CachedBackend(inner, db, run="r", stage="s")
    from recon.method.synthesis import synthesis_request
    synth.generate([synthesis_request(pair(0), SynthesisConfig())])
    synth.generate(candidate_requests(pair(0), ReconSelectConfig(n=2), SynthesisConfig()))
    assert [r.sample_index for r in inner.history] == [0, 1]
