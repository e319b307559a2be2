"""The parser every `recon` command is built with: help that shows each option's default, metavars that name
kinds, and usage errors that carry the failing subcommand's own usage and a "did you mean".

- `ReconFormatter` appends `(default: X)`, `(default: off)` or `(required)` to a help text that does not
  already say its default;
- `ReconParser.add_argument` names a count `N` and a float `NUMBER` unless a metavar is given;
- an unknown flag stops in the subcommand that met it, so the message shows that subcommand's usage;
- an unknown subcommand, choice or flag gets the closest name (difflib).

    >>> parser = ReconParser(prog="recon x")
    >>> _ = parser.add_argument("--n", type=int, default=4, help="candidates")
    >>> parser.format_help().split("--n N")[-1].split()
    ['candidates', '(default:', '4)']
"""

from __future__ import annotations

import argparse
import difflib
from collections.abc import Iterable

from recon.cli.args import non_negative_int, positive_int

KIND_OF_TYPE = {positive_int: "N", non_negative_int: "N", int: "N", float: "NUMBER"}
VALUE_ACTIONS = (None, "store", "append", "extend")


def did_you_mean(word: str, names: Iterable[str]) -> str:
    """`; did you mean 'X'?` for the closest of `names`, or nothing.

    >>> did_you_mean("synthesise", ["synthesize", "score"])
    "; did you mean 'synthesize'?"
    """
    close = difflib.get_close_matches(word, list(names), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


class ReconFormatter(argparse.HelpFormatter):
    """Every option's help ends with its default: the value, `on`/`off` for a switch, or `required`."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if "default" in text or action.default is argparse.SUPPRESS:
            return text
        if action.required or (not action.option_strings and action.nargs not in ("?", "*")):
            return f"{text} (required)"
        if action.nargs == 0 and isinstance(action.default, bool):
            return f"{text} (default: {'on' if action.default else 'off'})"
        if action.default == []:
            return f"{text} (default: none)"
        if action.default is not None:
            return f"{text} (default: %(default)s)"
        return text


class RawDescriptionFormatter(argparse.RawDescriptionHelpFormatter, ReconFormatter):
    """`ReconFormatter` that keeps the description's and epilog's line breaks (the top-level help)."""


class ReconParser(argparse.ArgumentParser):
    """An `ArgumentParser` (and, through `add_subparsers`, every subcommand's) with recon's help and errors."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", ReconFormatter)
        super().__init__(*args, **kwargs)

    def add_argument(self, *args, **kwargs):
        if kwargs.get("metavar") is None and kwargs.get("choices") is None \
                and kwargs.get("action") in VALUE_ACTIONS and kwargs.get("type") in KIND_OF_TYPE:
            kwargs["metavar"] = KIND_OF_TYPE[kwargs["type"]]
        return super().add_argument(*args, **kwargs)

    def parse_known_args(self, args=None, namespace=None):
        namespace, extras = super().parse_known_args(args, namespace)
        if extras:
            flags = [s for a in self._actions if a.help != argparse.SUPPRESS for s in a.option_strings]
            first = extras[0].partition("=")[0]
            hint = did_you_mean(first, flags).replace("'", "") if first.startswith("-") else ""
            self.error(f"unrecognized arguments: {' '.join(extras)}{hint}")
        return namespace, extras

    def _check_value(self, action: argparse.Action, value) -> None:
        if action.choices is not None and value not in action.choices:
            names = [str(c) for c in action.choices]
            raise argparse.ArgumentError(action, f"invalid choice: {value!r} (choose from "
                                         f"{', '.join(map(repr, names))}){did_you_mean(str(value), names)}")

