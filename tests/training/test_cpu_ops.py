"""FastDropout must be nn.Dropout with another random source: same p, scale, gradient, modes."""

import pytest
import torch
from torch import nn
from transformers import BertConfig, BertForSequenceClassification

from jbert.training.cpu_ops import FastDropout, use_fast_dropout


@pytest.mark.parametrize("p", [0.1, 0.5])
def test_drops_a_p_share_and_scales_the_rest(p):
    torch.manual_seed(0)
    x = torch.rand(200_000) + 1.0  # no zeros of its own
    y = FastDropout(p).train()(x)
    dropped = (y == 0).float().mean().item()
    assert abs(dropped - p) < 0.005  # 200k Bernoulli draws: the standard error is < 0.0012
    kept = y != 0
    assert torch.allclose(y[kept], x[kept] / (1 - p))


def test_gradient_is_the_forward_mask_times_the_scale():
    torch.manual_seed(1)
    x = torch.randn(64, 32, requires_grad=True)
    y = FastDropout(0.2).train()(x)
    y.backward(torch.ones_like(y))
    expected = (y.detach() != 0).float() / 0.8
    assert torch.equal(x.grad, expected)


def test_eval_mode_and_p_zero_are_the_identity():
    x = torch.randn(8, 8)
    assert FastDropout(0.3).eval()(x) is x
    assert FastDropout(0.0).train()(x) is x
    assert torch.equal(FastDropout(1.0).train()(x), torch.zeros_like(x))


def test_masks_follow_torchs_seed():
    x = torch.ones(1000)
    torch.manual_seed(7)
    a = FastDropout(0.1).train()(x)
    torch.manual_seed(7)
    b = FastDropout(0.1).train()(x)
    assert torch.equal(a, b)


class _OwnDropout(nn.Dropout):
    """A model's own dropout class: its behaviour may differ, so it is not swapped."""


def test_swaps_only_plain_dropout_and_keeps_the_state_dict():
    config = BertConfig(vocab_size=30, hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=32, num_labels=2)
    model = BertForSequenceClassification(config)
    model.custom = _OwnDropout(0.1)
    keys = list(model.state_dict())
    plain = sum(type(m) is nn.Dropout for m in model.modules())
    assert use_fast_dropout(model) == plain > 0
    assert not any(type(m) is nn.Dropout for m in model.modules())
    assert type(model.custom) is _OwnDropout
    assert list(model.state_dict()) == keys
    model.eval()
    ids = torch.tensor([[2, 5, 6, 3]])
    assert model(input_ids=ids).logits.shape == (1, 2)


def test_bf16_activations_keep_their_dtype_and_drop_rate():
    torch.manual_seed(3)
    x = torch.ones(100_000, dtype=torch.bfloat16)
    y = FastDropout(0.1).train()(x)
    assert y.dtype == torch.bfloat16
    assert abs((y == 0).float().mean().item() - 0.1) < 0.005
