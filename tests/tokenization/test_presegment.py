"""Models pre-trained on Juman++-segmented text: recognised by name and by vocabulary, pre-segmented when
`jumanpp` is on PATH (`fake_jumanpp`, conftest.py: replays recorded output, tests/data/jumanpp), loudly warned
otherwise."""

from __future__ import annotations

import pickle
import shutil
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from jbert.errors import TokenizerLoadError
from jbert.tokenization.dictprobe import mecab_kwargs_for, probe_texts
from jbert.tokenization.doctor import diagnose
from jbert.tokenization.jumanpp_models import PresegmentationWarning, needs_presegmentation
from jbert.tokenization.loading import load_tokenizer
from jbert.tokenization.segmenters.mecab import make_tagger, segment_joined
from jbert.tokenization.segmenters.presegment import (
    PresegmentedTokenizer,
    jumanpp_segmenter,
    segment_words,
    spaced_with_map,
)

pytest.importorskip("jumandic")
RECORDED = ["外国人参政権について議論した。", "東京 タワーに行った", "ｱｯﾌﾟﾙﾊﾟｲを食べた"]
JUMANPP_WORDS = [["外国", "人", "参政", "権", "に", "ついて", "議論", "した", "。"],
                 ["東京", "タワー", "に", "行った"], ["ｱｯﾌﾟﾙﾊﾟｲ", "を", "食べた"]]


def _sentencepiece_dir(out: Path, spaced: bool) -> Path:
    """A Unigram + Metaspace tokenizer trained on raw probe text, or on it segmented into spaced words."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    texts = [unicodedata.normalize("NFKC", t) for t in probe_texts()]
    if spaced:
        tagger = make_tagger(mecab_kwargs_for("jumandic"))  # Juman++'s dictionary, standing in for Juman++
        texts = [segment_joined(tagger, t) for t in texts]
    tok = Tokenizer(models.Unigram())
    tok.normalizer, tok.pre_tokenizer, tok.decoder = normalizers.NFKC(), pre_tokenizers.Metaspace(), decoders.Metaspace()
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok.train_from_iterator(texts, trainers.UnigramTrainer(vocab_size=1200, special_tokens=specials, unk_token="[UNK]"))
    tok.post_processor = processors.TemplateProcessing(single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B [SEP]",
                                                       special_tokens=[("[CLS]", 2), ("[SEP]", 3)])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
                                   sep_token="[SEP]", mask_token="[MASK]")
    fast.save_pretrained(out)
    return out


@pytest.fixture(scope="module")
def spaced_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _sentencepiece_dir(tmp_path_factory.mktemp("sp") / "spaced", spaced=True)


@pytest.fixture(scope="module")
def raw_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _sentencepiece_dir(tmp_path_factory.mktemp("sp") / "raw", spaced=False)


@pytest.fixture
def no_jumanpp(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)


def test_vocabulary_probe_tells_spaced_from_raw_pretraining(spaced_dir: Path, raw_dir: Path) -> None:
    from transformers import AutoTokenizer

    from jbert.tokenization.jumanpp_models import _marked_starts

    spaced_tok, raw_tok = AutoTokenizer.from_pretrained(spaced_dir), AutoTokenizer.from_pretrained(raw_dir)
    spaced = needs_presegmentation(str(spaced_dir), spaced_tok)
    raw = needs_presegmentation(str(raw_dir), raw_tok)
    assert spaced.needed and not spaced.by_name and spaced.marked > 0.3 > raw.marked
    assert not raw.needed and raw.marked_starts is None  # only measured for models that need it
    # words after spaces start with a marked piece, not a lone mark, far more often
    assert spaced.marked_starts == round(_marked_starts(spaced_tok), 4) > 3 * _marked_starts(raw_tok)


def test_known_name_is_recognised(raw_dir: Path, tmp_path: Path) -> None:
    from transformers import AutoTokenizer

    snapshot = tmp_path / "models--ku-nlp--deberta-v2-base-japanese" / "snapshots" / "1"
    shutil.copytree(raw_dir, snapshot)
    verdict = needs_presegmentation(str(snapshot), AutoTokenizer.from_pretrained(snapshot))
    assert verdict.needed and verdict.by_name
    assert not needs_presegmentation("ku-nlp/deberta-v3-base-japanese", AutoTokenizer.from_pretrained(raw_dir)).needed


def test_without_jumanpp_load_warns_loudly(spaced_dir: Path, no_jumanpp: None) -> None:
    with pytest.warns(PresegmentationWarning, match=r"install Juman\+\+ .*segment your data"):
        tok = load_tokenizer(spaced_dir)
    assert not getattr(tok, "is_presegmented", False)
    report = diagnose(str(spaced_dir))
    assert not report.ok and report.findings[-1].check == "presegmentation"


def test_raw_model_is_left_alone(raw_dir: Path, fake_jumanpp: Path) -> None:
    assert not getattr(load_tokenizer(raw_dir), "is_presegmented", False)


def test_words_come_from_the_jumanpp_segmenter(fake_jumanpp: Path) -> None:
    segmenter = jumanpp_segmenter()
    assert [segment_words(segmenter, t) for t in RECORDED] == JUMANPP_WORDS  # alternatives and spaces dropped
    with pytest.raises(TokenizerLoadError, match=r"^Juman\+\+ failed on '記録にない文': .*github.com/ku-nlp/jumanpp") as info:
        segment_words(segmenter, "記録にない文")  # unrecorded: the fake exits, as a broken Juman++ would
    assert "\n" not in str(info.value)


def test_broken_jumanpp_stops_loading_in_one_line(spaced_dir: Path, fake_jumanpp: Path) -> None:
    fake_jumanpp.write_text("#!/bin/sh\nexit 1\n", encoding="utf-8")
    with pytest.raises(TokenizerLoadError, match=r"did not start as Juman\+\+ .*github.com/ku-nlp/jumanpp") as info:
        load_tokenizer(spaced_dir)
    assert "\n" not in str(info.value)


def test_spaced_map_points_into_the_raw_text() -> None:
    spaced, pos = spaced_with_map("東京 タワーに行った", ["東京", "タワー", "に", "行った"])
    assert spaced == "東京 タワー に 行った"
    assert [("東京 タワーに行った"[pos[i]]) for i, c in enumerate(spaced) if c != " "] == list("東京タワーに行った")


def _check_offsets(plain: Any, raw_of: Any, enc: Any) -> None:
    """Each remapped span holds, in the raw text, the characters the inner tokenizer's span covers in the
    spaced text (`raw_of(row, seq)`: the raw text of a row's sequence)."""
    checked = 0
    for row in range(len(enc["input_ids"])):
        seq_ids = enc.sequence_ids(row)
        for i, (start, end) in enumerate(enc["offset_mapping"][row]):
            seq = seq_ids[i]
            if seq is None or start == end:
                continue
            raw = raw_of(row, seq)
            spaced = " ".join(JUMANPP_WORDS[RECORDED.index(raw)])
            s, e = plain(spaced, return_offsets_mapping=True, add_special_tokens=False)["offset_mapping"][
                i - seq_ids.index(seq)]
            if spaced[s:e].strip():  # a lone mark on an inserted space has no raw characters of its own
                assert raw[start:end] == spaced[s:e].strip(), (raw, start, end, spaced, s, e)
                checked += 1
    assert checked > 5


def test_presegmented_tokenizer_ids_and_offsets(spaced_dir: Path, fake_jumanpp: Path) -> None:
    tok = load_tokenizer(spaced_dir)
    assert isinstance(tok, PresegmentedTokenizer) and tok.is_fast
    plain = tok.tokenizer
    enc = tok(RECORDED, return_offsets_mapping=True)
    assert enc["input_ids"] == plain([" ".join(w) for w in JUMANPP_WORDS])["input_ids"]
    assert enc["input_ids"] != plain(RECORDED)["input_ids"]
    _check_offsets(plain, lambda row, seq: RECORDED[row], enc)
    pair = tok(RECORDED[0], RECORDED[1], return_offsets_mapping=True, return_tensors="pt")
    assert pair["input_ids"].shape[0] == 1
    single = tok(RECORDED[1], RECORDED[2], return_offsets_mapping=True)
    _check_offsets(plain, lambda row, seq: RECORDED[1 + seq], _Single(single))
    clone = pickle.loads(pickle.dumps(tok))
    assert clone(RECORDED)["input_ids"] == enc["input_ids"] and len(clone) == len(plain)


def test_presegmented_windows_cover_the_raw_context(spaced_dir: Path, fake_jumanpp: Path) -> None:
    """QA-style windows (truncation of the context with a stride): spans stay in the raw context and cover it."""
    tok = load_tokenizer(spaced_dir)
    question, context = RECORDED[1], RECORDED[0]
    enc = tok([question], [context], truncation="only_second", max_length=20, stride=2,
              return_overflowing_tokens=True, return_offsets_mapping=True)
    assert len(enc["input_ids"]) > 1 and set(enc["overflow_to_sample_mapping"]) == {0}
    covered: set[int] = set()
    for row, offsets in enumerate(enc["offset_mapping"]):
        for (start, end), seq in zip(offsets, enc.sequence_ids(row), strict=True):
            if seq == 1 and end > start:
                assert 0 <= start < end <= len(context)
                covered.update(range(start, end))
    assert covered == set(range(len(context)))


class _Single:
    """One unbatched pair encoding seen as a batch of one row (for `_check_offsets`)."""

    def __init__(self, enc: Any):
        self.enc = enc

    def __getitem__(self, key: str) -> Any:
        return [self.enc[key]]

    def sequence_ids(self, row: int) -> list[int | None]:
        return self.enc.sequence_ids(row)
