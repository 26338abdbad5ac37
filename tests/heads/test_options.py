"""Encode/decode settings: one definition, one validation, wherever they are set."""

from dataclasses import replace

import pytest

from jbert.config.encoding import DecodingConfig, EncodeOptions, EncodingConfig
from jbert.config.run import JbertConfig, build_config
from jbert.config.tasks import load_spec
from jbert.errors import ConfigError
from jbert.heads import get_head


def test_one_set_of_defaults():
    cfg = JbertConfig()
    options = EncodeOptions.of(cfg.encoding, cfg.decoding, train=True)
    assert (options.max_length, options.doc_stride, options.n_best_size, options.max_answer_length) == (
        cfg.encoding.max_length, cfg.encoding.doc_stride, cfg.decoding.n_best_size, cfg.decoding.max_answer_length
    )
    assert EncodeOptions() == options
    assert cfg.encoding == EncodingConfig() and cfg.decoding == DecodingConfig()


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ({"max_length": 4}, "encoding.max_length must be at least 5, got 4"),
        ({"max_length": 128, "doc_stride": 65}, "encoding.doc_stride must be between 1 and half of max_length (64), got 65"),
        ({"doc_stride": 0}, "encoding.doc_stride must be between 1 and half of max_length (64), got 0"),
        ({"n_best_size": 0}, "decoding.n_best_size must be at least 1, got 0"),
        ({"max_answer_length": -1}, "decoding.max_answer_length must be at least 1, got -1"),
    ],
)
def test_the_same_check_for_the_config_and_for_the_heads_options(setting, message):
    overrides = [f"{'decoding' if k in ('n_best_size', 'max_answer_length') else 'encoding'}.{k}={v}"
                 for k, v in setting.items()]
    escaped = message.replace("(", r"\(").replace(")", r"\)")
    with pytest.raises(ConfigError, match=escaped):
        build_config(overrides=overrides)
    with pytest.raises(ConfigError, match=escaped):
        EncodeOptions(**setting)
    with pytest.raises(ConfigError, match=escaped):  # predict and eval change options with replace()
        replace(EncodeOptions(), **setting)


def test_doc_stride_unset_is_a_third_of_max_length():
    assert EncodeOptions(max_length=384).stride == 128
    assert EncodeOptions(max_length=128).stride == 42
    assert EncodeOptions(max_length=384, doc_stride=100).stride == 100


def test_configs_saved_with_qa_decoding_under_encoding_still_load():
    cfg = JbertConfig.from_dict({"encoding": {"max_length": 384, "doc_stride": 128, "n_best_size": 5,
                                              "max_answer_length": 12}})
    assert (cfg.decoding.n_best_size, cfg.decoding.max_answer_length) == (5, 12)


def test_generic_qa_reports_questions_that_shrink_the_overlap(fast_tokenizer, caplog):
    from jbert.data import Answer, Example

    head = get_head("span")(load_spec("qa"))
    context = "東京は日本の首都である。" * 20
    long_question = "日本の首都はどこで、どのような都市で、何が有名で、人口はどれほどですか。" * 2
    rows = [Example(id=str(i), line=i, text=q, text_pair=context, answers=(Answer("東京", 0),))
            for i, q in enumerate(["首都は?", long_question], start=1)]
    head.encode(rows, fast_tokenizer, EncodeOptions(max_length=64))
    assert head.stats.stride_reduced == 1
    assert "1 question(s) leave a window less than twice doc_stride (21)" in caplog.text
