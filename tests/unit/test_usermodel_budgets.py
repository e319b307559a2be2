"""User models give the reasoning and the action a token budget each, and record how generation ended."""

from __future__ import annotations

import json

import pytest

from recon.backends.fake import FakeBackend
from recon.config import BackendConfig, UserModelConfig
from recon.data.prediction_records import read_predictions
from recon.errors import DataError
from recon.jobs.context import JobContext
from recon.jobs.predict import run_predict
from recon.method.sft_format import ClipCounts, sft_records
from recon.method.usermodel import DemonstrationPool, ICLUserModel
from recon.store.db import Database
from recon.types import Example, Turn

LONG_THOUGHT = " ".join(f"thought{i}" for i in range(200))       # never closes within any budget
ACTION = " ".join(f"word{i}" for i in range(40))


def ex(i, convo):
    return Example(id=f"Ann:{i}", domain="council", individual="Ann", conversation_id=convo, turn_index=1,
                   context=(Turn("Bob", f"Context {i}."),), action=f"Action {i}.")


TRAIN = [ex(i, f"c{i}") for i in range(4)]
TRACES = {e.id: f"Reasoning {e.id}." for e in TRAIN}


def rambler(req):
    """Reasoning that runs past any budget; an action of 40 words once the reasoning is closed."""
    if req.prefix and ("</reasoning>" in req.prefix or '"reply": "' in req.prefix):
        return ACTION + ('"}' if req.prefix.startswith("{") else "")
    return LONG_THOUGHT if req.prefix == "<reasoning>" else json.dumps({"reasoning": LONG_THOUGHT})


def cfg(**fields):
    return UserModelConfig(**{"repetition_penalty": 1.0, "reasoning_max_tokens": 16, "action_max_tokens": 48, "k": 1}
                           | fields)


@pytest.mark.parametrize("answer_format", ["tags", "json"])
def test_a_long_reasoning_still_leaves_the_action_its_whole_budget(answer_format):
    fake = FakeBackend(responder=rambler)
    pool = DemonstrationPool(TRAIN, TRACES) if answer_format == "json" else None
    [pred] = ICLUserModel(fake, pool, cfg(), method="backward", answer_format=answer_format).predict([ex(9, "t")])
    reasoning_call, action_call = fake.history
    assert reasoning_call.max_tokens == 16 and action_call.max_tokens == 48
    assert pred.action == ACTION and pred.finish_reason == "stop"
    assert pred.reasoning_truncated and not pred.action_truncated and pred.truncated
    assert pred.reasoning.split() == LONG_THOUGHT.split()[:len(pred.reasoning.split())]
    assert pred.reasoning in json.loads(action_call.prefix + ACTION + '"}')["reasoning"] if answer_format == "json" \
        else action_call.prefix == f"<reasoning>{pred.reasoning}</reasoning>\n"


@pytest.mark.parametrize("answer_format", ["tags", "json"])
def test_none_and_a_trace_method_have_the_same_room_for_the_action(answer_format):
    calls = {}
    for method in ("none", "backward"):
        fake = FakeBackend(responder=rambler)
        pool = DemonstrationPool(TRAIN, None if method == "none" else TRACES) if answer_format == "json" else None
        ICLUserModel(fake, pool, cfg(), method=method, answer_format=answer_format).predict([ex(9, "t")])
        calls[method] = fake.history[-1]
    assert calls["none"].max_tokens == calls["backward"].max_tokens == 48


def test_an_action_cut_at_its_budget_is_recorded_as_truncated():
    fake = FakeBackend(responder=lambda req: "<reasoning>ok" if req.prefix == "<reasoning>" else ACTION)
    [pred] = ICLUserModel(fake, None, cfg(action_max_tokens=10), method="backward",
                          answer_format="tags").predict([ex(9, "t")])
    assert pred.finish_reason == "length" and pred.action_truncated and not pred.reasoning_truncated
    assert pred.action == " ".join(ACTION.split()[:10])


def test_the_older_max_tokens_is_the_action_budget():
    assert UserModelConfig(max_tokens=64).action_max_tokens == 64
    with pytest.raises(ValueError, match="set only action_max_tokens"):
        UserModelConfig(max_tokens=64, action_max_tokens=32)


def test_prediction_files_record_how_generation_ended(tmp_path):
    out = tmp_path / "p.jsonl"
    run_predict(JobContext(database=Database(tmp_path / "db.sqlite3")), [ex(9, "t")], train=TRAIN, traces=None,
                method="none", user_model="sft:ckpt", backend_config=BackendConfig(spec="fake"),
                cfg=cfg(action_max_tokens=8), out=out)
    raw = json.loads(out.read_text().splitlines()[0])
    assert {"finish_reason", "reasoning_truncated", "action_truncated"} <= set(raw)
    rec = read_predictions(out)["Ann:9"]
    assert rec.finish_reason == "length" and rec.action_truncated        # the fake's answer runs past 8 words
    assert rec.to_json() == raw
    manifest = json.loads(out.with_name("p.jsonl.manifest.json").read_text())
    assert manifest["counts"]["action_truncated"] == 1 and manifest["counts"]["reasoning_truncated"] == 0


def test_a_prefix_is_continued_and_only_a_set_prefix_enters_the_request_identity():
    from recon.backends.base import GenRequest, Message, request_payload
    from recon.backends.openai_payloads import build_chat_payload
    plain = GenRequest(messages=(Message("user", "hi"),))
    assert "prefix" not in request_payload(plain)                       # every existing cache key unchanged
    continued = GenRequest(messages=(Message("user", "hi"),), prefix="<reasoning>")
    assert request_payload(continued)["prefix"] == "<reasoning>"
    assert build_chat_payload("m", continued)["messages"][-1] == {"role": "assistant", "content": "<reasoning>"}
    assert build_chat_payload("m", plain)["messages"][-1]["role"] == "user"


def test_a_malformed_prediction_record_names_its_line(tmp_path):
    p = tmp_path / "p.jsonl"
    p.write_text('{"id": "a", "action": "x"}\n{"id": "b", "action": "y", "action_truncated": "no"}\n')
    with pytest.raises(DataError, match=":2") as err:
        read_predictions(p)
    assert "action_truncated" in str(err.value)


class Words:
    """Whitespace tokens (the fake backend counts the same way)."""

    def encode(self, text):
        return text.replace("</", " </").split()

    def decode(self, ids):
        return " ".join(ids)


def test_sft_targets_are_cut_to_the_same_budgets_for_every_method_and_counted():
    long_action = Example(id="Ann:7", domain="council", individual="Ann", conversation_id="c7", turn_index=1,
                          context=(Turn("Bob", "Why?"),), action=ACTION)
    budgets = cfg(reasoning_max_tokens=10, action_max_tokens=20, max_reasoning_chars=5000, max_reply_chars=5000)
    targets, counts = {}, {}
    for method, traces in (("none", None), ("backward", {"Ann:7": LONG_THOUGHT, "Ann:1": "Short."})):
        counts[method] = ClipCounts()
        records = sft_records([long_action, TRAIN[1]], traces, method=method, cfg=budgets, tokens=Words(),
                              counts=counts[method])
        targets[method] = [r["completion"][0]["content"] for r in records]
    assert targets["none"][0] == " ".join(ACTION.split()[:19])                  # 19 words + the end of turn
    reasoning, action = targets["backward"][0].split("</reasoning>\n")
    assert action == targets["none"][0]
    assert len(Words().encode(reasoning + "</reasoning>")) == 10                 # closes within its budget
    assert counts["backward"].to_json() == {"reasoning": 1, "action": 1, "pairs": 1}
    assert counts["none"].to_json() == {"reasoning": 0, "action": 1, "pairs": 1}
    assert targets["backward"][1] == "<reasoning>Short.</reasoning>\nAction 1."   # what fits is kept whole
