"""A phrase decided within its part (issue 68): the network's probabilities conditioned on the part the plan gives
each bar (parts.plan_value `Plan`), as the one `groove.decide` then reads them. Each cell's log-odds move by the part's
against its family's average part; the hat and the ride move as one time-keeper, split as the network splits them;
the kick, snare and crash are the network's in a full part of take 1 (but a half-time or four-on-the-floor part's),
a later take's its part's; a fill bar's snare and toms are the fill's. `Planner.conditioned` calls it with the
planner's tables.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from seq2drum.feel.swing import SWUNG_RIDE_RATIO
from seq2drum.parts.plan_value import Plan
from seq2drum.midi.drums import CLOSED_HAT, CRASH, KICK, NUM_DRUM_CLASSES, RIDE, SNARE, TOMS


class PartTables(Protocol):
    """What conditioning reads of the planner (parts.plan `Planner`, which imports this module): each of its K parts'
    tables over S steps."""

    steps: np.ndarray
    delta: np.ndarray
    keeper_delta: np.ndarray
    ride_share: np.ndarray
    own_beat: np.ndarray
    full: np.ndarray
    jazz_family: np.ndarray
    riding: np.ndarray
    keeping: np.ndarray


PART_WEIGHT = 1.5  # a cell's logit moves by this times the part's log-odds at that step against its family's average
CHOSEN_PART_WEIGHT = 1.5  # ... in a phrase whose part the musician chose (--parts): every class but the crash
# ... but the kick's and the snare's, left to the network: conditioned too they cost F1 (the part is the drummer's one
# time in three; docs/experiments/2026-11-28-the-plans-rules.md)
# the crash's too: it marks sections and phrases (groove.marks); conditioned, it crashed every few bars
CLASS_WEIGHTS = np.array([0.0 if c in (KICK, SNARE, CRASH) else 1.0 for c in range(NUM_DRUM_CLASSES)])
# ... but a half-time or four-on-the-floor part's, as it places them, no more snare than the network hears a bar
OWN_BEAT_FEELS = ("half-time", "four-floor")
# a sparse part or a drop-out thins the kick and snare too: a drummer who drops out drops his backbeat
THIN_CLASS_WEIGHTS = np.array([0.0 if c == CRASH else 1.0 for c in range(NUM_DRUM_CLASSES)])
TIME_CYMBALS = (CLOSED_HAT, RIDE)  # moved together by a part, as one time-keeper (see the module docstring)
FILL_CLASSES = (SNARE, *TOMS)  # a fill bar's snare and toms are the fill's: the part's groove does not move them
TIME_CYMBAL_LIST, FILL_CLASS_LIST = list(TIME_CYMBALS), list(FILL_CLASSES)  # as fancy indices, made once


def conditioned(planner: PartTables, p: np.ndarray, bar_steps: np.ndarray, plan: Plan,
                fill_rows: np.ndarray | None = None, whole: bool = False) -> np.ndarray:
    """(n, S, 9) the probabilities p conditioned on each bar's part: logit moved by PART_WEIGHT x the part's
    log-odds at that step against its family's average part, in bars of the part's length (others as they are);
    in `fill_rows` the fill's snare and toms are left to the network. `whole`: the kick and snare of a full part
    conditioned too, and a ride part's time on the ride (a later take: another drummer's reading, his kick,
    snare and cymbal his part's, a full part's snare scaled up to the snare the network hears where it is less, but
    a swung plan's jazz-family part's no more than it hears: scaled up, take 1 of jazz/ comped on every swung
    off-beat, 3.3 snares a bar against its drummers' 1.9, docs/experiments/2026-11-30-the-jazz-ride-named.md);
    in take 1 a half-time or four-on-the-floor part's kick and snare too, its snare scaled down to what is heard;
    in take 1 of a swung plan (`Plan.swung`) in a family with jazz/'s jazz ride, the network's time as it is, a
    ride part's on the ride where the network hears the ride (SWUNG_RIDE_RATIO); a part the musician chose
    (`Plan.chosen`) keeps its time on the ride where it is a ride part. `planner`: its tables."""
    out = p.copy()
    rows_part, rows_chosen = plan.bar_parts(len(p)), plan.bar_chosen(len(p))
    groups = {(k, c, n) for k, c, n in zip(rows_part.tolist(), rows_chosen.tolist(), bar_steps.tolist()) if k >= 0}
    for part, chosen, length in sorted(groups):
        steps = int(planner.steps[part])
        # a part plays bars of its profile's length; the musician's part also bars of a multiple of it, its profile
        # repeated (an odd meter's part is one bar length of its drummers', a 6/4 song's bar three of its 2/4's)
        if length != steps and not (chosen and length % steps == 0 and length <= p.shape[1]):
            continue
        rows = np.flatnonzero((rows_part == part) & (rows_chosen == chosen) & (bar_steps == length))
        if (key := (id(planner), part, chosen, length, whole)) not in plan.made:  # once a plan (live: a told part's)
            plan.made[key] = part_table(planner, *key[1:], plan.swung)
        part_delta, keeper_delta, ride_share, entire, own, swung_first = plan.made[key]
        played = p[rows, :length]  # (r, length, 9): read once (a copy: fancy rows)
        if fill_rows is not None and fill_rows[rows].any():
            delta = np.broadcast_to(part_delta, played.shape).copy()
            delta[np.ix_(fill_rows[rows], np.arange(length), FILL_CLASS_LIST)] = 0.0
        else:  # no fill bar among them (live, most bars): the part's moves as they are, broadcast in the sum
            delta = part_delta
        bars = np.clip(played, 1e-6, 1 - 1e-6)
        moved = 1 / (1 + np.exp(-(np.log(bars / (1 - bars)) + delta)))
        # the time-keeping cymbals together: their sum moved as the part's keeper, split as the network splits it
        cymbals = played[..., TIME_CYMBAL_LIST]
        kept = np.clip(cymbals.sum(axis=-1), 1e-6, 1 - 1e-6)
        kept_moved = 1 / (1 + np.exp(-(np.log(kept / (1 - kept)) + keeper_delta)))
        # a ride part's time on the ride at its drummers' share: a later take's, and a swung take 1's where the
        # network hears the ride at SWUNG_RIDE_RATIO of the hat or more; a swung take 1's other time the network's
        rides = planner.riding[part] and (entire or swung_first and bool(
            p[rows, :length, RIDE].sum() >= SWUNG_RIDE_RATIO * p[rows, :length, CLOSED_HAT].sum()))
        if rides or (chosen and planner.keeping[part]):  # the musician's part: its cymbal as its drummers split it
            moved[..., CLOSED_HAT], moved[..., RIDE] = kept_moved * (1 - ride_share), kept_moved * ride_share
        else:
            moved[..., TIME_CYMBAL_LIST] = cymbals if swung_first else cymbals * (kept_moved / kept)[..., None]
        if own or (entire and planner.full[part] and not chosen):  # its snare where the part places it, take 1's
            # no more than the network hears in the bar (else too busy), a later take's as many at least (a comping
            # part's snare on the &s took a take's backbeat away); the musician's part its own (no backbeat: none)
            heard = p[rows, :length, SNARE].sum(axis=1) / np.maximum(moved[..., SNARE].sum(axis=1), 1e-9)
            fewer = own or (plan.swung and bool(planner.jazz_family[part]) and not chosen)
            moved[..., SNARE] *= (np.minimum if fewer else np.maximum)(heard, 1.0)[:, None]
        np.clip(moved, 0.0, 1.0, out=moved)
        out[rows, :length] = np.where(played > 0, moved, 0.0)
    return out


def part_table(planner: PartTables, part: int, chosen: bool, length: int, whole: bool, swung: bool) -> tuple:
    """What conditioning a bar of `length` steps on `part` reads of it, the bar's probabilities apart: each cell's
    log-odds move (length, 9) and the time-keeper's (length,), weighted (`conditioned`'s PART_WEIGHT, CLASS_WEIGHTS),
    the ride's share of the time (length,), and whether the whole part plays (`entire`), its own beat (`own`) and
    the network's time in a swung take 1 (`swung_first`)."""
    steps, entire, weight = int(planner.steps[part]), whole or chosen, CHOSEN_PART_WEIGHT if chosen else PART_WEIGHT
    own = planner.own_beat[part] and planner.full[part] and not entire  # (entire: a later take's or the musician's)
    weights = THIN_CLASS_WEIGHTS if entire or not planner.full[part] or own else CLASS_WEIGHTS
    # (length, 9), (length,), (length,): the part's profile repeated over the bar
    delta, keeper, share = (np.tile(table[part, :steps], (length // steps, 1)[: table.ndim - 1])
                            for table in (planner.delta, planner.keeper_delta, planner.ride_share))
    return weight * delta * weights, weight * keeper, share, entire, own, swung and not entire and bool(
        planner.jazz_family[part])
