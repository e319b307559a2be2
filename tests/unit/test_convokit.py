"""ConvoKit loader: against the genuine corpus written by convokit 5.0, and small hand-made trees."""

from __future__ import annotations

import json

import pytest

from recon.data.convokit import load_convokit
from recon.data.corpus import load_examples
from recon.errors import DataError


def test_genuine_corpus_matches_the_shared_pair_files(shared_data):
    """Every Kagan pair of the three hearings in the pair files is rebuilt from the ConvoKit corpus: same
    action, same turn index, same context speakers, same context text (up to the pair files' 1,200-char cut)."""
    corpus = shared_data / "convokit_scotus_sample"
    result = load_convokit(corpus, "elena_kagan", max_context=8)
    assert result.examples and {e.individual for e in result.examples} == {"Elena Kagan"}
    by_action = {e.action: e for e in result.examples}
    hearings = {e.meta["case"] for e in result.examples}
    pairs = [p for p in load_examples([shared_data / "scotus_oral_argument/elena_kagan.jsonl"])
             if p.conversation_id in hearings]
    assert len(pairs) >= 10
    for pair in pairs:
        ours = by_action[pair.action]
        assert ours.turn_index == pair.turn_index
        assert [t.speaker for t in ours.context] == [t.speaker for t in pair.context]
        for a, b in zip(ours.context, pair.context, strict=True):
            assert a.text == b.text or (b.text.endswith("…") and a.text.startswith(b.text[:-1]))


def test_conversation_ids_are_first_utterance_ids_and_reply_to_is_read(shared_data):
    corpus = shared_data / "convokit_scotus_sample"
    result = load_convokit(corpus, "sonia_sotomayor")
    first_ids = set(json.loads((corpus / "conversations.json").read_text()))
    assert {e.conversation_id for e in result.examples} <= first_ids
    # in this corpus each utterance replies to the one before, so following reply-to equals taking
    # the previous turns in order: the two context modes agree exactly
    seq = load_convokit(corpus, "sonia_sotomayor", context="sequence")
    assert [e.context for e in result.examples] == [e.context for e in seq.examples]
    assert all(len(e.context) <= 8 for e in result.examples)


def test_unknown_speaker_suggests_close_ids(shared_data):
    with pytest.raises(DataError, match="did you mean elena_kagan"):
        load_convokit(shared_data / "convokit_scotus_sample", "elena_kagen")


def make_corpus(tmp_path, utterances, speakers=("op", "a", "b")):
    d = tmp_path / "corpus"
    d.mkdir()
    (d / "speakers.json").write_text(json.dumps({s: {"meta": {"name": s.upper()}, "vectors": []} for s in speakers}))
    convos = {u["conversation_id"] for u in utterances}
    (d / "conversations.json").write_text(json.dumps({c: {"meta": {}} for c in convos}))
    (d / "utterances.jsonl").write_text("".join(json.dumps(u) + "\n" for u in utterances))
    return d


def utt(i, speaker, reply, text=None, convo="u0", ts=None):
    return {"id": f"u{i}", "speaker": speaker, "conversation_id": convo, "reply-to": reply,
            "timestamp": i if ts is None else ts, "text": text or f"turn {i} by {speaker}", "meta": {}}


def test_thread_context_follows_the_branch_not_the_timeline(tmp_path):
    # u0 (op) ← u1 (a) ← u2 (op);  u0 ← u3 (b) ← u4 (op): the reply u4 must not see branch u1/u2
    d = make_corpus(tmp_path, [utt(0, "op", None), utt(1, "a", "u0"), utt(2, "op", "u1"),
                               utt(3, "b", "u0"), utt(4, "op", "u3")])
    thread = {e.id: [t.text for t in e.context] for e in load_convokit(d, "op").examples}
    assert thread == {"corpus:u2": ["turn 0 by op", "turn 1 by a"], "corpus:u4": ["turn 0 by op", "turn 3 by b"]}
    seq = {e.id: len(e.context) for e in load_convokit(d, "op", context="sequence").examples}
    assert seq == {"corpus:u2": 2, "corpus:u4": 4}
    ex = load_convokit(d, "op").examples[0]
    assert ex.individual == "OP" and ex.context[1].speaker == "A" and ex.turn_index == 2


def test_skips_openers_and_short_actions_and_counts_them(tmp_path):
    d = make_corpus(tmp_path, [utt(0, "op", None), utt(1, "a", "u0"), utt(2, "op", "u1", text="  ")])
    result = load_convokit(d, "op")
    assert result.examples == [] and result.skipped == {"no_context": 1, "short_action": 1}


def test_python_api_reply_to_key_is_accepted(tmp_path):
    rows = [utt(0, "a", None), utt(1, "op", "u0")]
    rows[1]["reply_to"] = rows[1].pop("reply-to")
    assert len(load_convokit(make_corpus(tmp_path, rows), "op").examples) == 1


@pytest.mark.parametrize("mutate,message", [
    (lambda r: r[1].update({"reply-to": "nope"}), "reply-to 'nope' names no utterance"),
    (lambda r: r[1].update({"conversation_id": "zzz"}), "conversation 'zzz' is not in conversations.json"),
    (lambda r: r[1].pop("text"), "missing key 'text'"),
    (lambda r: r[1].update({"speaker": 3}), "field 'speaker' has type int"),
    (lambda r: r.append(dict(r[0])), "duplicate utterance id 'u0'"),
])
def test_bad_utterances_name_the_line(tmp_path, mutate, message):
    rows = [utt(0, "a", None), utt(1, "op", "u0")]
    mutate(rows)
    d = make_corpus(tmp_path, rows)
    if message.startswith("conversation"):
        (d / "conversations.json").write_text(json.dumps({"u0": {}}))
    with pytest.raises(DataError, match=message) as info:
        load_convokit(d, "op")
    assert info.value.path.endswith("utterances.jsonl") and info.value.line in (2, 3)
