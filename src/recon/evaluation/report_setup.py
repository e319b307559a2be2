"""The setup of an evaluation in words: the opening section of report.md and report.html.

One sentence per fact of results.json's `setup` block, so a reader knows what a win rate measured before
reading it: the judge (and, for the embedding judge, that it is a similarity and not the paper's LLM
judge), how failures and intervals are counted, the test data, each method's traces and user model, and
the software and machine.

    >>> lines = setup_sentences({"judge": {"kind": "embedding", "description": "MiniLM cosine."},
    ...                          "data": {"test_pairs": 4, "test_conversations": 2}}, [])
    >>> lines[0]
    'Judge: MiniLM cosine.'
"""

from __future__ import annotations

from collections.abc import Sequence

from recon.methods import acting_policy_label, known_method

COUNTING = ("Win rates count every test pair: a method without a usable prediction (none after the user model's "
            "own retries) loses the pair, both failing is a tie, ties count ½; a pair whose judge call failed or "
            "stayed unparsable is left out (judge invalid). \"Valid only\" is the rate over pairs where both "
            "methods predicted. 95% intervals resample conversations (pairs of one conversation are not "
            "independent); a scope with fewer than 5 conversations gets only the pair-bootstrap interval, marked "
            "optimistic.")


def _model(fp: dict | None) -> str:
    if not fp:
        return "unknown model"
    quant = f" {fp['quantization']}" if fp.get("quantization") else ""
    server = (fp.get("extra") or {}).get("server") or (fp.get("extra") or {}).get("revision")
    return f"{fp.get('kind')}:{fp.get('model')}{quant}" + (f" ({server})" if server else "")


def _judge(judge: dict, comparisons: Sequence) -> str:
    text = f"Judge: {judge.get('description')}"
    if judge.get("kind") == "lm":
        text += f" Model {_model(judge.get('model'))}, prompt version {judge.get('prompt_version')}."
        rates = [f"{c.a} vs {c.b}: order consistency {100 * c.order_consistency:.1f}%" for c in comparisons
                 if c.scope == "overall" and c.order_consistency is not None]
        if rates:
            text += " Verdicts unchanged by swapping the order: " + "; ".join(rates) + "."
    return text


def _data(data: dict, seed) -> str:
    files = ", ".join(f"{f['path']} " + (f"(sha256 {f['sha256'][:12]})" if f.get("sha256") else "(file missing)")
                      for f in data.get("test") or [])
    text = f"Test data: {data.get('test_pairs')} test pairs from {data.get('test_conversations')} conversations"
    text += f" ({files})." if files else "."
    split = data.get("split")
    if split:
        text += (f" Split by {split.get('by')} per individual, test fraction {split.get('test_fraction')}, "
                 f"seed {split.get('seed')}.")
    limits, sample = data.get("limits") or {}, data.get("sample")
    if sample:
        text += (f" At most {limits.get('test_per_individual') or 'all'} test and "
                 f"{limits.get('train_per_individual') or 'all'} training pairs per individual, {sample.get('rule')} "
                 f"(seed {sample.get('seed')}).")
    return text + f" Evaluation seed {seed}."


def _method(name: str, m: dict) -> str:
    pred, traces = m.get("predictions") or {}, m.get("traces")
    kind, spec, acting = pred.get("user_model"), known_method(name), acting_policy_label()
    parts = []
    if traces:
        models = traces.get("models") or {}
        text = f"traces by {_model(models.get('synthesizer'))}"
        if spec is not None and spec.policy == "recon":
            text = f"traces by the Recon-GRPO policy ({_model(models.get('synthesizer'))})"
        rs = traces.get("recon_select")
        picks = {"random": "picked at random", "length": "the longest picked"}
        if rs and rs.get("scorer") in picks:           # a selection control: no reconstruction, no score
            text += f", {rs.get('n')} candidates (Recon-Select's own), {picks[rs['scorer']]}"
        elif rs:
            text += (f", {rs.get('n')} candidates scored by {rs.get('scorer')} (reconstruction by "
                     f"{_model(models.get('reconstructor'))})")
        leak = traces.get("leakage")
        if leak:
            text += (f", leakage policy {leak.get('policy')} (leaking: a shared run over {leak.get('max_shared_run')} "
                     f"words, over {leak.get('max_ngram_fraction')} of the action's 4-grams, over "
                     f"{leak.get('max_coverage')} of its words covered"
                     + (f", over {leak['max_content_share']} of its content words in any order"
                        if "max_content_share" in leak else "")
                     + (f", a filler quote over {leak['max_quote_share']}" if "max_quote_share" in leak else "")
                     + ")")
        parts.append(text)
    else:
        parts.append("no traces" if spec is not None and not spec.traces and spec.user_model == "configured" else
                     "no traces (the policy writes the action itself)" if kind == acting else
                     "traces unknown (no --traces)")
    if kind == "icl":
        parts.append(f"ICL user model, k = {pred.get('k')}, on {_model(pred.get('model'))}")
    elif kind == "sft":
        parts.append(f"SFT user model ({pred.get('sft_steps')} steps), on {_model(pred.get('model'))}")
    elif kind == acting:
        parts.append(f"the E2E-GRPO policy itself as user model ({pred.get('sft_steps')} GRPO steps from "
                     f"{_warm_start(pred.get('warm_start'))}), on {_model(pred.get('model'))}")
    else:
        parts.append("user model unknown (the prediction file has no manifest)")
    if kind:
        rp = pred.get("repetition_penalty")
        parts.append(f"repetition penalty {rp}" if rp else "no repetition penalty")
    return f"{name}: " + "; ".join(parts) + "."


def _warm_start(warm: dict | None) -> str:
    """The SFT checkpoint an acting policy started from, or that it started from its base model."""
    if not warm:
        return "its base model, no warm start"
    return (f"the warm start, the SFT user model of {warm.get('method')} ({warm.get('steps')} steps on "
            f"{warm.get('training_pairs')} training pairs, checkpoint {warm.get('checkpoint')}, recon_sft.json "
            f"sha256 {str(warm.get('sha256'))[:12]})")


def _software(setup: dict) -> str:
    libs = ", ".join(f"{k} {v}" for k, v in (setup.get("libraries") or {}).items() if v)
    dev = setup.get("device") or {}
    commit = f" (commit {setup['git_commit'][:12]})" if setup.get("git_commit") else ""
    return (f"Software: recon {setup.get('recon_version')}{commit}; {libs}. Machine: {dev.get('platform')}, "
            f"{dev.get('cpus')} CPUs, GPU {dev.get('gpu') or 'none seen by this process'}.")


def setup_sentences(setup: dict, comparisons: Sequence) -> list[str]:
    """The setup block as sentences (a missing part is skipped or said to be unknown)."""
    lines = [_judge(setup.get("judge") or {}, comparisons), COUNTING, _data(setup.get("data") or {}, setup.get("seed"))]
    lines += [_method(name, m) for name, m in (setup.get("methods") or {}).items()]
    if setup.get("libraries") is not None:
        lines.append(_software(setup))
    return lines
