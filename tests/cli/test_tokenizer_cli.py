"""`jbert tokenizer train|show` through typer's CliRunner, including every error a user can hit."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jbert.cli import app

CORPUS = str(Path(__file__).resolve().parents[2] / "data" / "sample" / "corpus.txt")
runner = CliRunner()


def _run(*args: str):
    return runner.invoke(app, ["tokenizer", *args])


def _fails_with(result, message: str) -> None:
    """Exit code 1 and exactly one line: ``error: <message>``."""
    assert result.exit_code == 1, result.output
    assert result.output.strip() == f"error: {message}"


@pytest.fixture(scope="module")
def wordpiece_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cli") / "wp"
    result = _run("train", CORPUS, "--vocab-size", "1500", "--limit-alphabet", "400", "--output", str(out))
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"trained mecab-wordpiece tokenizer: 1500 tokens -> {out}"
    return out


@pytest.fixture(scope="module")
def unigram_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cli") / "sp"
    result = _run("train", CORPUS, "--type", "sentencepiece-unigram", "--vocab-size", "2000", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"trained sentencepiece-unigram tokenizer: 2000 tokens -> {out}"
    return out


# --- train -----------------------------------------------------------------------------------------


def test_train_wordpiece_loads_in_transformers(wordpiece_dir: Path) -> None:
    from transformers import AutoTokenizer

    assert sorted(p.name for p in wordpiece_dir.iterdir()) == ["jbert_tokenizer.json", "tokenizer_config.json", "vocab.txt"]
    tok = AutoTokenizer.from_pretrained(wordpiece_dir)
    assert type(tok).__name__ == "BertJapaneseTokenizer"
    assert tok.convert_ids_to_tokens(tok("猫です")["input_ids"])[0] == "[CLS]"


def test_train_unigram_loads_fast(unigram_dir: Path) -> None:
    from transformers import AutoTokenizer

    assert AutoTokenizer.from_pretrained(unigram_dir).is_fast


def test_train_jsonl_with_field_and_options(tmp_path: Path) -> None:
    corpus = tmp_path / "c.jsonl"
    corpus.write_text("".join(json.dumps({"text": f"テスト{i}の文です。"}) + "\n" for i in range(20)), encoding="utf-8")
    out = tmp_path / "tok"
    result = _run("train", str(corpus), "--field", "text", "--vocab-size", "80", "--dictionary", "unidic-lite",
                  "--lowercase", "--min-frequency", "3", "-o", str(out))
    assert result.exit_code == 0, result.output
    config = json.loads((out / "tokenizer_config.json").read_text(encoding="utf-8"))
    assert config["do_lower_case"] is True and config["mecab_kwargs"] == {"mecab_dic": "unidic_lite"}


def test_train_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nothere.txt"
    _fails_with(_run("train", str(missing), "-o", str(tmp_path / "tok")),
                f"{missing}: cannot read the corpus file: No such file or directory")


def test_train_empty_corpus(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n", encoding="utf-8")
    _fails_with(_run("train", str(empty), "-o", str(tmp_path / "tok")),
                f"{empty}: the corpus is empty (no non-blank line) (pass a file with text in it)")


def test_train_not_utf8(tmp_path: Path) -> None:
    sjis = tmp_path / "sjis.txt"
    sjis.write_bytes("一行目\n".encode() + "二行目\n".encode("shift_jis"))
    _fails_with(_run("train", str(sjis), "-o", str(tmp_path / "tok")),
                f"{sjis}:2: not UTF-8 (byte 0x93 at byte 1 of the line) "
                "(convert the file to UTF-8, e.g. iconv -f SHIFT_JIS -t UTF-8)")


def test_train_jsonl_without_field(tmp_path: Path) -> None:
    corpus = tmp_path / "c.jsonl"
    corpus.write_text('{"text": "a"}\n', encoding="utf-8")
    _fails_with(_run("train", str(corpus), "-o", str(tmp_path / "tok")),
                f"{corpus}: looks like JSON lines (pass --field NAME to say which field holds the text)")


def test_train_jsonl_bad_line(tmp_path: Path) -> None:
    corpus = tmp_path / "c.jsonl"
    corpus.write_text('{"text": "a"}\nnot json\n', encoding="utf-8")
    _fails_with(_run("train", str(corpus), "--field", "text", "-o", str(tmp_path / "tok")),
                f"{corpus}:2: not valid JSON (Expecting value at column 1) (write one JSON object a line)")


def test_train_jsonl_missing_field(tmp_path: Path) -> None:
    corpus = tmp_path / "c.jsonl"
    corpus.write_text('{"text": "a"}\n{"body": "b"}\n', encoding="utf-8")
    _fails_with(_run("train", str(corpus), "--field", "text", "-o", str(tmp_path / "tok")),
                f"{corpus}:2: no field 'text' (found: body) (pass --field with a field every line has)")


def test_train_vocab_too_small(tmp_path: Path) -> None:
    result = _run("train", CORPUS, "--vocab-size", "300", "-o", str(tmp_path / "tok"))
    assert result.exit_code == 1
    (line,) = result.output.strip().splitlines()
    assert line.startswith("error: vocab size 300 is too small: 5 special tokens + ")
    assert line.endswith("or keep fewer characters with e.g. --limit-alphabet 73)")
    assert not (tmp_path / "tok").exists()  # a failed run leaves no empty output directory behind


def test_failed_train_keeps_an_existing_tokenizer(tmp_path: Path) -> None:
    out = tmp_path / "tok"
    out.mkdir()
    (out / "vocab.txt").write_text("[PAD]\n", encoding="utf-8")  # an earlier tokenizer: retraining may replace it
    result = _run("train", CORPUS, "--vocab-size", "300", "-o", str(out))
    assert result.exit_code == 1 and "vocab size 300 is too small" in result.output
    assert [p.name for p in out.iterdir()] == ["vocab.txt"] and (out / "vocab.txt").read_text() == "[PAD]\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tok"]  # no lock or staging folder left beside it


def test_train_into_a_folder_of_other_files(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    _fails_with(_run("train", CORPUS, "-o", str(tmp_path)),
                f"--output {tmp_path} already exists and is not empty (it holds notes.txt); choose a new directory "
                "or remove it")


def test_train_unigram_vocab_too_small(tmp_path: Path) -> None:
    result = _run("train", CORPUS, "--type", "sentencepiece-unigram", "--vocab-size", "300", "-o", str(tmp_path / "t"))
    assert result.exit_code == 1
    (line,) = result.output.strip().splitlines()
    assert line.startswith("error: vocab size 300 is too small: 5 special tokens + ")
    assert line.endswith("or lower --character-coverage)")


def test_train_unknown_type(tmp_path: Path) -> None:
    _fails_with(_run("train", CORPUS, "--type", "bpe", "-o", str(tmp_path / "tok")),
                "unknown tokenizer type 'bpe'; available: mecab-wordpiece, sentencepiece-unigram")


def test_train_option_for_another_type(tmp_path: Path) -> None:
    _fails_with(
        _run("train", CORPUS, "--type", "sentencepiece-unigram", "--limit-alphabet", "10", "-o", str(tmp_path / "t")),
        "--limit-alphabet does not apply to --type sentencepiece-unigram "
        "(its options: --lowercase, --character-coverage, --num-threads)",
    )


def test_train_unknown_dictionary(tmp_path: Path) -> None:
    _fails_with(_run("train", CORPUS, "--dictionary", "juman", "-o", str(tmp_path / "tok")),
                "unknown --dictionary 'juman'; available: unidic_lite, unidic, ipadic")


def test_train_dictionary_not_installed_names_the_pip_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ipadic", None)  # not installed, whatever this machine has (dev has it)
    result = _run("train", CORPUS, "--dictionary", "ipadic", "-o", str(tmp_path / "tok"))
    assert result.exit_code == 1
    (line,) = result.output.strip().splitlines()
    assert line.startswith("error: ") and line.endswith("(pip install ipadic)")


def test_train_into_a_model_dir(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}")
    _fails_with(_run("train", CORPUS, "-o", str(tmp_path)),
                f"--output {tmp_path} holds a model (config.json); a new tokenizer would not match its embeddings "
                "(choose another --output)")


# --- show ------------------------------------------------------------------------------------------


def _show_json(tokenizer_dir: Path, text: str, pair: str | None = None) -> list[dict]:
    args = ["show", "--tokenizer", str(tokenizer_dir), text, "--json"] + (["--pair", pair] if pair else [])
    result = _run(*args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["text"] == text and data["pair"] == pair
    return data["tokens"]


@pytest.mark.parametrize("which", ["wordpiece_dir", "unigram_dir"])
def test_show_json_spans_are_substrings_of_the_input(which: str, request: pytest.FixtureRequest) -> None:
    tokenizer_dir = request.getfixturevalue(which)
    text, pair = "ＡＢＣの東京都に行きました。", "ｺｰﾋｰを飲む"
    rows = _show_json(tokenizer_dir, text, pair)
    assert rows[0]["token"] == "[CLS]" and rows[0]["start"] is None and rows[0]["text"] is None
    assert [r["index"] for r in rows] == list(range(len(rows)))
    for r in rows:
        if r["start"] is not None:
            source = text if r["segment"] == 0 else pair
            assert r["text"] == source[r["start"] : r["end"]]
    assert {r["segment"] for r in rows} == {0, 1}
    assert "".join(r["text"] for r in rows if r["segment"] == 0 and r["text"]) == text


def test_show_table(tiny_tokenizer_dir: Path) -> None:
    result = _run("show", "--tokenizer", str(tiny_tokenizer_dir), "東京に行く")
    assert result.exit_code == 0, result.output
    lines = result.output.rstrip("\n").splitlines()
    assert lines[0].split() == ["#", "token", "id", "seg", "start", "end", "text"]
    assert lines[1].split() == ["0", "[CLS]", "2", "0", "-", "-", "-"]
    assert lines[-1].split()[1] == "[SEP]"
    body = [line.split() for line in lines[2:-1]]
    assert "".join(row[-1] for row in body) == "東京に行く"
    for row in body:
        assert "東京に行く"[int(row[4]) : int(row[5])] == row[-1]


def test_show_missing_tokenizer(tmp_path: Path) -> None:
    result = _run("show", "--tokenizer", str(tmp_path / "nothere"), "テキスト")
    assert result.exit_code == 1
    (line,) = result.output.strip().splitlines()
    assert line.startswith("error: ") and "nothere" in line
