"""The network's scores for one song, as numpy (`groove.scores.SongScores`), made by the torch network (`song_scores`)
or its numpy twin (`numpy_song_scores`), and the `Scorer` protocol the decision reads them through.

Scoring lives beside the network, not in the serving module, so training (calibration) and generation use one path.
A `Scorer` answers "the scores of bars [start, end), given the drums chosen so far": a network that does not hear
drums is scored once for the whole song (`WholeSongScorer`, which slices); one whose decoder hears drums is scored
again for the drums it is given (`HearingScorer.hearing`: the user's bars, a groove clip, or the drums a first pass
chose).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from seq2drum.groove import SongScores
from seq2drum.model.numpy_causal import song_forward
from seq2drum.model.numpy_network import NumpyEnsemble, NumpyGrooveModel, numpy_model

if TYPE_CHECKING:
    import torch

    from seq2drum.song.bars import BarSong


class Scorer(Protocol):
    """The scores of bars [start, end) of one song, given the drums chosen for the bars before `start` ((start, S, 9)
    bool hits; a scorer may ignore them)."""

    n_bars: int

    def __call__(self, start: int, end: int, drums: np.ndarray | None = None) -> SongScores: ...


class WholeSongScorer:
    """A `Scorer` over scores computed for the whole song at once (the network hears no drums)."""

    def __init__(self, scores: SongScores) -> None:
        self.scores = scores
        self.n_bars = scores.n_bars

    def __call__(self, start: int, end: int, drums: np.ndarray | None = None) -> SongScores:
        return self.scores.bars(start, end)


class HearingScorer(WholeSongScorer):
    """A `Scorer` for a network whose decoder hears drums: `score(heard)` scores the whole song for the drums each
    bar hears (`model.heard.heard_drums`); the scores it was made with hear none, or the drums given."""

    def __init__(self, score: Any, heard: np.ndarray | None = None) -> None:
        super().__init__(score(heard))
        self.score = score

    def hearing(self, heard: np.ndarray) -> SongScores:
        """The whole song's scores when each bar hears `heard` (N, W)."""
        return self.score(heard)


def song_scores(model: Any, song: BarSong, device: torch.device | str = "cpu",
                heard: np.ndarray | None = None, parts: np.ndarray | None = None) -> SongScores:
    """Run the torch network over one song's bars (all at once: an LSTM over a few hundred bars) and return its
    scores; `heard` (N, W) the drums each bar hears, for a network that hears drums; `parts` (N, PART_CODE_WIDTH)
    the part each bar is played in (parts/codes.py), for a network that hears the part."""
    import torch

    with torch.inference_mode():
        step_features = torch.from_numpy(song.step_features).unsqueeze(0).to(device)
        bar_features = torch.from_numpy(song.bar_features).unsqueeze(0).to(device)
        bar_steps = torch.from_numpy(song.bar_steps).unsqueeze(0).to(device)
        lengths = torch.tensor([song.n_bars], device=device)
        drums = None if heard is None else torch.from_numpy(heard).unsqueeze(0).to(device)
        codes = None if parts is None else torch.from_numpy(parts).unsqueeze(0).to(device)
        out = model(step_features, bar_features, bar_steps, lengths, drums, codes)
        return _scores(song, out.hit_logits[0].float().cpu().numpy(), out.velocity[0].float().cpu().numpy(),
                       out.offset[0].float().cpu().numpy(), out.structure_logits[0].float().cpu().numpy(),
                       out.groove_logits[0].float().cpu().numpy())


def numpy_song_scores(network: NumpyGrooveModel | NumpyEnsemble, song: BarSong,
                      heard: np.ndarray | None = None, parts: np.ndarray | None = None) -> SongScores:
    """`song_scores` with the numpy network."""
    out = song_forward(network, song.step_features, song.bar_features, song.bar_steps, heard, parts)
    return _scores(song, out.hit_logits, out.velocity, out.offset, out.structure_logits, out.groove_logits)


def _scores(song: BarSong, hit_logits: np.ndarray, velocity: np.ndarray, offset: np.ndarray,
            structure_logits: np.ndarray, groove_logits: np.ndarray) -> SongScores:
    """The network's outputs (velocity as 0-1) with the song's bars, as `SongScores` (velocity as MIDI 0-127)."""
    return SongScores(hit_logits=hit_logits, velocity=velocity * 127.0, offset=offset,
                      structure_logits=structure_logits, groove_logits=groove_logits,
                      bar_steps=song.bar_steps, beat_steps=song.beat_steps, guitar_plays=song.guitar_plays,
                      bass_onsets=song.bass_onsets, bass_sounds=song.bass_sounds,
                      sections=song.sections, first_bar=song.first_bar, last_onset=song.last_onset)


def numpy_network(model: Any) -> NumpyGrooveModel | NumpyEnsemble:
    """The numpy copy of a torch `GrooveSeq2Drum` (its weights as float32 arrays)."""
    weights = {name: value.detach().float().cpu().numpy() for name, value in model.state_dict().items()
               if name != "codebook_bar_steps"}
    masks = {name[: -len("_mask")]: value.cpu().numpy() for name, value in model.named_buffers()
             if name.endswith("_mask")} if model.config.causal else None
    return numpy_model(weights, model.config, model.codebook_bar_steps.cpu().numpy(), masks)
