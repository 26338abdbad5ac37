"""The masked-positions-only MLM head gives the dense head's loss and gradients, for every architecture
it knows (tiny configs, dropout 0); an unknown one keeps the dense head."""

import pytest
import torch
import transformers

from jbert.pretraining.sparse_head import SPARSE_HEADS, use_sparse_head

VOCAB = 50
BERTISH = {"vocab_size": VOCAB, "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2,
           "intermediate_size": 64, "hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0}
ROBERTA = {**BERTISH, "pad_token_id": 1, "max_position_embeddings": 40, "type_vocab_size": 1}
DEBERTA = {**BERTISH, "relative_attention": True, "position_biased_input": False, "pos_att_type": ["p2c", "c2p"],
           "type_vocab_size": 0, "pad_token_id": 0}
CONFIGS = {  # (config class, model class, kwargs, extra inputs the batch carries)
    "bert": ("BertConfig", "BertForMaskedLM", BERTISH, ("token_type_ids",)),
    "roberta": ("RobertaConfig", "RobertaForMaskedLM", ROBERTA, ()),
    "roberta-positions-from-zero": ("RobertaConfig", "RobertaForMaskedLM", ROBERTA, ("position_ids",)),
    "xlm-roberta": ("XLMRobertaConfig", "XLMRobertaForMaskedLM", ROBERTA, ()),
    "camembert": ("CamembertConfig", "CamembertForMaskedLM", ROBERTA, ()),
    "deberta-v2-legacy": ("DebertaV2Config", "DebertaV2ForMaskedLM", {**DEBERTA, "legacy": True}, ()),
    "deberta-v2": ("DebertaV2Config", "DebertaV2ForMaskedLM", {**DEBERTA, "legacy": False}, ()),
    "electra": ("ElectraConfig", "ElectraForMaskedLM", {**BERTISH, "embedding_size": 16}, ("token_type_ids",)),
    "distilbert": ("DistilBertConfig", "DistilBertForMaskedLM",
                   {"vocab_size": VOCAB, "dim": 32, "n_layers": 2, "n_heads": 2, "hidden_dim": 64, "dropout": 0.0,
                    "attention_dropout": 0.0}, ()),
    "modernbert": ("ModernBertConfig", "ModernBertForMaskedLM",
                   {"vocab_size": VOCAB, "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2,
                    "intermediate_size": 64, "pad_token_id": 0, "sparse_prediction": True}, ()),
}


def _pair(name: str):
    config_class, model_class, kwargs, extra = CONFIGS[name]
    config = getattr(transformers, config_class)(**kwargs)
    torch.manual_seed(0)
    dense = getattr(transformers, model_class)(config)
    sparse = getattr(transformers, model_class)(config)
    sparse.load_state_dict(dense.state_dict())
    return dense, sparse, extra


def _batch(extra: tuple[str, ...]) -> dict:
    torch.manual_seed(1)
    ids = torch.randint(5, VOCAB, (3, 12))
    labels = torch.where(torch.rand(3, 12) < 0.3, ids, torch.full_like(ids, -100))
    labels[0, 0] = ids[0, 0]
    mask = torch.ones_like(ids)
    mask[2, 8:] = 0
    batch = {"input_ids": ids, "attention_mask": mask, "labels": labels}
    if "token_type_ids" in extra:
        batch["token_type_ids"] = (torch.arange(12) >= 6).long().expand(3, 12)
    if "position_ids" in extra:  # rinna's RoBERTa: counted from 0, not from pad_token_id + 1
        batch["position_ids"] = torch.arange(12).expand(3, 12)
    return batch


def test_every_registered_architecture_is_tested():
    assert {c[1] for c in CONFIGS.values()} == set(SPARSE_HEADS)


@pytest.mark.parametrize("name", list(CONFIGS))
def test_same_loss_and_gradients_as_the_dense_head(name):
    dense, sparse, extra = _pair(name)
    assert use_sparse_head(sparse)
    batch = _batch(extra)
    losses = []
    for model in (dense, sparse):
        model.train()
        out = model(**batch)
        out.loss.backward()
        losses.append(out.loss.item())
    if name == "modernbert":  # its own sparse prediction is off on the patched instance; the dense one used it
        assert dense.sparse_prediction and not sparse.sparse_prediction and sparse.config.sparse_prediction
    assert abs(losses[0] - losses[1]) < 1e-5
    for (param, a), b in zip(dense.named_parameters(), sparse.parameters(), strict=True):
        assert (a.grad is None) == (b.grad is None), param
        if a.grad is not None:
            assert torch.allclose(a.grad, b.grad, atol=1e-6), param
    _check_eval_counts(dense, sparse, batch)


def _check_eval_counts(dense, sparse, batch):
    """In eval mode the sparse head gives the held-out counts the dense logits give, and the same loss."""
    from jbert.pretraining.run import masked_counts

    dense.sparse_prediction = False  # the reference: full [batch, seq, vocab] logits (ModernBERT's own is on)
    dense.eval()
    sparse.eval()
    with torch.no_grad():
        full, counts = dense(**batch), sparse(**batch)
    labels = batch["labels"]
    assert full.logits.shape == (3, 12, VOCAB) and counts.logits.shape == (3, 3)
    assert torch.allclose(counts.logits, masked_counts(full.logits, labels), atol=1e-4)
    assert torch.equal(counts.logits[:, 2], (labels != -100).sum(1).float())
    assert abs(counts.loss.item() - full.loss.item()) < 1e-5


def test_position_ids_reach_the_encoder():
    """rinna's positions from 0 give another loss than transformers' own (from pad_token_id + 1)."""
    _, sparse, _ = _pair("roberta")
    use_sparse_head(sparse)
    sparse.train()
    batch = _batch(("position_ids",))
    from_zero = sparse(**batch).loss.item()
    batch.pop("position_ids")
    assert abs(sparse(**batch).loss.item() - from_zero) > 1e-4


def test_an_unknown_architecture_keeps_the_dense_head():
    config = transformers.FunnelConfig(vocab_size=VOCAB, block_sizes=[1, 1], d_model=32, n_head=2, d_head=16,
                                       d_inner=64)
    model = transformers.FunnelForMaskedLM(config)
    forward = model.forward
    assert not use_sparse_head(model)
    assert model.forward == forward
