"""The dictionary trap: a MeCab config that names no dictionary gets the one its vocabulary was built with.

Hub-like directories (`_zoo_dirs.tohoku_dir`): Tohoku v1 (ipadic vocabulary, no mecab_kwargs, as the real
cl-tohoku/bert-base-japanese has) and v2/v3-style (unidic_lite, named). The probe must pick the dictionary
each vocabulary came from, the choice must be saved, and plain transformers must then give jbert's ids.
"""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

import pytest
from _zoo_dirs import tohoku_dir

from jbert.errors import TokenizerLoadError
from jbert.tokenization import dictchoice
from jbert.tokenization.dictchoice import DictionaryChoiceWarning, dictionary_override, hub_name, is_silent
from jbert.tokenization.dictprobe import mecab_kwargs_for, probe_dictionaries, probe_texts
from jbert.tokenization.doctor import diagnose
from jbert.tokenization.loading import load_tokenizer

pytest.importorskip("ipadic")
TEXTS = ["東京都の大学で自然言語処理を研究しています。", "ｱｯﾌﾟﾙﾊﾟｲを食べた", "黒い鍋の中に複数のソーセージが入っています。"]


@pytest.fixture(scope="module")
def zoo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("zoo")
    return {
        "v1": tohoku_dir(root / "v1", "ipadic", silent=True),
        "v2": tohoku_dir(root / "v2", "unidic_lite", silent=False),
        "silent_unidic": tohoku_dir(root / "silent_unidic", "unidic_lite", silent=True),
        "jumandic": tohoku_dir(root / "jumandic", "jumandic", silent=True),
        "v1_char": tohoku_dir(root / "v1_char", "ipadic", silent=True, subword="character"),
    }


def _vocab(path: Path) -> dict[str, int]:
    return {t: i for i, t in enumerate(path.joinpath("vocab.txt").read_text(encoding="utf-8").splitlines())}


@pytest.mark.parametrize(("key", "dictionary"), [("v1", "ipadic"), ("v2", "unidic_lite"), ("jumandic", "jumandic")])
def test_probe_picks_the_vocabulary_dictionary(zoo: dict[str, Path], key: str, dictionary: str) -> None:
    verdict = probe_dictionaries(_vocab(zoo[key]))
    assert verdict.chosen == dictionary and verdict.decisive, verdict.figures()
    best, runner_up = [s for s in verdict.scores if s.installed][:2]
    assert best.distinct - runner_up.distinct > 0.15 and best.distinct_words >= 30
    assert best.kept > 0.97 > runner_up.kept  # the vocabulary's own words survive only their dictionary
    assert best.whole > runner_up.whole


def test_character_vocabulary_is_not_decided_by_the_probe(zoo: dict[str, Path]) -> None:
    verdict = probe_dictionaries(_vocab(zoo["v1_char"]), subword="character")
    assert verdict.chosen is None and not verdict.decisive and "character" in verdict.reason


def test_silent_v1_gets_ipadic_loudly_and_ids_of_ipadic(zoo: dict[str, Path]) -> None:
    from transformers import BertJapaneseTokenizer

    with pytest.warns(DictionaryChoiceWarning, match=r"jbert uses ipadic .*ipadic: \d+\.\d% of its \d+ distinctive words"):
        tok = load_tokenizer(zoo["v1"])
    assert tok.mecab_kwargs == {"mecab_dic": "ipadic"}
    ref = BertJapaneseTokenizer.from_pretrained(zoo["v1"], mecab_kwargs={"mecab_dic": "ipadic"})
    default = BertJapaneseTokenizer.from_pretrained(zoo["v1"])  # transformers' silent unidic_lite
    texts = list(probe_texts())
    assert tok(texts)["input_ids"] == ref(texts)["input_ids"]
    assert tok(texts)["input_ids"] != default(texts)["input_ids"]  # the trap is real on this vocabulary


def test_saved_config_records_the_choice_and_plain_transformers_agrees(zoo: dict[str, Path], tmp_path: Path) -> None:
    from transformers import AutoTokenizer

    with pytest.warns(DictionaryChoiceWarning):
        tok = load_tokenizer(zoo["v1"])
    tok.save_pretrained(tmp_path)
    saved = json.loads((tmp_path / "tokenizer_config.json").read_text(encoding="utf-8"))
    assert saved["mecab_kwargs"] == {"mecab_dic": "ipadic"}
    assert json.loads((tmp_path / "jbert_tokenizer.json").read_text(encoding="utf-8"))["dictionary"] == "ipadic"
    plain = AutoTokenizer.from_pretrained(tmp_path)
    texts = list(probe_texts()) + TEXTS
    assert plain(texts)["input_ids"] == tok(texts)["input_ids"]
    with warnings.catch_warnings():
        warnings.simplefilter("error", DictionaryChoiceWarning)  # explicit now: no probe, no warning
        assert load_tokenizer(tmp_path)(texts)["input_ids"] == tok(texts)["input_ids"]


def test_silent_config_matching_the_default_is_recorded_without_warning(zoo: dict[str, Path]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", DictionaryChoiceWarning)
        tok = load_tokenizer(zoo["silent_unidic"])
    assert tok.mecab_kwargs == {"mecab_dic": "unidic_lite"}


def test_named_dictionary_is_not_probed(zoo: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dictchoice, "dictionary_verdict", lambda *a: pytest.fail("probed an explicit config"))
    config = json.loads((zoo["v2"] / "tokenizer_config.json").read_text(encoding="utf-8"))
    assert not is_silent(config)
    assert dictionary_override(str(zoo["v2"]), config, {}) == {}
    assert dictionary_override(str(zoo["v1"]), {"word_tokenizer_type": "mecab"}, {"mecab_kwargs": {}}) == {}
    assert not is_silent({"word_tokenizer_type": "mecab", "mecab_kwargs": {"mecab_option": "-d /x"}})


def test_jumandic_choice_goes_through_mecab_option(zoo: dict[str, Path]) -> None:
    from transformers import BertJapaneseTokenizer

    with pytest.warns(DictionaryChoiceWarning, match="jbert uses jumandic"):
        tok = load_tokenizer(zoo["jumandic"])
    assert tok.mecab_kwargs["mecab_dic"] is None and "jumandic" in tok.mecab_kwargs["mecab_option"]
    ref = BertJapaneseTokenizer.from_pretrained(zoo["jumandic"], mecab_kwargs=mecab_kwargs_for("jumandic"))
    assert tok(TEXTS)["input_ids"] == ref(TEXTS)["input_ids"]


def test_known_hub_model_uses_its_documented_dictionary(zoo: dict[str, Path], tmp_path: Path) -> None:
    # A hub-cache path of cl-tohoku/bert-base-japanese-char: the character vocabulary cannot tell, the name can.
    snapshot = tmp_path / "models--cl-tohoku--bert-base-japanese-char" / "snapshots" / "abc"
    shutil.copytree(zoo["v1_char"], snapshot)
    assert hub_name(str(snapshot)) == "cl-tohoku/bert-base-japanese-char"
    with pytest.warns(DictionaryChoiceWarning, match=r"model card"):
        tok = load_tokenizer(snapshot)
    assert tok.mecab_kwargs == {"mecab_dic": "ipadic"}


def test_missing_dictionary_names_the_package(zoo: dict[str, Path], tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    snapshot = tmp_path / "models--cl-tohoku--bert-base-japanese" / "snapshots" / "abc"
    shutil.copytree(zoo["v1"], snapshot)
    monkeypatch.setattr(dictchoice, "installed", lambda d: d != "ipadic")
    with pytest.raises(TokenizerLoadError, match=r"'ipadic', which is not installed \(pip install ipadic\)"):
        load_tokenizer(snapshot)


def test_doctor_report_for_v1(zoo: dict[str, Path]) -> None:
    report = diagnose(str(zoo["v1"]))
    found = {f.check: f for f in report.findings}
    assert report.ok and found["dictionary"].status == "warn"
    assert found["dictionary"].details["chosen"] == "ipadic" and found["dictionary"].details["silent"]
    assert found["dictionary"].details["ids"]["differ_with_default"] > 0
    assert found["options"].status == "ok" and found["options"].details["identical"] == len(probe_texts())


def test_doctor_fails_on_a_fingerprint_mismatch(zoo: dict[str, Path], tmp_path: Path) -> None:
    with pytest.warns(DictionaryChoiceWarning):
        load_tokenizer(zoo["v1"]).save_pretrained(tmp_path)
    record = json.loads((tmp_path / "jbert_tokenizer.json").read_text(encoding="utf-8"))
    record["dictionary_version"] = "0.0.1"
    (tmp_path / "jbert_tokenizer.json").write_text(json.dumps(record), encoding="utf-8")
    report = diagnose(str(tmp_path))
    finding = next(f for f in report.findings if f.check == "fingerprint")
    assert not report.ok and finding.status == "fail" and "dictionary_version: '0.0.1'" in finding.message


def test_inconclusive_probe_keeps_the_default(zoo: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    from jbert.tokenization import dictprobe

    monkeypatch.setattr(dictprobe, "MARGIN", 1.0)  # nothing can win by 100 points
    monkeypatch.setattr(dictchoice, "_verdict", dictchoice._verdict.__wrapped__)  # no cached verdict
    config = json.loads((zoo["v1"] / "tokenizer_config.json").read_text(encoding="utf-8"))
    chosen, why, verdict = dictchoice.choose_dictionary(str(zoo["v1"]), config)
    assert (chosen, verdict.chosen, verdict.decisive) == ("unidic_lite", "ipadic", False)
    assert why.startswith("inconclusive: ipadic's distinctive words") and "keeping transformers' default" in why
