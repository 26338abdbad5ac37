"""`--help` of every command through typer's CliRunner: no type noise on flags, text shown as written
(no markup eaten), the training defaults, and -v/--verbose accepted after the subcommand."""

from __future__ import annotations

import re

import click
import pytest
import typer
from typer.testing import CliRunner

from jbert.cli import app
from jbert.cli._app import verbose_first
from jbert.errors import ConfigError

runner = CliRunner()


def _commands(group: click.Command, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [path]
    for name, command in getattr(group, "commands", {}).items():
        found += _commands(command, (*path, name))
    return found


COMMANDS = _commands(typer.main.get_command(app))


def help_text(*command: str) -> str:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())  # wrapping depends on the terminal width


def test_every_command_is_covered():
    names = {" ".join(c) for c in COMMANDS}
    assert {"finetune", "pretrain", "export", "predict", "report", "data check", "eval", "eval jglue"} <= names


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "jbert")
def test_flags_show_no_bool_noise(command):
    text = help_text(*command)
    assert "<bool>" not in text and "[default: False]" not in text
    assert not re.search(r"--[\w-]+ <list\[", text), text  # repeatable options name their value instead


def test_markup_is_shown_as_written():
    assert "pip install 'jbert[onnx]'" in help_text("export")


@pytest.mark.parametrize("flag, default", [
    ("--epochs <float> Training epochs", "the task recipe's value, else 3"),
    ("--batch-size <int> Per-device batch size", "the task recipe's value, else 32"),
    ("--learning-rate, --lr <float> Peak learning rate", "the task recipe's value, else 5e-05"),
    ("--max-length <int> Maximum tokens per input", "the task recipe's value, else 128"),
])
def test_finetune_shows_the_training_defaults(flag, default):
    assert f"{flag} (default: {default})." in help_text("finetune")


@pytest.mark.parametrize("flag, default", [
    ("--epochs <float> Training epochs", "3"),
    ("--batch-size <int> Per-device batch size, in blocks", "32"),
    ("--learning-rate, --lr <float> Peak learning rate", "0.0001"),
    ("--max-length <int> Tokens per packed block", "128"),
])
def test_pretrain_shows_its_recipes_values(flag, default):
    assert f"{flag} (default: {default})." in help_text("pretrain")


@pytest.mark.parametrize("args", [["finetune", "jsts", "-v"], ["finetune", "-v", "jsts"],
                                  ["--verbose", "finetune", "jsts"], ["finetune", "jsts", "--verbose"]])
def test_verbose_is_accepted_after_the_subcommand(args):
    result = runner.invoke(app, args)
    # verbose mode re-raises the error for its traceback instead of a one-line message
    assert isinstance(result.exception, ConfigError), result.output
    assert "No such option" not in result.output


def test_verbose_after_a_double_dash_is_an_argument():
    assert verbose_first(["predict", "-v", "--", "-v"]) == ["--verbose", "predict", "--", "-v"]
    assert verbose_first(["predict", "x"]) == ["predict", "x"]
