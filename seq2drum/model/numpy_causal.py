"""The causal (live) network in numpy, one bar at a time: what the live drummer runs at each lead.

`model.GrooveSeq2Drum` with `causal=True` reads each bar up to its lead into a forward encoder, and decides bar n
from the encoder state after bar n-1, bar n's meter and tempo and the drums it hears (model/causal.py). Here that is
two steps a caller interleaves: `encode_bar` (bar n-1 as played up to the lead) and `decide_bar` (bar n's scores).
The states are small float32 arrays (2, layers, hidden), so a live stream's state pickles in a few kB. `forward`
steps a whole song the same way, which the tests hold against the torch module.
"""

from __future__ import annotations

import numpy as np

from seq2drum.model.causal import before_lead
from seq2drum.model.numpy_network import NumpyGrooveModel, NumpyScores, _sigmoid


class CausalNetwork:
    """Steps a causal `NumpyGrooveModel` bar by bar (eval mode)."""

    def __init__(self, network: NumpyGrooveModel) -> None:
        if not network.config.causal or network.masks is None:
            raise ValueError("CausalNetwork steps a causal model only")
        self.net = network
        self.config = network.config
        self.masks = network.masks

    def initial(self) -> tuple[np.ndarray, np.ndarray]:
        """The (encoder, decoder) states before the song: zeros, as the torch LSTMs start."""
        config = self.config
        return (np.zeros((2, config.enc_layers, config.enc_hidden), dtype=np.float32),
                np.zeros((2, config.dec_layers, config.dec_hidden), dtype=np.float32))

    def _cell(self, x: np.ndarray, state: np.ndarray, name: str) -> tuple[np.ndarray, np.ndarray]:
        """One step of a (stacked) torch LSTM: x (F,), state (2, layers, H) -> (top output (H,), new state)."""
        net, new = self.net, np.empty_like(state)
        for layer in range(state.shape[1]):
            gates = (x @ net._t[f"{name}.weight_ih_l{layer}"] + state[0, layer] @ net._t[f"{name}.weight_hh_l{layer}"]
                     + net.w[f"{name}.bias_ih_l{layer}"] + net.w[f"{name}.bias_hh_l{layer}"])
            i, f, g, o = gates.reshape(4, -1)  # views, as np.split's, for a tenth of its cost
            c = _sigmoid(f) * state[1, layer] + _sigmoid(i) * np.tanh(g)
            new[0, layer], new[1, layer] = _sigmoid(o) * np.tanh(c), c
            x = new[0, layer]
        return x, new

    def _known_bar(self, bar_features: np.ndarray) -> np.ndarray:
        """(P/2,) the projection of a bar's columns known before it is played (meter, tempo)."""
        known = bar_features.astype(np.float32, copy=False) * self.masks["bar"]
        return np.maximum(self.net._linear(known, "bar_features_in.0"), 0.0)

    def encode_bar(self, encoder: np.ndarray, step_features: np.ndarray, bar_features: np.ndarray,
                   bar_steps: int) -> np.ndarray:
        """The encoder state after a bar: step_features (S, Fs) as played up to its lead (later steps are masked
        here whatever they hold), bar_features (Fb,)."""
        width = step_features.shape[0]
        played = before_lead(np.asarray(bar_steps), width, self.config.lead_steps)
        steps = step_features.astype(np.float32, copy=False) * self.masks["encoder_step"] * played[:, None]
        bar = np.maximum(self.net._linear(steps.reshape(-1), "bar_in.0"), 0.0)
        _, encoder = self._cell(np.concatenate([bar, self._known_bar(bar_features)]), encoder, "encoder_fwd")
        return encoder

    def decide_bar(self, encoder: np.ndarray, decoder: np.ndarray, step_features: np.ndarray,
                   bar_features: np.ndarray, bar_steps: int, heard: np.ndarray | None = None
                   ) -> tuple[NumpyScores, np.ndarray]:
        """Bar n's scores (a song of one bar) and the decoder state after it, from the encoder state after bar n-1,
        bar n's features (only its known columns are read: its notes never) and the drums it hears (W,)."""
        parts = [encoder[0, -1], self._known_bar(bar_features)]
        if self.config.hear_drums:
            width = self.net.w["drums_in.0.weight"].shape[1]
            row = np.zeros(width, dtype=np.float32) if heard is None else heard.astype(np.float32, copy=False)
            parts.append(np.maximum(self.net._linear(row, "drums_in.0"), 0.0))
        decoded, decoder = self._cell(np.concatenate(parts), decoder, "decoder")
        ahead = step_features.astype(np.float32, copy=False) * self.masks["ahead_step"]
        return self.net.heads(decoded[None], ahead[None], np.asarray([bar_steps])), decoder

    def forward(self, step_features: np.ndarray, bar_features: np.ndarray, bar_steps: np.ndarray,
                heard: np.ndarray | None = None) -> NumpyScores:
        """A whole song (N bars) stepped bar by bar: bar n decided, then read up to its lead for bar n+1."""
        encoder, decoder = self.initial()
        bars = []
        for n in range(len(bar_steps)):
            scores, decoder = self.decide_bar(encoder, decoder, step_features[n], bar_features[n], int(bar_steps[n]),
                                              None if heard is None else heard[n])
            bars.append(scores)
            encoder = self.encode_bar(encoder, step_features[n], bar_features[n], int(bar_steps[n]))
        return NumpyScores(*(np.concatenate([getattr(s, name) for s in bars]) for name in
                             ("groove_logits", "structure_logits", "hit_logits", "velocity", "offset")))
