"""The bar-level encoder-decoder: shapes, masking of padding and of codebook entries of another bar length, and
overfitting one tiny batch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from seq2drum.config import TrainConfig
from seq2drum.training.batches import BarBatch
from seq2drum.song.bars import FeatureSpec
from seq2drum.model.heard import heard_drums
from seq2drum.model.network import ARCHITECTURE, GrooveSeq2Drum, build_model
from seq2drum.training.objective import losses
from tests.builders import TINY_MODEL, tiny_codebook

SPEC = FeatureSpec.current(4)
CODEBOOK = tiny_codebook()
S = SPEC.max_bar_steps


def make_model(attention: bool, seed: int = 0, **changes: object) -> GrooveSeq2Drum:
    torch.manual_seed(seed)
    return build_model(ARCHITECTURE, TINY_MODEL.replace(attention=attention, **changes), SPEC.n_step, SPEC.n_bar, S,
                       torch.from_numpy(CODEBOOK.bar_steps))


def random_batch(batch: int = 3, bars: int = 6, seed: int = 0) -> BarBatch:
    generator = torch.Generator().manual_seed(seed)
    lengths = torch.tensor([bars] + [max(2, bars - 2 * i) for i in range(1, batch)])
    valid = torch.arange(bars)[None, :] < lengths[:, None]
    bar_steps = torch.where(valid, torch.where(torch.rand(batch, bars, generator=generator) < 0.7, 16, 12), 0)
    step_mask = torch.arange(S)[None, None, :] < bar_steps[:, :, None]
    hits = (torch.rand(batch, bars, S, 9, generator=generator) < 0.2).float() * step_mask[..., None]
    groove_ids = torch.where(valid, torch.where(bar_steps == 16, 10, 4), -1)
    return BarBatch(
        step_features=torch.randn(batch, bars, S, SPEC.n_step, generator=generator) * step_mask[..., None],
        bar_features=torch.randn(batch, bars, SPEC.n_bar, generator=generator),
        bar_steps=bar_steps,
        lengths=lengths,
        hits=hits,
        velocity=hits * 0.7,
        offset=hits * 0.1,
        step_mask=step_mask,
        groove_ids=groove_ids,
        structure=(torch.rand(batch, bars, 3, generator=generator) < 0.3).float() * valid[..., None],
        heard=torch.from_numpy(np.stack([heard_drums(h.numpy() > 0, np.ones(bars, dtype=bool)) for h in hits])),
    )


def run(model: GrooveSeq2Drum, batch: BarBatch):  # type: ignore[no-untyped-def]
    return model(batch.step_features, batch.bar_features, batch.bar_steps, batch.lengths, batch.heard)


@pytest.mark.parametrize("attention", [False, True], ids=["plain", "attention"])
def test_forward_shapes(attention: bool) -> None:
    """Every head has one value per bar (groove, structure) or per step and drum class (hits, velocity, offset)."""
    with torch.no_grad():
        out = run(make_model(attention).eval(), random_batch())
    assert out.groove_logits.shape == (3, 6, len(CODEBOOK))
    assert out.structure_logits.shape == (3, 6, 3)
    assert out.hit_logits.shape == out.velocity.shape == out.offset.shape == (3, 6, S, 9)
    assert float(out.velocity.min()) >= 0 and float(out.velocity.max()) <= 1
    assert float(out.offset.abs().max()) <= 0.5


@pytest.mark.parametrize("attention", [False, True], ids=["plain", "attention"])
def test_groove_scores_only_entries_of_the_bar_length(attention: bool) -> None:
    """A 12-step bar (3/4) can only be given a 12-step codebook entry: the others are -inf, never chosen."""
    batch = random_batch()
    out = run(make_model(attention).eval(), batch)
    fits = batch.bar_steps[:, :, None] == torch.from_numpy(CODEBOOK.bar_steps)[None, None, :]
    valid = batch.bar_steps > 0
    assert torch.isinf(out.groove_logits[~fits & valid[..., None]]).all()
    assert torch.isfinite(out.groove_logits[fits & valid[..., None]]).all()


@pytest.mark.parametrize("attention", [False, True], ids=["plain", "attention"])
def test_padding_does_not_change_a_shorter_song(attention: bool) -> None:
    """A song scored alone and padded in a batch with a longer one gets the same outputs on its own bars."""
    model = make_model(attention).eval()
    batch = random_batch(batch=2, bars=8)
    short = int(batch.lengths[1])
    alone = model(batch.step_features[1:, :short], batch.bar_features[1:, :short], batch.bar_steps[1:, :short],
                  batch.lengths[1:], batch.heard[1:, :short])
    together = run(model, batch)
    torch.testing.assert_close(together.hit_logits[1, :short], alone.hit_logits[0], atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(together.structure_logits[1, :short], alone.structure_logits[0], atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("attention", [False, True], ids=["plain", "attention"])
def test_overfits_one_tiny_batch(attention: bool) -> None:
    """With a fixed seed the model memorises one small batch; if it cannot, the gradients or losses are broken."""
    model = make_model(attention, dropout=0.0)
    batch = random_batch(batch=2, bars=4, seed=3)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    first = None
    for _ in range(300):
        loss, parts = losses(model, batch, TrainConfig())
        first = first if first is not None else parts["hits"]
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert first > 0.4
    assert parts["hits"] < 0.1
    assert parts["groove"] < 0.1
    assert parts["structure"] < 0.1


def test_unknown_architecture_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown architecture"):
        build_model("step-lstm-v0", TINY_MODEL, SPEC.n_step, SPEC.n_bar, S, torch.from_numpy(CODEBOOK.bar_steps))
