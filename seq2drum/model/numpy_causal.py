"""The causal (live) network in numpy, one bar at a time: what the live drummer runs at each lead.

`model.GrooveSeq2Drum` with `causal=True` reads each bar up to its lead into a forward encoder, and decides bar n
from the encoder state after bar n-1, bar n's meter and tempo and the drums it hears (model/causal.py). Here that is
two steps a caller interleaves: `encode_bar` (bar n-1 as played up to the lead) and `score_bar` (bar n's scores).
The states are small float32 arrays (2, layers, hidden), so a live stream's state pickles in a few kB. `forward`
steps a whole song the same way, which the tests hold against the torch module; `song_forward` is a whole song
through any numpy network, causal or not (what scoring and the fast-start check call).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from seq2drum.model.causal import before_lead
from seq2drum.model.numpy_network import NumpyEnsemble, NumpyGrooveModel, NumpyScores, _gate_scale

CACHE_SIZE = 64  # inputs kept per cache of `CausalNetwork` (a tempo ramp makes a new bar every bar)


class CausalNetwork:
    """Steps a causal `NumpyGrooveModel` bar by bar (eval mode). What depends only on inputs that repeat bar after bar
    (the known columns of a meter and tempo, the drums heard, a bar's step positions ahead) is projected once per
    input, kept by its bytes: the same arithmetic on the same input, so the same bits, at a fraction of the calls."""

    def __init__(self, network: NumpyGrooveModel) -> None:
        if not network.config.causal or network.masks is None:
            raise ValueError("CausalNetwork steps a causal model only")
        self.net = network
        self.config = network.config
        self.masks = network.masks
        self._scales = {name: _gate_scale(network.w[f"{name}.bias_hh_l0"].shape[0] // 4)
                        for name in ("encoder_fwd", "decoder")}
        self._caches: dict[str, dict[Any, np.ndarray]] = {"known": {}, "drums": {}, "ahead": {}, "played": {}}

    def _once(self, cache: str, key: Any, compute: Callable[[], np.ndarray]) -> np.ndarray:
        """`compute()` kept under `key` in one of the caches (one lookup: a server's threads may share the network)."""
        kept = self._caches[cache]
        value = kept.get(key)
        if value is None:
            if len(kept) >= CACHE_SIZE:
                kept.clear()
            value = compute()
            value.setflags(write=False)  # shared by every later bar of the same input
            kept[key] = value
        return value

    def initial(self) -> tuple[np.ndarray, np.ndarray]:
        """The (encoder, decoder) states before the song: zeros, as the torch LSTMs start."""
        config = self.config
        return (np.zeros((2, config.enc_layers, config.enc_hidden), dtype=np.float32),
                np.zeros((2, config.dec_layers, config.dec_hidden), dtype=np.float32))

    def _cell(self, x: np.ndarray, state: np.ndarray, name: str) -> tuple[np.ndarray, np.ndarray]:
        """One step of a (stacked) torch LSTM: x (F,), state (2, layers, H) -> (top output (H,), new state). The gates
        summed as (x W_ih + h W_hh) + b_ih + b_hh, then i, f and o halved (exact) so that one tanh gives the
        tanh(x / 2) of `_sigmoid` and tanh(g): bit for bit `_sigmoid`'s states in a third of the calls."""
        net, new, scale = self.net, np.empty_like(state), self._scales[name]
        for layer in range(state.shape[1]):
            gates = x @ net._t[f"{name}.weight_ih_l{layer}"]  # (4H,)
            gates += state[0, layer] @ net._t[f"{name}.weight_hh_l{layer}"]
            gates += net.w[f"{name}.bias_ih_l{layer}"]
            gates += net.w[f"{name}.bias_hh_l{layer}"]
            gates *= scale
            np.tanh(gates, out=gates)
            sigmoids = gates + 1.0
            sigmoids *= 0.5  # 0.5 * (tanh(x / 2) + 1) at i, f and o
            i, f, _, o = sigmoids.reshape(4, -1)  # views, as np.split's, for a tenth of its cost
            tanh_g = gates.reshape(4, -1)[2]
            c = np.multiply(f, state[1, layer], out=new[1, layer])
            c += i * tanh_g
            np.multiply(o, np.tanh(c), out=new[0, layer])
            x = new[0, layer]
        return x, new

    def _known_bar(self, bar_features: np.ndarray) -> np.ndarray:
        """(P/2,) the projection of a bar's columns known before it is played (meter, tempo)."""
        known = bar_features.astype(np.float32, copy=False) * self.masks["bar"]
        return self._once("known", known.tobytes(),
                          lambda: np.maximum(self.net._linear(known, "bar_features_in.0"), 0.0))

    def _played(self, bar_steps: int, width: int) -> np.ndarray:
        """(width, Fs) float32 1 where the encoder reads a step's column: the encoder's columns of the steps played
        before the lead. Its values are 0 and 1, so one multiplication by it is the two by each."""
        return self._once("played", (bar_steps, width), lambda: self.masks["encoder_step"]
                          * before_lead(np.asarray(bar_steps), width, self.config.lead_steps)[:, None])

    def encode_bar(self, encoder: np.ndarray, step_features: np.ndarray, bar_features: np.ndarray,
                   bar_steps: int) -> np.ndarray:
        """The encoder state after a bar: step_features (S, Fs) as played up to its lead (later steps are masked
        here whatever they hold), bar_features (Fb,)."""
        steps = step_features.astype(np.float32, copy=False) * self._played(int(bar_steps), step_features.shape[0])
        bar = np.maximum(self.net._linear(steps.reshape(-1), "bar_in.0"), 0.0)
        _, encoder = self._cell(np.concatenate([bar, self._known_bar(bar_features)]), encoder, "encoder_fwd")
        return encoder

    def score_bar(self, encoder: np.ndarray, decoder: np.ndarray, step_features: np.ndarray,
                   bar_features: np.ndarray, bar_steps: int, heard: np.ndarray | None = None, groove: bool = True
                   ) -> tuple[NumpyScores, np.ndarray]:
        """Bar n's scores (a song of one bar) and the decoder state after it, from the encoder state after bar n-1,
        bar n's features (only its known columns are read: its notes never) and the drums it hears (W,); `groove`:
        the groove head's logits too (None without)."""
        parts = [encoder[0, -1], self._known_bar(bar_features)]
        if self.config.hear_drums:
            width = self.net.w["drums_in.0.weight"].shape[1]
            row = np.zeros(width, dtype=np.float32) if heard is None else heard.astype(np.float32, copy=False)
            parts.append(self._once("drums", row.tobytes(),
                                    lambda: np.maximum(self.net._linear(row, "drums_in.0"), 0.0)))
        decoded, decoder = self._cell(np.concatenate(parts), decoder, "decoder")
        ahead = step_features.astype(np.float32, copy=False) * self.masks["ahead_step"]
        projected = self._once("ahead", ahead.tobytes(), lambda: self.net._linear(ahead[None], "step_in"))
        return self.net.projected_heads(decoded[None], projected, np.asarray([bar_steps]), groove), decoder

    def forward(self, step_features: np.ndarray, bar_features: np.ndarray, bar_steps: np.ndarray,
                heard: np.ndarray | None = None) -> NumpyScores:
        """A whole song (N bars) stepped bar by bar: bar n decided, then read up to its lead for bar n+1."""
        encoder, decoder = self.initial()
        bars = []
        for n in range(len(bar_steps)):
            scores, decoder = self.score_bar(encoder, decoder, step_features[n], bar_features[n], int(bar_steps[n]),
                                              None if heard is None else heard[n])
            bars.append(scores)
            encoder = self.encode_bar(encoder, step_features[n], bar_features[n], int(bar_steps[n]))
        return NumpyScores(*(np.concatenate([getattr(s, name) for s in bars]) for name in
                             ("groove_logits", "structure_logits", "hit_logits", "velocity", "offset")))


def song_forward(network: NumpyGrooveModel | NumpyEnsemble, step_features: np.ndarray, bar_features: np.ndarray,
                 bar_steps: np.ndarray, heard: np.ndarray | None = None,
                 parts: np.ndarray | None = None) -> NumpyScores:
    """A whole song's scores (N bars) from a numpy network: a causal one stepped bar by bar, as the live drummer runs
    it (it hears no part), any other at once (`NumpyGrooveModel.forward`, `parts` the part each bar is played in)."""
    if isinstance(network, NumpyGrooveModel) and network.config.causal:
        return CausalNetwork(network).forward(step_features, bar_features, bar_steps, heard)
    return network.forward(step_features, bar_features, bar_steps, heard, parts)
