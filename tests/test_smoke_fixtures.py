from transformers import AutoModel, AutoTokenizer


def test_tiny_fixtures_load_in_plain_transformers(tiny_model_dir):
    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    assert type(tok).__name__ == "BertJapaneseTokenizer"
    ids = tok("東京の天気は晴れです。")["input_ids"]
    assert ids[0] == tok.cls_token_id and ids[-1] == tok.sep_token_id
    assert tok.unk_token_id not in ids
    model = AutoModel.from_pretrained(tiny_model_dir)
    assert model.config.hidden_size == 32
