"""load_tokenizer: which tokenizer comes back, the errors that say how to fix, saving, pickling, processes."""

from __future__ import annotations

import json
import pickle
import sys
from pathlib import Path
from typing import Any

import pytest
from _tok_texts import BERT_INPUTS, HARD_STRINGS, jglue_texts, variant

from jbert.errors import TokenizerLoadError
from jbert.tokenization import BertJapaneseTokenizerFast, load_tokenizer


def _error(path: Path | str, **kwargs: Any) -> str:
    with pytest.raises(TokenizerLoadError) as info:
        load_tokenizer(path, **kwargs)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_mecab_directory_gives_the_fast_class_with_a_fingerprint(fast_tok: Any) -> None:
    assert isinstance(fast_tok, BertJapaneseTokenizerFast)
    assert fast_tok.fingerprint["dictionary"] == "unidic_lite"
    assert fast_tok.fingerprint["subword_tokenizer"] == "wordpiece"


@pytest.mark.parametrize(("dic", "package"), [("unidic", "pip install unidic"), ("ipadic", "pip install ipadic")])
def test_missing_dictionary_names_the_package(tmp_path: Path, tiny_tokenizer_dir: Path, dic: str, package: str,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, dic, None)  # missing, whether or not this machine has it
    path = variant(tiny_tokenizer_dir, tmp_path / dic, mecab_kwargs={"mecab_dic": dic})
    assert package in _error(path)


def test_missing_fugashi_names_the_package(tiny_tokenizer_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "fugashi", None)
    assert "pip install fugashi" in _error(tiny_tokenizer_dir)


def test_unknown_dictionary_lists_the_known_ones(tmp_path: Path, tiny_tokenizer_dir: Path) -> None:
    path = variant(tiny_tokenizer_dir, tmp_path / "x", mecab_kwargs={"mecab_dic": "jumandic"})
    message = _error(path)
    assert "jumandic" in message and "unidic_lite, unidic, ipadic" in message


@pytest.mark.parametrize(("config", "says"), [
    ({"word_tokenizer_type": "basic"}, "word_tokenizer_type 'basic'"),
    ({"subword_tokenizer_type": "bpe"}, "subword_tokenizer_type 'bpe'"),
    ({"subword_tokenizer_type": "sentencepiece"}, "spiece.model"),
    ({"subword_tokenizer_type": "sentencepiece", "spm_file": "x.model", "do_subword_tokenize": False},
     "do_subword_tokenize false"),
    ({"sudachi_kwargs": {"sudachi_split_mode": "D"}, "word_tokenizer_type": "sudachi"}, "sudachi_split_mode 'D'"),
    ({"sudachi_kwargs": {"split": "A"}, "word_tokenizer_type": "sudachi"}, "unknown sudachi_kwargs key(s) split"),
])
def test_unsupported_japanese_setups(tmp_path: Path, tiny_tokenizer_dir: Path, config: dict, says: str) -> None:
    assert says in _error(variant(tiny_tokenizer_dir, tmp_path / "v", **config))


def test_unknown_tokenizer_class(tmp_path: Path, tiny_tokenizer_dir: Path) -> None:
    message = _error(variant(tiny_tokenizer_dir, tmp_path / "u", tokenizer_class="NoSuchTokenizer"))
    assert "NoSuchTokenizer" in message


def test_chitra_sudachitra_options_jbert_cannot_reproduce_are_refused(tmp_path: Path, tiny_tokenizer_dir: Path) -> None:
    """A chiTra tokenizer_config loads (tests/tokenization/test_chitra.py); one option jbert does not reproduce
    exactly is refused in one line naming it and the package, never approximated."""
    chitra = {"tokenizer_class": "BertSudachipyTokenizer", "do_lower_case": False, "do_nfkc": True,
              "word_tokenizer_type": "sudachipy", "subword_tokenizer_type": "wordpiece",
              "word_form_type": "normalized_conjugation", "sudachipy_kwargs": {"split_mode": "C", "dict_type": "core"}}
    message = _error(variant(tiny_tokenizer_dir, tmp_path / "chitra", **chitra))
    assert "sudachitra" in message and "word_form_type 'normalized_conjugation'" in message


def test_missing_directory_and_file_paths(tmp_path: Path, tiny_tokenizer_dir: Path) -> None:
    assert "no such directory" in _error(tmp_path / "nowhere")
    assert "got a file" in _error(tiny_tokenizer_dir / "vocab.txt")


def test_slow_only_tokenizer_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import transformers

    class Slow:
        is_fast = False

    monkeypatch.setattr(transformers.AutoTokenizer, "from_pretrained", staticmethod(lambda *a, **k: Slow()))
    (tmp_path / "tokenizer_config.json").write_text(json.dumps({"tokenizer_class": "T5Tokenizer"}))
    assert "only a slow tokenizer (Slow)" in _error(tmp_path)


def test_other_models_get_their_own_fast_tokenizer(tmp_path: Path) -> None:
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    backend = Tokenizer(models.WordPiece({"[UNK]": 0, "[CLS]": 1, "[SEP]": 2, "a": 3, "##b": 4}, unk_token="[UNK]"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    PreTrainedTokenizerFast(tokenizer_object=backend, unk_token="[UNK]").save_pretrained(tmp_path)
    tok = load_tokenizer(tmp_path)
    assert tok.is_fast and not isinstance(tok, BertJapaneseTokenizerFast)
    assert tok("ab", add_special_tokens=False)["input_ids"] == [3, 4]


def test_fingerprint_mismatch_warns_on_load(tmp_path: Path, tiny_tokenizer_dir: Path) -> None:
    from jbert.tokenization.fingerprint import FINGERPRINT_FILE, TokenizerMismatchWarning, compute_fingerprint

    path = variant(tiny_tokenizer_dir, tmp_path / "fp")
    recorded = dict(compute_fingerprint(path), dictionary_version="0.0.1")
    (path / FINGERPRINT_FILE).write_text(json.dumps(recorded), encoding="utf-8")
    with pytest.warns(TokenizerMismatchWarning, match="unidic-lite==0.0.1"):
        load_tokenizer(path)


# ---- saving ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["wordpiece", "lower", "character"])
def test_save_pretrained_is_portable(request: pytest.FixtureRequest, tmp_path: Path, name: str) -> None:
    from transformers import AutoTokenizer

    source = {"wordpiece": "tiny_tokenizer_dir", "lower": "lower_tokenizer_dir", "character": "char_tokenizer_dir"}
    tok = load_tokenizer(request.getfixturevalue(source[name]))
    files = tok.save_pretrained(tmp_path / "saved")
    saved = tmp_path / "saved"
    assert not (saved / "tokenizer.json").exists()
    assert {"vocab.txt", "tokenizer_config.json", "jbert_tokenizer.json"} <= {Path(f).name for f in files}
    config = json.loads((saved / "tokenizer_config.json").read_text(encoding="utf-8"))
    assert config["tokenizer_class"] == "BertJapaneseTokenizer"
    assert (config["word_tokenizer_type"], config["subword_tokenizer_type"]) == ("mecab", tok.subword_tokenizer_type)
    assert config["mecab_kwargs"] == {"mecab_dic": "unidic_lite"} and config["do_lower_case"] == tok.do_lower_case
    plain = AutoTokenizer.from_pretrained(saved, model_input_names=BERT_INPUTS)
    assert type(plain).__name__ == "BertJapaneseTokenizer"
    again = load_tokenizer(saved)
    texts = jglue_texts()[0][:50] + HARD_STRINGS
    ids = tok(texts)["input_ids"]
    assert again(texts)["input_ids"] == ids
    assert [plain(t)["input_ids"] for t in texts] == ids


# ---- processes ---------------------------------------------------------------------------------------------------


def test_pickle_round_trip_drops_and_recreates_the_tagger(fast_tok: Any) -> None:
    texts = jglue_texts()[0][:30] + HARD_STRINGS
    expected = fast_tok(texts, return_offsets_mapping=True).data
    copy = pickle.loads(pickle.dumps(fast_tok))
    assert copy._pre.segmenter._tagger is None
    assert copy(texts, return_offsets_mapping=True).data == expected


def test_encodings_pickle_small_and_answer_the_same(fast_tok: Any) -> None:
    enc = fast_tok(["東京ﾃﾞｰﾀ", "大阪"], ["はい", "[MASK]"], padding=True, return_offsets_mapping=True)
    data = pickle.dumps(enc)
    assert len(data) < 5000  # the rows, not the tokenizer behind them
    copy = pickle.loads(data)
    for i in range(2):
        assert (copy.word_ids(i), copy.sequence_ids(i), copy.tokens(i)) == \
            (enc.word_ids(i), enc.sequence_ids(i), enc.tokens(i))
    assert copy["offset_mapping"] == enc["offset_mapping"]


def test_datasets_map_with_two_processes(fast_tok: Any) -> None:
    import datasets

    texts = jglue_texts()[0][:64]
    data = datasets.Dataset.from_dict({"text": texts})
    mapped = data.map(lambda b: fast_tok(b["text"], return_offsets_mapping=True), batched=True, batch_size=8,
                      num_proc=2, remove_columns=["text"])
    assert mapped["input_ids"] == fast_tok(texts)["input_ids"]
    assert [[tuple(o) for o in row] for row in mapped["offset_mapping"]] == \
        fast_tok(texts, return_offsets_mapping=True)["offset_mapping"]


def test_save_pretrained_carries_the_recorded_fingerprint(tiny_tokenizer_dir, tmp_path):
    """A record made at vocab-building time survives fine-tuning's re-save, so a later load still warns."""
    import shutil

    from jbert.tokenization import load_tokenizer
    from jbert.tokenization.fingerprint import (
        TokenizerMismatchWarning,
        compute_fingerprint,
        read_fingerprint,
        write_fingerprint,
    )

    src = tmp_path / "src"
    shutil.copytree(tiny_tokenizer_dir, src)
    record = {**compute_fingerprint(src), "dictionary_version": "0.0-recorded"}
    write_fingerprint(src, record=record)
    with pytest.warns(TokenizerMismatchWarning):
        tok = load_tokenizer(src)
    tok.save_pretrained(tmp_path / "out")
    assert read_fingerprint(tmp_path / "out")["dictionary_version"] == "0.0-recorded"
    with pytest.warns(TokenizerMismatchWarning, match="0.0-recorded"):
        load_tokenizer(tmp_path / "out")


def test_saved_tokenizer_gives_segment_ids_in_plain_transformers(tiny_tokenizer_dir, tmp_path):
    """transformers 5's BertJapaneseTokenizer drops token_type_ids unless model_input_names names them;
    a saved pair-task model must see the same inputs in plain transformers as in jbert."""
    from transformers import AutoTokenizer

    from jbert.tokenization import load_tokenizer

    fast = load_tokenizer(tiny_tokenizer_dir)
    fast.save_pretrained(tmp_path / "out")
    slow = AutoTokenizer.from_pretrained(tmp_path / "out")
    pair = ("猫が寝ています。", "猫が眠っている。")
    assert slow(*pair)["token_type_ids"] == fast(*pair)["token_type_ids"]
    assert set(slow(*pair)["token_type_ids"]) == {0, 1}
