"""`jbert tokenizer train|show|doctor`: train a tokenizer; show how one splits a text; check a model's.

    jbert tokenizer train data/sample/corpus.txt --type mecab-wordpiece --vocab-size 8000 --output tok
    jbert tokenizer show --tokenizer tok "東京都に行った" --pair "大阪にも" [--json]
    jbert tokenizer doctor cl-tohoku/bert-base-japanese [--json]
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from typing import Any, Optional

import typer

from jbert.cli._app import app, cli_errors, echo

tokenizer_app = typer.Typer(help="Train a tokenizer, or show how one splits a text.", no_args_is_help=True)
app.add_typer(tokenizer_app, name="tokenizer")

_TYPES = "mecab-wordpiece (Tohoku-style, BertJapaneseTokenizer) or sentencepiece-unigram (fast tokenizer.json)"


# typer needs Optional[...] spelled out for options that may be absent.
@tokenizer_app.command("train")
@cli_errors
def train(
    corpus: list[Path] = typer.Argument(..., metavar="CORPUS...", help="Text files, one text a line (or JSONL with --field)."),
    type: str = typer.Option("mecab-wordpiece", "--type", help=_TYPES),
    vocab_size: int = typer.Option(32768, "--vocab-size", help="Tokens in the vocabulary, specials included."),
    output: Path = typer.Option(..., "--output", "-o", help="Directory to write the tokenizer into."),
    field: Optional[str] = typer.Option(None, "--field", help="JSONL corpora: the field holding the text."),  # noqa: UP045
    dictionary: Optional[str] = typer.Option(  # noqa: UP045
        None, "--dictionary", help="mecab-wordpiece: MeCab dictionary unidic_lite (default), unidic or ipadic."
    ),
    lowercase: bool = typer.Option(False, "--lowercase", help="Lower-case text (do_lower_case)."),
    min_frequency: Optional[int] = typer.Option(  # noqa: UP045
        None, "--min-frequency", help="mecab-wordpiece: merge only pairs seen this often (default 2)."
    ),
    limit_alphabet: Optional[int] = typer.Option(  # noqa: UP045
        None, "--limit-alphabet", help="mecab-wordpiece: keep at most this many characters."
    ),
    character_coverage: Optional[float] = typer.Option(  # noqa: UP045
        None, "--character-coverage", help="Share of character occurrences the alphabet covers (default 0.9995)."
    ),
    num_threads: Optional[int] = typer.Option(  # noqa: UP045
        None, "--num-threads", help="sentencepiece-unigram: training threads (default 1; the model depends on it)."
    ),
) -> None:
    """Train a tokenizer that plain transformers.AutoTokenizer loads; writes its fingerprint beside it."""
    from jbert.tokenization.train import train_tokenizer

    result = train_tokenizer(
        corpus,
        type,
        vocab_size,
        output,
        field=field,
        dictionary=dictionary,
        lowercase=lowercase or None,
        min_frequency=min_frequency,
        limit_alphabet=limit_alphabet,
        character_coverage=character_coverage,
        num_threads=num_threads,
    )
    echo(f"trained {result.setup} tokenizer: {result.vocab_size} tokens -> {result.output_dir}")


@tokenizer_app.command("show")
@cli_errors
def show(
    text: str = typer.Argument(..., help="Text to tokenize."),
    tokenizer: str = typer.Option(..., "--tokenizer", "-t", help="Tokenizer or model directory (or hub name)."),
    pair: Optional[str] = typer.Option(None, "--pair", help="Second text of a pair."),  # noqa: UP045
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """Print each token with its id and the span (start, end, substring) of the original text it covers."""
    from jbert.tokenization import load_tokenizer

    rows = token_rows(load_tokenizer(tokenizer), text, pair)
    if as_json:
        echo(json.dumps({"text": text, "pair": pair, "tokens": rows}, ensure_ascii=False, indent=2))
    else:
        echo(format_table(rows))


@tokenizer_app.command("doctor")
@cli_errors
def doctor(
    model: str = typer.Argument(..., help="Model or tokenizer directory (or a cached hub name)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of text."),
) -> None:
    """Check that MODEL's text gets the ids it was pre-trained with: MeCab dictionary (with figures),
    fingerprint, options jbert cannot honour, Juman++ pre-segmentation. Exit 2 when it cannot."""
    from jbert.tokenization.doctor import diagnose

    report = diagnose(model)
    if as_json:
        echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        echo(f"{report.model} ({report.tokenizer_class or 'no tokenizer_class'})")
        for finding in report.findings:
            echo(f"  {finding.status.upper():4}  {finding.check}: {finding.message}")
        probe = next((f.details["probe"] for f in report.findings if f.check == "dictionary"
                      and "probe" in f.details), None)
        for score in probe["scores"] if probe else []:
            echo("        " + _score_line(score))
    if not report.ok:
        raise typer.Exit(code=2)


def _score_line(score: dict[str, Any]) -> str:
    if not score["installed"]:
        return f"{score['dictionary']:<12} not installed (pip install {score['package']})"
    return (f"{score['dictionary']:<12} distinctive {score['distinct']:6.1%} of {score['distinct_words']:<5} "
            f"whole {score['whole']:6.1%} of {score['words']:<6} ## pieces {score['continuation']:6.1%}  "
            f"unknown {score['unknown']:5.1%}  vocabulary kept {score['kept']:6.1%}")


def token_rows(tok: Any, text: str, pair: str | None) -> list[dict[str, Any]]:
    """One dict per token: index, token, id, segment, start, end and the original substring (None for specials)."""
    enc = tok(text, pair, return_offsets_mapping=True, return_token_type_ids=True)
    sources, seq_ids = (text, pair), enc.sequence_ids()
    rows = []
    for i, token_id in enumerate(enc["input_ids"]):
        seq, (start, end) = seq_ids[i], enc["offset_mapping"][i]
        special = seq is None
        rows.append(
            {
                "index": i,
                "token": tok.convert_ids_to_tokens(token_id),
                "id": token_id,
                "segment": enc["token_type_ids"][i],
                "start": None if special else start,
                "end": None if special else end,
                "text": None if special else sources[seq][start:end],
            }
        )
    return rows


def _width(s: str) -> int:
    """Terminal columns: East Asian wide and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


def format_table(rows: list[dict[str, Any]]) -> str:
    """An aligned text table (CJK-width aware) of token rows; '-' where a special token has no span."""
    header = ["#", "token", "id", "seg", "start", "end", "text"]
    cells = [header] + [
        ["-" if r[k] is None else str(r[k]) for k in ("index", "token", "id", "segment", "start", "end")]
        + ["-" if r["text"] is None else repr(r["text"])[1:-1]]
        for r in rows
    ]
    widths = [max(_width(row[c]) for row in cells) for c in range(len(header))]
    right = {0, 2, 3, 4, 5}  # numbers right-aligned
    lines = []
    for row in cells:
        parts = []
        for c, cell in enumerate(row):
            pad = " " * (widths[c] - _width(cell))
            parts.append(pad + cell if c in right else cell + pad)
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines)
