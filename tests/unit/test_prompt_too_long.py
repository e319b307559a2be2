"""A prompt that does not fit the model's window is an outcome, not a failed call: the prediction has no action
and loses its comparisons (a re-run cannot change it), the result is cached, and no call counts as failed."""

from __future__ import annotations

from recon.backends.base import PROMPT_TOO_LONG, GenRequest, Message
from recon.backends.fake import FakeBackend
from recon.config import UserModelConfig
from recon.method.usermodel import DemonstrationPool, ICLUserModel
from recon.store.cache import CachedBackend
from recon.store.db import Database
from recon.store.failures import backend_failures
from recon.types import Example, Turn


def ex(i: int, convo: str) -> Example:
    return Example(id=f"Ann:{i}", domain="council", individual="Ann", conversation_id=convo, turn_index=1,
                   context=(Turn("Bob", f"Context {i} about the library budget this year."),),
                   action=f"Action {i} on the library.")


TRAIN = [ex(i, f"c{i}") for i in range(6)]
TRACES = {e.id: "Ann weighs the cost of books against the hours the library stays open, as always. " * 3
          for e in TRAIN}


def prompt_words(method: str) -> int:
    fake = FakeBackend()
    ICLUserModel(fake, DemonstrationPool(TRAIN, None if method == "none" else TRACES), UserModelConfig(k=3),
                 method=method).predict([ex(100, "test")])
    return sum(len(m.content.split()) for m in fake.history[0].messages)


def test_a_window_between_two_methods_prompt_lengths_makes_the_longer_one_lose_not_wait(tmp_path):
    short, long = prompt_words("none"), prompt_words("backward")
    assert short < long
    window = (short + long) // 2
    db = Database(tmp_path / "db.sqlite3")
    preds = {}
    for method, traces in (("none", None), ("backward", TRACES)):
        backend = CachedBackend(FakeBackend(n_ctx=window), db, run="r", stage=f"predict:{method}")
        [preds[method]] = ICLUserModel(backend, DemonstrationPool(TRAIN, traces), UserModelConfig(k=3),
                                       method=method).predict([ex(100, "test")])
        assert backend_failures(backend).complete                      # nothing for a re-run to retry
    assert preds["none"].action is not None
    refused = preds["backward"]
    assert refused.action is None and refused.transient is False      # a failed prediction: it loses
    assert "does not fit" in refused.error


def test_a_refused_prompt_is_cached_like_any_outcome(tmp_path):
    fake = FakeBackend(n_ctx=3)
    backend = CachedBackend(fake, Database(tmp_path / "db.sqlite3"), run="r", stage="s")
    req = GenRequest(messages=(Message("user", "one two three four five"),))
    [first] = backend.generate([req])
    [again] = backend.generate([req])
    assert first.finish_reason == again.finish_reason == PROMPT_TOO_LONG and first.text == ""
    assert len(fake.history) == 1


def test_the_window_is_part_of_the_fake_backends_fingerprint():
    assert FakeBackend(n_ctx=8).fingerprint != FakeBackend().fingerprint
