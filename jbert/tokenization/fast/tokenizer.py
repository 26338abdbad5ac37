"""`BertJapaneseTokenizerFast`: BertJapaneseTokenizer's ids, with offsets into the original text and word ids.

How it works, per chunk of about 8k characters (MeCab, in a worker thread, segments the next chunk meanwhile):
`Pretokenizer` does what the slow tokenizer does before WordPiece (added-token split, NFKC with alignment,
MeCab, lower-casing); `engine.tokenize_units` runs WordPiece over every word of the chunk at once with numpy
and `offsets.token_offsets` maps the tokens back to the original text; `truncation`/`encoding` build the
model rows with the rules of Rust `tokenizers` (template, truncation, stride, overflow, padding). The Rust tokenizer still holds
the vocabulary (decode, convert_ids_to_tokens, added tokens); it does not encode: its per-word overhead is
larger than MeCab's for Japanese one- and two-character words.

>>> from jbert.tokenization import load_tokenizer
>>> tok = load_tokenizer("path/to/tohoku-style-model")          # doctest: +SKIP
>>> enc = tok("ﾃﾞｰﾀ [SEP] 東京", return_offsets_mapping=True)  # doctest: +SKIP
>>> enc["offset_mapping"][1]                                     # doctest: +SKIP
(0, 2)

Word ids are per MeCab word (for ``subword_tokenizer_type="character"`` per character; for
``is_split_into_words=True`` input, per input word, offsets then within each word, as in transformers).
Literal special-token strings in the text (JSQuAD's `` [SEP] ``) become those tokens, as in
BertJapaneseTokenizer; they are not marked in `special_tokens_mask`, exactly like the slow tokenizer.
Tokens added with `add_tokens` are split out of the original text like the slow tokenizer does; one that only
appears after NFKC or lower-casing is matched as a whole MeCab word (the slow tokenizer would WordPiece it).
`backend_tokenizer` holds the vocabulary only: encoding with it directly does not run MeCab.

Cores: `mecab_threads` (default: cores - 1) MeCab worker threads per tokenizer; for more, use processes:
`jbert.tokenization.parallel.encode_parallel`, or ``datasets.map(..., num_proc=N)`` (the tokenizer pickles
without its tagger and makes one per process).
"""

from __future__ import annotations

import os
import re
from collections import OrderedDict
from functools import partial
from typing import Any, ClassVar

from tokenizers import AddedToken, Tokenizer, decoders, pre_tokenizers, processors
from tokenizers.models import WordPiece
from transformers.tokenization_utils_base import BatchEncoding, TruncationStrategy
from transformers.tokenization_utils_tokenizers import TokenizersBackend
from transformers.utils import PaddingStrategy

from jbert.tokenization.fast.encoding import RowBatch, RowEncoding, pad_outputs, row_outputs
from jbert.tokenization.fast.offsets import token_offsets
from jbert.tokenization.fast.pipeline import build_pipeline
from jbert.tokenization.fast.pretokenize import UNK_CHAR, Unit
from jbert.tokenization.fast.truncation import Options, sample_rows
from jbert.tokenization.fast.wordpiece import tokenize_units
from jbert.tokenization.inputs import Ranges, as_batch, chunk_samples, gc_paused, layout
from jbert.tokenization.segmenters.base import SUBWORD_TYPES

__all__ = ["SUBWORD_TYPES", "BertJapaneseTokenizerFast"]

_SPACE = re.compile(r"\s")


def _lowered(token: Any, special: bool) -> Any:
    """`token` as PreTrainedTokenizer._add_tokens stores it for a lower-casing tokenizer."""
    if isinstance(token, str):
        return token if special else AddedToken(token.lower(), rstrip=False, lstrip=False, normalized=True,
                                                special=False)
    if not token.special and not special and token.normalized:
        token = AddedToken(token.content.lower(), rstrip=token.rstrip, lstrip=token.lstrip,
                           single_word=token.single_word, normalized=True, special=False)
    return token


class BertJapaneseTokenizerFast(TokenizersBackend):
    """Fast, offset-aware twin of `transformers.BertJapaneseTokenizer`.

    Word segmenters: MeCab, Sudachi, Juman++ (or none, ``do_word_tokenize=False``); subwords: WordPiece,
    characters, SentencePiece (or none, ``do_subword_tokenize=False``). See docs/tokenizers.md.

    Build it with `jbert.tokenization.load_tokenizer(dir)`; `save_pretrained` writes the portable
    BertJapaneseTokenizer format (vocab.txt + tokenizer_config.json), never a tokenizer.json.
    """

    vocab_files_names = {"vocab_file": "vocab.txt"}
    model_input_names = ["input_ids", "token_type_ids", "attention_mask"]
    model = WordPiece
    # characters per pipeline step (MeCab segments the next chunk meanwhile); 8k beat 16k and 4k on JGLUE
    chunk_chars = 8_192

    def __init__(
        self,
        vocab_file: str | None = None,
        vocab: dict[str, int] | None = None,
        do_lower_case: bool = False,
        word_tokenizer_type: str = "mecab",
        subword_tokenizer_type: str = "wordpiece",
        mecab_kwargs: dict[str, Any] | None = None,
        sudachi_kwargs: dict[str, Any] | None = None,
        jumanpp_kwargs: dict[str, Any] | None = None,
        spm_file: str | None = None,
        do_word_tokenize: bool = True,
        do_subword_tokenize: bool = True,
        never_split: list[str] | None = None,
        unk_token: str = "[UNK]",
        sep_token: str = "[SEP]",
        pad_token: str = "[PAD]",
        cls_token: str = "[CLS]",
        mask_token: str = "[MASK]",
        mecab_threads: int | None = None,
        **kwargs: Any,
    ):
        # chiTra (word_tokenizer_type "sudachipy", jbert.tokenization.segmenters.chitra): its options, folded in
        sudachipy_kwargs = kwargs.pop("sudachipy_kwargs", None)
        settings = {"word_tokenizer_type": word_tokenizer_type, "subword_tokenizer_type": subword_tokenizer_type,
                    "do_word_tokenize": do_word_tokenize, "do_subword_tokenize": do_subword_tokenize,
                    "do_lower_case": do_lower_case, "mecab_kwargs": mecab_kwargs, "sudachi_kwargs": sudachi_kwargs,
                    "jumanpp_kwargs": jumanpp_kwargs, "spm_file": spm_file, "sudachipy_kwargs": sudachipy_kwargs}
        pipeline = build_pipeline(settings, vocab, vocab_file, str(unk_token), mecab_threads)
        vocab, self._pre, self._wordpiece = pipeline.vocab, pipeline.pre, pipeline.subwords
        self._base_vocab: OrderedDict[str, int] = OrderedDict(vocab)
        for name in ("tokenizer_file", "tokenizer_object"):  # the backend is always built from the vocabulary
            kwargs.pop(name, None)
        self._tokenizer = Tokenizer(
            WordPiece(dict(vocab), unk_token=str(unk_token), max_input_chars_per_word=100, continuing_subword_prefix="##")
        )
        self._tokenizer.pre_tokenizer = pre_tokenizers.Split(" ", behavior="removed")
        sentencepiece = subword_tokenizer_type == "sentencepiece"
        self._tokenizer.decoder = decoders.Metaspace() if sentencepiece else decoders.WordPiece(prefix="##")
        self.do_lower_case = do_lower_case
        self.do_word_tokenize = do_word_tokenize
        self.do_subword_tokenize = do_subword_tokenize
        self.word_tokenizer_type = word_tokenizer_type
        self.subword_tokenizer_type = subword_tokenizer_type
        self.spm_file = spm_file
        self.mecab_kwargs = dict(mecab_kwargs) if mecab_kwargs is not None else None
        self.sudachi_kwargs = dict(sudachi_kwargs) if sudachi_kwargs is not None else None
        self.jumanpp_kwargs = dict(jumanpp_kwargs) if jumanpp_kwargs is not None else None
        self.sudachipy_kwargs = dict(sudachipy_kwargs) if sudachipy_kwargs is not None else None
        if sudachipy_kwargs is not None:
            kwargs["sudachipy_kwargs"] = sudachipy_kwargs
        self.never_split = never_split
        self.fingerprint: dict[str, Any] | None = None
        self.recorded_fingerprint: dict[str, Any] | None = None  # as written when the vocab was built
        super().__init__(
            do_lower_case=do_lower_case,
            word_tokenizer_type=word_tokenizer_type,
            subword_tokenizer_type=subword_tokenizer_type,
            mecab_kwargs=mecab_kwargs,
            sudachi_kwargs=sudachi_kwargs,
            jumanpp_kwargs=jumanpp_kwargs,
            do_word_tokenize=do_word_tokenize,
            do_subword_tokenize=do_subword_tokenize,
            never_split=never_split,
            unk_token=unk_token,
            sep_token=sep_token,
            pad_token=pad_token,
            cls_token=cls_token,
            mask_token=mask_token,
            **kwargs,
        )
        cls, sep = str(self.cls_token), str(self.sep_token)
        self._tokenizer.post_processor = processors.TemplateProcessing(
            single=f"{cls}:0 $A:0 {sep}:0",
            pair=f"{cls}:0 $A:0 {sep}:0 $B:1 {sep}:1",
            special_tokens=[(cls, self.cls_token_id), (sep, self.sep_token_id)],
        )
        self._sync_added_tokens()

    @property
    def mecab_threads(self) -> int:
        """MeCab worker threads (0: MeCab runs in the calling thread; other segmenters always 0). Settable."""
        return self._pre.segmenter.threads

    @mecab_threads.setter
    def mecab_threads(self, value: int) -> None:
        segmenter = self._pre.segmenter
        self._pre.segmenter = type(segmenter)(segmenter.kwargs, value)

    def update_post_processor(self) -> None:
        """BERT's template is set in __init__; the base class's bos/eos template does not apply."""

    def _sync_added_tokens(self) -> None:
        added = self.added_tokens_decoder
        self._pre.set_added_tokens(list(added.values()))
        # a literal with whitespace is one word in the joined form: its spaces are written as UNK_CHAR
        self._wordpiece.set_literals({_SPACE.sub(UNK_CHAR, token.content): index for index, token in added.items()})
        self._pre.never_split = set(self.all_special_tokens) | set(self.never_split or [])

    def _add_tokens(self, new_tokens: list[Any], special_tokens: bool = False) -> int:
        if self.do_lower_case:  # the slow tokenizer lower-cases a normalised, non-special token's content
            new_tokens = [_lowered(t, special_tokens or str(t) in self.all_special_tokens) for t in new_tokens]
        added = super()._add_tokens(new_tokens, special_tokens=special_tokens)
        if getattr(self, "_pre", None) is not None:
            self._sync_added_tokens()
        return added

    # ---- encoding ----------------------------------------------------------------------------------------

    def _encode_plus(  # noqa: PLR0913 - the signature transformers calls
        self,
        text: Any,
        text_pair: Any = None,
        add_special_tokens: bool = True,
        padding_strategy: PaddingStrategy = PaddingStrategy.DO_NOT_PAD,
        truncation_strategy: TruncationStrategy = TruncationStrategy.DO_NOT_TRUNCATE,
        max_length: int | None = None,
        stride: int = 0,
        is_split_into_words: bool = False,
        pad_to_multiple_of: int | None = None,
        padding_side: str | None = None,
        return_tensors: Any = None,
        return_token_type_ids: bool | None = None,
        return_attention_mask: bool | None = None,
        return_overflowing_tokens: bool = False,
        return_special_tokens_mask: bool = False,
        return_offsets_mapping: bool = False,
        return_length: bool = False,
        verbose: bool = True,
        split_special_tokens: bool | None = None,
        **kwargs: Any,
    ) -> BatchEncoding:
        with gc_paused():
            batched, texts, pairs = as_batch(text, text_pair, is_split_into_words)
            split_special = self.split_special_tokens if split_special_tokens is None else split_special_tokens
            opts = Options(add_special_tokens, truncation_strategy.value, max_length, stride,
                           return_overflowing_tokens, self.truncation_side)
            keys = self._output_keys(return_token_type_ids, return_attention_mask, return_special_tokens_mask,
                                     return_offsets_mapping)
            data, rows, samples = self._encode_rows(texts, pairs, is_split_into_words, split_special, opts, keys)
            pad_outputs(data, rows, padding_strategy.value, max_length, pad_to_multiple_of,
                        padding_side or self.padding_side, self.pad_token_id)
            if return_length:
                data["length"] = [len(ids) for ids in data["input_ids"]]
            if return_overflowing_tokens:
                data["overflow_to_sample_mapping"] = samples
            if data["input_ids"]:  # it warns once, about the longest
                self._eventual_warn_about_too_long_sequence(max(data["input_ids"], key=len), max_length, verbose)
            if not batched and return_tensors is None and not return_overflowing_tokens:
                data = {k: v[0] for k, v in data.items()}
            return BatchEncoding(data, rows, tensor_type=return_tensors)

    def _encode_rows(self, texts: list[Any], pairs: list[Any] | None, split_words: bool, split_special: bool,
                     opts: Options, keys: set[str]) -> tuple[dict[str, list[Any]], list[RowEncoding], list[int]]:
        """All rows of a call, chunk by chunk (MeCab works on the next chunk while this one is encoded)."""
        data: dict[str, list[Any]] = {k: [] for k in ["input_ids", *sorted(keys)]}
        rows: list[RowEncoding] = []
        samples: list[int] = []
        chunks = chunk_samples(texts, pairs, split_words, self.chunk_chars)
        layouts = [layout([texts[i] for i in c], [pairs[i] for i in c] if pairs else None, split_words)
                   for c in chunks]
        stream = self._pre.prepare_stream((strings for strings, _ in layouts), split_special)
        for chunk, (_, seqs), units in zip(chunks, layouts, stream, strict=True):
            chunk_rows, chunk_samples_ = self._rows(units, seqs, opts, split_words)
            for key, values in row_outputs(chunk_rows, keys).items():
                data[key] += values
            rows += chunk_rows
            samples += [chunk[s] for s in chunk_samples_]
        return data, rows, samples

    def _rows(self, units: list[Unit], seqs: list[Ranges], opts: Options, split_words: bool
              ) -> tuple[list[RowEncoding], list[int]]:
        """Model rows (overflow windows included) of one chunk of samples, and the sample of each row."""
        tokens = tokenize_units(self._wordpiece, units)
        batch = RowBatch(tokens, split_words, self._tokenizer.id_to_token, partial(token_offsets, self._pre, units, tokens),
                         (self.cls_token_id, self.sep_token_id, self.pad_token_id))
        rows, samples = [], []
        cls_id, sep_id, bounds = self.cls_token_id, self.sep_token_id, tokens.bounds.tolist()
        for i, (a, b) in enumerate(seqs):
            span_a = (bounds[a[0]], bounds[a[1]], a[0])
            span_b = (bounds[b[0]], bounds[b[1]], b[0]) if b else None
            for segments in sample_rows(span_a, span_b, opts, cls_id, sep_id):
                rows.append(RowEncoding(batch, segments, 2 if b else 1))
                samples.append(i)
        return rows, samples

    def _output_keys(self, type_ids: bool | None, attention: bool | None, special: bool, offsets: bool) -> set[str]:
        keys = set()
        if type_ids or (type_ids is None and "token_type_ids" in self.model_input_names):
            keys.add("token_type_ids")
        if attention or (attention is None and "attention_mask" in self.model_input_names):
            keys.add("attention_mask")
        if special:
            keys.add("special_tokens_mask")
        if offsets:
            keys.add("offset_mapping")
        return keys

    # ---- pickling, saving ----------------------------------------------------------------------------------

    # The file formats (portable BertJapaneseTokenizer files, chiTra's, fingerprints) live in
    # jbert.tokenization.loading, which builds on this class; it installs them here on import. Importing this
    # module imports the jbert.tokenization package first, which imports loading: the hook is always set.
    file_format: ClassVar[Any] = None

    def save_pretrained(self, save_directory: str | os.PathLike, *args: Any, **kwargs: Any) -> tuple[str, ...]:
        """Write the portable BertJapaneseTokenizer format (vocab.txt + tokenizer_config.json) + a fingerprint.

        Plain `transformers.AutoTokenizer` loads the result as BertJapaneseTokenizer; `load_tokenizer` loads it
        back as this class. No tokenizer.json is written: plain transformers would load it as a different tokenizer.
        """
        return type(self).file_format.save(self, save_directory, *args, **kwargs)

    @classmethod
    def from_pretrained(cls, name_or_path: str | os.PathLike, *args: Any, **kwargs: Any) -> BertJapaneseTokenizerFast:
        """Same as `jbert.tokenization.load_tokenizer` for a BertJapaneseTokenizer (MeCab) directory."""
        return cls.file_format.load(str(name_or_path), **kwargs)
