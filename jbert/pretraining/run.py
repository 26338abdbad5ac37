"""The pre-training flow behind ``jbert.api.pretrain``:

corpus files -> documents -> tokens -> packed blocks (``jbert.pretraining.corpus``, once per node)
-> masked-LM model -> training core (``jbert.training.core``) -> a plain model directory.

The output loads with ``AutoModelForMaskedLM`` and ``pipeline("fill-mask")``, and ``jbert finetune
--model OUTPUT`` starts from it. ``jbert_pretrain.yaml`` (config, corpus statistics, tokenizer
fingerprint) is written last: without it the directory is an unfinished run.
"""

from __future__ import annotations

import contextlib
import logging
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from jbert import __version__
from jbert.config.run import with_recipe
from jbert.errors import ConfigError
from jbert.models.card import pretrain_card, write_card
from jbert.models.directory import METRICS_FILE, save_model_files, tokenizer_fingerprint
from jbert.pretraining import corpus as C
from jbert.pretraining.config import RECIPE, PretrainConfig
from jbert.pretraining.masking import IndexedBlocks, MaskEpoch, MlmCollator, mask_fixed
from jbert.pretraining.sparse_head import masked_row_counts, use_sparse_head
from jbert.pretraining.words import word_source
from jbert.training.core import Run, finish_run, fit, load_model, start_run
from jbert.writers import atomic_output, write_metrics_json
from jbert.writers.outputs import check_writable
from jbert.writers.progress import show_progress
from jbert.writers.rundir import PRETRAIN_MARKER

logger = logging.getLogger(__name__)
PRETRAIN_FILE = PRETRAIN_MARKER


def run_pretrain(cfg: PretrainConfig) -> dict[str, float]:
    """Pre-train ``cfg.model`` on ``cfg.corpus``; write the output directory; return the final
    held-out metrics (mlm_loss, perplexity, accuracy) or the training loss without a held-out set."""
    _check_required(cfg)
    cfg = with_recipe(cfg, RECIPE)
    has_eval = bool(cfg.corpus.valid) or cfg.corpus.valid_fraction > 0
    # positions as resolved (rinna's RoBERTa: from 0) are recorded in jbert_pretrain.yaml and, through
    # load_model, as jbert_position_ids in config.json, so finetune/eval/predict on the output feed them too
    run, cfg = start_run(cfg, has_eval=has_eval, primary_metric="mlm_loss", marker=PRETRAIN_FILE)
    _check_masked_lm(cfg.model.name_or_path, run.inputs.model_type)
    _check_tokenizer(run.tokenizer, cfg)
    with run.args.main_process_first(local=True, desc="tokenizing the corpus"), _bars(show_progress(cfg.training.progress_bar)):
        train, valid, stats = build_blocks(cfg, run)
    model = load_model(_masked_lm, cfg.model, cfg.training.seed, run.inputs)
    sparse = use_sparse_head(model)  # its eval outputs are already the held-out counts
    collator = MlmCollator(run.tokenizer, cfg.mlm.probability, whole_word=cfg.mlm.masking == "whole-word",
                           seed=cfg.training.seed, position_ids=run.inputs.position_ids)
    result = fit(model, collator, IndexedBlocks(train), valid, callbacks=[MaskEpoch(collator)], training=cfg.training, output_dir=run.out,
                 metrics_fn=mlm_metrics if valid is not None else None, primary_metric="mlm_loss" if valid else None,
                 args=run.args, fixed_length=True, preprocess_logits=None if sparse else masked_counts)

    def save(out: Path) -> None:
        save_model_files(out, model, run.tokenizer, result.state_dict, marker=PRETRAIN_FILE)
        write_card(out, pretrain_card(cfg, result.metrics, stats))
        write_metrics_json(out / METRICS_FILE, {"final": result.metrics, "history": result.history,
                                                "global_step": result.global_step, "corpus": stats})
        document = {"jbert_version": __version__, **cfg.to_dict(), "corpus_stats": stats,
                    "tokenizer": tokenizer_fingerprint(out)}  # as saved: a dictionary jbert chose is recorded
        with atomic_output(out / PRETRAIN_FILE) as stream:
            stream.write(yaml.safe_dump(document, allow_unicode=True, sort_keys=False))

    finish_run(run, result, save)
    return result.metrics


@contextlib.contextmanager
def _bars(shown: bool) -> Iterator[None]:
    """Hidden bars (``training.progress_bar=false``, --quiet, stderr not a terminal) hide the ``datasets``
    bars of the corpus stages too."""
    from datasets.utils import logging as ds_logging

    was_enabled = ds_logging.is_progress_bar_enabled()
    if not shown:
        ds_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            ds_logging.enable_progress_bar()


def _check_required(cfg: PretrainConfig) -> None:
    missing = [flag for flag, value in (("CORPUS", cfg.corpus.files), ("--model", cfg.model.name_or_path),
                                        ("--output", cfg.training.output_dir)) if not value]
    if missing:
        raise ConfigError(f"missing {', '.join(missing)}: e.g. `jbert pretrain corpus.txt --model DIR --output DIR`")
    check_writable(cfg.training.output_dir, f"--output {cfg.training.output_dir}")  # before the corpus is read


def _check_masked_lm(name_or_path: str, model_type: str) -> None:
    """Before the corpus is tokenized: an architecture transformers has no masked-LM head for cannot
    pre-train here (loading it would fail only after the corpus stage)."""
    from transformers.models.auto.modeling_auto import MODEL_FOR_MASKED_LM_MAPPING_NAMES

    if model_type not in MODEL_FOR_MASKED_LM_MAPPING_NAMES:
        raise ConfigError(f"{name_or_path} is a {model_type or 'model of unknown type'} model, which has no masked-LM "
                          "head in transformers (AutoModelForMaskedLM): it cannot pre-train with jbert pretrain")


def _masked_lm(name_or_path: str, **kwargs: Any) -> Any:
    """``AutoModelForMaskedLM``, with a warning when the checkpoint has no trained head for it (an
    ELECTRA discriminator has none: its generator head starts from random weights)."""
    from transformers import AutoModelForMaskedLM

    model, info = AutoModelForMaskedLM.from_pretrained(name_or_path, output_loading_info=True, **kwargs)
    missing = sorted(info.get("missing_keys") or ())
    if missing:
        logger.warning("%s has no trained masked-LM head for %s: %d weights start from random (%s ...); "
                       "its first steps train the head more than the encoder", name_or_path, type(model).__name__,
                       len(missing), ", ".join(missing[:2]))
    return model


def _check_tokenizer(tokenizer: Any, cfg: PretrainConfig) -> None:
    if tokenizer.mask_token_id is None:
        raise ConfigError(f"the tokenizer of {cfg.model.name_or_path} has no mask token: it cannot pre-train a masked LM")
    if tokenizer.cls_token_id is None or tokenizer.sep_token_id is None:
        raise ConfigError(f"the tokenizer of {cfg.model.name_or_path} lacks [CLS]/[SEP] (cls_token/sep_token)")


def build_blocks(cfg: PretrainConfig, run: Run) -> tuple[Any, Any, dict[str, int]]:
    """(train blocks, held-out blocks masked once or None, statistics); cached Arrow tables."""
    tok, length = run.tokenizer, cfg.encoding.max_length
    docs, valid_docs = _tokenized_documents(cfg, tok)
    train = C.pack(docs, length, tok.cls_token_id, tok.sep_token_id, cfg.corpus.num_proc)
    valid = None
    if valid_docs is not None:
        valid = C.pack(valid_docs, length, tok.cls_token_id, tok.sep_token_id, cfg.corpus.num_proc).map(
            mask_fixed, batched=True, with_indices=True, remove_columns=["word_starts"], desc="masking held-out",
            fn_kwargs={"seed": cfg.training.seed, "probability": cfg.mlm.probability,
                       "whole_word": cfg.mlm.masking == "whole-word", "mask_id": tok.mask_token_id,
                       "vocab_size": len(tok)})
    if cfg.mlm.masking == "whole-word":
        _warn_long_words(train, cfg.model.name_or_path)
    stats = {"documents": len(docs), "train_blocks": len(train), "valid_blocks": len(valid) if valid else 0,
             "max_length": length, "words": word_source(tok)}
    logger.info("corpus: %s", stats)
    return train, valid, stats


def _warn_long_words(blocks: Any, model: str, sample: int = 64, limit: float = 8.0) -> None:
    """A guard: tokenizers without Japanese words get MeCab's (``jbert.pretraining.words``), so words this
    long mean a segmenter gave next to nothing, and whole-word masking would mask whole lines."""
    starts = [s for row in blocks.select(range(min(sample, len(blocks))))["word_starts"] for s in row]
    words, tokens = starts.count(1), sum(s >= 0 for s in starts)
    if words and tokens / words > limit:
        logger.warning("the words of %s average %.0f tokens: whole-word masking would mask whole sentences; "
                       "use --masking token", model, tokens / words)


def _tokenized_documents(cfg: PretrainConfig, tokenizer: Any) -> tuple[Any, Any]:
    """(training documents, held-out documents or None): --valid FILE, else a seeded fraction."""
    c, tokenizer_dir = cfg.corpus, str(cfg.model.name_or_path)
    C.tokenizer_for(tokenizer_dir, loaded=tokenizer)  # this process tokenizes with the tokenizer it has

    def tokenized(files: list[str]) -> Any:
        return C.tokenize(C.load_documents(files, c.field, c.documents, c.cache_dir, c.encoding), tokenizer_dir,
                          c.num_proc)

    docs = tokenized(c.files)
    if c.valid:
        return docs, tokenized([c.valid])
    if c.valid_fraction <= 0:
        return docs, None
    if len(docs) < 2:
        raise ConfigError("the corpus has one document: nothing to hold out; pass --valid FILE or --valid 0")
    held = max(1, round(len(docs) * c.valid_fraction))
    split = docs.train_test_split(test_size=held, seed=cfg.training.seed, shuffle=True)
    return split["train"], split["test"]


def masked_counts(logits: Any, labels: Any) -> Any:
    """Per row [summed cross-entropy, correct, masked tokens] over the masked positions of dense
    ``[batch, seq, vocab]`` logits (a model without a sparse head): what the held-out metrics need."""
    logits = logits[0] if isinstance(logits, (tuple, list)) else logits
    masked = labels != -100
    return masked_row_counts(logits[masked], labels[masked], masked.nonzero()[:, 0], labels.shape[0])


def mlm_metrics(counts: Any) -> dict[str, float]:
    """Token-weighted masked-LM loss, its perplexity and masked-token accuracy over the held-out set."""
    loss, correct, total = (float(x) for x in counts.sum(0))
    mlm_loss = loss / max(total, 1.0)
    return {"mlm_loss": mlm_loss, "perplexity": math.exp(min(mlm_loss, 50.0)), "accuracy": correct / max(total, 1.0)}
