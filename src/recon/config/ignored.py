"""Run-config settings that `recon run` would silently override or ignore: each is an error instead.

`judge.kind` follows `models.judge` (an LM backend or `embedding`), so a contradicting kind, LM-only judge
settings with the embedding judge, or the embedding margin with an LM judge, would not do what they say;
`user_model.sft` only matters for SFT user models (and e2e-grpo's warm start) and `k` / `draw` only for ICL
ones; `recon_select` and `models.reconstructor` only for recon-select and GRPO methods (`recon_select` also for
the controls; Recon-GRPO's reward uses its `leakage` and `reconstruction`), `grpo` only for GRPO methods
(`grpo.model` only for Recon-GRPO's, as E2E-GRPO starts from its SFT warm start), and
`report.baseline` must be a predicted method.

    >>> from recon.config import PairJudgeConfig, RunConfig
    >>> cfg = RunConfig.model_validate({"name": "t", "data": {"train": ["a.jsonl"], "test": ["b.jsonl"]},
    ...                                 "methods": ["none", "backward"]})
    >>> ignored_settings(cfg)
    []
    >>> ignored_settings(cfg.model_copy(update={"judge": PairJudgeConfig(both_orders=False)}))
    ['judge.both_orders applies to an LM judge only, and models.judge is embedding']
"""

from __future__ import annotations

from recon.methods import method_spec, warm_started

LM_ONLY_JUDGE_FIELDS = ("both_orders", "retries", "max_tokens", "max_context_turns", "max_turn_chars",
                        "max_text_chars")
ICL_ONLY_FIELDS = ("k", "draw")


def ignored_settings(cfg) -> list[str]:
    """Problems with a RunConfig, each naming the field and how to fix it (empty: nothing is ignored)."""
    problems = []
    lm_judge = cfg.models.judge != "embedding"
    judge_set = cfg.judge.model_fields_set
    if "kind" in judge_set and (cfg.judge.kind == "lm") != lm_judge:
        problems.append(f"judge.kind: {cfg.judge.kind!r} contradicts models.judge "
                        f"({'an LM backend' if lm_judge else 'embedding'}); the judge's kind follows models.judge, "
                        "so set models.judge to an LM backend (e.g. embedded) for an LM judge, and drop judge.kind")
    if not lm_judge:
        for name in LM_ONLY_JUDGE_FIELDS:
            if name in judge_set:
                problems.append(f"judge.{name} applies to an LM judge only, and models.judge is embedding")
    elif "margin" in judge_set:
        problems.append("judge.margin applies to the embedding judge only, and models.judge is an LM backend")
    um = cfg.user_model
    if um.kind == "icl" and "sft" in um.model_fields_set and not warm_started(cfg.predicted_methods):
        problems.append("user_model.sft applies to user_model.kind sft, or to the SFT warm start of a predicted "
                        "e2e-grpo, only")
    if um.kind == "sft":
        problems += [f"user_model.{name} applies to ICL user models only (kind icl)"
                     for name in ICL_ONLY_FIELDS if name in um.model_fields_set]
    specs = [method_spec(m) for m in cfg.methods]
    if not any(spec.reads_recon_select for spec in specs):
        if "recon_select" in cfg.model_fields_set:
            problems.append("recon_select applies to recon-select methods, the controls and Recon-GRPO (its leakage "
                            "and reconstruction settings) only, and methods has none")
    if not any(spec.uses_reconstructor for spec in specs) and cfg.models.reconstructor is not None:
        problems.append("models.reconstructor is used by recon-select and the GRPO methods only, and methods has none")
    if "grpo" in cfg.model_fields_set and not any(spec.policy for spec in specs):
        problems.append("grpo applies to recon-grpo, recon-grpo-select and e2e-grpo only, and methods has none")
    elif "model" in cfg.grpo.model_fields_set and not any(s.policy and not s.warm_start for s in specs):
        problems.append("grpo.model is Recon-GRPO's base only, and methods has no recon-grpo: e2e-grpo starts from "
                        "the SFT user model of none (set its base with user_model.sft.model)")
    return problems + report_problems(cfg)


def report_problems(cfg) -> list[str]:
    """The report's baseline must be a predicted method when it was set."""
    if "report" in cfg.model_fields_set and cfg.report.baseline not in cfg.predicted_methods:
        return [f"report.baseline {cfg.report.baseline!r} is not a predicted method ({cfg.predicted_methods})"]
    return []
