"""A phrase of the plan's part (the model's, a style's, the drums given, or the musician's `--parts`: issues 87, 99)
played as that part, as parts.labels reads one: on its time-keeper in its subdivision, with its kick and snare feel
(parts.traits PART_FEELS), the model choosing within them.

`play_times` moves the time to the part's cymbal where another keeps it (the hat of a ride part, the open hat of a
closed-hat part), thins time kept finer than the part (16ths for "eighths on the hat": the least likely go) and adds,
where the part's cymbal keeps time coarser than the part (eighths for "16ths on the hat"), its likeliest cells of the
part's subdivision. `play_feels` changes only the kick and snare of a phrase that keeps the part's time but reads as
another feel: a backbeat on every backbeat, half-time's snare on the middle beat alone, four on the floor's kick on
every beat, a waltz's oom-pa-pa, comping's snare off the backbeat, time only's none. `play_levels` gives a sparse part's
phrase the few hits a bar that make it sparse, not a drop-out. What they add goes where the model expects it most
(`p`), what they drop where it expects it least. Fill bars are written later (groove.marks), over it. `ChosenParts`
(`plan_steering`, from the take's plan) says which bars, phrases and parts.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from seq2drum import arrays
from seq2drum.groove.policy import ChosenPart, ChosenParts, Steering
from seq2drum.midi.drums import CLOSED_HAT, KICK, OPEN_HAT, RIDE, SNARE
from seq2drum.parts.labels import (DROP_OUT_HITS, EIGHTHS_SHARE, KEEPER_CYMBALS, KEEPER_MIN_PER_BEAT, SIXTEENTHS_SHARE,
                                   backbeat_beats, bar_feels, feel_of, fill_bars, keeper_subdivision, time_keeper)
from seq2drum.parts.plan import Planner
from seq2drum.parts.plan_value import Plan
from seq2drum.parts.traits import STYLES

FINER = ("quarters", "eighths", "16ths")  # subdivisions, coarser first


def plan_steering(steering: Steering, plan: Plan, planner: Planner | None, n_bars: int) -> Steering:
    """`steering` with a played plan bound (issue 99: a part sounds as named, in every take): the bars of its drop-out
    phrases resting, of its sparse phrases playing (`plan_rests`), and each bar marked with its phrase's part
    (`plan_parts`), which the decision's plan rules play (groove.rules `plan_time`, `plan_feels`, `plan_level`)."""
    if not plan.played or planner is None:
        return steering
    if (key := (id(planner), n_bars)) not in plan.made:  # bound once a plan (live, a told part's 8 bars)
        plan.made[key] = (*plan_rests(plan, n_bars), plan_parts(plan, planner, n_bars))
    rested, sparse, bound = plan.made[key]
    if rested.any() or sparse.any():
        rests = np.full(n_bars, None, dtype=object) if steering.rests is None else np.asarray(steering.rests, object)
        rests[rested], rests[sparse] = True, False
        steering = steering.replace(rests=rests)
    return steering if bound is None else steering.replace(plan_parts=bound)


def plan_rests(plan: Plan, n_bars: int) -> tuple[np.ndarray, np.ndarray]:
    """(n,) bool the bars of the plan's drop-out phrases (a drop-out is one: conditioned alone, the backbeat and
    floors played on through 4 in 5 of them) and (n,) bool those that play: its sparse ones (`plan_level`) and the
    full parts the musician named (a part named over a silent band read back "drop-out": issue 100)."""
    levels = {"drop-out": np.zeros(n_bars, dtype=bool), "sparse": np.zeros(n_bars, dtype=bool)}
    for phrase, level in zip(plan.phrases, plan.levels):
        if level in levels:
            levels[level][max(phrase.start_row, 0): min(phrase.end_row, n_bars)] = True
    named_full = plan.bar_chosen(n_bars) & (plan.bar_parts(n_bars) >= 0) & ~levels["drop-out"]
    return levels["drop-out"], levels["sparse"] | named_full


def plan_parts(plan: Plan, planner: Planner, n_bars: int) -> ChosenParts | None:
    """Each bar of a played plan's phrases marked with its part and the part's feel (`Steering.plan_parts`, a
    groove.feels `ChosenParts`; None: no bar of a full or sparse part): the decision plays the part's time and feel
    there, where the codebook's grooves and the backbeat rule played a waltz as backbeats and an "eighths, backbeat"
    as four on the floor."""
    vocabulary, parts = planner.vocabulary, plan.bar_parts(n_bars).tolist()
    style = STYLES.get(plan.style) if plan.style is not None else None
    # under a --style, a phrase whose part does not play the style (its meter has none that does: a jazz ride in 5/4)
    # plays the style's designed grooves, not the part
    played = np.array([k if k >= 0 and vocabulary.parts[k].level == "full" and (style is None or style.holds(
        vocabulary.parts[k].family, vocabulary.parts[k].keeper, vocabulary.parts[k].subdivision,
        vocabulary.parts[k].feel)) else -1 for k in parts], dtype=np.int64)
    sparse = np.array([k >= 0 and vocabulary.parts[k].level == "sparse" for k in parts], dtype=bool)
    # a part's phrase plays its own feel on its own time, the feel its name says (the vocabulary also files other
    # feels under a part, "four on the floor" on the ride under "eighths on the ride, backbeat": played so, the phrase
    # is read back by its own words, which are another part's name; issue 99)
    feels = {k: ChosenPart(part.keeper, part.subdivision, {(part.keeper, part.subdivision): (part.feel,)})
             for k in set(played.tolist()) - {-1} for part in (vocabulary.parts[k],)}
    named = plan.bar_chosen(n_bars)
    bound = ChosenParts(played, plan.bar_phrases(n_bars), feels, sparse if sparse.any() else None,
                        named if named.any() else None)
    return bound if bound.chosen.any() or sparse.any() else None


def play_levels(hits: np.ndarray, p: np.ndarray, bar_steps: np.ndarray, chosen: ChosenParts) -> None:
    """In place on (n, S, 9) `hits`: each phrase of a sparse part the musician chose plays DROP_OUT_HITS a bar at
    least (parts.labels reads fewer as a drop-out): the likeliest cells it lacks added, where the network hears
    nothing as much as where it hears a little (a sparse intro under a silent band came out silent)."""
    if chosen.sparse is None:
        return
    for phrase in arrays.distinct(chosen.phrases[chosen.sparse]).tolist():
        rows = np.flatnonzero(chosen.sparse & (chosen.phrases == phrase))
        inside = np.arange(hits.shape[1])[None, :] < np.minimum(bar_steps[rows], hits.shape[1])[:, None]  # (m, S)
        missing = int(np.ceil(DROP_OUT_HITS * len(rows))) - int((hits[rows] & inside[..., None]).sum())
        if missing <= 0:
            continue
        free = np.flatnonzero(inside[..., None] & ~hits[rows])  # cells of the phrase's bars, flattened (m, S, 9)
        likeliest = free[np.argsort(-p[rows].reshape(-1)[free], kind="stable")[:missing]]
        block = hits[rows]
        block.reshape(-1)[likeliest] = True
        hits[rows] = block


def sparse_out(cells: np.ndarray, p: np.ndarray, excess: int, beats: float, spare: int) -> np.ndarray:
    """(m, S, 9) bool the hits of a sparse phrase's (m, S, 9) `cells` (its groove bars' hits but the crash) to drop:
    its `excess` least likely, then the least likely of the hats (the two as one) and of the ride until neither keeps
    time over its `beats` felt beats (parts.labels KEEPER_MIN_PER_BEAT: the part's cells, its drummers' sparse
    phrases, strike a cymbal about once a bar); never more than `spare` in all."""
    out = np.zeros(cells.shape, dtype=bool)

    def drop(where: np.ndarray, count: int) -> None:
        free = np.flatnonzero(where & ~out)
        count = max(min(count, spare - int(out.sum())), 0)
        out.reshape(-1)[free[np.argsort(p.reshape(-1)[free], kind="stable")[:count]]] = True

    drop(cells, excess)
    for columns in ([CLOSED_HAT, OPEN_HAT], [RIDE]):
        cymbal = cells & np.isin(np.arange(cells.shape[2]), columns)  # its strokes alone
        if beats > 0:
            drop(cymbal, int((cymbal & ~out).sum()) - (int(np.ceil(KEEPER_MIN_PER_BEAT * beats)) - 1))
    return out


def full_in(hits: np.ndarray, p: np.ndarray, rows: np.ndarray, bar_steps: np.ndarray, beat_steps: np.ndarray,
            lacking: int, part: ChosenPart) -> np.ndarray:
    """Flat indices into (n, S, 9) `hits` of the `lacking` likeliest strokes (by `p`) that a full part's phrase
    (`rows`) adds to read full: its cymbal's on the part's subdivision (its eighths where it names none, a swung
    part's straight eighths); a part that keeps no time ("kick and snare"), its kick's and snare's on the eighths off
    the beat, where parts.labels reads no feel (`bar_feels` reads the beats: a backbeat stays one)."""
    if lacking <= 0 or (part.keeper not in KEEPER_CYMBALS and part.keeper != "none"):
        return np.zeros(0, dtype=np.int64)
    steps = np.arange(hits.shape[1])[None, :]
    beats = np.maximum(beat_steps[rows], 1)[:, None]
    inside = steps < bar_steps[rows][:, None]
    if part.keeper == "none":
        free, columns = inside & (steps % 2 == 0) & (steps % beats != 0), (KICK, SNARE)
    else:
        grid = {"quarters": steps % beats == 0, "16ths": steps >= 0}
        free, columns = inside & grid.get(part.subdivision, steps % 2 == 0), (KEEPER_CYMBALS[part.keeper],)
        if part.subdivision == "swung":  # one stroke off a swung beat: none beside the jazz ride's skip note
            free &= ~_off_beat_struck(hits[rows, :, columns[0]], beats)
    flat = []
    for column in columns:
        row, step = np.nonzero(free & ~hits[rows, :, column])
        flat.append(np.ravel_multi_index((rows[row], step, np.full(len(row), column)), hits.shape))
    flat = np.concatenate(flat)
    return flat[np.argsort(-p.reshape(-1)[flat], kind="stable")[:lacking]]


def _off_beat_struck(cymbal: np.ndarray, beats: np.ndarray) -> np.ndarray:
    """(m, S) bool the steps of beats (`beats` (m, 1) steps) whose cymbal strokes (m, S) strike off the beat."""
    steps = np.arange(cymbal.shape[1])[None, :]
    beat = steps // beats  # (m, S) each step's beat
    struck = np.zeros((cymbal.shape[0], cymbal.shape[1] + 1), dtype=bool)  # (m, beats a bar at most S)
    row, step = np.nonzero(cymbal & (steps % beats != 0))
    struck[row, beat[row, step]] = True
    return np.take_along_axis(struck, beat, axis=1)


def time_of(bars: np.ndarray, lengths: np.ndarray, beat_steps: np.ndarray) -> tuple[str, str, str]:
    """(keeper, subdivision, the kick and snare's feel) of (m, S, 9) bool bars of a phrase as parts.labels reads them,
    before any swing: read once per cells, lengths and beats (`_time_of`; a live bar's phrase was read 3.4 times a
    bar, by each of the decision's rounds and by `play_times` and `play_feels` in each, mostly the same cells)."""
    return _time_of(bars.tobytes(), bars.shape, tuple(lengths.tolist()), tuple(beat_steps.tolist()))


@lru_cache(maxsize=1024)
def _time_of(cells: bytes, shape: tuple[int, ...], lengths: tuple[int, ...], beats: tuple[int, ...]) -> tuple[str, ...]:
    bars, beat, steps = np.frombuffer(cells, dtype=bool).reshape(shape), np.array(beats), np.array(lengths)
    keeper = time_keeper(bars.sum(axis=1), steps / np.maximum(beat, 1))
    subdivision = "none" if keeper == "none" else keeper_subdivision(bars, np.zeros(shape, np.float32), beat, keeper)
    return keeper, subdivision, feel_of(bar_feels(bars, steps, beat), bars[:, :, SNARE].sum(axis=1))


def play_times(hits: np.ndarray, p: np.ndarray, bar_steps: np.ndarray, beat_steps: np.ndarray,
               chosen: ChosenParts) -> None:
    """In place on (n, S, 9) `hits`: each phrase of `chosen` keeps time on its part's cymbal (another cymbal's time
    moved there, `move_time`; where none keeps it in a part the musician named, the cymbal on each felt beat: the
    model's own plan keeps its time-less bars, which played too busy; a named part that keeps none, "kick and snare",
    none on the cymbal the phrase kept it on) in its part's straight subdivision:
    time kept finer thinned (`thin`), coarser given the cymbal's likeliest cells of the part's subdivision (`divide`),
    as parts.labels reads it (EIGHTHS_SHARE, SIXTEENTHS_SHARE of its hits); the model's own cells stay where they fit.
    A swung part's time is kept in eighths, which the take steps swing where the song swings."""
    for rows, part in chosen.phrases_playing(hits):
        lengths = np.minimum(bar_steps[rows], hits.shape[1])  # a 9/4 bar's first S steps, as parts.labels reads it
        keeper, subdivision, _ = time_of(hits[rows], lengths, beat_steps[rows])
        if keeper == "none" and part.keeper in KEEPER_CYMBALS and chosen.named is not None and chosen.named[rows[0]]:
            for row, length in zip(rows.tolist(), lengths.tolist()):
                hits[row, : int(length) : max(int(beat_steps[row]), 1), KEEPER_CYMBALS[part.keeper]] = True
            keeper, subdivision, _ = time_of(hits[rows], lengths, beat_steps[rows])
        if keeper == "crash" and part.keeper != "crash":  # the model's own crash riding is left as it plays it
            continue
        if part.keeper == "none" and keeper in KEEPER_CYMBALS and chosen.named is not None and chosen.named[rows[0]]:
            hits[rows, :, KEEPER_CYMBALS[keeper]] = False  # a named part keeps no time: "kick and snare" (issue 100)
            continue
        if keeper in KEEPER_CYMBALS and part.keeper in KEEPER_CYMBALS and keeper != part.keeper:
            for row in rows.tolist():
                move_time(hits[row], KEEPER_CYMBALS[keeper], KEEPER_CYMBALS[part.keeper], max(int(beat_steps[row]), 1))
            keeper, subdivision, _ = time_of(hits[rows], lengths, beat_steps[rows])
        wanted = "eighths" if part.subdivision == "swung" else part.subdivision  # swung by the take steps
        if subdivision == "swung" and part.subdivision != "swung":  # a straight part's time on the swung 16ths
            subdivision = "16ths"  # (a later take's swaps put it there): thinned to the part's as 16ths are
        if keeper != part.keeper or keeper not in KEEPER_CYMBALS or subdivision not in FINER or wanted not in FINER:
            continue
        column = KEEPER_CYMBALS[keeper]
        if part.subdivision == "swung":  # its eighths swing only in beats with no 16th between (feel.swing's units)
            if hits[rows, 1::2, column].any():  # read again: what stays may be too few eighths to swing
                hits[rows, 1::2, column] = False
                if (subdivision := time_of(hits[rows], lengths, beat_steps[rows])[1]) not in FINER:
                    continue
        for row, length in zip(rows.tolist(), lengths.tolist()):
            beat = max(int(beat_steps[row]), 1)
            if FINER.index(subdivision) > FINER.index(wanted):
                thin(hits[row, :, column], p[row, :, column], wanted, int(length), beat)
            elif FINER.index(subdivision) < FINER.index(wanted):
                divide(hits[row, :, column], p[row, :, column], wanted, int(length), beat)


def move_time(bar: np.ndarray, source: int, target: int, beat: int) -> None:
    """In place on one bar's (S, 9) hits: cymbal `source`'s strokes played on `target` instead (a ride part's time
    from the hat, a hat part's from the ride or the open hat); a ride part keeps the hat on its backbeats (the foot on
    2 and 4) where the ride stays the busier by twice."""
    moved = bar[:, source].copy()
    bar[:, target] |= moved
    bar[:, source] = False
    if target == KEEPER_CYMBALS["ride"] and source == KEEPER_CYMBALS["closed_hat"]:
        feet = np.array([b * beat for b in backbeat_beats(len(moved) // beat)], dtype=np.int64)
        feet = feet[moved[feet]] if len(feet) else feet
        if np.count_nonzero(bar[:, target]) > 2 * len(feet):
            bar[feet, source] = True


def thin(keeper: np.ndarray, p: np.ndarray, subdivision: str, length: int, beat: int) -> None:
    """In place on a bar's (S,) time-keeper hits: the least likely cells finer than `subdivision` dropped until
    parts.labels reads it so: eighths with under SIXTEENTHS_SHARE of its hits on odd 16ths, quarters with under
    EIGHTHS_SHARE between the beats."""
    steps = np.arange(length)
    if subdivision == "eighths":
        finer, share = steps % 2 == 1, SIXTEENTHS_SHARE
    else:
        finer, share = steps % beat != 0, EIGHTHS_SHARE
    coarse = int(np.count_nonzero(keeper[:length] & ~finer))
    kept = max(int(np.ceil(share * coarse / (1 - share) - 1e-9)) - 1, 0)  # fine / (coarse + fine) < share
    fine = steps[finer & keeper[:length]]
    if len(fine) > kept:
        keeper[fine[np.argsort(p[fine], kind="stable")[: len(fine) - kept]]] = False


def divide(keeper: np.ndarray, p: np.ndarray, subdivision: str, length: int, beat: int) -> None:
    """In place on a bar's (S,) time-keeper hits: the likeliest cells of `subdivision` it lacks added until parts.labels
    reads it so: 16ths on odd steps at SIXTEENTHS_SHARE of its hits, eighths between the beats at EIGHTHS_SHARE."""
    steps = np.arange(length)
    if subdivision == "16ths":
        finer, share = steps % 2 == 1, SIXTEENTHS_SHARE
    else:
        finer, share = (steps % 2 == 0) & (steps % beat != 0), EIGHTHS_SHARE
    coarse, fine = int(np.count_nonzero(keeper[:length] & ~finer)), int(np.count_nonzero(keeper[:length] & finer))
    missing = int(np.ceil(share * coarse / (1 - share) - 1e-9)) - fine
    free = steps[finer & ~keeper[:length]]
    if missing > 0 and len(free):
        keeper[free[np.argsort(-p[free], kind="stable")[:missing]]] = True


def play_feels(hits: np.ndarray, p: np.ndarray, bar_steps: np.ndarray, beat_steps: np.ndarray,
               chosen: ChosenParts, fills: np.ndarray | None = None, as_labelled: bool = False) -> None:
    """In place on (n, S, 9) `hits`: each phrase of `chosen` whose playing bars keep time as its part may but in a
    feel that is not labelled as it (`ChosenPart.feels`) plays the first feel that is, in each of them (module
    docstring); a phrase no feel would make its part (its time kept otherwise) is left to the model. Its feel is
    read without the bars that will be fills (`fills` (n,) bool: the fill edges), as parts.labels reads a phrase's
    groove bars: read with its fill bar's snares, a comping phrase kept too few and was read back as no backbeat.
    `as_labelled`: nor the bars that play as fills (parts.labels `fill_bars`), once a take's fills are placed."""
    for rows, part in chosen.phrases_playing(hits):
        lengths = np.minimum(bar_steps[rows], hits.shape[1])  # a 9/4 bar's first S steps, as parts.labels reads it
        groove = rows if fills is None or fills[rows].all() else rows[~fills[rows]]
        if as_labelled and (played := ~fill_bars(hits[groove], bar_steps[groove])).any():
            groove = groove[played]  # the bars that play as fills out too (a comp on each triplet's last note)
        read, bars = np.minimum(bar_steps[groove], hits.shape[1]), hits[groove]
        *time, feel = time_of(bars, read, beat_steps[groove])
        if as_labelled and not part.feels(*time):  # too few groove bars to hear a swing: read over the whole phrase
            time = list(time_of(hits[rows], lengths, beat_steps[rows])[:2])  # (parts.labels `keeper_subdivisions`)
        if not (feels := part.feels(*time)) or feel in feels:
            continue
        for row, length in zip(rows.tolist(), lengths.tolist()):
            play_feel(hits[row], p[row], feels[0], int(length), max(int(beat_steps[row]), 1))


def play_feel(bar: np.ndarray, p: np.ndarray, feel: str, length: int, beat: int) -> None:
    """In place on one bar's (S, 9) hits, `length` steps of beats of `beat` steps: its kick and snare in `feel` (a
    bar of one beat has no feel to play)."""
    n_beats = length // beat
    if n_beats < 2:
        return
    beats = np.arange(n_beats) * beat
    backbeats = beats[backbeat_beats(n_beats)]
    snare, kick = bar[:, SNARE], bar[:, KICK]  # views: written in place
    if feel == "four-floor":
        kick[beats] = True
        return
    if kick[beats].all():  # four on the floor only where it is asked: the least likely beat's kick after the first
        kick[_most(-p[:, KICK], beats[1:])] = False
    if feel == "backbeat":
        if n_beats % 2 == 0:
            snare[backbeats] = True
        elif not snare[backbeats].any():  # an odd count's backbeat: one of them, the likeliest
            snare[_most(p[:, SNARE], backbeats)] = True
    elif feel == "half-time" and n_beats >= 4 and n_beats % 2 == 0:
        snare[beats[1::2]] = False
        snare[beats[n_beats // 2]] = True
    elif feel == "waltz":
        snare[backbeats] = False
        if not bar[0, [KICK, SNARE]].any():
            kick[0] = True
    elif feel == "comping":
        _comping(snare, p[:, SNARE], beats, backbeats, length)
    elif feel == "time-only":
        snare[:] = False


def _comping(snare: np.ndarray, p_snare: np.ndarray, beats: np.ndarray, backbeats: np.ndarray, length: int) -> None:
    """A comping bar's snare (in place, the bar `length` steps long): off the backbeat (all backbeats of an even
    count struck: the least likely goes; an odd count's none), not a half-time's middle beat alone, and one hit at
    least, at the likeliest step off the backbeats."""
    n_beats = len(beats)
    if n_beats % 2 == 0 and snare[backbeats].all():
        snare[_most(-p_snare, backbeats)] = False
    elif n_beats % 2:
        snare[backbeats] = False
    if n_beats >= 4 and n_beats % 2 == 0 and snare[beats[n_beats // 2]] and not snare[beats[1::2]].any():
        snare[beats[n_beats // 2]] = False  # a snare on 3 alone is half-time's
    if not snare.any():
        taken = np.zeros(length, dtype=bool)
        taken[backbeats] = True
        taken[beats[n_beats // 2: n_beats // 2 + 1]] = True
        snare[_most(p_snare, np.flatnonzero(~taken))] = True


def _most(values: np.ndarray, steps: np.ndarray) -> int:
    """The step of `steps` where `values` is greatest (the first of a tie; the least of `-values`)."""
    return int(steps[np.argmax(values[steps])])

