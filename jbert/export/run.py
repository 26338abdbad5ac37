"""``jbert export``: a fine-tuned directory -> an exported one, with its agreement measured.

The original model (torch, fp32, CPU) and the export both predict the model's validation rows
through the same ``Predictor`` (same encoding, batching and decoding as ``jbert predict``); the
export is refused when they agree less than ``min_agreement``. Everything is built in a hidden
sibling directory and renamed into place only once accepted, so a refused or failed export leaves
nothing at ``--output``.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from jbert import __version__
from jbert.config.inference import RunSettings
from jbert.errors import ConfigError, DataFormatError, ExportRefusedError
from jbert.export.agreement import AGREEMENT, describe
from jbert.export.formats import (
    EXPORT_FILE,
    FORMATS,
    QUANTIZATIONS,
    is_weights,
    load_exported,
    read_record,
)
from jbert.export.recorder import Recorder
from jbert.inference import Predictor
from jbert.inference.core import chunked
from jbert.inference.inputs import input_reader
from jbert.models.card import export_card, saved_finetune_card, write_card
from jbert.models.inputs import model_inputs
from jbert.readers import read
from jbert.training.run_record import RUN_FILE
from jbert.writers.outputs import check_output_dir, output_lock, parent_folders, temp_dir
from jbert.writers.progress import progress_bar

# the original's, not the export's
_NOT_COPIED = ("valid_predictions.jsonl", "train_log.jsonl", EXPORT_FILE, RUN_FILE)
_NOT_COPIED_DIRS = ("checkpoints", "runs")


@dataclass
class ExportConfig:
    model: str
    output: str
    format: str = "onnx"
    quantize: str | None = None  # None | int8
    data: str | None = None  # rows to measure agreement on; None: the model's validation file
    min_agreement: float = 0.99
    tolerance: float | None = None  # regression: |delta| a row may differ by and still agree
    batch_size: int = RunSettings.batch_size  # measuring agreement: the original and the export, on the CPU
    progress: bool = False  # a rows bar on stderr over both prediction passes


@dataclass
class ExportResult:
    output: str
    record: dict[str, Any] = field(default_factory=dict)

    @property
    def summary(self) -> str:
        return describe(self.record["agreement"])


def run_export(cfg: ExportConfig) -> ExportResult:
    """Export ``cfg.model`` to ``cfg.output``; see the module docstring."""
    from jbert.inference.loading import load_finetuned

    fmt = _check(cfg)
    fmt.require()
    if read_record(cfg.model) is not None:
        raise ConfigError(f"{cfg.model} is already an export; export the fine-tuned directory it came from")
    out = Path(cfg.output)
    with parent_folders(out), output_lock(out):  # one export per output; killed exports' work directories go
        check_output_dir(out)  # again, now that no other export can fill it
        return _export(cfg, fmt, out, load_finetuned(cfg.model, device="cpu"))


def _export(cfg: ExportConfig, fmt: Any, out: Path, ft: Any) -> ExportResult:
    data, examples = _examples(cfg, ft)
    recorder = Recorder(ft.model)
    kind = f"{cfg.format} {cfg.quantize or 'fp32'}"
    bar = progress_bar(2 * len(examples), "export: original fp32", "rows", enabled=cfg.progress)
    original, original_s = _predict(ft, recorder, examples, cfg.batch_size, bar)
    work = temp_dir(out)
    try:
        _copy_support_files(Path(cfg.model), work)
        bar.set_description(f"export: writing {kind}")
        weights = fmt.write(Path(cfg.model), ft.model, recorder.batch(), recorder.output_names, work, cfg.quantize)
        bar.set_description(f"export: {kind}")
        record = {"format": cfg.format, "quantize": cfg.quantize, "file": weights, "jbert_version": __version__,
                  "source": str(Path(cfg.model).resolve()), "inputs": list(recorder.batch()),
                  "model_inputs": model_inputs(ft.model.config).to_dict()}
        exported, export_s = _predict(ft, load_exported(work, ft.head, record), examples, cfg.batch_size, bar)
        figures = AGREEMENT.get(ft.head.name)(original, exported, cfg.tolerance, _gold(ft.head, examples))
        record.update(agreement={**figures, "data": str(data)}, min_agreement=cfg.min_agreement,
                      rows_per_second={"original_fp32": len(examples) / original_s,
                                       "export": len(examples) / export_s})
        _refuse_below(cfg, figures)
        _write_and_move(cfg, ft, record, describe(figures), work, out)
    finally:
        bar.close()
        shutil.rmtree(work, ignore_errors=True)
    return ExportResult(str(out), record)


def _write_and_move(cfg: ExportConfig, ft: Any, record: dict[str, Any], agreement: str, work: Path, out: Path) -> None:
    """The accepted export's card and record, then the directory into place (its record last)."""
    write_card(work, export_card(saved_finetune_card(cfg.model, ft.config, ft.spec), record, agreement, out))
    (work / EXPORT_FILE).write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    _move_into_place(work, out)


def _check(cfg: ExportConfig) -> Any:
    fmt = FORMATS.get(cfg.format)
    if cfg.quantize not in QUANTIZATIONS:
        raise ConfigError(f"--quantize must be int8 (or left out), got {cfg.quantize!r}")
    if not 0.0 <= cfg.min_agreement <= 1.0:
        raise ConfigError(f"--min-agreement is a share between 0 and 1 (0.99 = 99%), got {cfg.min_agreement}")
    if cfg.tolerance is not None and cfg.tolerance < 0:
        raise ConfigError(f"--tolerance must be 0 or more, got {cfg.tolerance}")
    RunSettings(batch_size=cfg.batch_size).check()
    check_output_dir(cfg.output)  # before the minutes of work: new or empty, and writable
    return fmt


def _data_path(cfg: ExportConfig, ft: Any) -> Path:
    """``--data``, else the validation file the model was fine-tuned with (jbert_config.yaml)."""
    from jbert.config.tasks import jglue_file

    data = ft.config.data
    if cfg.data:
        path = Path(cfg.data)
    elif data.valid:
        path = Path(data.valid)
    elif data.jglue_dir:
        path = jglue_file(ft.spec, data.jglue_dir, "valid")
    else:
        raise ConfigError(f"{cfg.model}: its jbert_config.yaml names no validation file; give rows to "
                          "measure agreement on with --data FILE")
    if not path.is_file():
        raise ConfigError(f"validation file {path} not found; give rows to measure agreement on with --data FILE")
    return path


def _examples(cfg: ExportConfig, ft: Any) -> tuple[Path, list[Any]]:
    path = _data_path(cfg, ft)
    examples = list(read(path, ft.spec, input_reader(path, ft.spec), ft.config.data.iob, ft.config.data.encoding))
    if not examples:
        raise ConfigError(f"{path} has no rows to measure agreement on; give another file with --data")
    return path, examples


def _predict(ft: Any, model: Any, examples: list[Any], batch_size: int, bar: Any) -> tuple[list[Any], float]:
    """The head's prediction values for every example (fp32, CPU) and the seconds it took; predicted a
    few batches at a time, so the bar moves."""
    options = replace(ft.options, train=False)
    predictor = Predictor(ft.head, ft.tokenizer, model, options, RunSettings(batch_size=batch_size, device="cpu",
                                                                         precision="fp32"))
    started = time.perf_counter()
    predictions = []
    for chunk in chunked(examples, batch_size * 8):
        pairs, _ = predictor.predict(chunk)
        predictions += [p for _, p in pairs]
        bar.update(len(chunk))
    seconds = max(time.perf_counter() - started, 1e-9)
    return ft.head.agreement_values(predictions), seconds


def _gold(head: Any, examples: list[Any]) -> list[Any] | None:
    """The rows' gold values, None when they have none (only a regression tolerance reads them; texts
    without scores are fine rows to compare an embedding export on)."""
    try:
        return head.reference_values(examples)
    except DataFormatError:
        return None


def _refuse_below(cfg: ExportConfig, figures: dict[str, Any]) -> None:
    if figures["agreement"] < cfg.min_agreement:
        kind = f"{cfg.format} {cfg.quantize or 'fp32'}"
        raise ExportRefusedError(
            f"{kind} export refused: {describe(figures)} is below --min-agreement {100 * cfg.min_agreement:g}%; "
            f"nothing written to {cfg.output} (export without --quantize, or lower --min-agreement)"
        )


def _copy_support_files(source: Path, target: Path) -> None:
    """Config, tokenizer and jbert files: everything at the top level but weights and training records,
    and the folders but checkpoints (a sentence-transformers model's 1_Pooling/ ...)."""
    for f in source.iterdir():
        if f.is_file() and f.name not in _NOT_COPIED and not is_weights(f):
            shutil.copyfile(f, target / f.name)  # new files: the umask's mode, not the source's
        elif f.is_dir() and f.name not in _NOT_COPIED_DIRS and not f.name.startswith("."):
            shutil.copytree(f, target / f.name, copy_function=shutil.copyfile)


def _move_into_place(work: Path, out: Path) -> None:
    if out.is_dir():
        out.rmdir()  # empty (checked before any work)
    work.rename(out)
