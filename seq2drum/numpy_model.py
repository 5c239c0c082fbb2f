"""The groove network's forward pass in numpy, for generation: one song, no torch.

`model.GrooveSeq2Drum` is the network (and what trains); this is the same arithmetic for one song in eval mode,
read from its weights: linear layers, the two directional LSTMs over the bars, the decoder LSTM, the attention
variant, and the heads. Generation runs it on the CPU (the server's workers and the command line alike, so both give
the same drums), and a command-line run whose model is in `fast_start`'s cache never imports torch, which alone
took 1.0-1.6 s of a 2.8 s cold start. Scores agree with the torch module to float32 rounding (checked in
tests/test_numpy_model.py). Computed in float32, as torch does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .config import ModelConfig
from .drums import NUM_DRUM_CLASSES

ARCHITECTURE = "bar-groove-lstm-v1"  # the `model.ARCHITECTURE` these weights follow (a test keeps them equal)


@dataclass
class NumpyScores:
    """The network's outputs for one song of N bars of S steps (K codebook entries), as in `model.GrooveOutput`."""

    groove_logits: np.ndarray  # (N, K), -inf on entries of another bar length
    structure_logits: np.ndarray  # (N, 3)
    hit_logits: np.ndarray  # (N, S, 9)
    velocity: np.ndarray  # (N, S, 9), 0-1
    offset: np.ndarray  # (N, S, 9), steps, -0.5 to 0.5


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (np.tanh(0.5 * x) + 1.0)  # no overflow warning for large negative x


class NumpyGrooveModel:
    """`GrooveSeq2Drum` in eval mode, for one song at a time. `weights` is its state dict as float32 arrays."""

    def __init__(self, weights: dict[str, np.ndarray], config: ModelConfig, codebook_bar_steps: np.ndarray) -> None:
        self.w = {name: np.ascontiguousarray(value, dtype=np.float32) for name, value in weights.items()}
        self.config = config
        self.codebook_bar_steps = np.asarray(codebook_bar_steps, dtype=np.int64)
        # (in, out) layouts once, so each call multiplies without transposing
        self._t = {name: value.T.copy() for name, value in self.w.items() if value.ndim == 2}

    @property
    def n_parameters(self) -> int:
        return int(sum(value.size for value in self.w.values()))

    def _linear(self, x: np.ndarray, name: str) -> np.ndarray:
        out = x @ self._t[f"{name}.weight"]
        bias = self.w.get(f"{name}.bias")
        return out + bias if bias is not None else out

    def _lstm(self, x: np.ndarray, name: str, layers: int) -> np.ndarray:
        """torch.nn.LSTM (batch_first, one sequence, zero initial state) over x (T, F) -> (T, H); gates i, f, g, o."""
        for layer in range(layers):
            pre = x @ self._t[f"{name}.weight_ih_l{layer}"] + (
                self.w[f"{name}.bias_ih_l{layer}"] + self.w[f"{name}.bias_hh_l{layer}"])  # (T, 4H)
            recurrent = self._t[f"{name}.weight_hh_l{layer}"]  # (H, 4H)
            hidden = recurrent.shape[0]
            h = np.zeros(hidden, dtype=np.float32)
            c = np.zeros(hidden, dtype=np.float32)
            out = np.empty((len(x), hidden), dtype=np.float32)
            for t in range(len(x)):
                gates = pre[t] + h @ recurrent
                squashed = _sigmoid(gates)  # i, f and o are read from it; g is a tanh
                c = squashed[hidden:2 * hidden] * c + squashed[:hidden] * np.tanh(gates[2 * hidden:3 * hidden])
                h = squashed[3 * hidden:] * np.tanh(c)
                out[t] = h
            x = out
        return x

    def forward(self, step_features: np.ndarray, bar_features: np.ndarray, bar_steps: np.ndarray) -> NumpyScores:
        """step_features (N, S, Fs), bar_features (N, Fb), bar_steps (N,) -> the scores of the song's N bars."""
        config = self.config
        n_bars, width, _ = step_features.shape
        step_features = step_features.astype(np.float32, copy=False)
        bars = np.concatenate([
            np.maximum(self._linear(step_features.reshape(n_bars, -1), "bar_in.0"), 0.0),
            np.maximum(self._linear(bar_features.astype(np.float32, copy=False), "bar_features_in.0"), 0.0),
        ], axis=-1)  # (N, P + P/2)
        forward_states = self._lstm(bars, "encoder_fwd", config.enc_layers)
        backward_states = self._lstm(bars[::-1], "encoder_bwd", config.enc_layers)[::-1]
        encoded = np.concatenate([forward_states, backward_states], axis=-1)  # (N, 2He)
        decoded = self._lstm(encoded, "decoder", config.dec_layers)  # (N, H)
        if config.attention:
            scores = decoded @ self._linear(encoded, "attn_score").T  # (N, N)
            scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
            context = (scores / scores.sum(axis=-1, keepdims=True)) @ encoded  # (N, 2He)
            decoded = np.tanh(self._linear(np.concatenate([decoded, context], axis=-1), "attn_combine"))
        fits = np.asarray(bar_steps)[:, None] == self.codebook_bar_steps[None, :]  # (N, K)
        groove_logits = np.where(fits, self._linear(decoded, "groove_head"), -np.inf).astype(np.float32)
        structure_logits = self._linear(decoded, "structure_head")
        steps = self._linear(step_features, "step_in") + self._linear(decoded, "bar_to_cells")[:, None, :]  # (N, S, E)
        cells = self._linear(np.maximum(self._linear(np.maximum(steps, 0.0), "cell_head.1"), 0.0), "cell_head.3")
        cells = cells.reshape(n_bars, width, 3, NUM_DRUM_CLASSES)
        return NumpyScores(
            groove_logits=groove_logits,
            structure_logits=structure_logits,
            hit_logits=cells[..., 0, :],
            velocity=_sigmoid(cells[..., 1, :]),
            offset=0.5 * np.tanh(cells[..., 2, :]),
        )
