"""rinna/japanese-roberta-base as its model card uses it: lower-cased input, [CLS] first, <unk> as the
SentencePiece model numbers it, and position ids counted from 0 in finetune, eval, predict and export."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import yaml
from zoo_cases import run_jbert


@pytest.fixture(scope="module")
def rinna_run(hub_dir, tmp_path_factory):
    return run_jbert(hub_dir("rinna-roberta"), "pair-classification", tmp_path_factory.mktemp("rinna"))


def test_tokenizer_lower_cases_with_a_warning_and_keeps_the_unknown_id(hub_dir, caplog):
    from jbert.tokenization import load_tokenizer

    with caplog.at_level(logging.WARNING, logger="jbert.tokenization.rinna"):
        tok = load_tokenizer(hub_dir("rinna-roberta"))
    assert "lower-casing every input" in caplog.text
    enc = tok("ＡＢＣ 😀")
    assert enc["input_ids"][0] == tok.convert_tokens_to_ids("[CLS]") == 4  # no </s> at the end
    assert tok.convert_ids_to_tokens(enc["input_ids"])[1:] == tok.convert_ids_to_tokens(tok("abc 😀")["input_ids"])[1:]
    assert 0 in enc["input_ids"] and 2 not in enc["input_ids"]  # <unk> is 0 here, not T5's 2 (</s>)


def test_positions_from_zero_are_saved_and_make_the_difference(rinna_run):
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from jbert.models.directory import CONFIG_FILE

    saved = yaml.safe_load((rinna_run.model / CONFIG_FILE).read_text(encoding="utf-8"))
    assert saved["model"]["position_ids"] == "from_zero"  # eval / predict need no flag
    model = AutoModelForSequenceClassification.from_pretrained(rinna_run.model).eval()
    assert model.config.jbert_position_ids == "from_zero"
    enc = AutoTokenizer.from_pretrained(rinna_run.model)("東京駅の近く", "駅前の店", return_tensors="pt")
    with torch.inference_mode():
        card = model(**enc, position_ids=torch.arange(enc["input_ids"].shape[1])[None]).logits
        transformers_default = model(**enc).logits
    assert not np.allclose(card.numpy(), transformers_default.numpy(), atol=1e-4)  # the check in the matrix bites


def test_onnx_export_takes_position_ids_and_agrees(rinna_run, tmp_path):
    pytest.importorskip("onnxruntime")
    import onnxruntime as ort

    from jbert.export.run import ExportConfig, run_export

    result = run_export(ExportConfig(model=str(rinna_run.model), output=str(tmp_path / "onnx"),
                                     data=str(rinna_run.valid), min_agreement=1.0))
    assert "position_ids" in result.record["inputs"]
    session = ort.InferenceSession(str(tmp_path / "onnx" / result.record["file"]), providers=["CPUExecutionProvider"])
    assert "position_ids" in [i.name for i in session.get_inputs()]


# Strings SentencePiece normalises with rules longer than one character (half-width voiced kana, combining
# (semi-)voiced marks), or by width and compatibility (full-width ASCII, ideographic space, circled numbers)
SPM_HARD = ["ﾃﾞｰﾀ\u3000ベース", "ﾊﾟｿｺﾝとｶﾞｷﾞｸﾞｹﾞｺﾞ", "か\u3099き\u3099は\u309aぱ", "ｳﾞｧｲｵﾘﾝ", "ｶﾞ\u3099ﾞ",
            "ＡＢＣ１２３！？", "全角\u3000空白\u3000\u3000二つ", "①②⑩㈱㍻", "ｦ\u0300", "Ｔｏｋｙｏ　２０２４年",
            "e\u0301t\u0301e\u0301", "\u3000先頭と末尾\u3000", "〜～ー－", "ｱｲｳｴｵ ｧｨｩｪｫ"]


def _spm_hard_strings():
    import json
    from pathlib import Path

    hard = json.loads((Path(__file__).parents[1] / "data" / "tokenization" / "hard_strings.json").read_text("utf-8"))
    return SPM_HARD + [t for t in hard if "[" not in t]


def test_ids_and_offsets_equal_sentencepiece_on_hard_strings(hub_dir):
    import sentencepiece as spm

    from jbert.tokenization import load_tokenizer

    tok = load_tokenizer(hub_dir("rinna-roberta"))
    sp = spm.SentencePieceProcessor(model_file=str(hub_dir("rinna-roberta") / "spiece.model"))
    for text in _spm_hard_strings():
        enc = tok(text, add_special_tokens=False, return_offsets_mapping=True)
        assert enc["input_ids"] == sp.encode(text.lower()), text
        pieces = tok.convert_ids_to_tokens(enc["input_ids"])
        for piece, (a, b), i in zip(pieces, enc["offset_mapping"], enc["input_ids"], strict=True):
            if i == sp.unk_id() or piece == "▁":
                continue
            # the span, normalised by SentencePiece itself, spells the piece (its ▁ is a space or the start);
            # a rule over several characters (ﾃﾞ -> デ) maps its output to the rule's last character only, and
            # one character may give several pieces (㈱ -> "(", "株", ")")
            spelled = [sp.normalize(text[max(a - k, 0) : b].lower()).replace("▁", "") for k in range(3)]
            assert any(piece.replace("▁", "") in s for s in spelled), (text, piece, text[a:b])


def test_exact_normaliser_survives_save_pickle_and_reload(hub_dir, tmp_path):
    import pickle

    from transformers import AutoTokenizer

    from jbert.tokenization import load_tokenizer

    tok = load_tokenizer(hub_dir("rinna-roberta"))
    texts = _spm_hard_strings()
    ids = tok(texts)["input_ids"]
    assert pickle.loads(pickle.dumps(tok))(texts)["input_ids"] == ids
    tok.save_pretrained(tmp_path)
    config = (tmp_path / "tokenizer_config.json").read_text(encoding="utf-8")
    assert "ExactSentencePieceFast" not in config  # saved as the plain class plain transformers loads
    assert load_tokenizer(tmp_path)(texts)["input_ids"] == ids
    plain = AutoTokenizer.from_pretrained(tmp_path)  # tokenizers' own Precompiled: the known difference
    assert plain("ＡＢＣ１２３")["input_ids"] == tok("ＡＢＣ１２３")["input_ids"]
