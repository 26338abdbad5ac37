"""`jbert model ...`: model utilities. `jbert model init` builds a random BERT for a tokenizer;
`jbert model fill-mask` prints the top fillers of a masked-LM model."""

from __future__ import annotations

from pathlib import Path

import typer

from jbert import api
from jbert.cli._app import app, cli_errors, echo
from jbert.models.initialise import SIZES

model_app = typer.Typer(help="Model utilities (random initialisation, fill-mask).", no_args_is_help=True)
app.add_typer(model_app, name="model")


@model_app.command("init")
@cli_errors
def init(
    tokenizer: Path = typer.Option(..., "--tokenizer", help="Tokenizer directory (vocab.txt / tokenizer files)."),
    size: str = typer.Option("tiny", "--size", help=f"Model size: {' | '.join(SIZES)}."),
    output: Path = typer.Option(..., "--output", "-o", help="Directory to write the model to."),
    masked_lm: bool = typer.Option(True, "--mlm/--no-mlm", help="With the masked-LM head (for pre-training)."),
    seed: int = typer.Option(0, "--seed", help="Random seed for the initial weights."),
) -> None:
    """Write a randomly initialised BERT whose vocabulary is the tokenizer's (weights + tokenizer files)."""
    from jbert.models.initialise import init_model

    out = init_model(tokenizer, size, output, masked_lm=masked_lm, seed=seed)
    layers, hidden, heads, _ = SIZES[size]
    echo(f"random {size} BERT (L{layers}/H{hidden}/A{heads}) written to {out}")


@model_app.command("fill-mask")
@cli_errors
def fill_mask(
    text: str = typer.Argument(..., help='Text with [MASK], e.g. "東北大学で[MASK]の研究をしています。"'),
    model: Path = typer.Option(..., "--model", "-m", help="Model directory with a masked-LM head."),
    top_k: int = typer.Option(5, "--top-k", help="Fillers shown per mask."),
) -> None:
    """Print the top-k fillers for each [MASK] with their probabilities."""
    for n, fillers in enumerate(api.fill_mask(model, text, top_k), start=1):
        echo(f"[MASK] #{n}")
        for f in fillers:
            echo(f"  {f.score:.4f}  {f.token:<12} {f.sequence}")
