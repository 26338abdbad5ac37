"""IOB slips: repaired as conlleval/seqeval read them (default), refused with data.iob=strict."""

import logging
from pathlib import Path

import pytest

from jbert.config.tasks import load_spec
from jbert.data import Entity, RowError
from jbert.errors import ConfigError, DataFormatError
from jbert.readers import ReadContext, read, read_items
from jbert.readers.iob import join_tokens, tags_to_entities

BAD = Path(__file__).parent.parent / "data" / "bad"


def entities(tags, iob="repair"):
    tokens = ["東京", "の", "大学", "に", "行く"][: len(tags)]
    text, spans = join_tokens(tokens)
    context = ReadContext(iob=iob)
    found = tags_to_entities(tags, spans, text, Path("x.conll"), list(range(1, len(tags) + 1)), context)
    return found, context.slips


def test_an_i_tag_after_o_starts_an_entity():
    found, slips = entities(["O", "I-ORG", "I-ORG"])
    assert found == (Entity(2, 5, "ORG", "の大学"),)
    assert slips == [(2, "I-ORG")]


def test_an_i_tag_of_another_type_starts_a_new_entity():
    # seqeval (default mode) and conlleval: B-LOC I-ORG is two entities, LOC then ORG.
    found, slips = entities(["B-LOC", "I-ORG", "O"])
    assert found == (Entity(0, 2, "LOC", "東京"), Entity(2, 3, "ORG", "の"))
    assert slips == [(2, "I-ORG")]


def test_repair_agrees_with_seqeval():
    from seqeval.metrics.sequence_labeling import get_entities

    tags = ["I-LOC", "I-LOC", "O", "I-PER", "B-PER", "I-ORG"]
    tokens = ["a", "b", "c", "d", "e", "f"]
    text, spans = join_tokens(tokens)  # ASCII letters: joined with spaces, each token 1 char
    found = tags_to_entities(tags, spans, text, Path("x"), list(range(1, 7)), ReadContext())
    expected = [(label, spans[s][0], spans[e][1]) for label, s, e in get_entities(tags)]
    assert [(e.label, e.start, e.end) for e in found] == expected


def test_strict_mode_refuses_with_file_and_line():
    with pytest.raises(DataFormatError, match=r"x.conll:2: 'I-ORG' does not continue a B-ORG or I-ORG \(start the "):
        entities(["O", "I-ORG"], iob="strict")


def test_reader_warns_once_per_file_naming_the_lines(caplog):
    with caplog.at_level(logging.WARNING):
        first, second = read(BAD / "bad_iob.conll", load_spec("ner"))
    assert second.entities == (Entity(0, 2, "LOC", "東京"),)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "bad_iob.conll: 1 IOB tag(s) continue no entity" in warnings[0] and "line 4 (I-LOC)" in warnings[0]


def test_strict_reader_gives_a_row_error_and_read_raises():
    items = list(read_items(BAD / "bad_iob.conll", load_spec("ner"), context=ReadContext(iob="strict")))
    assert not isinstance(items[0], RowError)
    assert isinstance(items[1], RowError) and items[1].line == 4 and items[1].kind == "iob"
    with pytest.raises(DataFormatError, match=r"bad_iob.conll:4: 'I-LOC' does not continue a B-LOC"):
        list(read(BAD / "bad_iob.conll", load_spec("ner"), iob="strict"))


def test_jsonl_token_rows_follow_the_same_rule(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('{"tokens": ["東京", "大学"], "tags": ["O", "I-ORG"]}\n', encoding="utf-8")
    (example,) = read(path, load_spec("ner"), reader="jsonl")
    assert example.entities == (Entity(2, 4, "ORG", "大学"),)
    with pytest.raises(DataFormatError, match=r"x.jsonl:1: 'I-ORG' does not continue"):
        list(read(path, load_spec("ner"), reader="jsonl", iob="strict"))


def test_unknown_mode_is_a_config_error():
    with pytest.raises(ConfigError, match="data.iob must be one of repair, strict"):
        ReadContext(iob="lenient")
