"""The flags several commands share, named one way everywhere:

- `--data`: training pairs (synthesize, score, export, predict's demonstrations, train sft, train grpo);
- `--test`: test pairs (predict, evaluate);
- `--model SPEC`: the LM a command runs, as a backend spec (`hf:DIR` for a trained checkpoint);
- `--listwise-judge SPEC`: the LM of the judge scorer, which ranks a pair's reconstructions; `--judge` is
  only ever the pairwise judge of `recon evaluate`;
- `--out FILE` or `--out FOLDER`: each command says which, and refuses the other kind before any work; a
  command holds its `--out` while it runs (`holds_out`), so a second command on the same output stops at once.

A renamed flag is no alias: it stops with a usage error (exit 2) that names the flag replacing it.

    >>> parser = argparse.ArgumentParser(prog="recon x")
    >>> add_out(parser, "folder", "where the split goes"); renamed(parser, "--out-dir", "--out")
    >>> parser.parse_args(["--out", "split"]).out
    PosixPath('split')
"""

from __future__ import annotations

import argparse
import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from recon.backends.registry import SPEC_HELP, check_native
from recon.config import BackendConfig, LeakageConfig, validated
from recon.method.scoring import SCORERS
from recon.output_lock import hold_output


class _Renamed(argparse.Action):
    """A renamed flag or positional: using it is a usage error naming its replacement (hidden from --help)."""

    def __init__(self, option_strings, dest, *, new: str, why: str = "", **kwargs):
        super().__init__(option_strings, dest=dest if not option_strings else argparse.SUPPRESS,
                         nargs="?" if option_strings else "*", default=argparse.SUPPRESS, help=argparse.SUPPRESS,
                         metavar=kwargs.get("metavar"))
        self.new, self.why = new, why

    def __call__(self, parser, namespace, values, option_string=None):
        if not self.option_strings and not (isinstance(values, list) and values):
            return                                 # a renamed positional that was not given
        old = option_string or f"a positional {self.metavar or self.dest.upper()}"
        parser.error(f"{old} is now {self.new}" + (f" ({self.why})" if self.why else ""))


def field_default(model: type[BaseModel], name: str) -> str:
    """The default of a config field, for help text that stays true when the config changes.

    >>> field_default(LeakageConfig, "policy")
    'reject'
    """
    return str(model.model_fields[name].get_default(call_default_factory=True))


def _whole_number(value: str, least: int) -> int:
    try:
        number = int(value)
    except ValueError:
        number = None
    if number is None or number < least:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number >= {least}")
    return number


def positive_int(value: str) -> int:
    """The type of every count option: `--n 0` or `--limit -1` is a usage error (exit 2) before any work.

    >>> positive_int("3")
    3
    """
    return _whole_number(value, 1)


def non_negative_int(value: str) -> int:
    """The type of seeds and of `--k` (zero demonstrations is a zero-shot user model)."""
    return _whole_number(value, 0)


def renamed(parser: argparse.ArgumentParser, old: str, new: str, why: str = "") -> None:
    parser.add_argument(old, action=_Renamed, new=new, why=why)


def renamed_positional(parser: argparse.ArgumentParser, kind: str, new: str) -> None:
    """Positional arguments that became a flag: giving one stops with `a positional KIND is now NEW`."""
    parser.add_argument("old_positionals", action=_Renamed, metavar=kind, new=new)


def _out_file(value: str) -> Path:
    path = Path(value)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{path} is a folder; --out takes a file here")
    return path


def _out_folder(value: str) -> Path:
    path = Path(value)
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{path} is a file; --out takes a folder here")
    return path


def add_out(parser: argparse.ArgumentParser, kind: Literal["file", "folder"], help: str, *,
            required: bool = True, default: Path | None = None) -> None:
    """`--out FILE` or `--out FOLDER`; the other kind is refused while the arguments are parsed."""
    parser.add_argument("--out", required=required and default is None, default=default,
                        type=_out_file if kind == "file" else _out_folder, metavar=kind.upper(), help=help)


@contextmanager
def holding(out: Path | None) -> Iterator[None]:
    """Hold `out` (no other recon command writes it meanwhile); its warnings go to stderr."""
    if out is None:
        yield
        return
    from recon.cli.output import err_console
    with hold_output(out, log=lambda msg: err_console.print(msg, markup=False)):
        yield


def holds_out(command: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """A command that holds its `--out` while it runs (one without `--out` runs as it is)."""
    @functools.wraps(command)
    def holding_command(args: argparse.Namespace) -> int:
        with holding(getattr(args, "out", None)):
            return command(args)
    return holding_command


def add_pairs(parser: argparse.ArgumentParser, flag: Literal["--data", "--test"], help: str, *,
              required: bool = True) -> None:
    """`--data FILE` (training pairs) or `--test FILE` (test pairs), repeatable, JSONL."""
    parser.add_argument(flag, action="append", required=required, type=Path, metavar="FILE", help=help)


def add_data_args(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    """`--data` as a file list or a ConvoKit folder, with the filters `cli/inputs.py` applies."""
    parser.add_argument("--data", action="append", required=required, metavar="PATH",
                        help="training pairs: a JSONL file (repeatable) or a ConvoKit corpus directory")
    parser.add_argument("--speaker", metavar="ID", help="ConvoKit speaker id whose turns are the actions "
                        "(required for a ConvoKit directory)")
    parser.add_argument("--max-context", type=positive_int, default=8, help="ConvoKit: previous turns kept (default 8)")
    parser.add_argument("--individual", action="append", metavar="NAME",
                        help="keep only this individual (repeatable; default: every individual)")
    parser.add_argument("--limit", type=positive_int, help="keep the first N pairs (after --individual; "
                        "default: all)")


def add_backend_args(parser: argparse.ArgumentParser, model_help: str = "synthesizer LM") -> None:
    parser.add_argument("--model", default="embedded", metavar="SPEC",
                        help=f"{model_help}: {SPEC_HELP} (default: embedded)")
    parser.add_argument("--api-key-env", metavar="NAME",
                        help="name of the env var holding the API key (default OPENAI_API_KEY)")
    parser.add_argument("--chat-template", metavar="SPEC", help="openai logprob: 'chatml' or a Jinja template "
                        "file (default: the server's own chat endpoint)")
    parser.add_argument("--concurrency", type=positive_int, help="openai: requests in flight (default 8)")
    parser.add_argument("--n-ctx", type=positive_int, help="local backends: context window in tokens (default 4096)")
    parser.add_argument("--dtype", choices=["auto", "float32", "bfloat16", "float16"],
                        help="hf: weights' dtype (default auto: bfloat16 on a capable GPU, float32 otherwise)")
    parser.add_argument("--batch-size", dest="backend_batch_size", type=positive_int,
                        help="hf: sequences per forward pass (default 8)")
    parser.add_argument("--n-threads", type=positive_int, metavar="N",
                        help="llama.cpp: threads (default: the physical cores this process may use)")
    parser.add_argument("--cpu-repack", action="store_true",
                        help="llama.cpp: load weights repacked for this CPU (AMX and similar), which some CPUs "
                             "that report AMX crash on (default: off, the plain path every CPU runs)")


def backend_config_from_args(args: argparse.Namespace, spec: str) -> BackendConfig:
    """The backend config the flags name; a llama.cpp model that would crash recon stops the command here,
    before any progress bar or paid call (`check_native`)."""
    config = validated(BackendConfig, spec=spec, api_key_env=args.api_key_env, chat_template=args.chat_template,
                       concurrency=args.concurrency, n_ctx=args.n_ctx, dtype=args.dtype,
                       batch_size=args.backend_batch_size, n_threads=args.n_threads,
                       cpu_repack=args.cpu_repack or None)
    check_native(config)
    return config


def add_listwise_judge(parser: argparse.ArgumentParser, default_help: str = "the reconstructor") -> None:
    parser.add_argument("--listwise-judge", metavar="SPEC",
                        help=f"the judge scorer's LM, which ranks a pair's reconstructions (default: {default_help})")
    renamed(parser, "--judge", "--listwise-judge", "--judge is the pairwise judge of `recon evaluate`")


def add_reconstruction_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--reconstructor", metavar="SPEC", help="reconstruction LM (default: the --model spec)")
    add_listwise_judge(parser)


def add_scoring_args(parser: argparse.ArgumentParser, *, required_scorer: bool = False) -> None:
    parser.add_argument("--scorer", choices=SCORERS, required=required_scorer,
                        help="reconstruction scorer (default: likelihood for recon-select; "
                        "required by `recon score`)")
    add_reconstruction_args(parser)
    add_embedder(parser, "the embedding scorer's")
    parser.add_argument("--leak-policy", choices=["reject", "penalize"], help="what selection does with leaking traces "
                        f"(default {field_default(LeakageConfig, 'policy')})")
    parser.add_argument("--leak-max-run", type=positive_int, help="longest shared word run allowed (default 7)")
    parser.add_argument("--leak-max-fraction", type=float, help="share of the action's 4-grams allowed (default 0.3)")
    parser.add_argument("--leak-max-lcs", type=float, help="longest common word subsequence / the shorter of "
                        "action and trace allowed (default: calibrated on forward traces, docs/method.md)")
    parser.add_argument("--leak-max-content", type=float, metavar="SHARE",
                        help="share of the action's content words a trace may hold in any order (default 0.5)")
    parser.add_argument("--leak-max-quote", type=float, metavar="SHARE",
                        help="a quote with filler words: share of the action or trace allowed (default 0.3)")
    parser.add_argument("--leak-penalty", type=float, help="λ of score − λ·overlap under --leak-policy penalize "
                        f"(default {field_default(LeakageConfig, 'penalty')})")


def add_embedder(parser: argparse.ArgumentParser, whose: str) -> None:
    parser.add_argument("--embedder", metavar="SPEC", help=f"{whose} sentence embedder: minilm (default, shipped), "
                        "a sentence-transformers folder, or a Hub id ORG/NAME[@REVISION]")


def embedder_from_args(args: argparse.Namespace, *, dry_run: bool = False):
    """The embedder `--embedder` names (None: the default, built when first needed); under `dry_run` the
    hashed stand-in, no model."""
    from recon.method.embeddings import HashEmbedder, open_embedder
    if dry_run:
        return HashEmbedder()
    return open_embedder(args.embedder) if args.embedder else None


def leakage_config_from_args(args: argparse.Namespace) -> LeakageConfig:
    return validated(LeakageConfig, policy=args.leak_policy, max_shared_run=args.leak_max_run,
                     max_ngram_fraction=args.leak_max_fraction, max_lcs_fraction=args.leak_max_lcs,
                     max_content_share=args.leak_max_content, max_quote_share=args.leak_max_quote,
                     penalty=args.leak_penalty)
