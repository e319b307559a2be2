"""-q / -v on every command, before or after its name; a run log with timestamps that keeps secrets out and
is detached when the run ends."""

from __future__ import annotations

import argparse
import logging
import re

import pytest

from recon.cli import output
from recon.cli.main import build_parser, main
from recon.logs import run_log
from recon.progress import silent_progress
from tests.unit.test_cli_flags import commands


def test_every_command_takes_quiet_and_verbose_with_help_and_default():
    for path, parser in commands(build_parser()):
        flags = {s: a for a in parser._actions for s in a.option_strings}
        for flag in ("-q", "-v", "--progress-interval", "--progress-percent"):
            assert flag in flags, f"recon {' '.join(path)} {flag}"
            assert "default" in flags[flag].help, f"recon {' '.join(path)} {flag}"


@pytest.mark.parametrize("argv", [["-q", "cache", "stats"], ["cache", "stats", "-q"], ["cache", "-q", "stats"]])
def test_quiet_is_read_before_or_after_the_command(argv):
    args = build_parser().parse_args(argv)
    assert args.quiet is True and args.verbose is False


def test_quiet_and_verbose_together_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["-q", "cache", "stats", "-v"])
    assert stop.value.code == 2
    assert "-q" in capsys.readouterr().err


def test_a_bad_interval_is_a_usage_error():
    with pytest.raises(SystemExit) as stop:
        build_parser().parse_args(["cache", "stats", "--progress-interval", "-1"])
    assert stop.value.code == 2


def test_quiet_silences_progress_and_info_verbose_shows_debug(monkeypatch, capsys):
    seen = {}

    def command(args: argparse.Namespace) -> int:
        seen["progress"] = output.progress_factory()
        logging.getLogger("recon.test").info("an info line")
        logging.getLogger("recon.test").debug("a debug line")
        logging.getLogger("recon.test").warning("a warning line")
        return 0
    parser = build_parser()
    monkeypatch.setattr("recon.cli.main.build_parser", lambda: parser)
    dict(commands(parser))[("cache", "stats")].set_defaults(func=command)
    for argv, shown, hidden in [(["-q", "cache", "stats"], ["a warning line"], ["an info line", "a debug line"]),
                                (["cache", "stats"], ["an info line", "a warning line"], ["a debug line"]),
                                (["-v", "cache", "stats"], ["an info line", "a debug line"], [])]:
        assert main(argv) == 0
        err = capsys.readouterr().err
        assert all(x in err for x in shown) and not any(x in err for x in hidden), (argv, err)
        assert (seen["progress"] is silent_progress) == ("-q" in argv)
    assert not [h for h in logging.getLogger("recon").handlers if not isinstance(h, logging.NullHandler)]


def test_the_progress_interval_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("RECON_PROGRESS_INTERVAL", "2.5")
    assert build_parser().parse_args(["cache", "stats"]).progress_interval == 2.5


def test_the_run_log_has_timestamps_no_secrets_and_is_detached_after(tmp_path, monkeypatch):
    from recon.redaction import remember_secret
    remember_secret("sk-verysecretkey123456")
    log = logging.getLogger("recon.run")
    with run_log(tmp_path / "run.log"):
        log.info("stage %s: started", "data")
        log.warning("call failed: Authorization: Bearer sk-verysecretkey123456")
    log.info("after the run")
    text = (tmp_path / "run.log").read_text()
    assert re.search(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d.*INFO recon.run: stage data: started$", text, re.M)
    assert "WARNING" in text and "sk-verysecretkey123456" not in text
    assert "after the run" not in text


def test_a_message_is_printed_once_even_when_a_library_configured_the_root_logger(monkeypatch, capsys):
    def command(args: argparse.Namespace) -> int:
        logging.basicConfig()                      # what some libraries do on import
        logging.getLogger("recon.run").warning("printed once")
        return 0
    parser = build_parser()
    monkeypatch.setattr("recon.cli.main.build_parser", lambda: parser)
    dict(commands(parser))[("cache", "stats")].set_defaults(func=command)
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [])
    main(["cache", "stats"])
    assert capsys.readouterr().err.count("printed once") == 1
