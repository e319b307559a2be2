"""Windows of pairs: every stage gives the same results in windows as one pair at a time (on the fake backend,
with unparsable judge answers and failing calls, and on a loopback server), per-pair records keep their own
calls and tokens, and a window keeps a server busy across pairs."""

from __future__ import annotations

import json

import pytest

from recon.backends.base import GenRequest
from recon.backends.fake import FakeBackend
from recon.config import BackendConfig, PairJudgeConfig, ReconSelectConfig, SynthesisConfig, UserModelConfig
from recon.hashing import hash_fraction
from recon.jobs.context import JobContext
from recon.jobs.evaluate import run_evaluate
from recon.jobs.predict import run_predict
from recon.jobs.score import run_scoring
from recon.jobs.synthesize import run_recon_select, run_synthesis
from recon.method.embeddings import HashEmbedder
from recon.store.cache import CachedBackend
from recon.store.db import Database
from recon.types import Example, Turn
from tests.loopback_server import LoopbackServer


def pairs(n: int, conversation: str = "c") -> list[Example]:
    return [Example(id=f"{conversation}:{i}", domain="council", individual="Ann", conversation_id=f"{conversation}{i}",
                    turn_index=1, context=(Turn("Bob", f"Should the town fund project {conversation}{i}?"),),
                    action=f"Only if project {conversation}{i} keeps the library open.") for i in range(n)]


class Flaky(FakeBackend):
    """Some structured answers are unparsable (so judges retry), and every greedy call about one pair fails."""

    def __init__(self):
        super().__init__(fail=lambda r: isinstance(r, GenRequest) and r.temperature == 0
                         and "project c2?" in r.messages[-1].content)

    def _text_for(self, req):
        if req.json_schema and hash_fraction([req.prompt_hash(), req.sample_index], tag="flaky") < 0.4:
            return "I would rather not say."
        return super()._text_for(req)


def read(path) -> list[dict]:
    records = [json.loads(line) for line in path.read_text().splitlines()]
    for r in records:
        if isinstance(r.get("cost"), dict):
            r["cost"].pop("seconds")              # wall time differs; calls, hits and tokens must not
    return records


def every_stage(tmp, window: int | None, factory, *, scorers=("likelihood", "judge", "embedding")) -> dict:
    """Each windowed stage once, with `window` pairs per call (None: the backend's), on a fresh cache."""
    db = Database(tmp / "db.sqlite3")
    train, test = pairs(8), pairs(6, "t")
    spec = BackendConfig(spec="fake")
    out = {}
    run_synthesis(JobContext(database=db, backend_factory=factory, window=window), train, spec,
                  SynthesisConfig(method="backward"), out=tmp / "bw.jsonl")
    out["synthesis"] = read(tmp / "bw.jsonl")
    for scorer in scorers:
        run_recon_select(JobContext(database=db, embedder=HashEmbedder(), backend_factory=factory, window=window),
                         train,
                         ReconSelectConfig(n=3, scorer=scorer), synthesizer=spec, reconstructor=spec, judge=spec,
                         out=tmp / f"rs-{scorer}.jsonl")
        out[f"recon-select {scorer}"] = read(tmp / f"rs-{scorer}.jsonl")
    run_scoring(JobContext(database=db, embedder=HashEmbedder(), backend_factory=factory, window=window),
                tmp / "bw.jsonl",
                train, scorer_name=scorers[-1] if "likelihood" not in scorers else "judge", reconstructor=spec,
                judge=spec, cfg=ReconSelectConfig().reconstruction, out=tmp / "score.jsonl")
    out["score"] = read(tmp / "score.jsonl")
    traces = {r["id"]: r["reasoning"] for r in out["synthesis"] if r["reasoning"]}
    for method, method_traces in (("backward", traces), ("none", None)):
        run_predict(JobContext(database=db, backend_factory=factory, window=window), test, train=train,
                    traces=method_traces, method=method, user_model="icl", backend_config=spec,
                    cfg=UserModelConfig(k=2), out=tmp / f"pred-{method}.jsonl")
        out[f"predict {method}"] = read(tmp / f"pred-{method}.jsonl")
    judge = CachedBackend(factory(spec), db, run="eval", stage="evaluate:judge")
    run_evaluate(JobContext(embedder=HashEmbedder(), window=window), test,
                 {"backward": tmp / "pred-backward.jsonl", "none": tmp / "pred-none.jsonl"},
                 compare=[("backward", "none")], judge_cfg=PairJudgeConfig(kind="lm"), judge_backend=judge,
                 out=tmp / "eval")
    out["judge"] = read(tmp / "eval" / "judgments.jsonl")
    return out


def test_every_stage_in_windows_gives_the_one_pair_at_a_time_results_on_the_fake_backend(tmp_path):
    (tmp_path / "serial").mkdir()
    (tmp_path / "windowed").mkdir()
    serial = every_stage(tmp_path / "serial", 1, lambda cfg: Flaky())
    windowed = every_stage(tmp_path / "windowed", 5, lambda cfg: Flaky())
    assert serial.keys() == windowed.keys()
    for stage in serial:
        assert windowed[stage] == serial[stage], stage
    # the case is not trivial: judges retried, a pair failed transiently, the rest scored and judged
    judged = serial["recon-select judge"]
    assert any(r["scoring"].get("judge_attempts", 1) > 1 for r in judged if r["scoring"])
    assert [r["transient"] for r in judged].count(True) == 1 and sum(r["reasoning"] is not None for r in judged) > 4
    assert any(len(j["detail"].get("orders", [{}])[0].get("answers", [])) > 1 for j in serial["judge"])


def test_every_stage_in_windows_gives_the_one_pair_at_a_time_results_on_a_server(tmp_path):
    with LoopbackServer(latency=0.005) as server:
        spec = f"openai:m@{server.url}"

        def factory(cfg):
            from recon.backends.openai_http import OpenAIBackend
            return OpenAIBackend("m", server.url, api_key_env=None, concurrency=16)
        assert spec
        (tmp_path / "serial").mkdir()
        (tmp_path / "windowed").mkdir()
        serial = every_stage(tmp_path / "serial", 1, factory, scorers=("judge", "embedding"))
        windowed = every_stage(tmp_path / "windowed", None, factory, scorers=("judge", "embedding"))
    for stage in serial:
        assert windowed[stage] == serial[stage], stage


def test_per_pair_records_keep_their_own_calls_and_tokens_in_a_window(tmp_path):
    spec = BackendConfig(spec="fake")
    examples = [Example(id=f"p{i}", domain="d", individual="Ann", conversation_id=f"c{i}", turn_index=1,
                        context=(Turn("Bob", "Why? " * (1 + 5 * i)),), action=f"Because {i}.") for i in range(5)]
    costs = {}
    for window in (1, 5):
        summary = run_recon_select(JobContext(database=Database(tmp_path / f"db{window}.sqlite3"),
                                              backend_factory=lambda cfg: FakeBackend(), window=window),
                                   examples, ReconSelectConfig(n=3, scorer="judge"), synthesizer=spec,
                                   reconstructor=spec, judge=spec, out=tmp_path / f"rs{window}.jsonl")
        costs[window] = [r["cost"] for r in read(tmp_path / f"rs{window}.jsonl")]
        assert sum(c["calls"] for c in costs[window]) == summary.cost.calls
    assert [c["calls"] for c in costs[5]] == [3 + 3 + 1] * 5                # 2N+1 each, not the window's total
    assert len({c["prompt_tokens"] for c in costs[5]}) == 5                 # each pair its own tokens ...
    assert costs[5] == costs[1]                                              # ... the same as one at a time


@pytest.mark.parametrize("scorer", ["judge", "embedding"])
def test_recon_select_keeps_a_server_busy_across_pairs(tmp_path, scorer):
    n_pairs, concurrency = 8, 16
    with LoopbackServer(latency=0.5) as server:     # long enough for a loaded client to fill every slot
        spec = BackendConfig(spec=f"openai:m@{server.url}", api_key_env=None, concurrency=concurrency)
        run_recon_select(JobContext(database=Database(tmp_path / "d.sqlite3"), embedder=HashEmbedder()), pairs(n_pairs),
                         ReconSelectConfig(n=4, scorer=scorer), synthesizer=spec, reconstructor=spec, judge=spec,
                         out=tmp_path / "rs.jsonl")
    assert server.max_in_flight == concurrency          # one pair at a time never had more than N = 4 in flight


def test_the_pairwise_judge_keeps_a_server_busy_across_test_pairs(tmp_path):
    test = pairs(20, "t")
    for name in ("a", "b"):
        (tmp_path / f"{name}.jsonl").write_text("".join(json.dumps({"id": e.id, "action": f"{name} says {e.id}"})
                                                        + "\n" for e in test))
    with LoopbackServer(latency=0.5) as server:     # long enough for a loaded client to fill every slot
        from recon.backends.openai_http import OpenAIBackend
        judge = CachedBackend(OpenAIBackend("m", server.url, api_key_env=None, concurrency=16),
                              Database(tmp_path / "d.sqlite3"), run="r", stage="evaluate:judge")
        run_evaluate(JobContext(embedder=HashEmbedder()), test,
                     {"a": tmp_path / "a.jsonl", "b": tmp_path / "b.jsonl"}, compare=[("a", "b")],
                     judge_cfg=PairJudgeConfig(kind="lm"), judge_backend=judge, out=tmp_path / "eval")
    assert server.max_in_flight == 16                   # one pair at a time: a single judge call in flight
