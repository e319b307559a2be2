"""Typed trace records: every kind a traces file holds (a synthesized trace, a failed pair, a selection) reads back
through the one reader and writes out byte for byte as it was; a malformed record names its file and line."""

from __future__ import annotations

import json

import pytest

from recon.backends.fake import FakeBackend
from recon.config import BackendConfig, ReconSelectConfig, SynthesisConfig
from recon.data.trace_records import SelectionRecord, TraceRecord, read_traces, trace_map
from recon.errors import DataError
from recon.jobs.context import JobContext
from recon.jobs.synthesize import run_recon_select, run_synthesis
from recon.store.db import Database
from recon.types import Example, Turn

FAKE = BackendConfig(spec="fake")


def pairs(n: int) -> list[Example]:
    return [Example(id=f"p{i}", domain="d", individual="Ann", conversation_id=f"c{i}", turn_index=1,
                    context=(Turn("Bob", f"Why {i}?"),), action=f"Because {i}.") for i in range(n)]


def lines(path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def assert_round_trips(path) -> list[TraceRecord]:
    records = read_traces(path)
    assert [json.dumps(r.to_json()) for r in records] == [json.dumps(json.loads(x)) for x in lines(path)]
    return records


def test_synthesized_and_failed_records_round_trip(tmp_path):
    failing = FakeBackend(fail=lambda r: "Why 1?" in str(r.messages))
    ctx = JobContext(database=Database(tmp_path / "db.sqlite3"), backend_factory=lambda cfg: failing)
    run_synthesis(ctx, pairs(3), FAKE, SynthesisConfig(method="backward"), out=tmp_path / "t.jsonl")
    records = assert_round_trips(tmp_path / "t.jsonl")
    failed = [r for r in records if r.reasoning is None]
    assert [r.id for r in failed] == ["p1"] and failed[0].to_json()["transient"] is True
    assert list(failed[0].to_json()) == ["id", "method", "reasoning", "invalid", "transient"]
    assert [r.line for r in records] == [1, 2, 3]
    assert trace_map(tmp_path / "t.jsonl") == {r.id: r.reasoning for r in records if r.reasoning}


def test_selection_records_round_trip_through_both_models(tmp_path):
    ctx = JobContext(database=Database(tmp_path / "db.sqlite3"))
    run_recon_select(ctx, pairs(2), ReconSelectConfig(n=3), synthesizer=FAKE, reconstructor=FAKE, judge=None,
                     out=tmp_path / "rs.jsonl")
    assert_round_trips(tmp_path / "rs.jsonl")
    for text in lines(tmp_path / "rs.jsonl"):
        record = SelectionRecord.model_validate_json(text)
        assert json.dumps(record.to_json()) == json.dumps(json.loads(text))
        assert len(record.candidates) == 3 and record.selected_index in (0, 1, 2)


@pytest.mark.parametrize("bad, why", [
    ('{"id": 7, "method": "backward", "reasoning": "r"}', "id"),
    ('{"id": "b", "method": "backward", "reasoning": 3}', "reasoning"),
    ('{"id": "b", "method": "backward"}', "missing key 'reasoning'"),
    ('["not", "an", "object"]', "must be a JSON object"),
    ('{"id": "a", "method": "backward", "reasoning": "again"}', "duplicate id 'a'"),
])
def test_a_malformed_record_names_its_file_and_line(tmp_path, bad, why):
    path = tmp_path / "t.jsonl"
    path.write_text('{"id": "a", "method": "backward", "reasoning": "fine"}\n' + bad + "\n", encoding="utf-8")
    with pytest.raises(DataError, match=why) as err:
        read_traces(path)
    assert err.value.line == 2 and str(err.value).startswith(f"{path}:2: ")


def evaluated(tmp_path):
    from recon.config import PairJudgeConfig
    from recon.jobs.evaluate import run_evaluate
    from recon.method.embeddings import HashEmbedder
    test = pairs(3)
    for name, action in (("a", "Because."), ("b", "No.")):
        (tmp_path / f"{name}.jsonl").write_text("".join(json.dumps({"id": e.id, "action": action}) + "\n"
                                                        for e in test), encoding="utf-8")
    ctx = JobContext(database=Database(tmp_path / "db.sqlite3"), embedder=HashEmbedder())
    run_evaluate(ctx, test, {"a": tmp_path / "a.jsonl", "b": tmp_path / "b.jsonl"}, compare=[("a", "b")],
                 judge_cfg=PairJudgeConfig(), out=tmp_path / "eval")
    return tmp_path / "eval" / "results.json"


def test_results_json_round_trips_through_its_model(tmp_path):
    from recon.evaluation.results import RESULTS_SCHEMA_VERSION, Results, load_results, read_results
    path = evaluated(tmp_path)
    results = read_results(path)
    assert isinstance(results, Results) and results.schema_version == RESULTS_SCHEMA_VERSION
    assert results.to_json() == json.loads(path.read_text(encoding="utf-8"))      # the file sorts its keys
    assert load_results(path.parent) == results and set(results.methods) == {"a", "b"}


def test_results_of_another_schema_version_or_shape_name_the_file(tmp_path):
    from recon.evaluation.results import read_results
    path = evaluated(tmp_path)
    raw = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps(raw | {"schema_version": 1}), encoding="utf-8")
    with pytest.raises(DataError, match="schema version 1") as err:
        read_results(path)
    assert str(err.value).startswith(str(path))
    path.write_text(json.dumps({k: v for k, v in raw.items() if k != "methods"}), encoding="utf-8")
    with pytest.raises(DataError, match="methods"):
        read_results(path)


def test_seed_results_round_trip():
    from recon.evaluation.results import SeedResults
    raw = {"schema": "seeds-1", "seeds": {"0": "runs/x/seed-0/results.json"}, "baseline": "backward",
           "grid": {"recon-select": {"overall": {"mean": 0.5, "sd": 0.0, "values": [0.5]}}}, "warnings": []}
    assert json.dumps(SeedResults.model_validate(raw).to_json()) == json.dumps(raw)
