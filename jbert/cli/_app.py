"""The typer app, the global options and the one place errors become one-line messages.

Command modules (one file per command) import ``app`` and register themselves; they only
parse flags, build a config and call ``jbert.api``.
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from typing import Any

import typer
from typer.core import TyperGroup

from jbert import __version__
from jbert.config.inference import RunSettings
from jbert.errors import JbertError
from jbert.training.runtime import tune_allocator
from jbert.writers.progress import quiet_library_bars, stderr_is_tty

# the global options, by each of their names: accepted before or after the subcommand
GLOBAL_FLAGS = {"-v": "--verbose", "--verbose": "--verbose", "-q": "--quiet", "--quiet": "--quiet"}


class _Root(TyperGroup):
    """The root command group. ``-v``/``--verbose`` and ``-q``/``--quiet`` are global options; people add
    them where a run showed up, after the subcommand (``jbert finetune ... -v``), so they are accepted
    anywhere before ``--``."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        return super().parse_args(ctx, verbose_first(args))


def verbose_first(args: list[str]) -> list[str]:
    """``args`` with every global flag before a ``--`` moved to the front, as the root option."""
    end = args.index("--") if "--" in args else len(args)
    found = sorted({GLOBAL_FLAGS[a] for a in args[:end] if a in GLOBAL_FLAGS}, reverse=True)  # --verbose first
    if not found:
        return list(args)
    return [*found, *(a for a in args[:end] if a not in GLOBAL_FLAGS), *args[end:]]


app = typer.Typer(
    cls=_Root,
    name="jbert",
    help="Fine-tune Japanese BERT-family encoders on JGLUE and your own data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

_state = {"verbose": False, "quiet": False}


def _version(value: bool) -> None:
    if value:
        typer.echo(f"jbert {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show full tracebacks and debug logs."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars (they are drawn on stderr, and only "
                                                            "when it is a terminal)."),
    version: bool | None = typer.Option(  # noqa: UP007 - typer needs Optional
        None, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    _state["verbose"], _state["quiet"] = verbose, quiet
    if quiet or not stderr_is_tty():
        quiet_library_bars()  # transformers' and datasets' own bars (loading weights ...) too
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not verbose:
        # transformers' load reports ("newly initialized: classifier.weight ...") are expected when a
        # head is put on an encoder; they drown the real output. -v shows them again.
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()


def verbose() -> bool:
    return _state["verbose"]


def progress_flag() -> bool | None:
    """False under --quiet (no bar), else None: the command's default (a bar when stderr is a terminal)."""
    return False if _state["quiet"] else None


def echo(message: str = "", err: bool = False) -> None:
    """All user-facing output goes through here (stdout may be a data stream: then use err=True)."""
    typer.echo(message, err=err)


def fail(message: str) -> None:
    """Print a one-line error and exit 1."""
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    raise typer.Exit(code=1)


# Options every command that runs a fine-tuned model shares (eval, eval jglue, predict): one
# definition, so their names, defaults and help cannot drift apart.
def batch_size_option() -> Any:
    return typer.Option(RunSettings.batch_size, "--batch-size", help="Examples per forward pass.")


def device_option() -> Any:
    return typer.Option(None, "--device", help="cpu, cuda, cuda:1 ... (default: a GPU if there is one).")


def precision_option() -> Any:
    return typer.Option(
        RunSettings.precision, "--precision", help="auto | fp32 | bf16 | fp16 (auto: bf16 on a GPU that has it, else fp32)."
    )


def cli_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a command so a JbertError becomes ``error: ...`` on stderr and exit code 1.

    Use under ``@app.command()`` on every command; ``--verbose`` re-raises for the traceback.
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except JbertError as exc:
            if _state["verbose"]:
                raise
            fail(str(exc))

    return wrapper


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: JbertError -> one line on stderr, exit 1 (traceback with --verbose)."""
    _state["verbose"] = verbose_first(list(argv or sys.argv[1:]))[:1] == ["--verbose"]
    tune_allocator()
    try:
        app(args=argv, standalone_mode=True)
    except JbertError as exc:
        if _state["verbose"]:
            raise
        typer.secho(f"error: {exc}", err=True, fg=typer.colors.RED)
        sys.exit(1)
    finally:
        _close_process_group()


def _close_process_group() -> None:
    """Shut torch.distributed down before the interpreter does: a process group left to the interpreter's
    teardown can abort a rank after its work is done ("terminate called without an active exception", seen
    once in CI under accelerate launch). Only when torch was imported and a group exists."""
    dist = sys.modules.get("torch.distributed")
    if dist is not None and dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()
