"""The streaming prediction core: order, ids, chunking, batching, errors, truncation, n-best."""

from __future__ import annotations

import itertools
import json
from dataclasses import replace

import numpy as np
import pytest
from _finetuned import DATA, MODELS, read_jsonl

from jbert.data import Example
from jbert.errors import ConfigError, DataFormatError
from jbert.inference import PredictConfig, Predictor, RowError, chunked, resolve_device, run_predict
from jbert.inference.inputs import input_reader, read_items
from jbert.modeldir import load_finetuned
from jbert.readers import read
from jbert.tasks import load_spec

JNLI = MODELS["pair-classification"][2]


def _predict(finetuned, head, tmp_path, **kw):
    out = tmp_path / f"{head}.jsonl"
    cfg = PredictConfig(
        model=str(finetuned(head)), inputs=[str(MODELS[head][2])], output=str(out), device="cpu", **kw
    )
    return run_predict(cfg), read_jsonl(out)


def _gold_rows(head):
    spec, path = load_spec(MODELS[head][0]), MODELS[head][2]
    return list(read(path, spec, input_reader(path, spec)))


@pytest.mark.parametrize("head", list(MODELS))
def test_every_head_one_row_per_input_row_in_order_with_ids(finetuned, tmp_path, head):
    summary, rows = _predict(finetuned, head, tmp_path)
    gold = _gold_rows(head)
    assert [r["id"] for r in rows] == [e.id for e in gold]
    assert summary.rows_in == summary.rows_out == len(gold) and summary.rows_error == 0
    for row, example in zip(rows, gold, strict=True):
        _check_shape(head, row, example)


def _check_shape(head, row, example):
    labels = MODELS[head][1]
    if head in ("classification", "pair-classification"):
        assert row["label"] in labels and set(row["probabilities"]) == set(labels)
        assert sum(row["probabilities"].values()) == pytest.approx(1.0)
        assert row["score"] == max(row["probabilities"].values())
    elif head == "pair-regression":
        assert isinstance(row["score"], float)
    elif head == "choice":
        assert row["label"] in range(len(example.choices)) and len(row["probabilities"]) == len(
            example.choices
        )
    elif head == "span":
        assert example.text_pair[row["start"] : row["end"]] == row["answer"] and "n_best" not in row
    elif head == "token":
        for ent in row["entities"]:
            assert example.text[ent["start"] : ent["end"]] == ent["text"] and ent["label"] in labels


def test_small_chunks_give_the_same_rows_as_one_chunk(finetuned, tmp_path):
    (tmp_path / "one").mkdir()
    _, whole = _predict(finetuned, "pair-classification", tmp_path / "one")
    _, chunked_rows = _predict(finetuned, "pair-classification", tmp_path, chunk_size=5, batch_size=3)
    assert [r["id"] for r in chunked_rows] == [r["id"] for r in whole]
    for a, b in zip(whole, chunked_rows, strict=True):
        assert a["label"] == b["label"] and a["score"] == pytest.approx(b["score"], abs=1e-5)


@pytest.mark.parametrize("head", ["pair-classification", "token", "span", "choice"])
def test_length_sorted_batches_give_the_outputs_of_one_example_at_a_time(finetuned, head):
    ft = load_finetuned(finetuned(head), device="cpu")
    examples = _gold_rows(head)[:9]
    features = ft.head.encode(examples, ft.tokenizer, ft.options)
    batched = Predictor(ft.head, ft.tokenizer, ft.model, ft.options, batch_size=4, device="cpu").forward(
        features
    )
    single = Predictor(ft.head, ft.tokenizer, ft.model, ft.options, batch_size=1, device="cpu").forward(
        features
    )
    batched, single = (x if isinstance(x, tuple) else (x,) for x in (batched, single))
    for b, s in zip(batched, single, strict=True):
        assert b.shape == s.shape and len(b) == len(features)
        per_token = head in ("token", "span")
        for i, feature in enumerate(features):
            n = len(feature["input_ids"]) if per_token else None
            # Inside a feature's length the values agree; past it, batching leaves padding.
            np.testing.assert_allclose(b[i, :n], s[i, :n], atol=1e-4)
            if per_token:
                assert (s[i, n:] == -100).all()


def test_truncation_is_counted(finetuned, tmp_path):
    summary, rows = _predict(finetuned, "pair-regression", tmp_path, max_length=10)
    assert 0 < summary.truncated <= len(rows)
    summary, _ = _predict(finetuned, "pair-regression", tmp_path, max_length=512)
    assert summary.truncated == 0


def test_n_best_only_when_asked(finetuned, tmp_path):
    _, rows = _predict(finetuned, "span", tmp_path, n_best=3)
    assert all(1 <= len(r["n_best"]) <= 3 for r in rows)
    assert rows[0]["n_best"][0]["text"] == rows[0]["answer"]


def _jnli_with_bad_rows(tmp_path):
    lines = JNLI.read_text(encoding="utf-8").splitlines()[:6]
    lines[1] = '{"sentence_pair_id": "x", "sentence1": "no pair"}'
    lines[3] = "{not json"
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_skip_mode_sends_bad_rows_to_the_errors_file(finetuned, tmp_path):
    src, out = _jnli_with_bad_rows(tmp_path), tmp_path / "out.jsonl"
    cfg = PredictConfig(
        model=str(finetuned("pair-classification")),
        inputs=[str(src)],
        output=str(out),
        on_error="skip",
        chunk_size=4,
        device="cpu",
    )
    summary = run_predict(cfg)
    assert (summary.rows_in, summary.rows_out, summary.rows_error) == (6, 4, 2)
    assert summary.errors_path == f"{out}.errors.jsonl"
    errors = read_jsonl(tmp_path / "out.jsonl.errors.jsonl")
    assert [e["line"] for e in errors] == [2, 4]
    assert "no column 'sentence2'" in errors[0]["error"] and errors[1]["error"].startswith("invalid JSON")
    assert [r["id"] for r in read_jsonl(out)] == [
        json.loads(x)["sentence_pair_id"]
        for i, x in enumerate(src.read_text().splitlines())
        if i in (0, 2, 4, 5)
    ]


def test_fail_mode_stops_with_file_and_line_and_leaves_no_output(finetuned, tmp_path):
    src, out = _jnli_with_bad_rows(tmp_path), tmp_path / "out.jsonl"
    cfg = PredictConfig(
        model=str(finetuned("pair-classification")),
        inputs=[str(src)],
        output=str(out),
        chunk_size=1,
        device="cpu",
    )
    with pytest.raises(DataFormatError, match=f"^{src}:2: no column 'sentence2'"):
        run_predict(cfg)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]


def test_head_errors_are_skipped_row_by_row(finetuned):
    ft = load_finetuned(finetuned("pair-classification"), device="cpu")
    good = _gold_rows("pair-classification")[:3]
    bad = replace(good[1], text_pair=None)
    predictor = Predictor(ft.head, ft.tokenizer, ft.model, ft.options, device="cpu")
    pairs, errors = predictor.predict([good[0], bad, good[2]], skip_errors=True)
    assert [e.id for e, _ in pairs] == [good[0].id, good[2].id]
    assert errors == [RowError(str(JNLI), bad.line, errors[0].reason, bad.id)]
    assert "no second text" in errors[0].reason
    with pytest.raises(DataFormatError, match="no second text"):
        predictor.predict([good[0], bad])


def test_stream_is_lazy_so_memory_stays_flat(finetuned):
    ft = load_finetuned(finetuned("classification"), device="cpu")
    predictor = Predictor(ft.head, ft.tokenizer, ft.model, ft.options, device="cpu")
    endless = (Example(id=str(i), line=i, text=f"{i}番目の商品です。") for i in itertools.count(1))
    first_two = list(itertools.islice(predictor.stream(endless, chunk_size=5), 2))
    assert [len(pairs) for pairs, _ in first_two] == [5, 5]
    assert first_two[1][0][0][1].id == "6"


def test_chunked():
    assert list(chunked(range(5), 2)) == [[0, 1], [2, 3], [4]]
    assert list(chunked([], 3)) == []


def test_resolve_device():
    assert resolve_device("cpu") == "cpu"
    assert resolve_device(None) in ("cpu", "cuda")
    with pytest.raises(ConfigError, match="--device 'gpu0' is not a device; use cpu, cuda, cuda:1 or auto"):
        resolve_device("gpu0")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a.jsonl", "squad"),  # the SQuAD reader reads flat QA rows in .jsonl itself
        ("a.csv", "csv"),
        ("a.TSV", "tsv"),
        ("a.txt", "text"),
        ("a.conll", "conll"),
        ("a.json", "squad"),
        ("-", "squad"),
    ],
)
def test_input_reader_by_extension(name, expected):
    assert input_reader(name, load_spec("jsquad")) == expected
    assert input_reader(name, load_spec("jsquad"), "csv") == "csv"


def test_unknown_input_format():
    with pytest.raises(
        ConfigError, match="unknown reader 'xml'; available: conll, csv, jsonl, squad, text, tsv"
    ):
        input_reader("a.jsonl", load_spec("jsts"), "xml")


@pytest.mark.parametrize(
    ("reader", "content"),
    [
        ("jsonl", '{"id": "a", "text": "一つ目", "label": "x"}\n\n{"id": "b", "text": "二つ目"}\n'),
        ("csv", 'id,text\na,"一つ, 目"\n\nb,"複数\n行"\n'),
        ("tsv", "id\ttext\na\t一つ目\nb\t二つ目\n"),
        ("text", "一つ目\n\n三つ目\n"),
    ],
)
def test_skip_and_fail_modes_read_a_clean_file_alike(tmp_path, reader, content):
    path = tmp_path / f"in.{reader if reader != 'text' else 'txt'}"
    path.write_text(content, encoding="utf-8")
    spec = load_spec("classification")
    skipping = list(read_items(path, spec, reader, skip_errors=True))
    assert skipping == list(read_items(path, spec, reader, skip_errors=False)) == list(read(path, spec, reader))


def test_ragged_csv_row_is_isolated(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("id,text\na,ok\nb,too,many\nc,fine\n", encoding="utf-8")
    items = list(read_items(path, load_spec("classification"), "csv", skip_errors=True))
    assert [getattr(x, "id", None) for x in items] == ["a", None, "c"]
    assert items[1] == RowError(str(path), 3, "3 fields but the header has 2 (quote fields that contain the delimiter)")


def test_bad_config_values_fail_before_loading_the_model(tmp_path):
    base = {"model": str(tmp_path / "missing"), "inputs": ["x.jsonl"]}
    for extra, message in [
        ({"on_error": "ignore"}, "--on-error must be one of fail, skip, got 'ignore'"),
        ({"inputs": []}, "no input files"),
        ({"n_best": 0}, "--n-best must be at least 1"),
        ({"format": "xml"}, "unknown output format 'xml'"),
        ({"inputs": ["-", "-"]}, "stdin (-) can be read only once"),
    ]:
        with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
            run_predict(PredictConfig(**{**base, **extra}))


def test_progress_bar_reports_rows_per_second_on_stderr(finetuned, tmp_path, capsys):
    _predict(finetuned, "classification", tmp_path, progress=True)
    err = capsys.readouterr().err
    assert "predict: " in err and " rows/s" in err


def test_bf16_autocast_on_a_cpu_with_native_bf16(monkeypatch, finetuned):
    """--precision bf16 runs the model under bf16 autocast (outputs back in fp32, close to fp32 ones);
    fp16 on a CPU is refused with the fix."""
    import numpy as np

    import jbert.precision
    from jbert.errors import ConfigError
    from jbert.inference import Predictor
    from jbert.modeldir import load_finetuned
    from jbert.readers import read

    ft = load_finetuned(finetuned("pair-regression"), device="cpu")
    examples = list(read(MODELS["pair-regression"][2], ft.spec))[:8]
    features = ft.head.encode(examples, ft.tokenizer, ft.options)
    fp32 = Predictor(ft.head, ft.tokenizer, ft.model, ft.options, device="cpu").forward(features)
    monkeypatch.setattr(jbert.precision, "cpu_has_bf16", lambda: True)
    bf16 = Predictor(ft.head, ft.tokenizer, ft.model, ft.options, device="cpu", precision="bf16")
    out = bf16.forward(features)
    assert bf16.dtype is not None and out.dtype == np.float32
    assert np.allclose(out, fp32, atol=0.1) and not np.array_equal(out, fp32)
    with pytest.raises(ConfigError, match="--precision fp16 needs a CUDA GPU"):
        Predictor(ft.head, ft.tokenizer, ft.model, ft.options, device="cpu", precision="fp16")


@pytest.mark.parametrize(
    ("head", "name", "good", "bad_lines"),
    [
        ("token", "broken.conll", ["1", "3", "5"], [8, 17]),
        ("span", "broken_squad.json", ["q1", "q6"], [2, 3, 4, 5, 6]),
    ],
)
def test_skip_mode_isolates_rows_of_conll_and_squad_files(finetuned, tmp_path, head, name, good, bad_lines):
    out = tmp_path / "out.jsonl"
    cfg = PredictConfig(model=str(finetuned(head)), inputs=[str(DATA / "broken" / name)], output=str(out),
                        on_error="skip", device="cpu")
    summary = run_predict(cfg)
    assert summary.rows_in == summary.rows_out + summary.rows_error == len(good) + len(bad_lines)
    assert [r["id"] for r in read_jsonl(out)] == good
    assert [e["line"] for e in read_jsonl(tmp_path / "out.jsonl.errors.jsonl")] == bad_lines
