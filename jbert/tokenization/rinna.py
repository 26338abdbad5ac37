"""rinna's japanese-roberta (``rinna/japanese-roberta-base``): a RoBERTa whose tokenizer is a SentencePiece
``T5Tokenizer`` (``spiece.model``), used the way its model card and its pre-training code use it.

What transformers gets wrong for it, and what jbert does instead (one fast tokenizer with offsets):

- **Lower-casing.** The vocabulary is lower-case; the card sets ``tokenizer.do_lower_case = True`` by hand
  ("due to some bug of tokenizer config loading"). jbert lower-cases (with a warning), before
  SentencePiece's own NFKC, as the slow tokenizer did.
- **Special tokens.** Pre-training fed ``[CLS]`` followed by the pieces, no end token (rinna's
  ``data_source.py``; the card: "add a [CLS] token before the sentence"); ``T5Tokenizer`` appends
  ``</s>`` instead. jbert builds ``[CLS] A`` and ``[CLS] A B`` (segment ids all 0), as rinna's own
  ``RobertaJapaneseTokenizer`` does.
- **Unknown pieces.** The model's ``<unk>`` is id 0; transformers 5's ``T5Tokenizer`` hard-codes T5's
  id 2 (``</s>`` here). jbert takes the id from the SentencePiece model.
- **Positions** are counted from 0 (``jbert.models.inputs``: ``model.position_ids``).

The tokenizer is saved as a plain fast tokenizer (``tokenizer.json``, ``PreTrainedTokenizerFast``), so
``AutoTokenizer`` on a jbert output gives the same ids; the model still needs ``position_ids`` passed.
"""

from __future__ import annotations

import logging
from typing import Any

from jbert.errors import TokenizerLoadError
from jbert.tokenization.spm_normalize import make_exact

logger = logging.getLogger(__name__)

T5_CLASSES = ("T5Tokenizer", "T5TokenizerFast")
SPM_FILE = "spiece.model"


def is_rinna_roberta(name_or_path: str, tokenizer_config: dict[str, Any] | None = None) -> bool:
    """A RoBERTa model with a T5Tokenizer: rinna's japanese-roberta shape (no other hub family has it)."""
    from transformers import AutoConfig
    from transformers.models.auto.tokenization_auto import get_tokenizer_config

    try:
        config = get_tokenizer_config(name_or_path) if tokenizer_config is None else tokenizer_config
        if config.get("tokenizer_class") not in T5_CLASSES:
            return False
        return getattr(AutoConfig.from_pretrained(name_or_path), "model_type", "") == "roberta"
    except (OSError, ValueError):
        return False


def load_rinna(name: str, config: dict[str, Any]) -> Any:
    """The fast tokenizer rinna's japanese-roberta was pre-trained with (see the module docstring)."""
    from transformers import PreTrainedTokenizerFast
    from transformers.utils import cached_file

    try:
        spm_path = cached_file(name, config.get("vocab_file") or SPM_FILE)
    except OSError as err:
        raise TokenizerLoadError(f"{name}: rinna's japanese-roberta tokenizer needs its {SPM_FILE} ({err})") from err
    lower = bool(config.get("do_lower_case", True))
    if lower:
        logger.warning("%s: lower-casing every input, as rinna's japanese-roberta model card asks "
                       "(tokenizer.do_lower_case = True; its vocabulary is lower-case)", name)
    specials = {k: str(_content(config.get(k, default))) for k, default in (
        ("unk_token", "<unk>"), ("pad_token", "[PAD]"), ("cls_token", "[CLS]"), ("sep_token", "[SEP]"),
        ("mask_token", "[MASK]"), ("bos_token", "<s>"), ("eos_token", "</s>"))}
    backend = _backend(open(spm_path, "rb").read(), lower, specials["cls_token"])
    max_length = config.get("model_max_length")
    tok = PreTrainedTokenizerFast(tokenizer_object=backend, **specials, do_lower_case=lower,
                                  model_max_length=max_length if max_length and max_length < 10**6 else 512,
                                  name_or_path=name)
    return make_exact(tok)  # SentencePiece's longest-match normalisation (ﾃﾞ -> デ), see spm_normalize


def _content(token: Any) -> Any:
    return token.get("content") if isinstance(token, dict) else token


def _backend(model: bytes, lower: bool, cls_token: str) -> Any:
    """A ``tokenizers.Tokenizer``: the SentencePiece model's pieces, scores, unknown id and normaliser."""
    import sentencepiece as spm
    from sentencepiece import sentencepiece_model_pb2
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    sp = spm.SentencePieceProcessor(model_proto=model)
    proto = sentencepiece_model_pb2.ModelProto()
    proto.ParseFromString(model)
    vocab = [(sp.id_to_piece(i), sp.get_score(i)) for i in range(sp.get_piece_size())]
    tok = Tokenizer(models.Unigram(vocab, unk_id=sp.unk_id(), byte_fallback=False))
    steps = [normalizers.Lowercase()] if lower else []  # the slow tokenizer lower-cased before SentencePiece
    if proto.normalizer_spec.precompiled_charsmap:
        steps.append(normalizers.Precompiled(proto.normalizer_spec.precompiled_charsmap))
    if proto.normalizer_spec.remove_extra_whitespaces:
        # SentencePiece drops spaces only (Strip() would also drop e.g. U+0085, which it keeps)
        steps += [normalizers.Replace(Regex(" {2,}"), " "), normalizers.Replace(Regex("^ | $"), "")]
    tok.normalizer = normalizers.Sequence(steps)
    scheme = "always" if proto.normalizer_spec.add_dummy_prefix else "never"
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme=scheme, split=True)
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme=scheme, split=True)
    cls_id = sp.piece_to_id(cls_token)
    if cls_id == sp.unk_id():
        raise TokenizerLoadError(f"rinna's japanese-roberta tokenizer: {cls_token!r} is not in {SPM_FILE}")
    tok.post_processor = processors.TemplateProcessing(
        single=f"{cls_token}:0 $A:0", pair=f"{cls_token}:0 $A:0 $B:0", special_tokens=[(cls_token, cls_id)])
    return tok
