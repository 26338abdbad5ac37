"""`jbert config show`: every setting a run would use, with its value and what it means."""

from __future__ import annotations

from pathlib import Path

import typer

from jbert import api
from jbert.cli._app import app, cli_errors, echo

config_app = typer.Typer(help="Show the settings a run uses.", no_args_is_help=True)
app.add_typer(config_app, name="config")


@config_app.command("show")
@cli_errors
def show(
    task: str | None = typer.Argument(None, help="A task (jsts, ner, ... or a spec YAML): its recipe is applied."),
    config: Path | None = typer.Option(None, "--config", "-c", metavar="FILE", help="Recipe YAML, laid over the task's recipe."),
    overrides: list[str] | None = typer.Option(None, "--set", metavar="KEY=VALUE", help="Override a key: --set training.epochs=4"),
    pretrain: bool = typer.Option(False, "--pretrain", help="The settings of `jbert pretrain` instead."),
) -> None:
    """Print the whole config as YAML, each key with its comment: the defaults, the task's bundled
    recipe, --config and --set, layered as `jbert finetune` layers them. The output is a valid
    --config file."""
    from jbert.config import build_config, with_recipe
    from jbert.config.describe import commented_yaml

    if pretrain:
        from jbert.pretraining.config import RECIPE, PretrainConfig

        cfg = with_recipe(build_config(config, flags={}, overrides=overrides, cls=PretrainConfig), RECIPE)
    else:
        cfg = api.resolve_config(build_config(config, flags={"task.name": task}, overrides=overrides))
    echo(commented_yaml(cfg).rstrip("\n"))
