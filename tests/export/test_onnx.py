"""The ONNX graph takes the inputs it was exported with, and OnnxModel feeds it only those."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("onnxruntime")


def test_graph_without_token_type_ids_ignores_them(tmp_path):
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    from jbert.errors import ConfigError
    from jbert.export.onnx import export_onnx
    from jbert.inference.onnx_model import OnnxModel

    torch.manual_seed(0)
    config = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32, num_labels=3)
    model = BertForSequenceClassification(config).eval()
    ids = torch.randint(5, 50, (3, 9))
    mask = torch.ones_like(ids)
    mask[0, 6:] = 0
    export_onnx(model, {"input_ids": ids, "attention_mask": mask}, ["logits"], tmp_path / "m.onnx")
    onnx = OnnxModel(tmp_path / "m.onnx").to("cpu").eval()
    assert onnx.input_names == ["input_ids", "attention_mask"] and onnx.output_names == ["logits"]
    # another batch size and length than the traced batch: the axes are dynamic
    ids2 = torch.randint(5, 50, (1, 14))
    got = onnx(input_ids=ids2, attention_mask=torch.ones_like(ids2), token_type_ids=torch.zeros_like(ids2))
    with torch.inference_mode():
        want = model(input_ids=ids2, attention_mask=torch.ones_like(ids2)).logits
    assert isinstance(got["logits"], np.ndarray)  # numpy in, numpy out: no torch needed to predict
    assert np.allclose(got["logits"], want.numpy(), atol=1e-5)
    with pytest.raises(ConfigError, match="needs input"):
        onnx(input_ids=ids2)


def test_batch_recorded_in_inference_mode_is_traced_without_the_strict_fallback(tmp_path, monkeypatch):
    """The predictor records its batch under ``torch.inference_mode()``; traced as is, torch.onnx's
    preferred non-strict capture fails on it and the exporter retries with the slower dynamo one."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    from jbert.export.onnx import export_onnx

    config = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32)
    model = BertForSequenceClassification(config).eval()
    with torch.inference_mode():
        ids = torch.randint(5, 50, (2, 7))
        batch = {"input_ids": ids, "attention_mask": torch.ones_like(ids)}
    captures, export = [], torch.export.export

    def recording(*args, **kwargs):
        captures.append(kwargs.get("strict"))
        return export(*args, **kwargs)

    monkeypatch.setattr(torch.export, "export", recording)
    export_onnx(model, batch, ["logits"], tmp_path / "m.onnx")
    assert captures == [False]  # one capture, non-strict, and it succeeded
