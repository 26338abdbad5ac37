"""The masked-positions-only MLM head gives the dense head's loss and gradients."""

import torch
from transformers import BertConfig, BertForMaskedLM

from jbert.pretraining.sparse_head import use_sparse_head


def test_same_loss_and_gradients_as_the_dense_head():
    config = BertConfig(vocab_size=50, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    torch.manual_seed(0)
    dense, sparse = BertForMaskedLM(config), BertForMaskedLM(config)
    sparse.load_state_dict(dense.state_dict())
    assert use_sparse_head(sparse)
    ids = torch.randint(5, 50, (3, 12))
    labels = torch.where(torch.rand(3, 12) < 0.3, ids, torch.full_like(ids, -100))
    labels[0, 0] = ids[0, 0]
    mask = torch.ones_like(ids)
    mask[2, 8:] = 0
    losses = []
    for model in (dense, sparse):
        model.train()
        out = model(input_ids=ids, attention_mask=mask, labels=labels)
        out.loss.backward()
        losses.append(out.loss.item())
    assert abs(losses[0] - losses[1]) < 1e-5
    for (name, a), b in zip(dense.named_parameters(), sparse.parameters(), strict=True):
        assert torch.allclose(a.grad, b.grad, atol=1e-6), name
    sparse.eval()  # evaluation keeps the full logits (metrics need them)
    assert sparse(input_ids=ids, attention_mask=mask, labels=labels).logits.shape == (3, 12, 50)
