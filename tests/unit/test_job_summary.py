"""One summary type for the jobs that turn pairs into records (synthesize, score, predict): what was written,
what is invalid, what failed transiently, and the cost figures of the end-of-command table."""

from __future__ import annotations

from recon.backends.fake import FakeBackend
from recon.config import BackendConfig, SynthesisConfig, UserModelConfig
from recon.jobs.common import JobSummary
from recon.jobs.context import JobContext
from recon.jobs.predict import run_predict
from recon.jobs.synthesize import run_synthesis
from recon.store.db import Database
from recon.types import Example, Turn


def ex(i, convo):
    return Example(id=f"Ann:{i}", domain="council", individual="Ann", conversation_id=convo, turn_index=1,
                   context=(Turn("Bob", f"Context {i} about the library."),), action=f"Action {i} on the library.")


def test_synthesize_and_predict_return_the_same_summary_type(tmp_path):
    db = Database(tmp_path / "db.sqlite3")
    train, test = [ex(i, f"tr{i}") for i in range(3)], [ex(10 + i, f"te{i}") for i in range(4)]
    synthesis, _ = run_synthesis(JobContext(database=db), train, BackendConfig(spec="fake"),
                                 SynthesisConfig(method="backward"), out=tmp_path / "t.jsonl")
    # the user model answers two test pairs with a reply and two with nothing usable (a recorded outcome): the
    # four reasoning calls of the window, then its four action calls (continuing `"reply": "`)
    script = ['{"reasoning": "r"}'] * 4 + ['Yes."}', '"}'] * 2
    predict = run_predict(JobContext(database=db, backend_factory=lambda cfg: FakeBackend(script=script)), test,
                          train=train, traces={e.id: "She cares." for e in train}, method="backward",
                          user_model="icl", backend_config=BackendConfig(spec="fake"), cfg=UserModelConfig(k=2),
                          out=tmp_path / "p.jsonl")
    assert type(synthesis) is type(predict) is JobSummary
    assert (predict.pairs, predict.written, predict.invalid) == (4, 2, 2)
    assert predict.user_model == "icl" and predict.failures.complete and predict.short_of_demos == 0
    figures = predict.figures()
    assert figures["invalid_pct"] == 50.0 and figures["calls_per_pair"] == 2.0      # the reasoning, the action
