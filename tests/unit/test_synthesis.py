"""Forward/backward synthesis: what each prompt shows, failures, and resuming after an interruption."""

from __future__ import annotations

import json

import pytest

from recon.backends.fake import FakeBackend
from recon.config import BackendConfig, SynthesisConfig
from recon.jobs.context import JobContext
from recon.jobs.synthesize import run_synthesis
from recon.method.synthesis import synthesis_messages, synthesize
from recon.paths import manifest_path
from recon.store.calls import recent_calls
from recon.store.db import Database
from recon.types import Example, Turn

ACTION = "We should fund the library before the stadium."


def example(i=0, **kw):
    base = dict(id=f"x:{i}", domain="council", individual="Ann", conversation_id=f"c{i}", turn_index=2,
                context=(Turn("Bob", "The stadium needs money."), Turn("Cy", "So does the library.")),
                action=ACTION if i == 0 else f"{ACTION} Reason {i}.")
    return Example(**(base | kw))


def test_backward_prompt_shows_the_action_and_forward_does_not():
    back = "\n".join(m.content for m in synthesis_messages(example(), SynthesisConfig(method="backward")))
    fwd = "\n".join(m.content for m in synthesis_messages(example(), SynthesisConfig(method="forward")))
    for text in (back, fwd):
        assert "Bob: The stadium needs money." in text and "Ann" in text
    assert ACTION in back and ACTION not in fwd


def test_context_is_clipped_to_the_configured_turns_and_characters():
    long = example(context=tuple(Turn(f"S{i}", "word " * 400) for i in range(10)))
    cfg = SynthesisConfig(method="forward", max_context_turns=3, max_turn_chars=100)
    user = synthesis_messages(long, cfg)[1].content
    assert "S9:" in user and "S7:" in user and "S6:" not in user
    assert max(len(line) for line in user.splitlines()) <= 105


def test_traces_keep_order_and_record_provenance():
    exs = [example(i) for i in range(3)]
    fake = FakeBackend(script=["one", "two", "three"])
    result = synthesize(exs, fake, SynthesisConfig(method="backward"))
    assert [(t.id, t.reasoning) for t in result.traces] == [("x:0", "one"), ("x:1", "two"), ("x:2", "three")]
    t = result.traces[0]
    assert t.model == {"kind": "fake", "model": "fake"} and len(t.prompt_hash) == 16 and t.completion_tokens == 1


def test_empty_and_failed_generations_are_failures_not_empty_traces():
    exs = [example(i) for i in range(3)]
    fake = FakeBackend(script=["fine", "   "])
    result = synthesize(exs[:2], fake, SynthesisConfig(method="forward"))
    assert [t.id for t in result.traces] == ["x:0"] and result.failures[0].error.startswith("the synthesizer")
    boom = FakeBackend(fail=lambda r: True)
    result = synthesize(exs, boom, SynthesisConfig(method="forward"))
    assert result.traces == [] and len(result.failures) == 3


def test_job_writes_traces_and_a_manifest(tmp_path):
    out = tmp_path / "t.jsonl"
    job, failures = run_synthesis(JobContext(database=Database(tmp_path / "db.sqlite3")),
                                  [example(i) for i in range(2)],
                                  BackendConfig(spec="fake"), SynthesisConfig(method="backward"), out=out)
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert [r["id"] for r in lines] == ["x:0", "x:1"] and set(lines[0]) == {
        "id", "method", "reasoning", "model", "prompt_hash", "tokens", "finish_reason", "leakage"}
    assert lines[0]["leakage"]["leaking"] is False
    manifest = json.loads(manifest_path(out).read_text())
    assert manifest["counts"] == {"pairs": 2, "written": 2, "invalid": 0, "leaking": 0, "ties": 0}
    assert manifest["cost"]["backend_calls"] == 2 and manifest["cost"]["calls_per_pair"] == 1.0
    assert manifest["config"]["synthesis"]["method"] == "backward"
    assert job.cost.calls == 2 and failures == []


class Interrupting(FakeBackend):
    """Raises KeyboardInterrupt on the k-th request, like Ctrl-C in the middle of a run (and of a window)."""

    def __init__(self, after):
        super().__init__()
        self.after = after

    def _text_for(self, req):
        if len(self.history) > self.after:
            raise KeyboardInterrupt
        return super()._text_for(req)


def test_interrupted_run_leaves_no_output_and_resumes_without_paying_twice(tmp_path):
    db = Database(tmp_path / "db.sqlite3")
    exs = [example(i) for i in range(5)]
    cfg = SynthesisConfig(method="backward")
    out = tmp_path / "t.jsonl"
    out.write_text("an older file\n")
    with pytest.raises(KeyboardInterrupt):
        run_synthesis(JobContext(database=db, run="r1", backend_factory=lambda c: Interrupting(after=3)), exs,
                      BackendConfig(spec="fake"), cfg, out=out)
    assert out.read_text() == "an older file\n"                        # untouched: no half-written output
    assert not list(tmp_path.glob(".t.jsonl*"))
    fresh = FakeBackend()
    summary, _ = run_synthesis(JobContext(database=db, run="r2", backend_factory=lambda c: fresh), exs,
                               BackendConfig(spec="fake"), cfg, out=out)
    assert [json.loads(x)["id"] for x in out.read_text().splitlines()] == [e.id for e in exs]
    assert len(fresh.history) == 2                                     # only the two unfinished pairs
    calls = recent_calls(db, run="r2", limit=10)
    assert sum(c.cache_hit for c in calls) == 3 and sum(not c.cache_hit for c in calls) == 2
    assert summary.cost.cache_hits == 3


def test_failed_pairs_keep_their_place_in_the_output(tmp_path):
    exs = [example(i) for i in range(3)]
    out = tmp_path / "t.jsonl"
    failing = FakeBackend(fail=lambda r: "Reason 1." in r.messages[-1].content)
    summary, failures = run_synthesis(JobContext(database=Database(tmp_path / "db.sqlite3"),
                                                 backend_factory=lambda c: failing),
                                      exs, BackendConfig(spec="fake"), SynthesisConfig(method="backward"), out=out)
    records = [json.loads(x) for x in out.read_text().splitlines()]
    assert [r["id"] for r in records] == ["x:0", "x:1", "x:2"]
    assert records[1]["reasoning"] is None and "scripted failure" in records[1]["invalid"]
    assert summary.written == 2 and summary.invalid == 1 and [f.id for f in failures] == ["x:1"]


def test_backend_errors_do_not_stop_the_other_pairs():
    exs = [example(i) for i in range(3)]
    fake = FakeBackend(fail=lambda r: "x1 marker" in "".join(m.content for m in r.messages))
    exs[1] = example(1, context=(Turn("Bob", "x1 marker"),))
    result = synthesize(exs, fake, SynthesisConfig(method="forward"), batch_size=1)
    assert [t.id for t in result.traces] == ["x:0", "x:2"] and [f.id for f in result.failures] == ["x:1"]
    assert "scripted failure" in result.failures[0].error
