"""Which cymbal keeps time: the ride in a section the model hears ridden (issue 24 item 4).

The codebook's entries keep time on the closed hi-hat far more often than drummers do, and the model almost never
rates the ride above the closed hat. A section whose closed-hat cells the model rates at `ride_ratio` (the
policy's) of the closed hat's probability or more plays those hits on the ride. The ratio's cross-validated figures:
docs/experiments/2026-11-25-decision-module-studies.md.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

import numpy as np

from seq2drum import arrays
from seq2drum.groove.policy import Take
from seq2drum.groove.settings import HAT_FOOT_P, SKIP_VELOCITY_SHARE, WALKING_BASS_SHARE, WALKING_OTHER_ONSETS
from seq2drum.groove.vocabulary import FIGURES, figure_arrays
from seq2drum.midi.drums import CLOSED_HAT, RIDE, TIMEKEEPERS
from seq2drum.song.grid import BAR_DENOMINATOR, BAR_NUMERATOR, BAR_STEPS, Grid, is_compound


def ride_sections(hits: np.ndarray, p: np.ndarray, labels: np.ndarray, ratio: float,
                  leave: np.ndarray | None = None) -> None:
    """In place on hits (n, S, 9): in each section (labels (n,)) whose closed-hat cells have a mean ride
    probability of at least `ratio` times their mean closed-hat probability, the closed hat's hits go to the ride
    (0: off); the bars `leave` (n,) bool holds are neither read nor moved."""
    if ratio <= 0:
        return
    # one bar (live) is one section: its rows as a slice, not a mask per label
    sections = [slice(None)] if len(labels) == 1 else [labels == label for label in arrays.distinct(labels).tolist()]
    for rows in sections:
        if leave is not None:
            rows = ~leave if isinstance(rows, slice) else rows & ~leave
        played = hits[rows, :, CLOSED_HAT]
        count = np.count_nonzero(played)
        if not count:
            continue
        # the means as np.mean figures them (the same sum over the same count), without its call overhead
        hat = float(p[rows, :, CLOSED_HAT][played].sum()) / count
        if float(p[rows, :, RIDE][played].sum()) / count >= ratio * hat:
            hits[rows, :, RIDE] |= played
            hits[rows, :, CLOSED_HAT] = False


def hat_foot(hits: np.ndarray, p: np.ndarray, bar_steps: np.ndarray, beat_steps: np.ndarray) -> None:
    """In place on hits (n, S, 9): a bar that keeps time on the ride (the ride on half its beats or more) gets the
    closed hat on its backbeats (2 and 4 ...; a bar of three beats 2 and 3; `bar_steps`, `beat_steps` (n,): its
    length and beat in steps) where the model finds it HAT_FOOT_P likely: the hi-hat foot a drummer keeps under the
    ride. Out of fold on jazz/'s swing tunes the model rates the closed hat 0.46-0.79 on 2 and 4 of the bars whose
    drummer rides, and 0.18-0.45 elsewhere; but `ride_sections` moves every closed hat of a ridden section to the
    ride and the codebook's ride grooves seldom hold the foot, so it was not played (closed-hat F1 0.22 against the
    jazz ride pattern's 0.62)."""
    index, on_beat, beats = _beats(hits.shape[1], bar_steps, beat_steps)
    ridden = _kept_on(hits, RIDE, on_beat, beats)
    if not np.count_nonzero(ridden):
        return
    beat = np.maximum(1, beat_steps)[:, None]
    backbeats = (index % 2 == 1) | ((bar_steps[:, None] == 3 * beat) & (index == 2))  # 2 and 4; a waltz's 2 and 3
    foot = on_beat & backbeats & (p[:, :, CLOSED_HAT] >= HAT_FOOT_P)
    hits[:, :, CLOSED_HAT] |= foot & ridden[:, None]


def ridden_bars(hits: np.ndarray, bar_steps: np.ndarray, beat_steps: np.ndarray) -> np.ndarray:
    """(n,) bool: the bars (hits (n, S, 9), `bar_steps`, `beat_steps` (n,)) that keep time on the ride: the ride on
    half their beats or more."""
    _, on_beat, beats = _beats(hits.shape[1], bar_steps, beat_steps)
    return _kept_on(hits, RIDE, on_beat, beats)


def _beats(width: int, bar_steps: np.ndarray, beat_steps: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(n, width) the beat each step is in, (n, width) bool the steps on a beat inside each bar, and (n,) how many
    (at least 1); read-only for one bar (live), made once per bar shape (every bar of a meter asks for the same,
    twice a round)."""
    if len(bar_steps) == 1:
        return _one_bar_beats(width, int(bar_steps[0]), int(beat_steps[0]))
    return _beat_arrays(width, bar_steps, beat_steps)


def _beat_arrays(width: int, bar_steps: np.ndarray, beat_steps: np.ndarray) -> tuple[np.ndarray, ...]:
    steps = np.arange(width)[None, :]
    beat = np.maximum(1, beat_steps)[:, None]
    on_beat = (steps % beat == 0) & (steps < bar_steps[:, None])
    return steps // beat, on_beat, np.maximum(1, on_beat.sum(axis=1))


@lru_cache(maxsize=64)
def _one_bar_beats(width: int, bar_steps: int, beat_steps: int) -> tuple[np.ndarray, ...]:
    made = _beat_arrays(width, np.array([bar_steps]), np.array([beat_steps]))
    for array in made:
        array.setflags(write=False)
    return made


def _kept_on(hits: np.ndarray, voice: int, on_beat: np.ndarray, beats: np.ndarray) -> np.ndarray:
    """(n,) bool the bars whose `voice` plays on half their beats (on_beat (n, S), `beats` (n,) of them) or more."""
    return np.add.reduce(hits[:, :, voice] & on_beat, axis=1) * 2 >= beats  # .sum(axis=1)'s, without its wrapper


def walks(bass_onsets: np.ndarray | None, grid: Grid, first_bar: int) -> bool:
    """Whether a waltz's bass walks (bass_onsets (n, S) bool, rows from `first_bar` of `grid`): of the bars of three
    quarter beats where it plays, WALKING_BASS_SHARE or more have an onset on every beat and at most
    WALKING_OTHER_ONSETS others, as a jazz bass walks (a folk waltz's bass plays the downbeat, the chords 2 and 3).
    Of midi/'s 56 songs in 3/4 one has such a bass, and its drummer rides 93% of its bars. In 4/4 a walking bass
    does not tell jazz from folk: swung 4/4 songs whose bass walks, ridden, gained 3 of jazz/'s songs (0.465 ->
    0.477 over the 31) and cost 12 of midi/'s Irish and folk songs 0.1-0.3 each (docs/experiments/2026-11-26-jazz.md),
    so only the waltz is read."""
    q = grid.steps_per_quarter
    if bass_onsets is None or not len(bass_onsets):
        return False
    rows = grid.bars[first_bar : first_bar + len(bass_onsets)]
    waltz = (rows[:, BAR_DENOMINATOR] == 4) & (rows[:, BAR_NUMERATOR] == 3)
    usable = waltz & (rows[:, BAR_STEPS] <= bass_onsets.shape[1])
    onsets = bass_onsets.astype(bool)
    playing = usable & onsets.any(axis=1)
    if not playing.any():
        return False
    on_beat = _beats(onsets.shape[1], rows[:, BAR_STEPS], np.full(len(onsets), q))[1]
    every = (onsets & on_beat).sum(axis=1) == on_beat.sum(axis=1)
    others = (onsets & ~on_beat).sum(axis=1)
    walking = every & (others <= WALKING_OTHER_ONSETS)
    return bool(np.count_nonzero(walking & playing) >= WALKING_BASS_SHARE * np.count_nonzero(playing))


# ---------------------------------------------------------------------------------------------- swing


def jazz_ride(hits: np.ndarray, grid: Grid, first_bar: int, leave: np.ndarray | None = None,
              walking: bool = False, hat_parts: np.ndarray | None = None) -> np.ndarray:
    """In place on hits (n, S, 9), for a song decided swung: each bar of 2, 3 or 4 beats of a quarter that keeps time
    on the ride (`ridden_bars`), and in a waltz whose bass walks (`walking`, see `walks`) each 3/4 bar kept on the
    closed hat too, plays the jazz drummer's ride and hi-hat as `groove.vocabulary`'s figures write them
    (`jazz_time`): the ride on every beat and a skip note on the last 16th of beat 2 (and of beat 4), nothing else on
    the ride; the hi-hat foot on the backbeats (2 and 4; a waltz's 2 and 3), no other closed hat. Kick, snare and the
    rest stay as decided, and so do the bars `leave` (n,) holds and those of a hat part (`hat_parts` (n,), a take's
    plan) but a walking waltz's (its jazz waltz is kept on the hat). The render swings the skip notes with the song.
    Returns (n, S, 9) bool the cells added, which the caller plays with the model's velocity and timing.

    A decided ride plays the codebook's ride grooves, mostly a hat pattern moved to the ride (eighths, or quarters),
    and keeps the foot only where the model is sure of it (`hat_foot`); a jazz drummer rides the spang-a-lang with
    the foot on every backbeat. Out of fold (cv-jazz's fold models, take 1, ../shared/scoring): jazz/'s 31 songs
    0.447 -> 0.465 (the jazz ride pattern 0.430), the 21 of midi/'s 657 songs it changes 0.421 -> 0.427."""
    q = grid.steps_per_quarter
    added = np.zeros_like(hits)
    if q % 4:
        return added
    rows = grid.bars[first_bar : first_bar + len(hits)]
    beats = np.where(rows[:, BAR_DENOMINATOR] == 4, rows[:, BAR_NUMERATOR], 0)
    playable = jazz_time_bars(hits, grid, first_bar, CLOSED_HAT if walking else None)
    if leave is not None:
        playable &= ~leave
    if hat_parts is not None:
        playable &= ~hat_parts | (walking & (beats == 3))
    cymbals = [RIDE, CLOSED_HAT]
    for row in np.flatnonzero(playable).tolist():
        time = jazz_time(int(beats[row]), q)
        figure = np.zeros((hits.shape[1], 2), dtype=bool)  # (steps, (ride, closed hat))
        figure[: len(time)] = time
        added[row][:, cymbals] = figure & ~hits[row][:, cymbals]
        hits[row][:, cymbals] = figure
    return added


def jazz_time_bars(hits: np.ndarray, grid: Grid, first_bar: int, waltz_also: int | None = None) -> np.ndarray:
    """(n,) bool the bars of hits (n, S, 9) that the jazz ride plays in a swung song: of 2, 3 or 4 quarter beats
    (`grid`'s rows from `first_bar`), not compound, kept on the ride (`ridden_bars`), or bars of 3 beats kept on the
    voice `waltz_also`."""
    q = grid.steps_per_quarter
    rows = grid.bars[first_bar : first_bar + len(hits)]
    beats = np.where(rows[:, BAR_DENOMINATOR] == 4, rows[:, BAR_NUMERATOR], 0)
    bars = np.isin(beats, (2, 3, 4)) & ~is_compound(rows[:, BAR_NUMERATOR], rows[:, BAR_DENOMINATOR])
    bars &= rows[:, BAR_STEPS] <= hits.shape[1]
    _, on_beat, counted = _beats(hits.shape[1], rows[:, BAR_STEPS], np.full(len(hits), q))
    kept = _kept_on(hits, RIDE, on_beat, counted)
    if waltz_also is not None:
        kept |= (beats == 3) & _kept_on(hits, waltz_also, on_beat, counted)
    return bars & kept


@lru_cache(maxsize=16)
def jazz_time(beats: int, steps_per_quarter: int) -> np.ndarray:
    """(steps, 2) bool the ride and the closed hat of `groove.vocabulary`'s jazz ride in a bar of `beats` quarters (4:
    its 4/4 figure without the feathered kick, 3: the jazz waltz, 2: the first half of the 4/4 figure), read-only."""
    name = "jazz waltz 3/4" if beats == 3 else "jazz ride 4/4, no feather"
    _, pattern, _ = figure_arrays(next(f for f in FIGURES if f.name == name), steps_per_quarter)
    time = pattern[: beats * steps_per_quarter][:, [RIDE, CLOSED_HAT]]
    time.setflags(write=False)
    return time


def swung_time_keeping(take: Take, grid: Grid, first_bar: int, leave: np.ndarray | None = None) -> Take:
    """The take with a time-keeping voice that shows the swing, for a song decided swung: the last beat of each
    simple x/4 bar plays one note off the beat. Where its hats or ride play on the beat and nothing off it, a skip
    note is added on its last 16th (the same cymbal, SKIP_VELOCITY_SHARE of the beat's velocity; `swing` then moves
    it to the song's swing: a pickup into the next bar); where they play more than one note off it, only the eighth
    (or the last of them) stays. Quarter-note hats have no note to swing and 16ths play two or three off each beat:
    neither carries the swing as an eighth does. Only the last beat: on the 14 swung validation songs (every part
    read), doing it on every beat cost 0.042 of their mean song F1, on beats 2 and 4 0.022, on the last beat 0.008,
    for the same 9 songs within 0.04 of their drummer (the drummers of the swung folk songs play quarters, a swung
    note on 6% of their beats). Every second bar's last beat would cost the 67 songs' mean F1 0.0016 instead of
    0.0029, with the same 9 of 14 within; every bar was kept, so that the swing is heard. Bars where `leave` (n,)
    holds stay as they are (the user's loop bar played exactly: the user's notes play there)."""
    hits, velocity = take.hits.copy(), take.velocity.copy()
    q, voice = grid.steps_per_quarter, list(TIMEKEEPERS)
    rows = grid.bars[first_bar : first_bar + len(hits)]
    simple = (rows[:, BAR_DENOMINATOR] == 4) & ~is_compound(rows[:, BAR_NUMERATOR], rows[:, BAR_DENOMINATOR])
    if q % 4:
        return take
    if leave is not None:
        simple &= ~leave
    for row in np.flatnonzero(simple):
        beat_start = (min(int(rows[row, BAR_STEPS]), hits.shape[1]) // q - 1) * q
        if beat_start < 0:
            continue
        beat = hits[row, beat_start : beat_start + q][:, voice]  # (q, voices) the last beat's time-keeping
        off = np.flatnonzero(beat[1:].any(axis=1)) + 1  # its steps off the beat
        if len(off) > 1:
            keep = q // 2 if q // 2 in off else int(off[-1])
            hits[row, beat_start + off[off != keep][:, None], voice] = False
        elif not len(off) and beat[0].any():
            cymbal, skip = voice[int(np.flatnonzero(beat[0])[0])], beat_start + 3 * q // 4
            hits[row, skip, cymbal] = True
            velocity[row, skip, cymbal] = max(1, round(int(velocity[row, beat_start, cymbal]) * SKIP_VELOCITY_SHARE))
    return replace(take, hits=hits, velocity=np.where(hits, velocity, 0).astype(velocity.dtype))
