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

from seq2drum.config import ModelConfig
from seq2drum.midi.drums import NUM_DRUM_CLASSES
from seq2drum.parts.codes import PART_CODE_WIDTH

ARCHITECTURE = "bar-groove-lstm-v1"  # the `model.ARCHITECTURE` these weights follow (a test keeps them equal)


@dataclass
class NumpyScores:
    """The network's outputs for one song of N bars of S steps (K codebook entries), as in `model.GrooveOutput`."""

    groove_logits: np.ndarray | None  # (N, K), -inf on entries of another bar length (None: not asked for)
    structure_logits: np.ndarray  # (N, 3)
    hit_logits: np.ndarray  # (N, S, 9)
    velocity: np.ndarray  # (N, S, 9), 0-1
    offset: np.ndarray  # (N, S, 9), steps, -0.5 to 0.5


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (np.tanh(0.5 * x) + 1.0)  # no overflow warning for large negative x


def _gate_scale(hidden: int) -> np.ndarray:
    """(4H,) 0.5 for the i, f and o gates and 1 for g: one tanh of the scaled gates gives tanh(x / 2) for the
    sigmoids and tanh(x) for g. Halving is exact in float32, so the states are bit for bit those of `_sigmoid`."""
    scale = np.full(4 * hidden, 0.5, dtype=np.float32)
    scale[2 * hidden : 3 * hidden] = 1.0
    return scale


def _lstm_steps(pre: np.ndarray, halved_recurrent: list[np.ndarray]) -> np.ndarray:
    """The recurrence of D LSTMs stepped together: pre (T, D, 4H) input projections with both biases,
    halved_recurrent[d] (H, 4H) recurrent weights scaled by `_gate_scale` -> hidden states (T, D, H).

    A step is about a dozen small numpy calls whatever D is, written into preallocated arrays: at 128-256 hidden
    units their call overhead costs as much as the matrix-vector products."""
    length, n_lstms, width = pre.shape
    hidden = width // 4
    pre = pre * _gate_scale(hidden)
    out = np.zeros((length + 1, n_lstms, hidden), dtype=np.float32)  # out[0] is the zero initial state
    c = np.zeros((n_lstms, hidden), dtype=np.float32)
    recurrent = np.empty((n_lstms, width), dtype=np.float32)
    gates = np.empty((n_lstms, width), dtype=np.float32)
    scratch = np.empty((n_lstms, hidden), dtype=np.float32)
    # views into gates: after the tanh and (t + 1) / 2, i, f and o hold their sigmoids and g its tanh
    i_gate, f_gate, g_gate, o_gate = (gates[:, k * hidden : (k + 1) * hidden] for k in range(4))
    for t in range(length):
        for d in range(n_lstms):
            np.matmul(out[t, d], halved_recurrent[d], out=recurrent[d])
        np.add(pre[t], recurrent, out=gates)
        np.tanh(gates, out=gates)
        np.copyto(scratch, g_gate)  # tanh(g), kept before the sigmoid step overwrites it
        np.add(gates, 1.0, out=gates)
        np.multiply(gates, 0.5, out=gates)
        np.multiply(f_gate, c, out=c)
        np.multiply(i_gate, scratch, out=scratch)
        np.add(c, scratch, out=c)
        np.tanh(c, out=scratch)
        np.multiply(o_gate, scratch, out=out[t + 1])
    return out[1:]


class NumpyGrooveModel:
    """`GrooveSeq2Drum` in eval mode, for one song at a time. `weights` is its state dict as float32 arrays."""

    def __init__(self, weights: dict[str, np.ndarray], config: ModelConfig, codebook_bar_steps: np.ndarray,
                 masks: dict[str, np.ndarray] | None = None) -> None:
        """`masks`: a causal model's column masks (`model.causal.causal_masks`)."""
        self.masks = masks
        self.w = {name: np.ascontiguousarray(value, dtype=np.float32) for name, value in weights.items()}
        self.config = config
        self.codebook_bar_steps = np.asarray(codebook_bar_steps, dtype=np.int64)
        # (in, out) layouts once, so each call multiplies without transposing
        self._t = {name: value.T.copy() for name, value in self.w.items() if value.ndim == 2}
        # the recurrent weights with the i, f and o gate columns halved (see _lstm_steps)
        self._halved = {name: value * _gate_scale(value.shape[1] // 4) for name, value in self._t.items()
                        if ".weight_hh_l" in name}

    @property
    def n_parameters(self) -> int:
        return int(sum(value.size for value in self.w.values()))

    def _linear(self, x: np.ndarray, name: str) -> np.ndarray:
        out = x @ self._t[f"{name}.weight"]  # a new array: the bias is added in place
        bias = self.w.get(f"{name}.bias")
        if bias is not None:
            out += bias
        return out

    def _lstm(self, xs: list[np.ndarray], names: list[str], layers: int) -> list[np.ndarray]:
        """torch.nn.LSTMs (batch_first, one sequence, zero initial state), one per name, over inputs of equal length
        xs[d] (T, F) -> (T, H) each; gates i, f, g, o. The LSTMs step together (the encoder's two directions), so
        each step's Python and numpy call overhead is paid once for all of them."""
        for layer in range(layers):
            pre = np.stack([
                x @ self._t[f"{name}.weight_ih_l{layer}"]
                + (self.w[f"{name}.bias_ih_l{layer}"] + self.w[f"{name}.bias_hh_l{layer}"])
                for x, name in zip(xs, names)
            ], axis=1)  # (T, D, 4H)
            out = _lstm_steps(pre, [self._halved[f"{name}.weight_hh_l{layer}"] for name in names])
            xs = list(out.transpose(1, 0, 2))
        return xs

    def forward(self, step_features: np.ndarray, bar_features: np.ndarray, bar_steps: np.ndarray,
                heard: np.ndarray | None = None, parts: np.ndarray | None = None) -> NumpyScores:
        """step_features (N, S, Fs), bar_features (N, Fb), bar_steps (N,), heard (N, W) the drums each bar hears
        (None: none known; read when the model hears drums), parts (N, PART_CODE_WIDTH) the part each bar is played
        in (None: none known; read when it hears the part) -> the scores of the song's N bars. A causal model is
        stepped bar by bar (numpy_causal.song_forward), not here."""
        config = self.config
        if config.causal:
            raise ValueError("a causal model reads a song bar by bar: numpy_causal.song_forward runs it")
        n_bars, width, _ = step_features.shape
        step_features = step_features.astype(np.float32, copy=False)
        bars = np.concatenate([
            np.maximum(self._linear(step_features.reshape(n_bars, -1), "bar_in.0"), 0.0),
            np.maximum(self._linear(bar_features.astype(np.float32, copy=False), "bar_features_in.0"), 0.0),
        ], axis=-1)  # (N, P + P/2)
        forward_states, backward_states = self._lstm([bars, bars[::-1]], ["encoder_fwd", "encoder_bwd"],
                                                     config.enc_layers)
        encoded = np.concatenate([forward_states, backward_states[::-1]], axis=-1)  # (N, 2He)
        decoder_in = encoded
        if config.hear_drums:
            if heard is None:
                heard = np.zeros((n_bars, self.w["drums_in.0.weight"].shape[1]), dtype=np.float32)
            drums = np.maximum(self._linear(heard.astype(np.float32, copy=False), "drums_in.0"), 0.0)
            decoder_in = np.concatenate([encoded, drums], axis=-1)
        if config.hear_part:
            parts = np.zeros((n_bars, PART_CODE_WIDTH), dtype=np.float32) if parts is None else parts
            decoder_in = np.concatenate([decoder_in, parts.astype(np.float32, copy=False)], axis=-1)
        decoded = self._lstm([decoder_in], ["decoder"], config.dec_layers)[0]  # (N, H)
        if config.attention:
            scores = decoded @ self._linear(encoded, "attn_score").T  # (N, N)
            scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
            context = (scores / scores.sum(axis=-1, keepdims=True)) @ encoded  # (N, 2He)
            decoded = np.tanh(self._linear(np.concatenate([decoded, context], axis=-1), "attn_combine"))
        return self.heads(decoded, step_features, bar_steps)

    def heads(self, decoded: np.ndarray, step_features: np.ndarray, bar_steps: np.ndarray) -> NumpyScores:
        """The per-bar and per-step heads over decoder outputs (N, H) of bars with step features (N, S, Fs)."""
        return self.projected_heads(decoded, self._linear(step_features, "step_in"), bar_steps)

    def projected_heads(self, decoded: np.ndarray, projected_steps: np.ndarray, bar_steps: np.ndarray,
                        groove: bool = True) -> NumpyScores:
        """`heads` with the step features' projection (N, S, E) given (the live drummer keeps it per meter and tempo:
        its columns known ahead are those). `groove`: the groove head too (only later takes read it: the live
        drummer's one take asks for none)."""
        n_bars, width, _ = projected_steps.shape
        groove_logits = None
        if groove:
            groove_logits = self._linear(decoded, "groove_head").astype(np.float32, copy=False)  # (N, K)
            groove_logits[np.asarray(bar_steps)[:, None] != self.codebook_bar_steps[None, :]] = -np.inf
        structure_logits = self._linear(decoded, "structure_head")
        steps = projected_steps + self._linear(decoded, "bar_to_cells")[:, None, :]  # (N, S, E)
        cells = self._linear(np.maximum(self._linear(np.maximum(steps, 0.0), "cell_head.1"), 0.0), "cell_head.3")
        cells = cells.reshape(n_bars, width, 3, NUM_DRUM_CLASSES)
        return NumpyScores(
            groove_logits=groove_logits,
            structure_logits=structure_logits,
            hit_logits=cells[..., 0, :],
            velocity=_sigmoid(cells[..., 1, :]),
            offset=0.5 * np.tanh(cells[..., 2, :]),
        )


class NumpyEnsemble:
    """`GrooveEnsemble` in numpy: each member's `NumpyGrooveModel`, their outputs averaged as the torch module does.
    `w` is the whole state dict (members' weights under members.<i>.), as the fast-start cache stores it."""

    def __init__(self, weights: dict[str, np.ndarray], config: ModelConfig, codebook_bar_steps: np.ndarray) -> None:
        self.config = config
        member = config.replace(members=1)
        self.members = [
            NumpyGrooveModel({name[len(prefix):]: value for name, value in weights.items() if name.startswith(prefix)},
                             member, codebook_bar_steps)
            for prefix in (f"members.{index}." for index in range(config.members))]
        self.w = {f"members.{index}.{name}": value for index, network in enumerate(self.members)
                  for name, value in network.w.items()}

    @property
    def n_parameters(self) -> int:
        return sum(network.n_parameters for network in self.members)

    def forward(self, step_features: np.ndarray, bar_features: np.ndarray, bar_steps: np.ndarray,
                heard: np.ndarray | None = None, parts: np.ndarray | None = None) -> NumpyScores:
        outputs = [network.forward(step_features, bar_features, bar_steps, heard, parts) for network in self.members]
        return NumpyScores(**{name: np.mean([getattr(o, name) for o in outputs], axis=0).astype(np.float32)
                              for name in NumpyScores.__dataclass_fields__})


def numpy_model(weights: dict[str, np.ndarray], config: ModelConfig, codebook_bar_steps: np.ndarray,
                masks: dict[str, np.ndarray] | None = None) -> NumpyGrooveModel | NumpyEnsemble:
    """The numpy network a state dict describes: an ensemble when `config.members` > 1."""
    if config.members > 1:
        return NumpyEnsemble(weights, config, codebook_bar_steps)
    return NumpyGrooveModel(weights, config, codebook_bar_steps, masks)
