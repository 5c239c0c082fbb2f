"""The encoder-decoder: shapes, one-call teacher forcing, masking, the fast generation step, and overfitting."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from seq2drum.encoding import OFFSET_BINS, SRC_DIM, VELOCITY_BINS, DrumVocab
from seq2drum.model import Seq2Drum
from tests.builders import TINY_MODEL

VOCAB = DrumVocab([0, 1, 2, 4, 5, 6, 8, 128, 256])


def make_model(attention: bool, seed: int = 0, **changes: object) -> Seq2Drum:
    torch.manual_seed(seed)
    return Seq2Drum(TINY_MODEL.replace(attention=attention, **changes), SRC_DIM, len(VOCAB), torch.from_numpy(VOCAB.hit_table()))


def random_batch(batch: int = 3, steps: int = 20, seed: int = 0) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    lengths = torch.tensor([steps] + [max(2, steps - 5 * i) for i in range(1, batch)])
    tokens = torch.randint(DrumVocab.N_SPECIAL, len(VOCAB), (batch, steps), generator=generator)
    tgt_in = torch.cat([torch.full((batch, 1), DrumVocab.BOS), tokens[:, :-1]], dim=1)
    return {
        "src": torch.randn(batch, steps, SRC_DIM, generator=generator),
        "src_lengths": lengths,
        "tgt_in": tgt_in,
        "tgt_out": tokens,
        "hits": torch.from_numpy(VOCAB.hit_table())[tokens],
        "window_ids": torch.where(torch.arange(steps)[None, :] < lengths[:, None], torch.arange(steps)[None, :] // 8, -1),
    }


@pytest.mark.parametrize("attention", [False, True], ids=["plain", "attention"])
def test_forward_shapes(attention: bool) -> None:
    """Token, velocity and offset logits come out per step and per class; if this breaks, training cannot run."""
    model = make_model(attention)
    b = random_batch()
    tokens, velocity, offset = model(b["src"], b["src_lengths"], b["tgt_in"], b["hits"], b["window_ids"])
    assert tokens.shape == (3, 20, len(VOCAB))
    assert velocity.shape == (3, 20, 9, VELOCITY_BINS)
    assert offset.shape == (3, 20, 9, OFFSET_BINS)


@pytest.mark.parametrize("attention", [False, True], ids=["plain", "attention"])
def test_teacher_forcing_runs_the_decoder_lstm_once(attention: bool) -> None:
    """Training must not fall back to a Python loop per step: one nn.LSTM call covers the whole window."""
    model = make_model(attention)
    calls = []
    model.decoder.register_forward_hook(lambda module, inputs, output: calls.append(inputs[0].shape))
    b = random_batch(steps=50)
    model(b["src"], b["src_lengths"], b["tgt_in"], b["hits"], b["window_ids"])
    assert len(calls) == 1 and calls[0][1] == 50


@pytest.mark.parametrize("attention", [False, True], ids=["plain", "attention"])
def test_padding_does_not_change_a_shorter_sequence(attention: bool) -> None:
    """A window's outputs must not depend on the padding added to batch it with a longer one (masking works)."""
    model = make_model(attention).eval()
    b = random_batch(batch=2, steps=16)
    short = 11
    b["src_lengths"] = torch.tensor([16, short])
    b["window_ids"][1, short:] = -1
    batched, _, _ = model(b["src"], b["src_lengths"], b["tgt_in"], b["hits"], b["window_ids"])
    alone, _, _ = model(b["src"][1:, :short], torch.tensor([short]), b["tgt_in"][1:, :short], b["hits"][1:, :short],
                        b["window_ids"][1:, :short])
    torch.testing.assert_close(batched[1, :short], alone[0], atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("attention", [False, True], ids=["plain", "attention"])
def test_fast_generation_step_matches_the_generic_decoder(attention: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """The precomputed one-layer step used in generation must compute exactly what `decode` computes."""
    model = make_model(attention).eval()
    src = torch.randn(1, 37, SRC_DIM, generator=torch.Generator().manual_seed(1))
    bounds = [(0, 16), (16, 30), (30, 37)]
    fast = model.generate_chunk(src, bounds, DrumVocab.BOS, None, 0.8, torch.Generator().manual_seed(5))
    monkeypatch.setattr(model, "_fast_step", lambda memory: None)
    generic = model.generate_chunk(src, bounds, DrumVocab.BOS, None, 0.8, torch.Generator().manual_seed(5))
    for a, b in zip(fast[:3], generic[:3]):
        assert torch.equal(a, b)
    torch.testing.assert_close(fast[3][0], generic[3][0], atol=1e-5, rtol=1e-4)


def test_two_layer_decoder_generates() -> None:
    """Deeper decoders take the generic path; it must still produce one token per step."""
    model = make_model(False, dec_layers=2).eval()
    tokens, velocity, offset, state = model.generate_chunk(torch.randn(1, 9, SRC_DIM), [(0, 9)], DrumVocab.BOS, None, 0.0, None)
    assert tokens.shape == (9,) and velocity.shape == (9, 9) and offset.shape == (9, 9)
    assert state[0].shape == (2, 1, TINY_MODEL.dec_hidden)


@pytest.mark.parametrize("attention", [False, True], ids=["plain", "attention"])
def test_overfits_one_tiny_batch(attention: bool) -> None:
    """With a fixed seed the model memorises one small batch; if it cannot, the gradients or losses are broken."""
    from seq2drum.config import TrainConfig
    from seq2drum.data import Batch
    from seq2drum.train import losses

    model = make_model(attention, dropout=0.0)
    b = random_batch(batch=2, steps=12, seed=3)
    batch = Batch(
        src=b["src"], src_lengths=b["src_lengths"], tgt_in=b["tgt_in"], tgt_out=b["tgt_out"],
        velocity_bins=torch.randint(0, VELOCITY_BINS, (2, 12, 9), generator=torch.Generator().manual_seed(0)),
        offset_bins=torch.full((2, 12, 9), OFFSET_BINS // 2), hits=b["hits"], window_ids=b["window_ids"],
    )
    batch.tgt_out[1, int(b["src_lengths"][1]):] = DrumVocab.PAD
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    first = None
    for _ in range(250):
        loss, parts = losses(model, batch, TrainConfig())
        first = first if first is not None else parts["token"]
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert first > 1.5
    assert parts["token"] < 0.1
    assert parts["offset"] < 0.1


def test_greedy_plays_every_class_likely_enough_to_hit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Temperature 0 must not take the argmax over combinations: with "no hit" at 40% and hat+kick / hat+snare at
    30% each, the hat hits with probability 60% and must be played (kick and snare at 30% stay under the bar)."""
    monkeypatch.setattr("seq2drum.model.GREEDY_HIT_THRESHOLD", 0.31)
    model = make_model(False).eval()
    vocab_ids = {mask: VOCAB.encode(np.array([mask]))[0] for mask in (0, 1 | 4, 2 | 4)}
    logits = torch.full((len(VOCAB),), -1e9)
    logits[vocab_ids[0]] = np.log(0.4)
    logits[vocab_ids[1 | 4]] = np.log(0.3)
    logits[vocab_ids[2 | 4]] = np.log(0.3)
    chosen = int(model._choose_token(logits, 0.0, None))
    assert VOCAB.decode(np.array([chosen]))[0].tolist() == [False, False, True] + [False] * 6  # closed hat alone


def test_scheduled_sampling_feeds_the_model_its_own_tokens() -> None:
    """With sampled_inputs=1 every real input token after the first is the model's own sample, and the loss still
    trains (finite, with gradients)."""
    from seq2drum.config import TrainConfig
    from seq2drum.data import Batch
    from seq2drum.train import losses

    model = make_model(False)
    b = random_batch(batch=2, steps=12, seed=4)
    batch = Batch(src=b["src"], src_lengths=b["src_lengths"], tgt_in=b["tgt_in"], tgt_out=b["tgt_out"],
                  velocity_bins=torch.zeros(2, 12, 9, dtype=torch.long), offset_bins=torch.zeros(2, 12, 9, dtype=torch.long),
                  hits=b["hits"], window_ids=b["window_ids"])
    seen = []
    original = model.forward

    def spy(src, lengths, tgt_in, hits, window_ids, state=None):  # type: ignore[no-untyped-def]
        seen.append(tgt_in.clone())
        return original(src, lengths, tgt_in, hits, window_ids, state)

    model.forward = spy  # type: ignore[method-assign]
    torch.manual_seed(0)
    loss, _ = losses(model, batch, TrainConfig(), sampled_inputs=1.0)
    loss.backward()
    assert len(seen) == 2  # the no-grad prediction pass, then the trained pass
    assert not torch.equal(seen[0][:, 1:], seen[1][:, 1:])
    assert torch.equal(seen[0][:, 0], seen[1][:, 0])
    assert torch.isfinite(loss) and model.token_head.weight.grad is not None


def test_greedy_never_leaves_a_window_silent_while_the_guitar_plays() -> None:
    """A model whose greedy choice is always "no hit" still drums where the guitar plays (the window is sampled),
    and stays silent where the guitar rests."""
    model = make_model(False).eval()
    with torch.no_grad():
        model.token_head.bias[int(VOCAB.encode(np.array([0]))[0])] += 5.0  # "no hit" dominates every step
    src = torch.randn(1, 32, SRC_DIM, generator=torch.Generator().manual_seed(2))
    tokens, _, _, _ = model.generate_chunk(src, [(0, 16), (16, 32)], DrumVocab.BOS, None, 0.0,
                                           torch.Generator().manual_seed(0), window_guitar_notes=[12, 0])
    hits = VOCAB.decode(tokens.numpy())
    assert hits[:16].any()  # the guitar plays: redone by sampling, so something is played
    assert not hits[16:].any()  # the guitar rests: silence is a fine answer
