"""chiTra's tokenizer (sudachitra's BertSudachipyTokenizer) through jbert's fast tokenizer: identical ids.

tests/data/chitra/recorded.json holds sudachitra's own ids on the JGLUE validation texts for three
configurations (chiTra-1.0, chiTra-1.1, and one with every normaliser flag), recorded by
tests/data/chitra/make_recorded.py in an environment with sudachitra (it needs transformers 4). With
sudachitra importable here, the same texts are also compared live.
"""

from __future__ import annotations

import importlib.metadata
import json
import logging
from pathlib import Path

import pytest

from jbert.errors import TokenizerLoadError
from jbert.tokenization import load_tokenizer

pytest.importorskip("sudachidict_core")  # in the dev extra, with sudachipy
RECORD_DIR = Path(__file__).resolve().parents[1] / "data" / "chitra"
RECORDED = json.loads((RECORD_DIR / "recorded.json").read_text(encoding="utf-8"))


def chitra_dir(out: Path, **config) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    (out / "vocab.txt").write_bytes((RECORD_DIR / "vocab.txt").read_bytes())
    (out / "tokenizer_config.json").write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")
    return out


def _same_dictionary() -> None:
    for package in ("SudachiPy", "SudachiDict-core"):
        recorded, installed = RECORDED["versions"][package], importlib.metadata.version(package)
        if recorded != installed:
            pytest.skip(f"recorded with {package} {recorded}, {installed} installed: Sudachi may segment differently")


@pytest.mark.parametrize("name", sorted(RECORDED["configs"]))
def test_ids_equal_sudachitras_recorded_output(name: str, tmp_path: Path) -> None:
    _same_dictionary()
    tok = load_tokenizer(chitra_dir(tmp_path / name, **RECORDED["configs"][name]))
    expected = RECORDED["outputs"][name]
    assert tok(RECORDED["texts"])["input_ids"] == expected["texts"]
    pairs = RECORDED["pairs"]
    assert tok([a for a, _ in pairs], [b for _, b in pairs])["input_ids"] == expected["pairs"]


@pytest.mark.parametrize("name", sorted(RECORDED["configs"]))
def test_ids_equal_sudachitra_live(name: str, tmp_path: Path) -> None:
    sudachitra = pytest.importorskip("sudachitra", reason="sudachitra needs transformers 4 "
                                     "(tokenization_bert.WordpieceTokenizer); the recorded test covers it")
    path = chitra_dir(tmp_path / name, **RECORDED["configs"][name])
    reference, tok = sudachitra.BertSudachipyTokenizer.from_pretrained(str(path)), load_tokenizer(path)
    assert tok(RECORDED["texts"])["input_ids"] == [reference(t)["input_ids"] for t in RECORDED["texts"]]


def test_offsets_point_at_each_words_morpheme(tmp_path: Path) -> None:
    tok = load_tokenizer(chitra_dir(tmp_path / "c", **RECORDED["configs"]["chiTra-1.1"]))
    text = "ＡＢＣの附属病院"
    enc = tok(text, return_offsets_mapping=True)
    rows = [(t, text[s:e]) for t, (s, e) in zip(tok.convert_ids_to_tokens(enc["input_ids"]), enc["offset_mapping"],
                                                 strict=True)]
    # NFKC'd "ABC"; Sudachi's normalised form 付属 of 附属, piece by piece on the original characters
    assert rows[1:5] == [("ABC", "ＡＢＣ"), ("の", "の"), ("付", "附"), ("##属", "属")]
    assert enc.word_ids()[3] == enc.word_ids()[4]


def test_saved_directory_is_sudachitras_format_and_loads_back(tmp_path: Path) -> None:
    config = RECORDED["configs"]["chiTra-1.0"]
    tok = load_tokenizer(chitra_dir(tmp_path / "c", **config))
    tok.save_pretrained(tmp_path / "saved")
    saved = json.loads((tmp_path / "saved" / "tokenizer_config.json").read_text(encoding="utf-8"))
    assert {k: saved[k] for k in config if k != "model_max_length"} == {k: v for k, v in config.items()
                                                                      if k != "model_max_length"}
    again = load_tokenizer(tmp_path / "saved")
    assert again(RECORDED["texts"][:40])["input_ids"] == tok(RECORDED["texts"][:40])["input_ids"]


@pytest.mark.parametrize(("option", "fragment"), [
    ({"word_form_type": "normalized_conjugation"}, "word_form_type 'normalized_conjugation'"),
    ({"subword_tokenizer_type": "pos_substitution"}, "subword_tokenizer_type 'pos_substitution'"),
    ({"subword_tokenizer_type": "character"}, "subword_tokenizer_type 'character'"),
    ({"sudachipy_kwargs": {"split_mode": "C", "projection": "normalized"}}, "sudachipy_kwargs key(s) projection"),
])
def test_what_jbert_cannot_reproduce_is_refused_in_one_line(option: dict, fragment: str, tmp_path: Path,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    path = chitra_dir(tmp_path / "c", **{**RECORDED["configs"]["chiTra-1.1"], **option})
    with caplog.at_level(logging.WARNING), pytest.raises(TokenizerLoadError) as info:
        load_tokenizer(path)
    assert "\n" not in str(info.value) and fragment in str(info.value) and "sudachitra" in str(info.value)
