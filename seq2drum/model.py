"""The guitar-to-drums LSTM encoder-decoder, with an optional attention variant.

- Encoder: the guitar window's step features (guitar, position, song summary) -> a bidirectional LSTM, so each
  step knows the guitar around it, before and after.
- Decoder: an LSTM over the drum tokens, fed at step t the previous token and the encoder state of step t (the
  sequences are aligned on one grid). Its initial state comes from the song summary. It runs through a whole
  *chunk* of consecutive windows (most songs are one chunk) in training and in generation alike, and generation
  carries its state on from chunk to chunk, so it remembers the groove it has set up and was trained to.
- Attention (config `attention=True`): Luong "general" attention of each decoder output over the encoder states of
  its own window (a block-diagonal mask inside the chunk). Luong rather than Bahdanau because its context is applied after the recurrent step: teacher forcing
  then runs the decoder over the whole window in one `nn.LSTM` call, where Bahdanau feeds the context into the
  LSTM input and forces a Python loop per step in training too.
- Heads: token logits (which combination of the 9 classes hits); then, given the hits, per-class velocity and
  microtiming-offset bins.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn

from .config import ModelConfig
from .drums import NUM_DRUM_CLASSES
from .encoding import N_SONG_FEATURES, OFFSET_BINS, VELOCITY_BINS, DrumVocab

State = tuple[Tensor, Tensor]  # (h, c), each (layers, B, dec_hidden)

# Greedy decoding plays every class whose probability of hitting is above this. Measured on 30 training songs
# (validation songs kept out of the choice): grid F1 against the real drums peaked at 0.3 (0.25 and 0.35 scored lower;
# 0.5 fell nearly silent, since early uncertainty then feeds back as silence).
GREEDY_HIT_THRESHOLD = 0.3


@dataclass
class DecoderOutput:
    token_logits: Tensor  # (B, T, V)
    features: Tensor  # (B, T, dec_hidden) what the velocity/offset heads read
    state: State


class Seq2Drum(nn.Module):
    def __init__(self, config: ModelConfig, src_dim: int, vocab_size: int, hit_table: Tensor) -> None:
        super().__init__()
        self.config = config
        self.src_dim = src_dim
        self.vocab_size = vocab_size
        hidden, enc_out = config.dec_hidden, 2 * config.enc_hidden
        self.src_proj = nn.Sequential(nn.Linear(src_dim, config.src_proj_dim), nn.ReLU(), nn.Dropout(config.dropout))
        # two directional stacks rather than one bidirectional nn.LSTM over packed sequences: packed input takes a
        # per-step path on CPU whose backward is quadratic in length; padded input to a forward LSTM is harmless,
        # and the backward stack reads each sequence reversed within its own length.
        self.encoder_fwd, self.encoder_bwd = (
            nn.LSTM(config.src_proj_dim, config.enc_hidden, config.enc_layers, batch_first=True,
                    dropout=config.dropout if config.enc_layers > 1 else 0.0)
            for _ in range(2)
        )
        self.song_to_state = nn.Linear(N_SONG_FEATURES, 2 * config.dec_layers * hidden)
        self.drum_embed = nn.Embedding(vocab_size, config.drum_embed_dim, padding_idx=DrumVocab.PAD)
        self.decoder = nn.LSTM(
            config.drum_embed_dim + enc_out,
            hidden,
            config.dec_layers,
            batch_first=True,
            dropout=config.dropout if config.dec_layers > 1 else 0.0,
        )
        if config.attention:
            self.attn_score = nn.Linear(enc_out, hidden, bias=False)
            self.attn_combine = nn.Linear(hidden + enc_out, hidden)
        self.dropout = nn.Dropout(config.dropout)
        self.token_head = nn.Linear(hidden, vocab_size)
        self.detail_head = nn.Sequential(
            nn.Linear(hidden + NUM_DRUM_CLASSES, hidden),
            nn.ReLU(),
            nn.Linear(hidden, NUM_DRUM_CLASSES * (VELOCITY_BINS + OFFSET_BINS)),
        )
        self.register_buffer("hit_table", hit_table.float(), persistent=False)  # (V, 9)
        masks = (hit_table[DrumVocab.N_SPECIAL :].long() << torch.arange(NUM_DRUM_CLASSES)).sum(dim=1)
        mask_to_token = torch.from_numpy(DrumVocab(masks.tolist()).encode(np.arange(2**NUM_DRUM_CLASSES)))
        self.register_buffer("mask_to_token", mask_to_token, persistent=False)  # (512,) nearest known token
        self.register_buffer("class_bits", 1 << torch.arange(NUM_DRUM_CLASSES), persistent=False)  # (9,)

    # ------------------------------------------------------------------------------------------ pieces

    def encode(self, src: Tensor, src_lengths: Tensor) -> Tensor:
        """(B, T, src_dim) -> (B, T, 2 * enc_hidden): each step sees the guitar before it and after it."""
        projected = self.src_proj(src)  # (B, T, P)
        forward, _ = self.encoder_fwd(projected)
        steps = torch.arange(src.shape[1], device=src.device)[None, :]
        lengths = src_lengths.to(src.device)[:, None]
        reverse = torch.where(steps < lengths, lengths - 1 - steps, steps)  # (B, T) flips each real part only
        backward, _ = self.encoder_bwd(projected.gather(1, reverse[..., None].expand_as(projected)))
        backward = backward.gather(1, reverse[..., None].expand_as(backward))
        return torch.cat([forward, backward], dim=-1)

    def initial_state(self, src: Tensor) -> State:
        """Decoder state at the start of a song, from the song summary (the last features of every step)."""
        batch = src.shape[0]
        layers, hidden = self.config.dec_layers, self.config.dec_hidden
        state = torch.tanh(self.song_to_state(src[:, 0, -N_SONG_FEATURES:]))  # (B, 2 * layers * H)
        state = state.view(batch, 2, layers, hidden).permute(1, 2, 0, 3).contiguous()  # (2, layers, B, H)
        return state[0], state[1]

    def decode(
        self,
        tgt_in: Tensor,
        enc_aligned: Tensor,
        state: State,
        memory: Tensor | None = None,
        memory_mask: Tensor | None = None,
    ) -> DecoderOutput:
        """Run the decoder over T steps at once (teacher forcing) or one step (T = 1, generation).

        tgt_in (B, T) previous tokens; enc_aligned (B, T, E) encoder output at the same steps; memory (B, S, E) and
        memory_mask (B, T, S) bool (True = may attend) for attention.
        """
        inputs = torch.cat([self.drum_embed(tgt_in), enc_aligned], dim=-1)  # (B, T, De + E)
        out, state = self.decoder(inputs, state)  # (B, T, H)
        if self.config.attention:
            assert memory is not None and memory_mask is not None
            scores = torch.bmm(out, self.attn_score(memory).transpose(1, 2))  # (B, T, S)
            scores = scores.masked_fill(~memory_mask, float("-inf"))
            context = torch.bmm(torch.softmax(scores, dim=-1), memory)  # (B, T, E)
            out = torch.tanh(self.attn_combine(torch.cat([out, context], dim=-1)))  # (B, T, H)
        features = self.dropout(out)
        return DecoderOutput(self.token_head(features), features, state)

    def detail_logits(self, features: Tensor, hits: Tensor) -> tuple[Tensor, Tensor]:
        """Velocity (B, T, 9, VELOCITY_BINS) and offset (B, T, 9, OFFSET_BINS) logits, given which classes hit."""
        out = self.detail_head(torch.cat([features, hits], dim=-1))
        out = out.view(*features.shape[:-1], NUM_DRUM_CLASSES, VELOCITY_BINS + OFFSET_BINS)
        return out[..., :VELOCITY_BINS], out[..., VELOCITY_BINS:]

    # ------------------------------------------------------------------------------------------ training

    def forward(
        self, src: Tensor, src_lengths: Tensor, tgt_in: Tensor, hits: Tensor, window_ids: Tensor,
        state: State | None = None,
    ) -> tuple[Tensor, Tensor, Tensor]:
        """Teacher-forced pass over whole chunks: token (B, T, V), velocity (B, T, 9, VB), offset (B, T, 9, OB) logits.

        window_ids (B, T): which window of the chunk each step belongs to (-1 on padding); attention stays inside it.
        """
        memory = self.encode(src, src_lengths)
        mask = (window_ids[:, :, None] == window_ids[:, None, :]) & (window_ids[:, None, :] >= 0)  # (B, T, S)
        mask = mask | (window_ids[:, :, None] < 0)  # padded queries (ignored by the loss) may look anywhere: no all -inf row
        output = self.decode(tgt_in, memory, state or self.initial_state(src), memory, mask)
        velocity, offset = self.detail_logits(output.features, hits)
        return output.token_logits, velocity, offset

    # ------------------------------------------------------------------------------------------ generation

    @torch.inference_mode()
    def generate_chunk(
        self,
        src: Tensor,
        window_bounds: list[tuple[int, int]],
        previous_token: int,
        state: State | None,
        temperature: float,
        generator: torch.Generator | None,
        window_guitar_notes: list[int] | None = None,
    ) -> tuple[Tensor, Tensor, Tensor, State]:
        """Sample drums for one chunk, step by step, continuing from `state` (None = the start of the song).

        src (1, T, src_dim); window_bounds: the [start, end) steps of each window inside the chunk, covering it.
        Returns tokens (T,), velocity bins (T, 9), offset bins (T, 9) and the final state. Only the token feeds back
        into the recurrence, so the loop samples tokens and the velocity/offset heads then run over the chunk at once.

        Greedy decoding can talk itself into silence (early doubt, then its own silence as evidence), so a window it
        leaves silent while the guitar plays (`window_guitar_notes` > 0) is redone by sampling at temperature 1 from
        the same state.
        """
        steps = src.shape[1]
        memory = self.encode(src, torch.tensor([steps]))  # (1, T, E)
        if state is None:
            state = self.initial_state(src)
        step_fn = self._fast_step(memory) if self.config.dec_layers == 1 else None
        token = torch.tensor([[previous_token]], device=src.device)
        tokens: list[Tensor] = []
        features: list[Tensor] = []
        for index, (low, high) in enumerate(window_bounds):
            window_memory = memory[:, low:high]
            window_mask = torch.ones(1, 1, high - low, dtype=torch.bool, device=src.device)
            start_state, start_token = state, token
            for attempt_temperature in (temperature, 1.0):
                state, token = start_state, start_token
                window_tokens, window_features = [], []
                for t in range(low, high):
                    if step_fn is not None:
                        logits, feature, state = step_fn(t, token, state, low, high)
                    else:
                        output = self.decode(token, memory[:, t : t + 1], state, window_memory, window_mask)
                        logits, feature, state = output.token_logits[0, 0], output.features[0, 0], output.state
                    choice = self._choose_token(logits, attempt_temperature, generator)
                    window_tokens.append(choice)
                    window_features.append(feature)
                    token = choice.view(1, 1)
                guitar_plays = window_guitar_notes is not None and window_guitar_notes[index] > 0
                silent = not bool(self.hit_table[torch.stack(window_tokens)].any())
                if attempt_temperature > 0 or not (silent and guitar_plays):
                    break
            tokens += window_tokens
            features += window_features
        token_ids = torch.stack(tokens).view(-1)  # (T,)
        hits = self.hit_table[token_ids][None]  # (1, T, 9)
        velocity_logits, offset_logits = self.detail_logits(torch.stack(features)[None], hits)
        velocity = _sample(velocity_logits[0], temperature, generator)  # (T, 9)
        offset = _sample(offset_logits[0], temperature, generator)
        return token_ids, velocity, offset, state

    def _choose_token(self, logits: Tensor, temperature: float, generator: torch.Generator | None) -> Tensor:
        """Sample a token; at temperature 0, play every class whose probability of hitting passes GREEDY_HIT_THRESHOLD.

        Not the argmax over combinations: "no hit" is the single likeliest combination at most steps even where a hit
        is likely, because the probability of hitting is spread over many combinations (hat alone, hat + kick, ...);
        the argmax would fall silent. The per-class marginals keep that probability together.
        """
        if temperature > 0:
            return _sample(logits, temperature, generator)
        marginals = torch.softmax(logits.float(), dim=-1) @ self.hit_table  # (9,) P(class hits)
        return self.mask_to_token[((marginals > GREEDY_HIT_THRESHOLD).long() * self.class_bits).sum()]

    def _fast_step(self, memory: Tensor):  # type: ignore[no-untyped-def]
        """A one-layer decoder step with the input side precomputed: the encoder part of the gates for every step
        of the chunk in one matmul, and the embedding part as a (V, 4H) table. Same maths as `decode`."""
        lstm = self.decoder
        embed_dim = self.config.drum_embed_dim
        w_ih, w_hh = lstm.weight_ih_l0, lstm.weight_hh_l0  # (4H, De + E), (4H, H)
        bias = lstm.bias_ih_l0 + lstm.bias_hh_l0
        encoder_gates = memory[0] @ w_ih[:, embed_dim:].T + bias  # (T, 4H)
        token_gates = self.drum_embed.weight @ w_ih[:, :embed_dim].T  # (V, 4H)
        attention = self.config.attention
        keys = self.attn_score(memory[0]) if attention else None  # (T, H)

        def step(t: int, token: Tensor, state: State, low: int, high: int) -> tuple[Tensor, Tensor, State]:
            h, c = state[0][0], state[1][0]  # (1, H)
            gates = encoder_gates[t] + token_gates[token[0, 0]] + h @ w_hh.T  # (1, 4H)
            i, f, g, o = gates.chunk(4, dim=-1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
            out = h
            if attention:
                weights = torch.softmax(h @ keys[low:high].T, dim=-1)  # (1, window)
                out = torch.tanh(self.attn_combine(torch.cat([h, weights @ memory[0, low:high]], dim=-1)))
            return self.token_head(out)[0], out[0], (h[None], c[None])

        return step


def _sample(logits: Tensor, temperature: float, generator: torch.Generator | None) -> Tensor:
    """Sample along the last axis; temperature 0 takes the most likely value."""
    if temperature <= 0:
        return logits.argmax(dim=-1)
    probs = torch.softmax(logits.float() / temperature, dim=-1)
    flat = probs.reshape(-1, probs.shape[-1])
    return torch.multinomial(flat, 1, generator=generator).view(probs.shape[:-1])


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
