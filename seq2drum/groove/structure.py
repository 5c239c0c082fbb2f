"""Bar structure, in one place: which bars rest, crash on the downbeat or close with a fill, and the column order
(rest, crash, fill) every (n, 3) structure array uses.

Two fill predicates live here under distinct names, on purpose (unifying them may change drums, and is later work):
- `is_fill_bar`: the fill-bar label and score. A bar is a fill when it plays a tom anywhere, or 3+ snare hits in
  its last beat. It makes the training labels (`bar_structure`) and the scores the structure head learns.
- `is_fill_beat`: what decoding writes. The last beat of a codebook entry is a fill when it plays a tom or 3+ snare
  hits; a fill bar gets the likeliest such beat (`FillWriter`).

Section edges: a crash's edge is a section's first bar, a fill's is the last bar of a section of
`MIN_FILL_SECTION_BARS` or more (`closes_with_fill`: controls and drums from nothing use the same rule), a rest's is
a bar the guitar leaves silent. The policy's lower edge thresholds apply there; `Steering` may force any bar. A bar
a heard bass part leaves silent (`bass_silence`) rests at the policy's `rest_bass_threshold` when it is lower still.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from seq2drum.groove.settings import (CRASH_AHEAD, CRASH_MIN_GAP, FILL_AHEAD, FILL_COUNT_SHARE, FILL_LONG_BEATS,
                                      FILL_LAST_BEAT_HITS, FILL_LONG_MIN_BEATS, FILL_MAX_SHARE, FILL_MIN_HITS,
                                      SHORT_BAR_STEPS)
from seq2drum.groove.codebook import GrooveCodebook
from seq2drum.groove.policy import Steering
from seq2drum.midi.drums import (CLOSED_HAT, CRASH, HIGH_TOM, KICK, LOW_TOM, MID_TOM, NUM_DRUM_CLASSES, RIDE, SNARE,
                                 TOMS)
from seq2drum.groove.scores import SongScores
from seq2drum.song.phrases import FILL_ODD_SNARES, FILL_TOM_HITS
from seq2drum.song.sections import Section

if TYPE_CHECKING:
    from seq2drum.song.bars import BarSong

REST_COLUMN, CRASH_COLUMN, FILL_COLUMN = 0, 1, 2  # the columns of every (n, 3) structure array
STRUCTURE_COLUMNS = ("rest", "crash", "fill")


# ---------------------------------------------------------------------------------------------- what a bar is


def is_fill_bar(pattern: np.ndarray, n_steps: int, beat_steps: int) -> bool:
    """The fill-bar label: any tom in the bar, or three or more snare hits in its last beat."""
    bar = pattern[:n_steps]
    return bool(bar[:, list(TOMS)].any()) or int(bar[max(0, n_steps - beat_steps) :, SNARE].sum()) >= 3


def is_fill_beat(last_beats: np.ndarray) -> np.ndarray:
    """(F,) bool for last beats (F, beat, 9): a fill decoding may write (a tom, or three or more snare hits)."""
    return last_beats[:, :, list(TOMS)].any(axis=(1, 2)) | (last_beats[:, :, SNARE].sum(axis=1) >= 3)


def bar_structure(hits: np.ndarray, bar_steps: np.ndarray, beat_steps: np.ndarray) -> np.ndarray:
    """(n, 3) bool per bar of hits (n, S, 9): no hit at all (rest), a crash on the first step, a fill bar."""
    rest = ~hits.any(axis=(1, 2))
    crash = hits[:, 0, CRASH]
    fill = np.array([is_fill_bar(h, int(n), int(b)) for h, n, b in zip(hits, bar_steps, beat_steps)], dtype=bool)
    return np.stack([rest, crash, fill], axis=1)


def drummed_structure(song: BarSong) -> np.ndarray | None:
    """(n, 3) bool per bar of a training song's real drums (None without drums): the structure head's labels."""
    return None if song.hits is None else bar_structure(song.hits, song.bar_steps, song.beat_steps)


# ---------------------------------------------------------------------------------------------- section edges


def bass_silence(scores: SongScores) -> np.ndarray | None:
    """(n,) bool: the bars a heard bass part leaves silent (None when no bass is heard: the guitar alone, live)."""
    return None if scores.bass_sounds is None else ~scores.bass_sounds


def bar_labels(sections: list[Section], first_bar: int, n_bars: int) -> np.ndarray:
    """(n,) section label of every bar (-1 where no section covers it)."""
    labels = np.full(n_bars, -1, dtype=np.int64)
    for section in sections:
        labels[max(0, section.start_bar - first_bar) : max(0, section.end_bar - first_bar)] = section.label
    return labels


# ---------------------------------------------------------------------------------------------- the decision


class CrashCount(NamedTuple):
    """What `crash_marks` counts over the bars so far: the crash bars the model expected (its calibrated crash
    probabilities summed over playing bars), those played, and the bars since the last crash; and the fills that led
    into a section, and those that landed on its crash (`landed_crashes`)."""

    expected: float = 0.0
    played: int = 0
    since: int = CRASH_MIN_GAP
    landings: int = 0
    landed: int = 0

    def landing_chance(self, share: float) -> float:
        """The chance the next fill into a section lands on its crash: `share`, plus what the landings so far fell
        short of it (less what they ran over), so that a song lands about that share of its fills whatever its
        draws (a take's draws are the same song bars' in every song)."""
        return min(max(share * (self.landings + 1) - self.landed, 0.0), 1.0)

    def after_landing(self, crashed: bool) -> CrashCount:
        """The count after a fill into a section, landed or not."""
        return self._replace(landings=self.landings + 1, landed=self.landed + crashed)

    def allows(self, probability: float) -> bool:
        """Whether the next bar, a playing bar of this crash probability, may crash."""
        return self.since + 1 >= CRASH_MIN_GAP and self.played + 1 <= self.expected + probability + CRASH_AHEAD

    def after(self, probability: float, resting: bool, crashed: bool) -> CrashCount:
        """The count after the next bar."""
        if resting:
            return self._replace(since=self.since + 1)
        return self._replace(expected=self.expected + probability, played=self.played + crashed,
                             since=0 if crashed else self.since + 1)


class FillCount(NamedTuple):
    """What the fill rules count over the bars so far: the fill bars the model expected (its calibrated fill
    probabilities summed over playing bars, times FILL_COUNT_SHARE) and those played, the playing bars, the bars left
    of a two-bar fill begun (`carry`) and whether the last bar filled (a crash follows a fill more often)."""

    expected: float = 0.0
    played: int = 0
    bars: int = 0  # playing bars counted
    carry: int = 0
    last: bool = False

    def allows(self, probability: float) -> bool:
        """Whether the next bar, a playing bar of this fill probability, may fill by count (and the fills stay
        under FILL_MAX_SHARE of the playing bars: fills, not a tom groove)."""
        return self.played + 1 <= self.expected + FILL_COUNT_SHARE * probability + FILL_AHEAD and self.under_share()

    def under_share(self) -> bool:
        """Whether one fill more stays under FILL_MAX_SHARE of the playing bars."""
        return self.played + 1 <= FILL_MAX_SHARE * (self.bars + 1)

    def after(self, probability: float, resting: bool, filled: bool, carry: int = 0) -> FillCount:
        """The count after the next bar (`carry`: bars of a two-bar fill it begins left after it)."""
        if resting:
            return self._replace(carry=0, last=False)
        return FillCount(self.expected + FILL_COUNT_SHARE * probability, self.played + filled, self.bars + 1,
                         carry, filled)


def forced_marks(marks: np.ndarray, steering: Steering) -> np.ndarray:
    """(n, 3) bool rests, crashes and fills: `marks` where `steering` leaves the bar to the model, else what it forces
    (the mark rules, groove.rules, run this after their own)."""
    forced_columns = ((REST_COLUMN, steering.rests), (CRASH_COLUMN, steering.crashes), (FILL_COLUMN, steering.fills))
    marks = marks.copy()
    if steering.rests is None and steering.crashes is None and steering.fills is None:  # most bars (live, all)
        return marks
    for column, forced in forced_columns:
        marks[:, column] = _forced(marks[:, column], forced)
    return marks


def _forced(model: np.ndarray, forced: np.ndarray | None) -> np.ndarray:
    """The model's (n,) bool calls where `forced` is None (all of them when it is None itself), else `forced`."""
    if forced is None:
        return model
    forced = np.asarray(forced)
    if forced.dtype == bool:
        return forced.copy()
    return np.array([own if value is None else bool(value) for own, value in zip(model.tolist(), forced.tolist())],
                    dtype=bool)


# ---------------------------------------------------------------------------------------------- playing it


class FillWriter:
    """Writes decided structure into a take: rests, fills (a codebook entry's last beat, see `is_fill_beat`),
    crashes, and the ending."""

    def __init__(self, codebook: GrooveCodebook) -> None:
        self.codebook = codebook
        # fill regions by (bar steps, beat steps, beats, toms)
        self._fills: dict[tuple[int, int, int, bool], np.ndarray] = {}

    def apply(self, hits: np.ndarray, p: np.ndarray, decided: np.ndarray, scores: SongScores, lam: float,
              in_bar: np.ndarray | None = None, tom_fills: np.ndarray | None = None,
              fill_beats: np.ndarray | None = None) -> None:
        """Play the decided rests, fills and crashes (n, 3) on a take's hits (n, S, 9) in place, then its ending
        (`in_bar`: the scores' step mask (n, S, 1), where the caller has it; `tom_fills` (n,): the fills that may
        play toms, groove.kit `tom_fills`, None: all; `fill_beats` (n,): each fill's beats as placed, groove.placement
        WHOLE_BAR the bar, 0 or None: the length `fill` chooses)."""
        # each mark written only where a bar has it (most bars have none): a count costs a third of a masked write
        rests, crashes = decided[:, REST_COLUMN], decided[:, CRASH_COLUMN]
        if np.count_nonzero(rests):
            hits[rests] = False
        width = hits.shape[1]
        for row in np.flatnonzero(decided[:, FILL_COLUMN]):
            toms = True if tom_fills is None else bool(tom_fills[row])
            beats = 0 if fill_beats is None else int(fill_beats[row])
            self.fill(hits, p, row, min(width, int(scores.bar_steps[row])), int(scores.beat_steps[row]), lam, toms,
                      beats)
        # the crash joins the bar's downbeat with a kick; the hi-hat stays where the groove has it (a third of the
        # data's crash downbeats keep it, as a foot on the pedal does), which costs less when a crash is wrong
        if np.count_nonzero(crashes):
            hits[crashes, 0, CRASH] = True
            hits[crashes, 0, KICK] = True
        play_ending(hits, scores)
        hits &= scores.step_mask()[:, :, None] if in_bar is None else in_bar

    def candidates(self, row: int, n_steps: int, beat: int, beats: int = 1, toms: bool = True,
                   strict: bool = False) -> np.ndarray:
        """(F, beats * beat, 9) bool the fills bar `row` may play over its last `beats` beats: the last `beats` beats
        of the codebook entries of this length that are fills a drummer plays (drummers' fills from the training
        songs, `fill_regions`), computed once per bar shape."""
        key = (n_steps, beat, beats, toms, strict)
        if key not in self._fills:
            entries = self.codebook.entries_of_length(n_steps)
            entries = entries[~self.codebook.designed[entries]]  # drummers' fills: the training songs' bars only
            self._fills[key] = fill_regions(self.codebook.patterns[entries], n_steps, beat, beats, toms, strict)
        return self._fills[key]

    def chosen(self, row: int, candidates: np.ndarray, gain: np.ndarray) -> int:
        """The index of the fill bar `row` plays among `candidates`: the one of the highest gain."""
        return int(np.argmax(gain))

    def fill(self, hits: np.ndarray, p: np.ndarray, row: int, n_steps: int, beat: int, lam: float,
             toms: bool = True, beats: int = 0) -> None:
        """Replace the bar's last beats with the fill the model expects most there: over its last `beats` beats where
        the placement chose a length (groove.placement; the whole bar from WHOLE_BAR), else in a bar of
        FILL_LONG_MIN_BEATS beats or more its last FILL_LONG_BEATS beats, a drummer's fill of that length
        (`candidates`); else, or where the codebook has none, its last beat with the fill beat of the highest gain
        over it; a tom run when the codebook has none. Without `toms`, a snare fill (a quarter note at least: the last
        two eighths of 7/8). A bar on the ride whose closed hats are the foot's (on beats only) keeps them under the
        fill, not the fill's hand hats: both hands fill."""
        n_beats = n_steps // max(1, beat)
        own_hats = hits[row, :n_steps, CLOSED_HAT].copy()
        off_beat = np.arange(n_steps) % max(1, beat) != 0
        foot = bool(hits[row, :n_steps, RIDE].any() and own_hats.any() and not (own_hats & off_beat).any())
        # beats that make a quarter note at least (the last two eighths of 7/8); a short bar's last beat
        quarter = max(1, -(-4 // max(1, beat))) if n_steps > SHORT_BAR_STEPS else 1
        spans = (FILL_LONG_BEATS, quarter) if n_beats >= FILL_LONG_MIN_BEATS and toms else (quarter,)
        tries = [(span, False) for span in spans]
        if beats > 0 and n_steps > SHORT_BAR_STEPS:  # placed: its length and its voices first (a roll: 8 16ths)
            roll = min(-(-2 * FILL_ODD_SNARES // max(1, beat)), n_beats)  # beats that hold FILL_ODD_SNARES odd 16ths
            wanted = max(min(beats, n_beats), quarter if toms else roll)
            tries = [(wanted, True), *tries]
        for span, strict in dict.fromkeys(tries):
            start = max(0, n_steps - span * beat)
            candidates = self.candidates(row, n_steps, beat, span, toms, strict)
            if len(candidates):
                gain = (candidates * (p[row, start:n_steps] - lam)[None]).sum(axis=(1, 2))
                hits[row, start:n_steps] = candidates[self.chosen(row, candidates, gain)]
                hits[row, 0, CRASH] &= start > 0  # a whole-bar fill's downbeat crashes where the crash rule says
                if foot:
                    hits[row, start:n_steps, CLOSED_HAT] = own_hats[start:]
                return
        start = max(0, n_steps - quarter * beat)
        hits[row, start:n_steps] = False
        run = (HIGH_TOM, HIGH_TOM, MID_TOM, MID_TOM, LOW_TOM, LOW_TOM) if toms else (SNARE,)
        for i, step in enumerate(range(start, n_steps)):
            hits[row, step, run[min(i * len(run) // max(1, n_steps - start), len(run) - 1)]] = True
        hits[row, start, KICK] = True


class PlannedFills(FillWriter):
    """A planned take's fills (parts.plan): a bar of FILL_LONG_MIN_BEATS beats or more in a phrase whose part has
    fills of its shape (its drummers' phrase-end fills, parts.vocabulary) plays one of those, never the one the fill
    before it played (no two fills in a row alike); else the codebook's, as FillWriter does (a one-beat fill of a
    part's put its open hats out of 3/4 songs: 0.48 -> 0.27 of the drummers', out of fold). `banks` (n,): each row's
    part's fill bars (k, S, 9) and their lengths (k,), None where the row has no part."""

    def __init__(self, base: FillWriter, banks: list[tuple[np.ndarray, np.ndarray] | None]) -> None:
        super().__init__(base.codebook)
        self._fills = base._fills  # the codebook's fills, made once per bar shape, shared
        self.banks = banks
        self.last: np.ndarray | None = None  # the fill played last
        self._own: dict[tuple[int, int, int, int, bool, bool], np.ndarray] = {}  # a bank's fills by bank and shape

    def candidates(self, row: int, n_steps: int, beat: int, beats: int, toms: bool, strict: bool = False) -> np.ndarray:
        bank = self.banks[row] if row < len(self.banks) else None
        if bank is not None and n_steps // max(1, beat) >= FILL_LONG_MIN_BEATS:
            key = (id(bank[0]), n_steps, beat, beats, toms, strict)  # a part's fill bars: the vocabulary's, alive
            if key not in self._own:
                bars, steps = bank
                self._own[key] = fill_regions(bars[steps == n_steps], n_steps, beat, beats, toms, strict)
            own = self._own[key]
            if self.last is not None and self.last.shape[0] == own.shape[1]:
                own = own[~(own == self.last[None]).all(axis=(1, 2))]
            if len(own):
                return own
        return super().candidates(row, n_steps, beat, beats, toms, strict)

    def chosen(self, row: int, candidates: np.ndarray, gain: np.ndarray) -> int:
        index = super().chosen(row, candidates, gain)
        self.last = candidates[index]
        return index


def fill_regions(patterns: np.ndarray, n_steps: int, beat: int, beats: int, toms: bool, strict: bool) -> np.ndarray:
    """(F, beats * beat, 9) bool the last `beats` beats of the bars `patterns` (k, >= n_steps, 9) of `n_steps` steps
    that are fills: with `toms`, two beats or more hold FILL_TOM_HITS tom hits or more, or FILL_ODD_SNARES snare hits
    on odd 16ths (a roll: ../shared/scoring's fill bar), FILL_LAST_BEAT_HITS of them in the last beat, and one beat is
    a fill beat (`is_fill_beat`) of FILL_MIN_HITS tom and snare hits or more; without, a fill beat with no tom (three
    snare hits or more). `strict` (a placed fill, its voices drawn): with `toms` only those of FILL_TOM_HITS tom hits,
    without only rolls (each a fill bar of ../shared/scoring's)."""
    start = max(0, n_steps - beats * beat)
    region = (patterns[:, start:n_steps] if len(patterns)
              else np.zeros((0, n_steps - start, NUM_DRUM_CLASSES), dtype=bool))
    tom_hits = region[:, :, list(TOMS)].sum(axis=(1, 2))
    rolls = (region[:, :, SNARE] & (np.arange(start, n_steps) % 2 == 1)[None, :]).sum(axis=1)
    if beats > 1 and toms:
        # and it drives into the next bar: FILL_LAST_BEAT_HITS tom and snare hits in its last beat at least
        last = region[:, -beat:, [*TOMS, SNARE]].sum(axis=(1, 2)) >= min(FILL_LAST_BEAT_HITS, max(1, beat))
        found = ((tom_hits >= FILL_TOM_HITS) | (rolls >= FILL_ODD_SNARES)) & last
    else:
        several = region[:, :, [*TOMS, SNARE]].sum(axis=(1, 2)) >= min(FILL_MIN_HITS, max(1, beat))
        found = is_fill_beat(region) & several & (True if toms else tom_hits == 0)
    if strict:
        found &= tom_hits >= FILL_TOM_HITS if toms else rolls >= FILL_ODD_SNARES
    return region[found]


def play_ending(hits: np.ndarray, scores: SongScores) -> None:
    """Nothing after the guitar's last onset; kick and crash on it (the last chord gets its ending). On a downbeat,
    the bar before does not open with a crash too: back-to-back crash bars that the song's drummer does not play (out
    of fold from the band, 6 of the 8 pairs left, each on a song's last two bars)."""
    bar, step = scores.last_onset
    if not 0 <= bar < len(hits):
        return
    hits[bar, step + 1 :] = False
    hits[bar + 1 :] = False
    hits[bar, step] = False
    hits[bar, step, [KICK, CRASH]] = True
    if step == 0 and bar > 0:
        hits[bar - 1, 0, CRASH] = False
