"""`recon predict`: a user model predicts the action of each test pair."""

from __future__ import annotations

import argparse
from pathlib import Path

from recon.cli.args import (
    add_backend_args,
    add_out,
    add_pairs,
    backend_config_from_args,
    field_default,
    holds_out,
    non_negative_int,
    positive_int,
    renamed,
)
from recon.cli.exit_codes import finished
from recon.cli.inputs import traces_and_method
from recon.cli.output import console, err_console, print_table, progress_bar
from recon.config import UserModelConfig, validated
from recon.data.corpus import load_examples
from recon.errors import ConfigError
from recon.jobs.context import JobContext
from recon.jobs.predict import run_predict


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("predict", help="a user model predicts the action of each test pair")
    add_pairs(p, "--test", "test pairs JSONL (repeatable): the pairs to predict")
    add_pairs(p, "--data", "training pairs JSONL (repeatable): icl draws its demonstrations from them "
              "(required by the icl user model)", required=False)
    renamed(p, "--train", "--data")
    p.add_argument("--traces", type=Path, metavar="FILE",
                   help="the method's traces on the training pairs (default: none, the method none)")
    p.add_argument("--user-model", default="icl", metavar="SPEC", help="icl or sft:FOLDER (a `recon train` "
                   "checkpoint)")
    add_backend_args(p, "icl: the user model's LM")
    p.add_argument("--k", type=non_negative_int,
                   help=f"icl: demonstrations per prediction (default {field_default(UserModelConfig, 'k')})")
    p.add_argument("--draw", choices=["random", "nearest"], help="icl: how demonstrations are chosen "
                   f"(default {field_default(UserModelConfig, 'draw')})")
    p.add_argument("--reasoning-max-tokens", type=positive_int, help="the reasoning's token budget "
                   f"(default {field_default(UserModelConfig, 'reasoning_max_tokens')})")
    p.add_argument("--action-max-tokens", type=positive_int, help="the action's token budget, the same for every "
                   f"method (default {field_default(UserModelConfig, 'action_max_tokens')})")
    p.add_argument("--seed", type=non_negative_int, help="demonstrations drawn and sampling "
                   f"(default {field_default(UserModelConfig, 'seed')})")
    p.add_argument("--allow-train-overlap", action="store_true", help="sft/e2e checkpoints: predict conversations "
                   "the checkpoint was trained on anyway (recorded in every output record and the manifest)")
    add_out(p, "file", "the predictions JSONL (its manifest beside it)")
    p.set_defaults(func=cmd_predict)


@holds_out
def cmd_predict(args: argparse.Namespace) -> int:
    test = load_examples(args.test)
    train = load_examples(args.data or [])
    traces, method = traces_and_method(args.traces)
    spec = args.model
    trained_on = None
    if args.user_model.startswith("sft:"):
        from recon.jobs.predict import check_train_overlap
        from recon.training.sft import read_sft_meta
        meta = read_sft_meta(args.user_model[4:])
        method = meta["method"]
        spec = f"hf:{args.user_model[4:]}"
        trained_on = meta.get("train_conversations")
        if trained_on is None:
            err_console.print(f"note: {args.user_model[4:]} does not record its training conversations; the "
                              "train-overlap guard cannot check it")
        check_train_overlap(test, trained_on, args.user_model, allow=args.allow_train_overlap)   # before loading
    elif args.user_model == "icl" and not train:
        raise ConfigError("an icl user model needs --data training pairs to draw demonstrations from")
    cfg = validated(UserModelConfig, k=args.k, draw=args.draw, seed=args.seed,
                    reasoning_max_tokens=args.reasoning_max_tokens, action_max_tokens=args.action_max_tokens)
    backend_config = backend_config_from_args(args, spec)
    with progress_bar(f"predict ({method}, {args.user_model})", len(test)) as advance:
        summary = run_predict(JobContext(progress=advance), test, train=train, traces=traces, method=method,
                              user_model=args.user_model, backend_config=backend_config,
                              cfg=cfg, out=args.out, inputs=[str(p) for p in args.test],
                              train_conversations=trained_on, allow_train_overlap=args.allow_train_overlap)
    f = summary.figures()
    print_table("predictions", ["method", "user model", "pairs", "predicted", "well-formed", "calls/pair",
                                "tokens/pair", "s/pair", "cache hits %", "failed calls"],
                [[summary.method, summary.user_model, summary.pairs, summary.written, summary.well_formed,
                  f["calls_per_pair"], f["tokens_per_pair"], f["seconds_per_pair"],
                  round(100 * float(f["cache_hit_rate"] or 0), 1), summary.failures.failed]])
    console.print(f"wrote {summary.pairs} predictions → {summary.out} (run {summary.run})")
    if summary.short_of_demos:
        err_console.print(f"{summary.short_of_demos} predictions saw fewer than {cfg.k} demonstrations (the individual "
                          "has too few training pairs with a trace of this method)")
    if summary.invalid:
        err_console.print(f"{summary.invalid} predictions have no usable action (field 'error'; "
                          "'transient': true marks those a re-run retries)")
    return finished(summary.failures, "prediction")
