"""`recon predict` and `recon train sft`: user models from a method's traces."""

from __future__ import annotations

import argparse
from pathlib import Path

from recon.cli.exit_codes import finished
from recon.cli.output import console, err_console, print_table, progress_bar
from recon.cli.synthesize_cmd import add_backend_args, backend_config_from_args
from recon.config import SFTTrainConfig, UserModelConfig, validated
from recon.data.corpus import load_examples
from recon.errors import ConfigError
from recon.hashing import file_hash
from recon.jobs.common import read_traces
from recon.jobs.predict import run_predict
from recon.store.db import Database


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("predict", help="a user model predicts the action of each test pair")
    p.add_argument("--test", required=True, action="append", type=Path, help="test pairs JSONL (repeatable)")
    p.add_argument("--train", action="append", type=Path, help="training pairs JSONL (icl demonstrations)")
    p.add_argument("--traces", type=Path, help="the method's traces on the training pairs (omit for method none)")
    p.add_argument("--user-model", default="icl", help="icl (default) or sft:CHECKPOINT_DIR")
    add_backend_args(p)
    p.add_argument("--k", type=int, help="icl: demonstrations per prediction (default 3)")
    p.add_argument("--draw", choices=["random", "nearest"], help="icl: how demonstrations are chosen")
    p.add_argument("--seed", type=int)
    p.add_argument("--allow-train-overlap", action="store_true", help="sft/e2e checkpoints: predict conversations "
                   "the checkpoint was trained on anyway (recorded in every output record and the manifest)")
    p.add_argument("--out", required=True, type=Path)
    p.set_defaults(func=cmd_predict)

    train = sub.add_parser("train", help="train user models")
    tsub = train.add_subparsers(dest="train_command", required=True)
    sft = tsub.add_parser("sft", help="TRL SFTTrainer on context → <reasoning>…</reasoning> action")
    sft.add_argument("--train", required=True, action="append", type=Path)
    sft.add_argument("--traces", type=Path, help="the method's traces (omit for method none)")
    sft.add_argument("--model", default="hf:embedded", help="base model: hf:embedded, hf:FILE.gguf or hf:DIR")
    sft.add_argument("--lora", action=argparse.BooleanOptionalAction, default=True, help="LoRA (PEFT) adapters")
    sft.add_argument("--max-steps", type=int)
    sft.add_argument("--per-device-train-batch-size", type=int, help="pairs per device per step")
    sft.add_argument("--learning-rate", type=float)
    sft.add_argument("--out", required=True, type=Path)
    sft.set_defaults(func=cmd_train_sft)

    grpo = tsub.add_parser("grpo", help="TRL GRPOTrainer: the synthesizer (reward recon) or an e2e user model")
    grpo.add_argument("--reward", required=True, choices=["recon", "e2e"])
    grpo.add_argument("--data", required=True, action="append", type=Path, help="training pairs JSONL")
    grpo.add_argument("--model", default="hf:embedded", help="the policy's base: hf:embedded, hf:FILE.gguf or hf:DIR")
    grpo.add_argument("--reconstructor", default="embedded", help="frozen reconstruction model (reward recon)")
    grpo.add_argument("--scorer", choices=["likelihood", "judge", "embedding"], help="reward recon: how to score")
    grpo.add_argument("--judge", help="judge scorer / e2e listwise judge backend (default e2e: MiniLM cosine)")
    grpo.add_argument("--num-generations", type=int)
    grpo.add_argument("--per-device-train-batch-size", type=int, help="completions per device per step")
    grpo.add_argument("--max-steps", type=int)
    grpo.add_argument("--max-completion-length", type=int, help="tokens per completion (default 96)")
    grpo.add_argument("--num-processes", type=int, help="GPUs under accelerate launch (for the batch check)")
    grpo.add_argument("--learning-rate", type=float)
    grpo.add_argument("--lora", action=argparse.BooleanOptionalAction, default=None)
    grpo.add_argument("--use-vllm", action="store_true")
    grpo.add_argument("--vllm-mode", choices=["server", "colocate"])
    grpo.add_argument("--limit", type=int, help="use the first N pairs")
    grpo.add_argument("--resume", action="store_true", help="continue from the latest checkpoint in --out")
    grpo.add_argument("--out", required=True, type=Path)
    grpo.set_defaults(func=cmd_train_grpo)


def traces_and_method(path: Path | None) -> tuple[dict[str, str] | None, str]:
    if path is None:
        return None, "none"
    records = read_traces(path)
    methods = {r.method for r in records}
    if len(methods) != 1:
        raise ConfigError(f"{path} mixes methods {sorted(methods)}; give one method's traces")
    return {r.id: r.reasoning for r in records if r.reasoning}, methods.pop()


def cmd_predict(args: argparse.Namespace) -> int:
    test = load_examples(args.test)
    train = load_examples(args.train or [])
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
        raise ConfigError("an icl user model needs --train pairs to draw demonstrations from")
    cfg = validated(UserModelConfig, k=args.k, draw=args.draw, seed=args.seed)
    with progress_bar(f"predict ({method}, {args.user_model})", len(test)) as advance:
        summary = run_predict(test, train=train, traces=traces, method=method, user_model=args.user_model,
                              backend_config=backend_config_from_args(args, spec), cfg=cfg, out=args.out,
                              db=Database(), on_progress=advance, inputs=[str(p) for p in args.test],
                              train_conversations=trained_on, allow_train_overlap=args.allow_train_overlap)
    c = summary.cost
    print_table("predictions", ["method", "user model", "pairs", "predicted", "well-formed", "calls/pair",
                                "tokens/pair", "s/pair", "cache hits %"],
                [[summary.method, summary.user_model, summary.pairs, summary.predicted, summary.well_formed,
                  round(c.calls / max(1, summary.pairs), 2),
                  round((c.prompt_tokens + c.completion_tokens) / max(1, summary.pairs), 1),
                  round(c.seconds / max(1, summary.pairs), 2), round(100 * c.cache_hits / max(1, c.calls), 1)]])
    console.print(f"wrote {summary.pairs} predictions → {summary.out} (run {summary.run})")
    if summary.short_of_demos:
        err_console.print(f"{summary.short_of_demos} predictions saw fewer than {cfg.k} demonstrations (the individual "
                          "has too few training pairs with a trace of this method)")
    if summary.predicted < summary.pairs:
        err_console.print(f"{summary.pairs - summary.predicted} predictions have no usable action (field 'error'; "
                          "'transient': true marks those a re-run retries)")
    return finished(summary.failures, "prediction")


def cmd_train_sft(args: argparse.Namespace) -> int:
    from recon.training.sft import train_sft
    if not args.model.startswith("hf:"):
        raise ConfigError("SFT trains a transformers model: use --model hf:embedded, hf:FILE.gguf or hf:DIR")
    train = load_examples(args.train)
    traces, method = traces_and_method(args.traces)
    cfg = validated(SFTTrainConfig, model=args.model[3:], lora=args.lora, max_steps=args.max_steps,
                    per_device_train_batch_size=args.per_device_train_batch_size, learning_rate=args.learning_rate)
    with progress_bar(f"sft ({method})", cfg.max_steps) as advance:
        done = [0]

        def step(current: int, total: int) -> None:
            advance(current - done[0])
            done[0] = current
        result = train_sft(train, traces, method=method, cfg=cfg, out=args.out, on_step=step,
                           data_files={str(p): file_hash(p) for p in args.train})
    losses = result.losses
    print_table("sft", ["method", "examples", "steps", "first loss", "last loss", "s/step"],
                [[method, result.examples, result.steps, round(losses[0], 4) if losses else None,
                  round(losses[-1], 4) if losses else None, round(result.seconds_per_step, 2)]])
    console.print(f"checkpoint → {result.out} (predict with --user-model sft:{result.out})")
    return 0


def cmd_train_grpo(args: argparse.Namespace) -> int:
    from recon.config import BackendConfig, GRPOTrainConfig
    from recon.training.grpo import step_summary, train_grpo
    if not args.model.startswith("hf:"):
        raise ConfigError("GRPO trains a transformers model: use --model hf:embedded, hf:FILE.gguf or hf:DIR")
    cfg = validated(GRPOTrainConfig, reward=args.reward, model=args.model[3:],
                    reconstructor=BackendConfig(spec=args.reconstructor), scorer=args.scorer,
                    judge=BackendConfig(spec=args.judge) if args.judge else None,
                    num_generations=args.num_generations,
                    per_device_train_batch_size=args.per_device_train_batch_size,
                    max_steps=args.max_steps, learning_rate=args.learning_rate, lora=args.lora,
                    max_completion_length=args.max_completion_length, num_processes=args.num_processes,
                    use_vllm=args.use_vllm or None, vllm_mode=args.vllm_mode)
    pairs = load_examples(args.data)
    if args.limit:
        pairs = pairs[:args.limit]
    with progress_bar(f"grpo ({cfg.reward})", cfg.max_steps) as advance:
        done = [0]

        def step(current: int, total: int) -> None:
            advance(current - done[0])
            done[0] = current
        result = train_grpo(pairs, cfg, out=args.out, resume=args.resume, on_step=step,
                            data_files={str(p): file_hash(p) for p in args.data})
    s = step_summary(result.out)
    print_table("grpo", ["reward", "steps", "reward (first 5)", "reward (last 5)", "leakage (first 5)",
                         "leakage (last 5)", "s/step"],
                [[cfg.reward, result.steps, s.get("reward_first"), s.get("reward_last"), s.get("leakage_first"),
                  s.get("leakage_last"), round(result.seconds_per_step, 2)]])
    console.print(f"policy → {result.out} (steps in {result.out / 'steps.jsonl'}); "
                  f"use it with: recon synthesize --method recon-grpo --synthesizer {result.out}")
    return 0
