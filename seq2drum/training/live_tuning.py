"""The live decision tuned as the live drummer plays: training's tuner (training/calibrate.py) calibrates a causal
model's scores and tunes its decoding as for a whole song, but live there is no Viterbi over the song and no section
to hold a groove or place a crash: the groove is held by the stay bonus alone, and rests, crashes and fills come
from the thresholds that hold anywhere. So for a causal model the validation songs are then played bar by bar
(`play_bars`, as `ModelDrummer` plays, on the features training reads), the stay bonus and whether the next bar
hears the drummer's own last bar (`own_drums_passes` 1) or only the user's drums (0) are chosen for the mean song
F1 of those takes, and each structure's thresholds by the offline tuner's own rule (`tune_structure`), the edges
being those the drummer knows live (groove.request `edges` of `heard_span`: phrases counted from the band's first
bar), without the offline take's floor (a whole take redone without rests when they leave too little): live, a bar
that rests is silent. (With that floor the tuner once chose rests at 0.05, which silenced every bar live.) The tuned
structure is then played bar by bar (`checked_structure`): a drummer hearing its own drums hears its own rests, which
the tuning's take, played without structure, cannot show (a fold's tuning chose rests that silenced every held-out
bar).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from seq2drum.groove import Decoder, DecodingPolicy, SongScores, Take, edges as bar_edges, heard_span
from seq2drum.live.api import BarClock
from seq2drum.live.model_drummer import ModelDrummer
from seq2drum.model.scoring import numpy_network
from seq2drum.options import GenerationOptions
from seq2drum.song.bars import BarSong
from seq2drum.training.calibrate import NO_STRUCTURE, STAY_BONUS_GRID, structure_outcomes, tune_structure

OWN_DRUMS_GRID = (0, 1)  # live, the next bar hears the drummer's own last bar (1) or only the user's drums (0)
LIVE_STRUCTURE_BUDGET = 0.01  # of mean song F1, that rests, crashes and fills together may cost played bar by bar


def play_bars(drummer: ModelDrummer, song: BarSong, seed: int = 0) -> tuple[SongScores, Take]:
    """A song's bars decided one by one as the live drummer decides them (bar n from the bars before it as read up
    to their leads, hearing its own drums): the scores and the take (before the feel) of the whole song. The meter
    of the bars is not read (no style is asked)."""
    state = drummer.begin(GenerationOptions(humanize=0.0), seed)
    takes, bars = [], []
    for n in range(song.n_bars):
        if n:
            state = drummer.read(state, song.step_features[n - 1], song.bar_features[n - 1], int(song.bar_steps[n - 1]))
        ahead = (song.step_features[n], song.bar_features[n], int(song.bar_steps[n]), int(song.beat_steps[n]))
        take, scores, state = drummer.decided_bar(state, BarClock(n, 4, 4, 120.0), ahead)
        takes.append(take)
        bars.append(scores)

    def joined(name: str, of: list[Any]) -> np.ndarray:
        return np.concatenate([getattr(item, name) for item in of])

    scores = SongScores(hit_logits=joined("hit_logits", bars), velocity=joined("velocity", bars),
                        offset=joined("offset", bars), structure_logits=joined("structure_logits", bars),
                        bar_steps=song.bar_steps, beat_steps=song.beat_steps,
                        guitar_plays=np.ones(song.n_bars, dtype=bool), sections=[], first_bar=0,
                        last_onset=(song.n_bars, 0))  # no groove head: live plays one take (later takes read it)
    take = Take(joined("hits", takes), joined("velocity", takes), joined("offset", takes), joined("grooves", takes),
                {}, 0.0, joined("structure", takes), float(np.mean([t.threshold for t in takes])), takes[0].plan)
    return scores, take


def song_f1(hits: np.ndarray, song: BarSong) -> float:
    """F1 over (step, class) cells of a song's decided hits (n, S, 9) against its real drums."""
    real = song.hits & (np.arange(song.hits.shape[1])[None, :] < song.bar_steps[:, None])[:, :, None]
    return float(2 * (hits & real).sum() / max(1, hits.sum() + real.sum()))


def tune_live(loaded: Any, policy: DecodingPolicy, songs: list[BarSong],
              log: Callable[[str], None] | None = None) -> tuple[DecodingPolicy, dict[str, Any]]:
    """`policy` (tuned for whole songs) with the stay bonus and the structure thresholds tuned live on `songs`
    (with drums), for a causal `LoadedModel`; and what the tuning measured."""
    network = numpy_network(loaded.model)

    def drummer(candidate: DecodingPolicy) -> ModelDrummer:
        return ModelDrummer.of(network, loaded.codebook, loaded.spec, loaded.data_config, candidate)

    def played(candidate: DecodingPolicy) -> float:
        return float(np.mean([song_f1(play_bars(drummer(candidate), song)[1].hits, song) for song in songs]))

    plain = policy.replace(**NO_STRUCTURE)
    best, best_f1 = plain, -1.0
    for passes in OWN_DRUMS_GRID:
        for value in STAY_BONUS_GRID:
            candidate = plain.replace(stay_bonus=value, own_drums_passes=passes)
            f1 = played(candidate)
            if f1 > best_f1 + 1e-4:
                best, best_f1 = candidate, f1
    if log:
        log(f"  live tuning: stay_bonus = {best.stay_bonus}, hears its own drums: {best.own_drums_passes > 0} "
            f"(mean song F1 {best_f1:.4f}, bar by bar)")
    groove, decoder = drummer(best), Decoder(loaded.codebook, best)
    outcomes = []
    for song in songs:
        scores, take = play_bars(groove, song)
        edges = np.concatenate([bar_edges(heard_span(n, int(song.bar_steps[n])), best.crash_phrase_bars)
                                for n in range(song.n_bars)])
        # no floor: live a bar that rests is silent, there is no whole take to redo without rests as offline
        outcomes.append(replace(structure_outcomes(decoder, scores, song, take, edges), floor=0.0))
    tuned, structure = tune_structure(outcomes, best, log=log)
    tuned, checked = checked_structure(tuned, best_f1, played, log)
    return tuned, {"live_stay_bonus": best.stay_bonus, "live_own_drums": best.own_drums_passes > 0,
                   "live_mean_song_f1_groove": round(best_f1, 4),
                   **{f"live_{name}": value for name, value in structure.items()}, **checked}


def checked_structure(tuned: DecodingPolicy, groove_f1: float, played: Callable[[DecodingPolicy], float],
                      log: Callable[[str], None] | None = None) -> tuple[DecodingPolicy, dict[str, Any]]:
    """`tuned` if its structure, played bar by bar, costs the mean song F1 at most `LIVE_STRUCTURE_BUDGET` of the
    groove alone's `groove_f1`; else without rests, else without structure. The structure is tuned on a take played
    without it, but a drummer hearing its own drums hears its rests too: a rest makes the next bar sound like one
    that rests (a fold once rested on every held-out bar from a tuning that cost 0.003 on paper)."""
    without_rests = tuned.replace(**{name: value for name, value in NO_STRUCTURE.items() if name.startswith("rest")})
    candidates = (("tuned", tuned), ("without rests", without_rests), ("none", tuned.replace(**NO_STRUCTURE)))
    for name, candidate in candidates:
        f1 = played(candidate) if name != "none" else groove_f1
        if f1 >= groove_f1 - LIVE_STRUCTURE_BUDGET or name == "none":
            break
    if log:
        log(f"  live structure played bar by bar: {name} (mean song F1 {f1:.4f}, the groove alone {groove_f1:.4f})")
    return candidate, {"live_structure": name, "live_mean_song_f1": round(f1, 4)}
