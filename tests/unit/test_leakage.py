"""The leakage guard: a trace that copies a run of the action is caught; a paraphrase is not."""

from __future__ import annotations

from recon.config import LeakageConfig
from recon.method.leakage import longest_shared_run, measure_leakage, ngram_fraction, words

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
    cfg = LeakageConfig(max_shared_run=7, max_ngram_fraction=1.0)
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
    assert m.ngram_fraction == 0.0 and m.overlap == 1.0 and not m.leaking
    assert longest_shared_run(["a", "b", "c"], ["x", "b", "c", "a"]) == 2
