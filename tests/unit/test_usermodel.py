"""User models on the fake backend: what the ICL prompt shows (and never shows), the draw, parsing."""

from __future__ import annotations

import json

import pytest

from recon.backends.fake import FakeBackend
from recon.config import BackendConfig, UserModelConfig
from recon.errors import ConfigError
from recon.jobs.context import JobContext
from recon.jobs.predict import run_predict
from recon.method.embeddings import HashEmbedder
from recon.method.usermodel import DemonstrationPool, ICLUserModel, parse_prediction
from recon.store.db import Database
from recon.types import Example, Turn


def resolved(**fields) -> UserModelConfig:
    """A user-model config whose repetition penalty is resolved (off), as a job hands it down."""
    return UserModelConfig(repetition_penalty=1.0, **fields)


def ex(i, convo, individual="Ann", topic="library"):
    return Example(id=f"{individual}:{i}", domain="council", individual=individual, conversation_id=convo,
                   turn_index=1, context=(Turn("Bob", f"Context {i} about the {topic}."),),
                   action=f"Action {i} on the {topic}.")


TRAIN = [ex(i, f"c{i}") for i in range(6)] + [ex(90, "c90", individual="Bea")]
TRACES = {e.id: f"Reasoning {e.id}." for e in TRAIN}


def test_icl_prompt_shows_k_demonstrations_of_the_same_individual_then_the_test_context():
    fake = FakeBackend(script=['{"reasoning": "r", "reply": "x"}'])
    model = ICLUserModel(fake, DemonstrationPool(TRAIN, TRACES), resolved(k=3), method="backward")
    test = ex(100, "test-convo")
    [pred] = model.predict([test])
    msgs = fake.history[0].messages
    assert [m.role for m in msgs] == ["system", "user", "assistant"] * 1 + ["user", "assistant"] * 2 + ["user"]
    assert "Ann" in msgs[0].content and "reasoning" in msgs[0].content
    demos = [json.loads(m.content) for m in msgs if m.role == "assistant"]
    assert all(d["reasoning"].startswith("Reasoning Ann:") and d["reply"].startswith("Action") for d in demos)
    assert "Context 100" in msgs[-1].content and "Action 100" not in "".join(m.content for m in msgs)
    assert len(pred.demos) == 3 and all(d.startswith("Ann:") for d in pred.demos)      # never Bea's pairs
    assert fake.history[0].json_schema and "reasoning" in json.loads(fake.history[0].json_schema)["properties"]


def test_a_test_pair_or_its_conversation_is_never_a_demonstration():
    pool = DemonstrationPool(TRAIN + [ex(7, "shared")], TRACES | {"Ann:7": "r"})
    test = ex(200, "shared")                                 # same conversation as training pair 7
    for seed in range(20):
        drawn = [d.id for d, _ in pool.draw(test, UserModelConfig(k=10, seed=seed))]
        assert "Ann:7" not in drawn and test.id not in drawn


def test_predict_refuses_train_and_test_that_share_a_conversation(tmp_path):
    with pytest.raises(ConfigError, match="in both --data and --test"):
        run_predict(JobContext(database=Database(tmp_path / "db.sqlite3")), [ex(1, "c1")], train=TRAIN, traces=TRACES,
                    method="backward", user_model="icl", backend_config=BackendConfig(spec="fake"),
                    cfg=UserModelConfig(), out=tmp_path / "p.jsonl")


def test_predict_refuses_traces_that_match_no_training_pair(tmp_path):
    with pytest.raises(ConfigError, match="none of the backward traces belongs to a training pair"):
        run_predict(JobContext(database=Database(tmp_path / "db.sqlite3")), [ex(1, "t1")], train=TRAIN,
                    traces={"other:1": "r"}, method="backward", user_model="icl",
                    backend_config=BackendConfig(spec="fake"), cfg=UserModelConfig(), out=tmp_path / "p.jsonl")


def test_method_none_shows_no_reasoning():
    fake = FakeBackend(script=['{"reply": "x"}'])
    ICLUserModel(fake, DemonstrationPool(TRAIN, None), resolved(k=2), method="none").predict([ex(9, "t")])
    [action_call] = fake.history                              # no reasoning call
    answers = [json.loads(m.content) for m in action_call.messages if m.role == "assistant"]
    assert answers and all(set(a) == {"reply"} for a in answers)
    assert action_call.prefix == '{"reply": "'


def test_random_draw_is_seeded_and_nearest_draw_picks_similar_contexts():
    pool = DemonstrationPool(TRAIN, TRACES)
    test = ex(300, "t")
    a = [d.id for d, _ in pool.draw(test, UserModelConfig(k=3, seed=1))]
    assert a == [d.id for d, _ in pool.draw(test, UserModelConfig(k=3, seed=1))]
    assert any(a != [d.id for d, _ in pool.draw(test, UserModelConfig(k=3, seed=s))] for s in range(2, 8))
    train = TRAIN + [ex(50, "c50", topic="stadium budget vote")]
    emb = HashEmbedder()
    near = DemonstrationPool(train, None, similarity=lambda q, docs: list(emb.cosine([q] * len(docs), docs)))
    picked = near.draw(ex(400, "t", topic="stadium budget vote"), UserModelConfig(k=1, draw="nearest"))
    assert picked[0][0].id == "Ann:50"


@pytest.mark.parametrize("text,expected", [
    ('{"reasoning": "She is wary.", "reply": "Counsel?"}', ("She is wary.", "Counsel?", True)),
    ('Sure: {"reply": "Counsel?"} done', ("", "Counsel?", True)),
    ("<reasoning>wary</reasoning>\nCounsel?", ("wary", "Counsel?", True)),
    ("<REASONING> wary </Reasoning> Counsel?", ("wary", "Counsel?", True)),
    ("<reasoning>wary, and more\n\nCounsel?", ("wary, and more", "Counsel?", False)),
    ("<reasoning>wary, never closed", ("wary, never closed", "", False)),
    ("wary</reasoning> Counsel?", ("wary", "Counsel?", False)),
    ("Just the words.", ("", "Just the words.", True)),
])
def test_parse_prediction(text, expected):
    assert parse_prediction(text) == expected


def test_a_prediction_without_an_action_is_recorded_as_unusable():
    fake = FakeBackend(script=["thinking only", "  "])
    [pred] = ICLUserModel(fake, DemonstrationPool(TRAIN, TRACES), resolved(k=1), method="backward",
                          answer_format="tags").predict([ex(9, "t")])
    assert pred.action is None and pred.error == "the user model wrote no action" and not pred.well_formed


def test_the_resolved_repetition_penalty_reaches_the_request():
    pool = DemonstrationPool(TRAIN, TRACES)
    test = ex(50, "c50")
    req, _ = ICLUserModel(FakeBackend(), pool, resolved(k=2).model_copy(update={"repetition_penalty": 1.2}),
                          method="backward").request(test)
    assert req.repetition_penalty == 1.2
    req, _ = ICLUserModel(FakeBackend(), pool, resolved(k=2), method="backward").request(test)
    assert req.repetition_penalty is None                           # 1.0: off, and out of the cache key


def test_llamacpp_and_transformers_map_the_repetition_penalty():
    from recon.backends.base import GenRequest, Message
    from recon.backends.hf import generation_kwargs
    from recon.backends.llamacpp import sampling_kwargs
    req = GenRequest(messages=(Message("user", "hi"),), max_tokens=9, repetition_penalty=1.15)
    assert sampling_kwargs(req)["repeat_penalty"] == 1.15
    assert sampling_kwargs(GenRequest(messages=req.messages))["repeat_penalty"] == 1.0
    assert generation_kwargs(req)["repetition_penalty"] == 1.15
    assert "repetition_penalty" not in generation_kwargs(GenRequest(messages=req.messages))
