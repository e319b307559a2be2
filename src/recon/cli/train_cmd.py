"""`recon train sft` and `recon train grpo`: user models and synthesizers trained with TRL."""

from __future__ import annotations

import argparse
from pathlib import Path

from recon.cli.args import add_out, add_pairs, field_default, holds_out, positive_int, renamed
from recon.cli.inputs import traces_and_method
from recon.cli.output import console, err_console, print_table
from recon.cli.train_progress import training_bar
from recon.config import GRPOTrainConfig, SFTTrainConfig, validated
from recon.data.corpus import load_examples
from recon.errors import ConfigError
from recon.hashing import file_hash

BASE_MODELS = "hf:embedded, hf:FILE.gguf, hf:DIR or hf:ORG/NAME[@REVISION]"


def register(sub: argparse._SubParsersAction) -> None:
    train = sub.add_parser("train", help="train user models")
    tsub = train.add_subparsers(dest="train_command", required=True)
    sft = tsub.add_parser("sft", help="TRL SFTTrainer on context → <reasoning>…</reasoning> action")
    add_pairs(sft, "--data", "training pairs JSONL (repeatable)")
    renamed(sft, "--train", "--data")
    sft.add_argument("--traces", type=Path, metavar="FILE", help="the method's traces (default: none, the method "
                     "none)")
    sft.add_argument("--model", default="hf:embedded", metavar="SPEC", help=f"base model: {BASE_MODELS}")
    sft.add_argument("--lora", action=argparse.BooleanOptionalAction, default=True, help="LoRA (PEFT) adapters")
    sft.add_argument("--max-steps", type=positive_int,
                     help=f"optimizer steps (default {field_default(SFTTrainConfig, 'max_steps')})")
    sft.add_argument("--per-device-train-batch-size", type=positive_int, help="pairs per device per step "
                     f"(default {field_default(SFTTrainConfig, 'per_device_train_batch_size')})")
    renamed(sft, "--batch-size", "--per-device-train-batch-size")
    sft.add_argument("--learning-rate", type=float,
                     help=f"the optimizer's learning rate (default {field_default(SFTTrainConfig, 'learning_rate')})")
    sft.add_argument("--eval-fraction", type=float, metavar="SHARE", help="hold out this share of the records and "
                     f"report their loss (default {field_default(SFTTrainConfig, 'eval_fraction')})")
    add_watch_args(sft)
    sft.add_argument("--resume", action="store_true", help="continue from the latest checkpoint in --out")
    add_out(sft, "folder", "the checkpoint folder (a transformers model, recon_sft.json, checkpoints/, train.log)")
    sft.set_defaults(func=cmd_train_sft)

    grpo = tsub.add_parser("grpo", help="TRL GRPOTrainer: the synthesizer (reward recon) or an e2e user model")
    grpo.add_argument("--reward", required=True, choices=["recon", "e2e"], help="recon: the synthesizer, rewarded "
                      "by reconstruction; e2e: a user model, rewarded by its predicted action")
    add_pairs(grpo, "--data", "training pairs JSONL (repeatable)")
    grpo.add_argument("--model", default="hf:embedded", metavar="SPEC", help=f"the policy's base: {BASE_MODELS}")
    renamed(grpo, "--policy", "--model")
    grpo.add_argument("--reconstructor", default="embedded", metavar="SPEC",
                      help="frozen reconstruction model (reward recon)")
    grpo.add_argument("--scorer", choices=["likelihood", "judge", "embedding"], help="reward recon: how to score "
                      f"(default {field_default(GRPOTrainConfig, 'scorer')})")
    grpo.add_argument("--listwise-judge", metavar="SPEC", help="recon: the judge scorer's LM; e2e: a listwise judge "
                      "of the action instead of MiniLM cosine (default: recon, the reconstructor; e2e, cosine)")
    renamed(grpo, "--judge", "--listwise-judge", "--judge is the pairwise judge of `recon evaluate`")
    grpo.add_argument("--num-generations", type=positive_int, help="completions per prompt, the group a reward "
                      f"is compared within (default {field_default(GRPOTrainConfig, 'num_generations')})")
    grpo.add_argument("--per-device-train-batch-size", type=positive_int, help="completions per device per step "
                      f"(default {field_default(GRPOTrainConfig, 'per_device_train_batch_size')})")
    renamed(grpo, "--batch-size", "--per-device-train-batch-size")
    grpo.add_argument("--max-steps", type=positive_int,
                      help=f"optimizer steps (default {field_default(GRPOTrainConfig, 'max_steps')})")
    grpo.add_argument("--max-completion-length", type=positive_int, help="tokens per completion (default 96)")
    grpo.add_argument("--num-processes", type=positive_int,
                      help="GPUs under accelerate launch (for the batch check; default: read from the launcher)")
    grpo.add_argument("--learning-rate", type=float,
                      help=f"the optimizer's learning rate (default {field_default(GRPOTrainConfig, 'learning_rate')})")
    grpo.add_argument("--lora", action=argparse.BooleanOptionalAction, default=None,
                      help=f"LoRA (PEFT) adapters (default {on_off(field_default(GRPOTrainConfig, 'lora'))})")
    grpo.add_argument("--use-vllm", action="store_true", help="generate completions with vLLM "
                      f"(default {on_off(field_default(GRPOTrainConfig, 'use_vllm'))})")
    grpo.add_argument("--vllm-mode", choices=["server", "colocate"], help="with --use-vllm: a separate `trl "
                      f"vllm-serve` or vLLM inside the trainer (default {field_default(GRPOTrainConfig, 'vllm_mode')})")
    grpo.add_argument("--limit", type=positive_int, help="use the first N pairs (default: all)")
    add_watch_args(grpo)
    grpo.add_argument("--resume", action="store_true", help="continue from the latest checkpoint in --out")
    add_out(grpo, "folder", "the run folder (TRL checkpoints, steps.jsonl, the trained model, recon_grpo.json)")
    grpo.set_defaults(func=cmd_train_grpo)


def on_off(value: str) -> str:
    return {"True": "on", "False": "off"}.get(value, value)


def add_watch_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--report-to", choices=["none", "tensorboard", "wandb"],
                        help="where TRL reports losses and rewards (TensorBoard events under OUT/checkpoints/runs; "
                             f"default {field_default(SFTTrainConfig, 'report_to')})")
    parser.add_argument("--logging-steps", type=positive_int, help="a log (and the bar's figures) every N steps "
                        f"(default {field_default(SFTTrainConfig, 'logging_steps')})")
    parser.add_argument("--save-steps", type=positive_int,
                        help=f"a checkpoint every N steps (default {field_default(SFTTrainConfig, 'save_steps')})")
    parser.add_argument("--save-total-limit", type=positive_int, help="keep the newest N checkpoints (default: all)")


def watch_values(args: argparse.Namespace) -> dict:
    return {"report_to": args.report_to, "logging_steps": args.logging_steps, "save_steps": args.save_steps,
            "save_total_limit": args.save_total_limit}


@holds_out
def cmd_train_sft(args: argparse.Namespace) -> int:
    from recon.training.sft import train_sft
    if not args.model.startswith("hf:"):
        raise ConfigError(f"SFT trains a transformers model: use --model {BASE_MODELS}")
    train = load_examples(args.data)
    traces, method = traces_and_method(args.traces)
    cfg = validated(SFTTrainConfig, model=args.model[3:], lora=args.lora, max_steps=args.max_steps,
                    per_device_train_batch_size=args.per_device_train_batch_size, learning_rate=args.learning_rate,
                    eval_fraction=args.eval_fraction, **watch_values(args))
    with training_bar(f"sft ({method})", cfg.max_steps) as steps:
        result = train_sft(train, traces, method=method, cfg=cfg, out=args.out, on_step=steps, on_log=steps.log,
                           data_files={str(p): file_hash(p) for p in args.data}, resume=args.resume)
    losses, evals = result.losses, result.eval_losses
    print_table("sft", ["method", "examples", "steps", "first loss", "last loss", "last eval loss", "s/step"],
                [[method, result.examples, result.steps, round(losses[0], 4) if losses else None,
                  round(losses[-1], 4) if losses else None, round(evals[-1], 4) if evals else None,
                  round(result.seconds_per_step, 2)]])
    if result.resumed_from:
        console.print(f"resumed from {result.resumed_from}")
    console.print(f"checkpoint → {result.out} (predict with --user-model sft:{result.out})")
    return 0


@holds_out
def cmd_train_grpo(args: argparse.Namespace) -> int:
    from recon.config import BackendConfig, GRPOTrainConfig
    from recon.training.grpo import grpo_signal_warning, step_summary, train_grpo
    if not args.model.startswith("hf:"):
        raise ConfigError(f"GRPO trains a transformers model: use --model {BASE_MODELS}")
    cfg = validated(GRPOTrainConfig, reward=args.reward, model=args.model[3:],
                    reconstructor=BackendConfig(spec=args.reconstructor), scorer=args.scorer,
                    judge=BackendConfig(spec=args.listwise_judge) if args.listwise_judge else None,
                    num_generations=args.num_generations,
                    per_device_train_batch_size=args.per_device_train_batch_size,
                    max_steps=args.max_steps, learning_rate=args.learning_rate, lora=args.lora,
                    max_completion_length=args.max_completion_length, num_processes=args.num_processes,
                    use_vllm=args.use_vllm or None, vllm_mode=args.vllm_mode, **watch_values(args))
    pairs = load_examples(args.data)
    if args.limit:
        pairs = pairs[:args.limit]
    with training_bar(f"grpo ({cfg.reward})", cfg.max_steps) as steps:
        result = train_grpo(pairs, cfg, out=args.out, resume=args.resume, on_step=steps, on_log=steps.log,
                            data_files={str(p): file_hash(p) for p in args.data})
    s = step_summary(result.out)
    k = s.get("head", 5)
    print_table("grpo", ["reward", "steps", f"reward (first {k})", f"reward (last {k})", f"leakage (first {k})",
                         f"leakage (last {k})", "s/step"],
                [[cfg.reward, result.steps, s.get("reward_first"), s.get("reward_last"), s.get("leakage_first"),
                  s.get("leakage_last"), round(result.seconds_per_step, 2)]])
    if warning := grpo_signal_warning("grpo", s):
        err_console.print(f"warning: {warning}", markup=False)
    console.print(f"policy → {result.out} (steps in {result.out / 'steps.jsonl'}); "
                  f"use it with: recon synthesize --method recon-grpo --model hf:{result.out}")
    return 0
