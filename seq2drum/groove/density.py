"""`--density`: a take made busier or sparser the way a drummer would, from the model's own take.

Scaling the decision's threshold (what this replaced) moved every class alike: at 4x it wrote 16th kick and snare
and a crash on every beat, at 0.5x it dropped most snares of a folk song while its hi-hats stayed. Here:
- sparser: hits go in order of how little they carry: time-keeping 16ths, then its off-beat 8ths, then off-beat
  kicks and snares, then the other cymbals' beats, then the time-keeping voice's beats, the model's least likely
  first within each; kick and snare
  on the beat (the backbone), crashes and fills stay;
- busier: what drummers add, in turn: the time-keeping voice on the 8ths it leaves out, then on the 16ths, then
  ghost snares (soft) on the 16ths off the beat, then kicks on off-beat 8ths, the model's likeliest first within
  each; nothing in bars that rest or fill, nothing past the music's last note, never a crash or a tom.
The ratio reached is kept on the take; the render says so when take 1 misses the target by more than 15%.
"""

from __future__ import annotations

import numpy as np

from seq2drum.groove.policy import Take
from seq2drum.groove.structure import FILL_COLUMN, REST_COLUMN
from seq2drum.midi.drums import CLOSED_HAT, CRASH, KICK, OPEN_HAT, RIDE, SNARE, midi_velocity
from seq2drum.model.scoring import SongScores

DENSITY_NOTICE_MISS = 0.15  # take 1's ratio reached this far from the ratio asked: the render says so
GHOST_VELOCITY = 38  # a ghost note on the snare
CYMBALS = (CLOSED_HAT, OPEN_HAT, RIDE)


def step_kinds(scores: SongScores, width: int) -> tuple[np.ndarray, np.ndarray]:
    """(n, S) bool on a beat, and (n, S) bool on an 8th (beats included), for every step of every bar."""
    steps = np.arange(width)[None, :]
    beat = np.maximum(scores.beat_steps[:, None], 1)
    on_beat = steps % beat == 0
    on_eighth = steps % np.maximum(beat // 2, 1) == 0
    return on_beat, on_eighth


def thin(take: Take, p: np.ndarray, scores: SongScores, target: float) -> None:
    """Remove hits, least carrying first (see the module), until the take has at most `target` hits or only its
    backbone, crashes and fills are left."""
    excess = take.n_hits - int(np.ceil(target))
    if excess <= 0:
        return
    on_beat, on_eighth = step_kinds(scores, take.hits.shape[1])
    tier = np.full(take.hits.shape, 9, dtype=np.int64)  # 9: never removed
    cymbal = np.zeros(take.hits.shape[2], dtype=bool)
    cymbal[list(CYMBALS)] = True
    tier[:, :, cymbal] = np.where(on_beat, 3, np.where(on_eighth, 1, 0))[:, :, None]
    tier[:, :, [KICK, SNARE]] = np.where(on_beat, 9, 2)[:, :, None]
    main = max(CYMBALS, key=lambda drum: int(take.hits[..., drum].sum()))  # the time-keeping voice: its beats last
    tier[:, :, main] = np.where(on_beat, 4, tier[:, :, main])
    keep = take.structure[:, FILL_COLUMN]
    tier[keep] = 9  # a fill bar stays whole
    tier[:, 0, CRASH] = 9
    cells = np.flatnonzero(take.hits.ravel() & (tier.ravel() < 9))
    order = np.lexsort((p.ravel()[cells], tier.ravel()[cells]))  # lowest tier, then least likely, first
    gone = cells[order[:excess]]
    for array in (take.hits, take.velocity, take.offset):
        array.ravel()[gone] = 0


def thicken(take: Take, p: np.ndarray, scores: SongScores, target: float) -> None:
    """Add what a drummer adds (see the module), likeliest first within each kind, until the take has `target`
    hits or nothing of that kind is left to add."""
    missing = int(np.ceil(target)) - take.n_hits
    if missing <= 0:
        return
    on_beat, on_eighth = step_kinds(scores, take.hits.shape[1])
    open_bars = ~(take.structure[:, REST_COLUMN] | take.structure[:, FILL_COLUMN])
    playable = scores.step_mask() & open_bars[:, None]
    last_bar, last_step = scores.last_onset
    playable[last_bar + 1 :] = False
    if 0 <= last_bar < len(playable):
        playable[last_bar, last_step + 1 :] = False
    voice = RIDE if take.hits[..., RIDE].sum() > take.hits[..., CLOSED_HAT].sum() else CLOSED_HAT
    timed = take.hits[..., list(CYMBALS)].any(axis=2)
    kinds = (
        (voice, playable & on_eighth & ~timed),
        (voice, playable & ~on_eighth & ~timed),
        (SNARE, playable & ~on_eighth & ~take.hits[..., SNARE]),
        (KICK, playable & on_eighth & ~on_beat & ~take.hits[..., KICK]),
    )
    for drum, where in kinds:
        if missing <= 0:
            return
        cells = np.flatnonzero(where.ravel())
        chosen = cells[np.argsort(-p[..., drum].ravel()[cells], kind="stable")[:missing]]
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


def density_notice(asked: float, reached: float | None) -> str:
    """Said when take 1 misses the density asked by more than DENSITY_NOTICE_MISS."""
    if reached is None or asked == 1.0 or abs(reached / asked - 1.0) <= DENSITY_NOTICE_MISS:
        return ""
    limit = "its backbone, crashes and fills" if asked < 1 else "every 16th of its time-keeping, ghost notes and kicks"
    return (f"--density {asked:g} asked {asked:g}x the model's hits; take 1 has {reached:.2f}x, as far as it goes "
            f"({limit})")
