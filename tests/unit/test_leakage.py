"""The leakage guard: a trace that copies a run of the action is caught; a paraphrase is not."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recon.config import LeakageConfig, SynthesisConfig
from recon.method.content_words import stop_words
from recon.method.leakage import longest_shared_run, measure_leakage, ngram_fraction, words
from recon.render import clip_text

ACTION = ("Counsel, I want to understand why the statute says law and not regulation, because the "
          "government's reading would sweep in every state drug schedule ever written.")


def test_a_twelve_word_copy_is_leaking():
    copied = " ".join(words(ACTION)[3:15])                  # 12 consecutive words of the action
    trace = f"She is frustrated and thinks: {copied}. She wants a clear answer."
    m = measure_leakage(trace, ACTION)
    assert m.longest_run == 12 and m.leaking


def test_a_paraphrase_is_not_leaking():
    trace = ("She doubts the government's broad interpretation; she suspects it would cover all state "
             "lists of controlled substances and wants the lawyer to explain the wording.")
    m = measure_leakage(trace, ACTION)
    assert not m.leaking and m.longest_run <= 3 and m.ngram_fraction < 0.1


def test_case_and_punctuation_do_not_hide_a_copy():
    m = measure_leakage("COUNSEL — I want; to UNDERSTAND why the statute says LAW, and not...", ACTION)
    assert m.longest_run == 12 and m.leaking


def test_thresholds_are_strictly_greater_than():
    cfg = LeakageConfig(max_shared_run=7, max_ngram_fraction=1.0, max_lcs_fraction=1.0)
    seven = " ".join(words(ACTION)[:7])
    eight = " ".join(words(ACTION)[:8])
    assert not measure_leakage(seven, ACTION, cfg).leaking
    assert measure_leakage(eight, ACTION, cfg).leaking


def test_many_short_quotes_strung_together_are_leaking():
    w = words(ACTION)
    # five separate 4-word quotes: no long run, few of the action's 4-grams, but most of its words
    trace = " and ".join(" ".join(w[i:i + 4]) for i in range(0, 25, 5))
    m = measure_leakage(trace, ACTION)
    assert m.longest_run <= 5 and m.ngram_fraction < 0.3          # the first two measures miss it
    assert m.coverage > 0.7 and m.leaking                          # coverage does not
    assert ngram_fraction(w, w) == 1.0 and ngram_fraction([], w) == 0.0


def test_an_action_fully_copied_in_pieces_has_full_overlap():
    w = words(ACTION)
    m = measure_leakage(" ... ".join(" ".join(w[i:i + 6]) for i in range(0, len(w), 6)), ACTION)
    assert m.leaking and m.overlap >= 0.7


def test_short_actions_and_overlap():
    m = measure_leakage("Yes, exactly so.", "Yes.")
    assert m.ngram_fraction == 0.0 and m.overlap == 1.0 and m.leaking          # a one-word action, quoted
    assert not measure_leakage("She agrees with him.", "Yes.").leaking
    assert longest_shared_run(["a", "b", "c"], ["x", "b", "c", "a"]) == 2


# --- interleaved and short quotes -------------------------------------------------------------------------------

LONG = ("I want to know whether the agency ever explained why it changed the rule after twenty years of "
        "telling farmers the opposite, because that history matters to whether deference is owed here")
FILLERS = ["perhaps", "honestly", "surely", "clearly", "indeed", "maybe"]


def interleave(action: str, every: int) -> str:
    """The whole action with a filler word after every `every` words (the guard's classic blind spot)."""
    out = []
    for i, w in enumerate(action.split(), start=1):
        out.append(w)
        if i % every == 0:
            out.append(FILLERS[i % len(FILLERS)])
    return " ".join(out)


@pytest.mark.parametrize("every", [1, 2, 3, 4])
def test_the_action_with_a_filler_every_k_words_is_leaking(every):
    m = measure_leakage(f"She thinks: {interleave(LONG, every)}.", LONG)
    assert m.longest_run <= every and m.lcs_fraction == 1.0 and m.leaking


def test_interleaving_with_case_and_punctuation_changes_is_leaking():
    shouted = interleave(LONG, 3).upper().replace(" ", ", ")
    assert measure_leakage(shouted, LONG).leaking


def test_the_quote_split_in_pieces_in_order_is_leaking():
    w = LONG.split()
    pieces = [" ".join(w[i:i + 3]) for i in range(0, len(w), 3)]
    trace = " She pauses. ".join(f"She considers {p}" for p in pieces)
    m = measure_leakage(trace, LONG)
    assert m.longest_run <= 4 and m.leaking


def test_the_quote_with_every_other_word_dropped_is_leaking():
    skipped = " ".join(LONG.split()[::2])
    m = measure_leakage(f"Her point: {skipped}", LONG)
    assert m.longest_run <= 2 and m.coverage < 0.5 and m.leaking


def test_a_trace_sharing_only_stop_words_is_not_leaking():
    trace = ("She is of the view that it is the one thing they have to do, and that is why it is what it is "
             "for all of them here")
    m = measure_leakage(trace, LONG)
    assert not m.leaking


def test_a_genuine_paraphrase_of_a_long_action_is_not_leaking():
    trace = ("She suspects the regulator reversed itself without a reason after decades of contrary advice to "
             "growers, and believes that reversal should cost it the court's respect for its reading.")
    assert not measure_leakage(trace, LONG).leaking


def test_the_lcs_is_measured_against_the_action_as_the_synthesizer_saw_it():
    long_action = LONG + " " + " ".join(f"tail{i}" for i in range(400))       # far past max_action_chars
    seen = clip_text(long_action, SynthesisConfig().max_action_chars)
    m = measure_leakage(f"She thinks {interleave(seen, 2)}", long_action)
    assert m.lcs_fraction == 1.0 and m.leaking


@pytest.mark.parametrize("action,trace", [
    ("Yes.", "Yes, exactly so."),
    ("Objection, your honor.", "She will say objection, then your honor."),
    ("That is a fair point, counsel.", "She admits that this is, sadly, a fair point for counsel."),
    ("Move the vote to Friday.", "She wants to MOVE — the vote — to friday."),
])
def test_short_actions_quoted_in_order_are_leaking(action, trace):
    m = measure_leakage(trace, action)
    assert m.short_quote and m.leaking


@pytest.mark.parametrize("action,trace", [
    ("Objection, your honor.", "She objects firmly to the lawyer's framing."),
    ("Move the vote to Friday.", "She wants the vote moved, but then Friday comes later in the week " * 2),
    ("Not for me.", "She is not sure it is for them or me."),      # in order, in the window, but only stop words
])
def test_short_actions_not_quoted_in_order_within_the_window_are_not_leaking(action, trace):
    assert not measure_leakage(trace, action).leaking


CONTENT = st.sampled_from(["library", "stadium", "budget", "council", "funding", "taxes", "bridge", "parks",
                           "schools", "housing", "transit", "water", "police", "museum", "roads"])
WORD = st.one_of(CONTENT, st.sampled_from(["the", "a", "we", "should", "it", "is", "and", "to", "of", "not"]))
FILLER = st.sampled_from(["um", "perhaps", "honestly", "well", "so", "you", "know", "really", "then", "like"])


@settings(max_examples=200, deadline=None)
@given(head=CONTENT, rest=st.lists(WORD, min_size=0, max_size=40), fillers=st.lists(FILLER, min_size=1),
       every=st.integers(1, 4), data=st.data())
def test_any_in_order_interleaving_of_the_action_is_leaking(head, rest, fillers, every, data):
    action_words = data.draw(st.permutations([head] + rest))
    out = []
    for i, w in enumerate(action_words, start=1):
        out.append(w)
        if i % every == 0:
            out.append(fillers[i % len(fillers)])
    action = " ".join(action_words).capitalize() + "."
    assert measure_leakage("She says " + " ".join(out), action).leaking


def test_an_interleaved_quote_has_full_overlap_so_the_penalty_bites():
    m = measure_leakage(interleave(LONG, 3), LONG)
    assert m.overlap == 1.0                                # the LCS beyond its threshold counts in the overlap
    honest = measure_leakage("She suspects the regulator reversed itself without a reason.", LONG)
    assert honest.overlap < 0.2
    assert measure_leakage("She will say yes, of course.", "Yes.").overlap == 1.0


# --- order-free leaks, filler quotes of long actions, stop-word short actions ---------------------------------

REASONS = ("I want to know whether the agency ever explained why it changed the rule after twenty years of "
           "telling farmers the opposite, because that history matters to whether deference is owed, and the "
           "record shows no notice, no comment period, no study of the costs to small growers, nothing at all "
           "about the drought years, and a regional office that kept applying the old rule for another season")


@pytest.mark.parametrize("order", [reversed, sorted])
def test_a_keyword_list_of_the_action_in_any_order_is_leaking(order):
    keywords = [w for w in dict.fromkeys(words(LONG)) if w not in stop_words()]
    m = measure_leakage(" ".join(order(keywords)), LONG)
    assert m.longest_run <= 2 and m.content_share == 1.0 and m.leaking and m.overlap == 1.0


def test_inflected_keywords_still_count():
    keywords = "explanations farmer histories changing rules agencies deferring owing years twenty"
    assert measure_leakage(keywords, LONG).leaking


def test_an_honest_trace_naming_the_topic_is_not_leaking():
    trace = "She doubts the agency's reversal and thinks farmers deserved an explanation."
    m = measure_leakage(trace, LONG)
    assert 0 < m.content_share <= 0.5 and not m.leaking


def test_two_fillers_per_word_quoting_part_of_a_longer_action_is_leaking():
    quoted = REASONS.split()[:27]                               # 27 words of a 70-word action, 81-word trace
    assert len(REASONS.split()) > 3 * len(quoted) - 20
    m = measure_leakage(" ".join(f"{w} um so" for w in quoted), REASONS)
    assert m.quote_share > 0.9 and m.leaking


@pytest.mark.parametrize("action", ["No.", "Why not?", "So do I.", "Not at all."])
def test_quoted_stop_word_short_actions_are_leaking(action):
    assert measure_leakage(f"She will answer: {action}", action).short_quote


def test_stop_words_of_a_short_action_scattered_in_a_sentence_are_not_leaking():
    assert not measure_leakage("So she thinks it is hard to do much about it, I suppose.", "So do I.").leaking


@settings(max_examples=150, deadline=None)
@given(rest=st.lists(WORD, min_size=20, max_size=80), fillers=st.lists(FILLER, min_size=3, max_size=3),
       per_word=st.integers(1, 3), budget=st.integers(40, 96), data=st.data())
def test_any_quote_with_up_to_three_fillers_per_word_cut_to_a_trace_budget_is_leaking(rest, fillers, per_word,
                                                                                      budget, data):
    action_words = data.draw(st.permutations(rest))
    out: list[str] = []
    for w in action_words:
        out += [w, *fillers[:per_word]]
    assert measure_leakage(" ".join(out[:budget]), " ".join(action_words) + ".").leaking
