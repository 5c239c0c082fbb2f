"""The guitar-to-drums groove model: an LSTM encoder-decoder over the bars of a song, with an attention variant.

- Bar encoder: each bar's step features, read whole by a linear layer and joined with the bar's own features,
  run through a bidirectional LSTM over all the bars, so every bar knows the whole part around it.
- Decoder: an LSTM over the bars, fed each bar's encoder state and, when `hear_drums`, the drums of the last known
  bar before it (model/heard.py), when `hear_part` the part the bar is played in (parts/codes.py); with
  `attention=True` it also attends (Luong "general") over the whole song.
- Causal variant (`causal=True`, the live model; model/causal.py says what it may read): forward encoder only.
- Heads, per bar: the groove (codebook entry), the structure (rest, crash, fill), and per step and drum class the
  hit probability, velocity and microtiming.

`forward` returns logits and raw outputs only; how drums are chosen from them lives in groove/. The longer
account: docs/how-it-works.md ("The model").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

import torch
from torch import Tensor, nn

from seq2drum.config import ModelConfig
from seq2drum.midi.drums import NUM_DRUM_CLASSES
from seq2drum.model.causal import causal_masks
from seq2drum.model.heard import heard_width
from seq2drum.parts.codes import PART_CODE_WIDTH

ARCHITECTURE = "bar-groove-lstm-v1"
N_STRUCTURE = 3  # rest, crash on the downbeat, fill
M = TypeVar("M", bound=nn.Module)


@dataclass
class GrooveOutput:
    """What the network says about each bar (B songs, N bars, S steps per bar, K codebook entries)."""

    groove_logits: Tensor  # (B, N, K), -inf on entries of another bar length
    structure_logits: Tensor  # (B, N, 3) rest, crash, fill
    hit_logits: Tensor  # (B, N, S, 9)
    velocity: Tensor  # (B, N, S, 9) in MIDI velocity / 127, 0-1
    offset: Tensor  # (B, N, S, 9) in steps, -0.5 to 0.5


class GrooveSeq2Drum(nn.Module):
    def __init__(self, config: ModelConfig, n_step_features: int, n_bar_features: int, max_bar_steps: int,
                 codebook_bar_steps: Tensor, columns: tuple[tuple[str, ...], tuple[str, ...]] | None = None) -> None:
        """`columns`: the (step, bar) column names of the features, which a causal model needs to mask them."""
        super().__init__()
        self.config = config
        self.max_bar_steps = max_bar_steps
        hidden = config.dec_hidden
        # causal: the forward state and bar n's own known bar features; else both directions
        enc_out = config.enc_hidden + config.src_proj_dim // 2 if config.causal else 2 * config.enc_hidden
        if config.causal:
            if columns is None:
                raise ValueError("a causal model needs the names of its feature columns")
            for name, mask in causal_masks(*columns).items():
                self.register_buffer(f"{name}_mask", torch.from_numpy(mask), persistent=False)
        self.bar_in = nn.Sequential(
            nn.Linear(max_bar_steps * n_step_features, config.src_proj_dim), nn.ReLU(), nn.Dropout(config.dropout)
        )
        self.bar_features_in = nn.Sequential(nn.Linear(n_bar_features, config.src_proj_dim // 2), nn.ReLU())
        encoder_in = config.src_proj_dim + config.src_proj_dim // 2

        def encoder() -> nn.LSTM:
            return nn.LSTM(encoder_in, config.enc_hidden, config.enc_layers, batch_first=True,
                           dropout=config.dropout if config.enc_layers > 1 else 0.0)

        # two directional LSTMs over padded input rather than one bidirectional LSTM over packed sequences: packed
        # input takes a per-step path on CPU whose backward grows quadratically with length
        self.encoder_fwd = encoder()
        self.encoder_bwd = None if config.causal else encoder()
        heard = config.drums_dim if config.hear_drums else 0
        if config.hear_drums:
            self.drums_in = nn.Sequential(nn.Linear(heard_width(max_bar_steps), heard), nn.ReLU())
        part = PART_CODE_WIDTH if config.hear_part else 0
        self.decoder = nn.LSTM(enc_out + heard + part, hidden, config.dec_layers, batch_first=True,
                               dropout=config.dropout if config.dec_layers > 1 else 0.0)
        if config.attention:
            self.attn_score = nn.Linear(enc_out, hidden, bias=False)
            self.attn_combine = nn.Linear(hidden + enc_out, hidden)
        self.dropout = nn.Dropout(config.dropout)
        self.groove_head = nn.Linear(hidden, len(codebook_bar_steps))
        self.structure_head = nn.Linear(hidden, N_STRUCTURE)
        # per-step heads, factorised: the bar's state and each step's guitar are projected separately and added,
        # so the per-step cost is a small layer rather than the decoder's width (training is ~10x cheaper)
        self.bar_to_cells = nn.Linear(hidden, config.step_embed_dim)
        self.step_in = nn.Linear(n_step_features, config.step_embed_dim)
        self.cell_head = nn.Sequential(
            nn.ReLU(), nn.Linear(config.step_embed_dim, config.step_embed_dim), nn.ReLU(),
            nn.Linear(config.step_embed_dim, 3 * NUM_DRUM_CLASSES)
        )
        self.register_buffer("codebook_bar_steps", codebook_bar_steps.long(), persistent=False)

    def forward(self, step_features: Tensor, bar_features: Tensor, bar_steps: Tensor, lengths: Tensor,
                heard: Tensor | None = None, parts: Tensor | None = None) -> GrooveOutput:
        """step_features (B, N, S, Fs), bar_features (B, N, Fb), bar_steps (B, N) int, lengths (B,) bars per song;
        heard (B, N, W) the drums each bar hears (`heard.heard_drums`; None: none known), read when `hear_drums`;
        parts (B, N, PART_CODE_WIDTH) the part each bar is played in (None: none known), read when `hear_part`."""
        batch, n_bars, width, _ = step_features.shape
        valid = torch.arange(n_bars, device=lengths.device)[None, :] < lengths[:, None]  # (B, N)
        if self.config.causal:
            encoded, step_features = self._encode_causal(step_features, bar_features, bar_steps)
        else:
            encoded = self._encode(step_features, bar_features, lengths, valid)
        decoder_in = self.dropout(encoded)
        if self.config.hear_drums:
            if heard is None or heard.shape[-1] == 0:
                heard = encoded.new_zeros(batch, n_bars, self.drums_in[0].in_features)
            decoder_in = torch.cat([decoder_in, self.drums_in(heard.to(encoded.dtype))], dim=-1)
        if self.config.hear_part:
            if parts is None or parts.shape[-1] == 0:
                parts = encoded.new_zeros(batch, n_bars, PART_CODE_WIDTH)
            decoder_in = torch.cat([decoder_in, parts.to(encoded.dtype)], dim=-1)
        decoded, _ = self.decoder(decoder_in)  # (B, N, H)
        return self._heads(decoded, encoded, valid, step_features, bar_steps)

    def _encode(self, step_features: Tensor, bar_features: Tensor, lengths: Tensor, valid: Tensor) -> Tensor:
        """(B, N, 2He): each bar's forward and backward encoder states over the whole song."""
        n_bars = step_features.shape[1]
        bars = torch.cat([self.bar_in(step_features.flatten(2)), self.bar_features_in(bar_features)], dim=-1)
        # the backward LSTM reads each song reversed within its own length, so padding never comes first
        reverse = (lengths[:, None] - 1 - torch.arange(n_bars, device=lengths.device)[None, :]).clamp(min=0)
        reverse = torch.where(valid, reverse, torch.arange(n_bars, device=lengths.device)[None, :])
        gather = reverse[:, :, None].expand(-1, -1, bars.shape[-1])
        forward_states, _ = self.encoder_fwd(bars)
        backward_states, _ = self.encoder_bwd(torch.gather(bars, 1, gather))
        index = reverse[:, :, None].expand(-1, -1, backward_states.shape[-1])
        backward_states = torch.gather(backward_states, 1, index)
        return torch.cat([forward_states, backward_states], dim=-1)

    def _encode_causal(self, step_features: Tensor, bar_features: Tensor, bar_steps: Tensor) -> tuple[Tensor, Tensor]:
        """(B, N, He + P/2) what bar n is decided from (the forward state after bar n-1, each bar read up to its
        lead; bar n's meter and tempo), and the step features its per-step heads may read (positions only)."""
        width = step_features.shape[2]
        played = torch.arange(width, device=bar_steps.device)[None, None, :] < (bar_steps - self.config.lead_steps)[
            :, :, None]
        played_steps = step_features * self.encoder_step_mask * played[..., None].to(step_features.dtype)
        known_bar = self.bar_features_in(bar_features * self.bar_mask)
        states, _ = self.encoder_fwd(torch.cat([self.bar_in(played_steps.flatten(2)), known_bar], dim=-1))
        before = torch.cat([torch.zeros_like(states[:, :1]), states[:, :-1]], dim=1)  # the state after bar n-1
        return torch.cat([before, known_bar], dim=-1), step_features * self.ahead_step_mask

    def _heads(self, decoded: Tensor, encoded: Tensor, valid: Tensor, step_features: Tensor,
               bar_steps: Tensor) -> GrooveOutput:
        batch, n_bars, width, _ = step_features.shape
        if self.config.attention:
            scores = torch.bmm(decoded, self.attn_score(encoded).transpose(1, 2))  # (B, N, N)
            scores = scores.masked_fill(~valid[:, None, :], float("-inf"))
            context = torch.bmm(torch.softmax(scores, dim=-1), encoded)  # (B, N, 2He)
            decoded = torch.tanh(self.attn_combine(torch.cat([decoded, context], dim=-1)))
        decoded = self.dropout(decoded)
        fits = bar_steps[:, :, None] == self.codebook_bar_steps[None, None, :]  # (B, N, K)
        groove_logits = self.groove_head(decoded).masked_fill(~fits, float("-inf"))
        structure_logits = self.structure_head(decoded)
        steps = self.step_in(step_features) + self.bar_to_cells(decoded)[:, :, None, :]  # (B, N, S, E)
        cells = self.cell_head(steps)
        cells = cells.view(batch, n_bars, width, 3, NUM_DRUM_CLASSES)
        return GrooveOutput(
            groove_logits=groove_logits,
            structure_logits=structure_logits,
            hit_logits=cells[..., 0, :],
            velocity=torch.sigmoid(cells[..., 1, :]),
            offset=0.5 * torch.tanh(cells[..., 2, :]),
        )


class GrooveEnsemble(nn.Module):
    """`config.members` networks of one design, trained apart on the same songs and codebook, read as one: every
    output is the members' mean (logits averaged as logits), so decoding and its calibration see one network."""

    def __init__(self, config: ModelConfig, *args: object) -> None:
        super().__init__()
        self.config = config
        member = config.replace(members=1)
        self.members = nn.ModuleList(GrooveSeq2Drum(member, *args) for _ in range(config.members))  # type: ignore
        self.register_buffer("codebook_bar_steps", self.members[0].codebook_bar_steps, persistent=False)

    def forward(self, *args: Tensor | None) -> GrooveOutput:
        outputs = [member(*args) for member in self.members]
        return GrooveOutput(**{name: torch.stack([getattr(o, name) for o in outputs]).mean(dim=0)
                               for name in GrooveOutput.__dataclass_fields__})


def flatten_lstms(module: M) -> M:
    """Pack every LSTM's weights inside `module` into the one contiguous chunk cuDNN reads (a no-op on the CPU). An
    LSTM whose weights were copied one by one (`copy.deepcopy`, as `AveragedModel` makes its average) has them apart,
    and on a GPU each forward then warns "RNN module weights are not part of single contiguous chunk of memory" and
    compacts them again; call this after a move to a device, a copy, or loading weights. Returns `module`."""
    for child in module.modules():
        if isinstance(child, nn.RNNBase):
            child.flatten_parameters()
    return module


def build_model(architecture: str, config: ModelConfig, n_step_features: int, n_bar_features: int,
                max_bar_steps: int, codebook_bar_steps: Tensor,
                columns: tuple[tuple[str, ...], tuple[str, ...]] | None = None) -> GrooveSeq2Drum | GrooveEnsemble:
    """The network a checkpoint describes (an ensemble when `config.members` > 1); an unknown architecture name is
    refused by the caller's check. `columns`: the (step, bar) column names of its features (a causal model masks
    them by name)."""
    if architecture != ARCHITECTURE:
        raise ValueError(f"unknown architecture {architecture!r}; this seq2drum builds {ARCHITECTURE!r}")
    kind = GrooveEnsemble if config.members > 1 else GrooveSeq2Drum
    return kind(config, n_step_features, n_bar_features, max_bar_steps, codebook_bar_steps, columns)
