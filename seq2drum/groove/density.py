"""`--density`: a take made busier or sparser the way a drummer would, from the model's own take.

Sparser: hits go in order of how little they carry (time-keeping 16ths, off-beat 8ths, off-beat kicks and snares,
other cymbals' beats, the time-keeping voice's even beats); kick and snare on the beat, crashes and fills stay.
Busier: what drummers add, in turn (time-keeping 8ths, then 16ths, soft ghost snares, off-beat kicks); nothing in
bars that rest or fill, nothing past the music's last note, never a crash or a tom; a shuffle or jazz ride gets no
straight 8ths. Within a kind the steps the model finds likeliest over the song come or go first, in every bar alike.
The ratio reached is kept on the take; the render says so when take 1 misses the target by more than 15%.
"""

from __future__ import annotations

import numpy as np

from seq2drum.groove.settings import DENSITY_NOTICE_MISS, GHOST_VELOCITY
from seq2drum.groove.policy import Take
from seq2drum.groove.structure import FILL_COLUMN, REST_COLUMN
from seq2drum.midi.drums import CLOSED_HAT, CRASH, KICK, RIDE, SNARE, TIMEKEEPERS, midi_velocity
from seq2drum.groove.scores import SongScores


def step_kinds(scores: SongScores, width: int) -> tuple[np.ndarray, np.ndarray]:
    """(n, S) bool on a beat, and (n, S) bool on an 8th (beats included), for every step of every bar. The 8th is
    the beat's third in 6/8, 9/8, 12/8, its half in 4/4 and 3/4, the beat itself in 7/8 or 5/8 (beats of an 8th)."""
    steps = np.arange(width)[None, :]
    beat = np.maximum(scores.beat_steps[:, None], 1)
    return steps % beat == 0, steps % eighth_steps(beat) == 0


def eighth_steps(beat: np.ndarray) -> np.ndarray:
    """The 8th's length in steps for each beat length (steps): see step_kinds."""
    compound = (beat % 3 == 0) & (beat >= 6)
    return np.maximum(np.where(compound, beat // 3, np.where(beat >= 4, beat // 2, beat)), 1)


def groups(scores: SongScores, width: int, eighths: int) -> np.ndarray:
    """(n, S) index of each step's span of `eighths` 8ths in its bar (a beat of 2 8ths; a dotted beat is 3)."""
    beat = np.maximum(scores.beat_steps[:, None], 1)
    span = np.where((beat % 3 == 0) & (beat >= 6), beat * max(1, eighths // 2), eighth_steps(beat) * eighths)
    return np.arange(width)[None, :] // span


def one_per_group(where: np.ndarray, score: np.ndarray, group: np.ndarray, taken: np.ndarray) -> np.ndarray:
    """`where` kept at the best-scoring step of each (bar, group), and none in a group `taken` already plays."""
    keyed = group + (np.arange(len(where)) * (group.max(initial=0) + 1))[:, None]  # one key per (bar, group)
    busy = np.zeros(keyed.max(initial=0) + 1, dtype=bool)
    busy[keyed[taken]] = True
    cells = np.flatnonzero(where.ravel() & ~busy[keyed.ravel()])
    if not len(cells):
        return np.zeros(where.shape, dtype=bool)
    best = cells[np.lexsort((-score.ravel()[cells], keyed.ravel()[cells]))]
    first = np.r_[True, keyed.ravel()[best][1:] != keyed.ravel()[best][:-1]]
    kept = np.zeros(where.size, dtype=bool)
    kept[best[first]] = True
    return kept.reshape(where.shape)


def column_mean(p: np.ndarray) -> np.ndarray:
    """p averaged over the bars at each (step, drum), broadcast back: the same steps go or come in every bar."""
    return np.broadcast_to(p.mean(axis=0, keepdims=True), p.shape)


def shuffled(take: Take, voice: int, scores: SongScores) -> np.ndarray:
    """(n,) bars of quarter beats whose time-keeping plays a skip note (the beat's last 16th, its off-8th empty): a
    shuffle or jazz ride, kept a pattern by busier (no 8ths or 16ths added) and sparser (skips go with the 8ths)."""
    hits = take.hits[..., voice]
    skip = hits[:, 3::4].any(axis=1)
    straight = hits[:, 2::4].any(axis=1)
    return skip & ~straight & (scores.beat_steps == 4)


def thin(take: Take, p: np.ndarray, scores: SongScores, target: float) -> None:
    """Remove hits, least carrying first (see the module), until the take has at most `target` hits or only its
    backbone, crashes and fills are left. Within a kind, the steps least likely over the whole song go first, in
    every bar alike (no random holes)."""
    excess = take.n_hits - int(np.ceil(target))
    if excess <= 0:
        return
    on_beat, on_eighth = step_kinds(scores, take.hits.shape[1])
    tier = np.full(take.hits.shape, 9, dtype=np.int64)  # 9: never removed
    main = max(TIMEKEEPERS, key=lambda drum: int(take.hits[..., drum].sum()))  # the time-keeping voice: its beats last
    swung = shuffled(take, main, scores)[:, None]
    sixteenth = np.where(swung & (np.arange(take.hits.shape[1]) % 4 == 3)[None, :], 1, 0)  # a skip note: an 8th
    tier[:, :, list(TIMEKEEPERS)] = np.where(on_beat, 3, np.where(on_eighth, 1, sixteenth))[:, :, None]
    tier[:, :, [KICK, SNARE]] = np.where(on_beat, 9, 2)[:, :, None]
    beat_index = np.arange(take.hits.shape[1])[None, :] // np.maximum(scores.beat_steps[:, None], 1)
    alternate = on_beat & (beat_index % 2 == 0)  # the 1st, 3rd, ... beat of the bar
    tier[:, :, main] = np.where(on_beat, np.where(alternate, 9, 4), tier[:, :, main])  # kept on alternate beats
    tier[take.structure[:, FILL_COLUMN]] = 9  # a fill bar stays whole
    tier[:, 0, CRASH] = 9
    cells = np.flatnonzero(take.hits.ravel() & (tier.ravel() < 9))
    key = (p.ravel()[cells], column_mean(p).ravel()[cells], tier.ravel()[cells])
    gone = cells[np.lexsort(key)[:excess]]  # lowest tier, then the least likely steps of the song, first
    for array in (take.hits, take.velocity, take.offset):
        array.ravel()[gone] = 0


def thicken(take: Take, p: np.ndarray, scores: SongScores, target: float) -> None:
    """Add what a drummer adds (see the module), likeliest steps of the song first within each kind, until the take
    has `target` hits or nothing of that kind is left to add."""
    missing = int(np.ceil(target)) - take.n_hits
    if missing <= 0:
        return
    width = take.hits.shape[1]
    on_beat, on_eighth = step_kinds(scores, width)
    open_bars = ~(take.structure[:, REST_COLUMN] | take.structure[:, FILL_COLUMN])
    playable = scores.step_mask() & open_bars[:, None]
    last_bar, last_step = scores.last_onset
    playable[last_bar + 1 :] = False
    if 0 <= last_bar < len(playable):
        playable[last_bar, last_step + 1 :] = False
    voice = RIDE if take.hits[..., RIDE].sum() > take.hits[..., CLOSED_HAT].sum() else CLOSED_HAT
    straight = playable & ~shuffled(take, voice, scores)[:, None]  # a shuffle's time-keeping stays as it is
    timed = take.hits[..., list(TIMEKEEPERS)].any(axis=2)
    snare, kick = take.hits[..., SNARE], take.hits[..., KICK]
    even = column_mean(p)
    beats = groups(scores, width, 2)
    starts = np.ones(beats.shape, dtype=bool)  # each beat's first step
    starts[:, 1:] = beats[:, 1:] != beats[:, :-1]
    busy = (4 * snare.sum(axis=1) >= np.maximum(scores.bar_steps, 1))[:, None]  # snare on a quarter of the steps
    ghosts = one_per_group(playable & ~on_eighth & ~snare & ~busy, even[..., SNARE], beats,
                           snare & ~starts)  # at most one ghost a beat, none where the snare plays off the beat
    kicks = one_per_group(playable & on_eighth & ~on_beat & ~kick, even[..., KICK], groups(scores, width, 4),
                          np.zeros_like(kick))  # at most one more kick a half note
    kinds = ((voice, straight & on_eighth & ~timed), (voice, straight & ~on_eighth & ~timed), (SNARE, ghosts),
             (KICK, kicks))
    for drum, where in kinds:
        if missing <= 0:
            return
        cells = np.flatnonzero(where.ravel())
        key = (-p[..., drum].ravel()[cells], -even[..., drum].ravel()[cells])
        chosen = cells[np.lexsort(key)[:missing]]
        rows, steps = np.unravel_index(chosen, where.shape)
        take.hits[rows, steps, drum] = True
        velocity = GHOST_VELOCITY if drum == SNARE else midi_velocity(np.round(scores.velocity[rows, steps, drum]))
        take.velocity[rows, steps, drum] = velocity
        take.offset[rows, steps, drum] = scores.offset[rows, steps, drum]
        missing -= len(chosen)


def apply_density(take: Take, p: np.ndarray, scores: SongScores, density: float) -> float:
    """The take made `density` times as busy as decided (in place); returns the ratio of hits reached."""
    own = max(1, take.n_hits)
    if density < 1.0:
        thin(take, p, scores, density * own)
    elif density > 1.0:
        thicken(take, p, scores, density * own)
    return take.n_hits / own


def density_notice(asked: float, reached: float | None, parts_moved: bool = False, whole: float | None = None,
                   named: bool = False) -> str:
    """Said when take 1 misses the density asked by more than DENSITY_NOTICE_MISS. `reached` is this step's ratio:
    take 1's hits over those decided on its plan; with `parts_moved` (take 1 plays a plan, whose parts `--density`
    chose busier or sparser before: parts.plan `density_bias`) the take without --density played other parts, so
    the notice says that the whole change is larger than the figure (issue 90: "1.64x" where it had 1.93x); with
    `named` (parts the musician named, which keep their time) it says so among the limits."""
    if whole is not None:  # take 1 against a run without --density (its parts and its hits): the whole change
        reached, parts_moved = whole, False
    if reached is None or asked == 1.0 or abs(reached / asked - 1.0) <= DENSITY_NOTICE_MISS:
        return ""
    limit = "its backbone, crashes and fills" if asked < 1 else "every 16th of its time-keeping, ghost notes and kicks"
    limit += ", and the time of the parts you named" if named else ""
    said = (f"--density {asked:g} asked {asked:g}x the model's hits; take 1 has {reached:.2f}x, as far as it goes "
            f"({limit})")
    if not parts_moved:
        return said
    busier, more = ("busier", "more") if asked > 1 else ("sparser", "fewer")
    return (f"--density {asked:g} asked {asked:g}x the model's hits; its parts were chosen {busier} first, then take "
            f"1 has {reached:.2f}x the hits of those parts as decided, as far as it goes ({limit}): against a run "
            f"without --density it has {more} than that")
