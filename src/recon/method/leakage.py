"""The leakage guard: how much of the true action a trace quotes.

A trace written while seeing the action can simply repeat it, which makes reconstruction trivial (and is
the first thing GRPO learns). Word-level measures, model-independent, on lowercased `\\w+` words (so
punctuation and case do not hide a copy), against the action *as the synthesizer saw it* (clipped to
`max_action_chars`):

- the longest run of consecutive words shared with the action, the fraction of the action's word 4-grams
  found in the trace, and the share of the action's words covered by those shared 4-grams (contiguous
  quotes, long or strung together);
- the longest common subsequence of words, over min(action words, trace words) (at least
  `short_action_words` + 1): an order-preserving measure that a filler word after every few quoted words,
  or a quote with every other word dropped, cannot hide from;
- a quote with filler words (at most 3 between quoted words, one action word may be skipped) of 8+ words,
  judged by the larger of the share of the action it quotes and the share of the trace it fills, so a long
  action quoted by a short trace cannot hide behind the action's length;
- the share of the action's content words (stop words out, Snowball stems) the trace holds in any order,
  for actions with at least `min_content_words` of them: a keyword list, reversed or shuffled;
- for short actions (≤ `short_action_words` words), the action's words in order within a window of 4·len
  trace words (2·len when they are all stop words, as in "So do I.").

A trace leaks when any measure crosses its threshold. `overlap` (0..1, what the `penalize` policy and the GRPO
penalty subtract) is the largest of the contiguous measures, the LCS, content and filler-quote shares' excess
over their thresholds, and 1 for a short quote, so an honest trace pays little and a disguised full quote pays
in full.

    >>> action = "I would fund the library before the stadium because reading matters"
    >>> m = measure_leakage("She thinks: I would fund the library before the stadium, clearly.", action)
    >>> m.longest_run, round(m.ngram_fraction, 2), m.leaking
    (8, 0.62, True)
    >>> measure_leakage("She cares about books more than sports.", action).leaking
    False
    >>> interleaved = " um ".join(action.split())           # a filler word after every word of the action
    >>> m = measure_leakage(interleaved, action)
    >>> m.longest_run, m.lcs_fraction, m.leaking
    (1, 1.0, True)
    >>> measure_leakage("She will say yes, of course.", "Yes.").short_quote
    True
    >>> longer = action + " to children"                      # 6 content words: the content share applies
    >>> measure_leakage("children matters reading stadium library fund", longer).leaking      # a keyword list
    True
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from recon.config import LeakageConfig, SynthesisConfig
from recon.method.content_words import content_share, content_stems, stop_words
from recon.render import clip_text

_WORD = re.compile(r"\w+", re.UNICODE)
NGRAM = 4


def words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def longest_shared_run(a: list[str], b: list[str]) -> int:
    """Length of the longest run of consecutive tokens present in both sequences (dynamic programming)."""
    best = 0
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0] * (len(b) + 1)
        for j, y in enumerate(b, start=1):
            if x == y:
                cur[j] = prev[j - 1] + 1
                if cur[j] > best:
                    best = cur[j]
        prev = cur
    return best


def longest_common_subsequence(a: list[str], b: list[str]) -> int:
    """Length of the longest subsequence of both (order kept, gaps allowed).

    >>> longest_common_subsequence("a x b y c".split(), "a b c".split())
    3
    """
    if len(a) < len(b):
        a, b = b, a
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b, start=1):
            cur.append(prev[j - 1] + 1 if x == y else max(prev[j], cur[j - 1]))
        prev = cur
    return prev[-1]


def lcs_fraction(trace: list[str], action: list[str], *, min_words: int = 7) -> float:
    """LCS(trace, action) / max(min(|action|, |trace|), min_words): 1.0 when the shorter one lies, in order,
    inside the other. Dividing by the action alone would miss a long action quoted by a short trace."""
    if not action or not trace:
        return 0.0
    return longest_common_subsequence(trace, action) / max(min(len(action), len(trace)), min_words)


def in_order_within(trace: list[str], action: list[str], window: int) -> bool:
    """Whether `action` occurs as a subsequence of some `window` consecutive words of `trace`.

    >>> in_order_within("she says move it to friday".split(), ["move", "friday"], 4)
    True
    >>> in_order_within("she says move it to friday".split(), ["move", "friday"], 3)
    False
    """
    if not action:
        return False
    for start, word in enumerate(trace):
        if word != action[0]:
            continue
        k, end = 1, start
        for pos in range(start + 1, min(len(trace), start + window)):
            if k == len(action):
                break
            if trace[pos] == action[k]:
                k, end = k + 1, pos
        if k == len(action) and end - start + 1 <= window:
            return True
    return False


def short_quote(trace: list[str], action: list[str], *, max_words: int) -> bool:
    """A short action (≤ max_words words) whose words appear in order within 4·len trace words; an action of
    stop words only ("So do I.") within 2·len, since such words turn up in any sentence.

    >>> short_quote("she will say so do i".split(), "so do i".split(), max_words=6)
    True
    """
    if not action or len(action) > max_words:
        return False
    only_stops = all(w in stop_words() for w in action)
    return in_order_within(trace, action, (2 if only_stops else 4) * len(action))


def filler_quote(trace: list[str], action: list[str], *, max_gap: int = 3) -> tuple[int, int]:
    """The longest quote of the action with filler words: consecutive action words (one may be skipped) found
    in order in the trace with at most `max_gap` other words between two of them. Returns (quoted words, trace
    words it spans).

    >>> filler_quote("a um b um um c d".split(), "a b c d".split())
    (4, 7)
    """
    where: dict[str, list[int]] = {}
    for j, w in enumerate(action):
        where.setdefault(w, []).append(j)
    chain: dict[tuple[int, int], tuple[int, int]] = {}       # (trace i, action j) -> (length, start i)
    best = (0, 0)
    for i, w in enumerate(trace):
        for j in where.get(w, ()):
            length, start = 1, i
            for back in range(max(0, i - max_gap - 1), i):
                for jb in (j - 1, j - 2):
                    prev = chain.get((back, jb))
                    if prev and prev[0] + 1 > length:
                        length, start = prev[0] + 1, prev[1]
            chain[i, j] = (length, start)
            if length > best[0]:
                best = (length, i - start + 1)
    return best


def quote_share(trace: list[str], action: list[str], *, min_run: int = 8, max_gap: int = 3) -> float:
    """A filler quote of at least `min_run` words, judged by the larger of the share of the action it quotes and
    the share of the trace it fills (0 for shorter quotes): a long action quoted with fillers by a short trace
    fills the trace.

    >>> action = [f"w{i}" for i in range(60)]                 # a 60-word action, 20 words quoted with 2 fillers
    >>> round(quote_share(" ".join(f"{w} um so" for w in action[:20]).split(), action), 2)
    0.97
    """
    quoted, span = filler_quote(trace, action, max_gap=max_gap)
    if quoted < min_run or not trace or not action:
        return 0.0
    return max(quoted / len(action), span / len(trace))


def excess(value: float, threshold: float) -> float:
    """How far past its threshold a fraction is, rescaled to [0, 1] (0 at or below the threshold).

    >>> excess(0.4, 0.6), excess(0.8, 0.6), excess(1.0, 0.6)
    (0.0, 0.5, 1.0)
    """
    return 0.0 if value <= threshold or threshold >= 1.0 else round((value - threshold) / (1.0 - threshold), 6)


def ngram_fraction(trace: list[str], action: list[str], n: int = NGRAM) -> float:
    """Fraction of the action's distinct n-grams that also occur in the trace (0 when the action has none)."""
    action_grams = {tuple(action[i:i + n]) for i in range(len(action) - n + 1)}
    if not action_grams:
        return 0.0
    trace_grams = {tuple(trace[i:i + n]) for i in range(len(trace) - n + 1)}
    return len(action_grams & trace_grams) / len(action_grams)


def ngram_coverage(trace: list[str], action: list[str], n: int = NGRAM) -> float:
    """Share of the action's words that lie inside some n-gram also found in the trace."""
    if len(action) < n:
        return 0.0
    trace_grams = {tuple(trace[i:i + n]) for i in range(len(trace) - n + 1)}
    covered = [False] * len(action)
    for i in range(len(action) - n + 1):
        if tuple(action[i:i + n]) in trace_grams:
            covered[i:i + n] = [True] * n
    return sum(covered) / len(action)


@dataclass(frozen=True)
class Leakage:
    longest_run: int          # words
    ngram_fraction: float     # of the action's distinct 4-grams found in the trace
    overlap: float            # the penalty's measure, 0..1: the largest of the 4-gram fraction, the coverage,
    #                           longest_run / action words, the LCS fraction's excess over its threshold, and 1 for
    #                           a short quote
    leaking: bool
    coverage: float = 0.0     # share of the action's words inside shared 4-grams
    lcs_fraction: float = 0.0  # longest common word subsequence / min(action words, trace words)
    short_quote: bool = False  # a short action's words in order within a small window of the trace
    content_share: float = 0.0  # share of the action's content stems in the trace, any order (0: too few)
    quote_share: float = 0.0    # a filler quote of 8+ words: max(share of the action, share of the trace)

    def to_json(self) -> dict:
        return {"longest_run": self.longest_run, "ngram_fraction": round(self.ngram_fraction, 4),
                "coverage": round(self.coverage, 4), "lcs_fraction": round(self.lcs_fraction, 4),
                "short_quote": self.short_quote, "content_share": round(self.content_share, 4),
                "quote_share": round(self.quote_share, 4), "overlap": round(self.overlap, 4), "leaking": self.leaking}


def seen_action(action: str, max_action_chars: int | None = None) -> str:
    """The action as the backward synthesizer saw it (its prompt clips the action at a word)."""
    return clip_text(action, max_action_chars or SynthesisConfig().max_action_chars)


def measure_leakage(trace: str, action: str, cfg: LeakageConfig | None = None, *,
                    max_action_chars: int | None = None) -> Leakage:
    """Every measure of `trace` against `action` clipped to `max_action_chars` (default: the synthesis
    prompt's), and whether any of them crosses its threshold in `cfg`."""
    cfg = cfg or LeakageConfig()
    seen = seen_action(action, max_action_chars)
    t, a = words(trace), words(seen)
    run = longest_shared_run(t, a)
    frac = ngram_fraction(t, a)
    cover = ngram_coverage(t, a)
    lcs = lcs_fraction(t, a, min_words=cfg.short_action_words + 1)
    short = short_quote(t, a, max_words=cfg.short_action_words)
    enough = len(content_stems(seen)) >= cfg.min_content_words
    content = content_share(trace, seen) if enough else 0.0
    quote = quote_share(t, a)
    overlap = max(frac, cover, run / len(a), excess(lcs, cfg.max_lcs_fraction), float(short),
                  excess(content, cfg.max_content_share), excess(quote, cfg.max_quote_share)) if a else 0.0
    leaking = (run > cfg.max_shared_run or frac > cfg.max_ngram_fraction or cover > cfg.max_coverage
               or lcs > cfg.max_lcs_fraction or short or content > cfg.max_content_share
               or quote > cfg.max_quote_share)
    return Leakage(longest_run=run, ngram_fraction=frac, overlap=overlap, coverage=cover, lcs_fraction=lcs,
                   short_quote=short, leaking=leaking, content_share=content, quote_share=quote)
