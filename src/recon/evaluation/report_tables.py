"""The report's tables as rows of text, and how they are written in Markdown and HTML: the win rates (one block
per comparison), the per-method figures, the warnings, and the sentence on baseline parity.

    >>> from recon.evaluation.winrate import Comparison
    >>> ci_text(Comparison("a", "b", "overall", 0.5, None, 8, 0, 0, None, ci_pairs=(0.25, 0.75)))
    '25.0% – 75.0% (pairs, optimistic)'
"""

from __future__ import annotations

import html

from recon.evaluation.markdown_text import md_text
from recon.evaluation.results import EvaluationResult


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def _num(x: float | None, digits: int = 3) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


def ci_text(c) -> str:
    """The conversation-level interval, or the pair-level one marked optimistic (fewer than 5 conversations)."""
    if c.ci:
        return f"{_pct(c.ci[0])} – {_pct(c.ci[1])}"
    if c.ci_pairs:
        return f"{_pct(c.ci_pairs[0])} – {_pct(c.ci_pairs[1])} (pairs, optimistic)"
    return "–"


WINRATE_HEAD = ["scope", "win rate", "95% CI", "conversations", "n", "failed A", "failed B", "judge invalid",
                "pending", "ties", "win rate (valid only)", "LC (valid only)", "order consistency"]


def comparison_tables(result: EvaluationResult) -> dict[str, list[list[str]]]:
    """{"A vs B": its table, one row per scope (overall, then domains, then individuals)}."""
    out: dict[str, list[list[str]]] = {}
    for c in result.comparisons:
        out.setdefault(f"{c.a} vs {c.b}", [WINRATE_HEAD]).append([
            c.scope, _pct(c.win_rate), ci_text(c), str(c.n_conversations), str(c.n), str(c.failed_a),
            str(c.failed_b), str(c.judge_invalid), str(c.pending), str(c.ties), _pct(c.win_rate_valid_only),
            _pct(c.lc_win_rate), _pct(c.order_consistency)])
    return out


def method_and_warning_tables(result: EvaluationResult) -> tuple[list[list[str]], list[list[str]]]:
    """The per-method table (header first) and the warnings as (a, b, scope, warning) rows."""
    mhead = ["method", "pairs", "failed", "truncated", "loops", "length ratio", "mean cosine", "ROUGE-L",
             "leakage (kept)", "leakage (candidates)", "ties", "calls/pair", "s/pair"]
    mrows = [[m, str(v["n"]), _pct(v.get("failed_rate")), _pct(v.get("truncated_rate")), _pct(v.get("loop_rate")),
              _num(v.get("length_ratio"), 2), _num(v.get("mean_cosine")), _num(v.get("rouge_l")),
              _pct(v.get("leakage_rate")),
              _pct(v.get("candidate_leakage_rate")), _pct(v.get("tie_rate")), _num(v.get("calls_per_pair"), 1),
              _num(v.get("seconds_per_pair"), 2)] for m, v in result.methods.items()]
    return [mhead] + mrows, [[c.a, c.b, c.scope, c.warning] for c in result.comparisons if c.warning]


def parity_line(parity: dict | None) -> str:
    """The report's sentence on baseline parity (recon run): which training pairs every user model shared.

    >>> line = parity_line({"train_pairs": 10, "eligible": 8, "left_out_total": 2,
    ...                     "left_out": {"none": 0, "backward": 2}, "note": "e2e-grpo is exempt."})
    >>> line.split(";")[1]
    ' 2 were left out because some method has no trace for them (backward: 2). e2e-grpo is exempt.'
    """
    if not parity:
        return ""
    gaps = ", ".join(f"{m}: {n}" for m, n in parity["left_out"].items() if n)
    shared = ("trained on the same pairs for the same steps" if parity.get("user_model") == "sft"
              else "shown the same demonstrations")
    return (f"Every method's user model drew on the same {parity['eligible']} of {parity['train_pairs']} training "
            f"pairs ({shared}); {parity['left_out_total']} were left out because some method has no trace for "
            f"them{f' ({gaps})' if gaps else ''}. {parity['note']}")


def md_table(rows: list[list[str]]) -> str:
    esc = [[md_text(cell) for cell in row] for row in rows]
    lines = ["| " + " | ".join(esc[0]) + " |", "|" + "---|" * len(esc[0])]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in esc[1:]])


def html_table(rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in rows[0])
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows[1:])
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
