"""What a drummer plays in each phrase of a song, in a drummer's words: the phrases (`cut_phrases`: each of the
drummer's sections of song.phrases cut into PHRASE_BARS-bar phrases from its start) and each phrase's label
(`label_phrase`): its meter family, its level against the song (full, sparse, drop-out), what keeps time (closed hat,
open hat, ride, toms or none) and in what subdivision (quarters, eighths, 16ths, swung), what the kick and snare do
(backbeat, half-time, four on the floor, waltz, comping, time only), its hits per bar of each class and its fill bars
(kit.py's definition: 2 or more tom hits, or 4 or more snare hits on odd 16ths). Pure numpy on a song's bars
(`song.bars.BarSong`'s hits, offsets, bar and beat lengths); the parts vocabulary (parts.vocabulary) groups the labels.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from seq2drum import arrays
from seq2drum.feel.swing import SWUNG_MIN_SWING, grouped_swung_positions
from seq2drum.midi.drums import CLOSED_HAT, CRASH, KICK, OPEN_HAT, RIDE, SNARE, TOMS
from seq2drum.song.bars import BarSong
from seq2drum.song.phrases import FILL_ODD_SNARES, FILL_TOM_HITS, PHRASE_BARS
from seq2drum.song.sections import Section

MIN_TAIL_BARS = 2  # a section's last piece this short joins the phrase before it (a section of 6 bars: one phrase)
FAMILIES = ("4/4", "3/4", "compound", "other")  # ../shared/scoring's meter families (checklist.py's `family`)
KEEPER_MIN_PER_BEAT = 0.5  # a cymbal keeps time with this many hits a felt beat or more (half notes at least)
TOM_KEEPER_MIN_PER_BEAT = 1.0  # toms keep time (a tom groove) with a hit a beat or more outside fill bars
SIXTEENTHS_SHARE = 0.25  # the keeper plays 16ths when this share of its hits sits on odd 16ths
EIGHTHS_SHARE = 0.25  # ... eighths when this share sits between the beats
SWING_MIN_BEATS = 4  # a phrase's swing is read from this many beats with one off-beat keeper hit
FEEL_MIN_SHARE = 0.5  # a feel holds in half the phrase's groove bars or more
COMPING_MIN_SNARES = 0.5  # snare hits a bar that make a non-backbeat phrase comping (fewer: time only)
DROP_OUT_HITS = 2.0  # under this many hits a bar the drummer has dropped out
KEEPER_CYMBALS = {"closed_hat": CLOSED_HAT, "open_hat": OPEN_HAT, "ride": RIDE, "crash": CRASH}  # each one's class
SPARSE_SHARE = 0.5  # under this share of the song's median phrase (hits a bar) a phrase is sparse (phrases.py's)


@dataclass(frozen=True)
class Phrase:
    """Rows [start_row, end_row) of a song's bars: a phrase of its drummer's section `section` (index in the song's
    sections), the `index`-th phrase of that section."""

    start_row: int
    end_row: int
    section: int
    letter: int  # the section's label (0 = A)
    index: int

    @property
    def n_bars(self) -> int:
        return self.end_row - self.start_row


@dataclass(frozen=True)
class PhraseLabel:
    """What the drummer plays in one phrase (see the module docstring)."""

    family: str
    level: str
    keeper: str
    subdivision: str
    feel: str
    hits_per_bar: np.ndarray  # (9,) float: mean hits a bar of each drum class over the phrase
    fill_rows: tuple[int, ...]  # the phrase's fill bars, rows from its start
    n_bars: int

    @property
    def end_fill(self) -> bool:
        """The phrase's last bar is a fill."""
        return self.n_bars - 1 in self.fill_rows

    def signature(self) -> tuple[str, ...]:
        """The part's identity before grouping: a drop-out is one part; a sparse phrase keeps its time-keeper only, as
        does a full one kept on the crash (a drummer rides the crash in quarters or eighths, with a backbeat or not)."""
        if self.level == "drop-out":
            return self.family, "drop-out"
        if self.level == "sparse" or self.keeper == "crash":  # riding the crash: its subdivision and feel free
            return self.family, self.level, self.keeper
        return self.family, "full", self.keeper, self.subdivision, self.feel


def family_of(bar_steps: int, beat_steps: int, steps_per_quarter: int = 4) -> str:
    """The meter family of a bar from its length and felt beat in steps: 4/4, 3/4, compound (6/8, 9/8, 12/8) or
    other, as ../shared/scoring names them."""
    quarter = steps_per_quarter
    if beat_steps == quarter and bar_steps == 4 * quarter:
        return "4/4"
    if beat_steps == quarter and bar_steps == 3 * quarter:
        return "3/4"
    if beat_steps == 3 * quarter // 2 and bar_steps in (3 * quarter, 9 * quarter // 2, 6 * quarter):
        return "compound"
    return "other"


def cut_phrases(sections: Sequence[Section], first_bar: int, n_bars: int) -> list[Phrase]:
    """The song's phrases: each section (song bars [start_bar, end_bar), rows from `first_bar`) cut in PHRASE_BARS
    from its start, a last piece under MIN_TAIL_BARS joined to the one before; bars no section holds form phrases
    of their own, counted from the first of them."""
    spans = [(s.start_bar - first_bar, s.end_bar - first_bar, i, s.label) for i, s in enumerate(sections)]
    covered = np.zeros(n_bars, dtype=bool)
    for start, end, _, _ in spans:
        covered[max(start, 0) : max(end, 0)] = True
    edges = np.flatnonzero(np.diff(np.concatenate([[1], covered.astype(np.int8), [1]])))
    spans += [(int(a), int(b), -1, -1) for a, b in zip(edges[::2], edges[1::2])]  # uncovered runs
    phrases = []
    for start, end, section, letter in sorted(spans):
        start, end = max(start, 0), min(end, n_bars)
        cuts = list(range(start, end, PHRASE_BARS))
        if len(cuts) > 1 and end - cuts[-1] < MIN_TAIL_BARS:
            cuts.pop()
        for index, (a, b) in enumerate(zip(cuts, cuts[1:] + [end])):
            phrases.append(Phrase(a, b, section, letter, index))
    return phrases


def inside_bars(hits: np.ndarray, bar_steps: np.ndarray) -> np.ndarray:
    """(m, S, 9) hits with each bar's steps past its length cleared."""
    inside = np.arange(hits.shape[1])[None, :] < np.asarray(bar_steps)[:, None]
    return hits & inside[:, :, None]


def fill_bars(hits: np.ndarray, bar_steps: np.ndarray) -> np.ndarray:
    """(m,) bool: kit.py's fill bars of (m, S, 9) hits: 2 or more tom hits, or 4 or more snare hits on odd 16ths."""
    hits = inside_bars(hits, bar_steps)
    return _fills(hits, hits.sum(axis=1))


def _fills(hits: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """`fill_bars` of (m, S, 9) hits already inside their bars, with their (m, 9) class counts."""
    toms = counts[:, list(TOMS)].sum(axis=1)
    return (toms >= FILL_TOM_HITS) | (hits[:, 1::2, SNARE].sum(axis=1) >= FILL_ODD_SNARES)


def label_phrase(hits: np.ndarray, offset: np.ndarray, bar_steps: np.ndarray, beat_steps: np.ndarray,
                 song_median_hits: float, steps_per_quarter: int = 4) -> PhraseLabel:
    """The label of a phrase of (m, S, 9) `hits` with their `offset`s (steps), each bar `bar_steps` long with a
    felt beat of `beat_steps`; `song_median_hits`: the song's median phrase's hits a bar (its level's measure)."""
    return label_phrases(hits, offset, bar_steps, beat_steps, [(0, len(hits))], song_median_hits, steps_per_quarter)[0]


def label_phrases(hits: np.ndarray, offset: np.ndarray, bar_steps: np.ndarray, beat_steps: np.ndarray,
                  spans: Sequence[tuple[int, int]], song_median_hits: float,
                  steps_per_quarter: int = 4) -> list[PhraseLabel]:
    """`label_phrase` of each phrase, rows [a, b) of `spans` (none empty), of a song's (n, S, 9) `hits`: what each
    bar holds (its hits, whether it fills, its kick and snare) read once for the song, and every phrase's measures
    taken at once (`PhraseRows`): integer tallies, and each phrase's felt beats summed alone, as `time_keeper`
    sums them."""
    bar_steps, beat_steps = np.minimum(bar_steps, hits.shape[1]), np.asarray(beat_steps)  # a 9/4 bar's first 32
    if not len(spans):
        return []
    hits = inside_bars(hits, bar_steps)
    counts = hits.sum(axis=1)  # (n, 9)
    fills, feels = _fills(hits, counts), bar_feels(hits, bar_steps, beat_steps)
    at = PhraseRows(spans)
    hits_per_bar = at.sums(counts) / at.lengths[:, None]  # integer sums: np.mean's floats
    totals = hits_per_bar.sum(axis=1)  # each row along the fast axis: `hits_per_bar.sum()` of each
    groove = ~fills[at.rows]
    groove |= ~np.logical_or.reduceat(groove, at.edges[:-1])[at.piece]  # a phrase of fills alone: all its bars
    groove_rows = at.rows[groove]
    groove_edges = np.concatenate([[0], np.cumsum(np.add.reduceat(groove, at.edges[:-1], dtype=np.int64))])
    keepers = _keepers(at, groove, groove_rows, groove_edges.tolist(), counts, bar_steps, beat_steps)
    kept = [j for j, keeper in enumerate(keepers) if keeper != "none"]
    subdivisions = dict(zip(kept, keeper_subdivisions(
        hits, offset, beat_steps, [keepers[j] for j in kept],
        [groove_rows[groove_edges[j] : groove_edges[j + 1]] for j in kept], steps_per_quarter,
        [at.rows[at.edges[j] : at.edges[j + 1]] for j in kept])))
    feel = _feels(at, groove, np.column_stack([feels, counts[:, SNARE]]))
    families = [family_of(length, beat, steps_per_quarter)
                for length, beat in zip(at.modes(bar_steps).tolist(), at.modes(beat_steps).tolist())]
    fill_rows: list[list[int]] = [[] for _ in spans]
    filled = fills[at.rows]
    for j, row in zip(at.piece[filled].tolist(), at.local[filled].tolist()):
        fill_rows[j].append(row)
    labels = []
    for j, (total, m) in enumerate(zip(totals.tolist(), at.lengths.tolist())):
        level = "drop-out" if total < DROP_OUT_HITS else "sparse" if total < SPARSE_SHARE * song_median_hits else "full"
        labels.append(PhraseLabel(families[j], level, keepers[j], subdivisions.get(j, "none"), feel[j],
                                  hits_per_bar[j], tuple(fill_rows[j]), m))
    return labels


class PhraseRows:
    """The rows of a song's phrases [a, b) laid end to end: `rows` (R,) song rows, `piece` (R,) each one's phrase,
    `local` (R,) its place in the phrase, `edges` (P + 1,) where each phrase's begin, `lengths` (P,)."""

    def __init__(self, spans: Sequence[tuple[int, int]]):
        self.starts = np.array([a for a, _ in spans], dtype=np.int64)
        self.ends = np.array([b for _, b in spans], dtype=np.int64)
        self.lengths = self.ends - self.starts
        self.edges = np.concatenate([[0], np.cumsum(self.lengths)])
        self.piece = np.repeat(np.arange(len(spans)), self.lengths)
        self.local = np.arange(self.edges[-1]) - self.edges[self.piece]
        self.rows = self.starts[self.piece] + self.local

    def sums(self, values: np.ndarray) -> np.ndarray:
        """(P, ...) each phrase's sum of integer (n, ...) `values` (exact in any order)."""
        total = np.concatenate([np.zeros((1, *values.shape[1:]), dtype=values.dtype), np.cumsum(values, axis=0)])
        return total[self.ends] - total[self.starts]

    def modes(self, values: np.ndarray) -> np.ndarray:
        """(P,) each phrase's commonest of non-negative integer (n,) `values`, the least of a tie (as bincount's
        argmax)."""
        chosen = values[self.rows].astype(np.int64)
        width = int(chosen.max()) + 1
        tally = np.bincount(self.piece * width + chosen, minlength=len(self.lengths) * width)
        return tally.reshape(len(self.lengths), width).argmax(axis=1)


def _keepers(at: PhraseRows, groove: np.ndarray, rows: np.ndarray, edges: list[int], counts: np.ndarray,
             bar_steps: np.ndarray, beat_steps: np.ndarray) -> list[str]:
    """`time_keeper` of each phrase's groove bars (`groove` (R,) over `at.rows`: the song `rows` they are, phrase j's
    from `edges[j]` to `edges[j + 1]`), its beats summed as it sums them."""
    tallies = np.add.reduceat(counts[at.rows] * groove[:, None], at.edges[:-1], axis=0)  # (P, 9) groove bars' hits
    with np.errstate(divide="ignore", invalid="ignore"):
        chosen = bar_steps[rows] / beat_steps[rows]
        beats = np.array([float(np.add.reduce(chosen[a:b])) for a, b in zip(edges, edges[1:])])  # np.sum's
        rates = tallies[:, list(KEEPER_CYMBALS.values())] / beats[:, None]
        toms = tallies[:, list(TOMS)].sum(axis=1) / beats
    names = np.array([_keeper_of(dict(zip(KEEPER_CYMBALS, rate)), tom)
                      for rate, tom in zip(rates.tolist(), toms.tolist())])
    return np.where(beats > 0, names, "none").tolist()


def _feels(at: PhraseRows, groove: np.ndarray, flags: np.ndarray) -> list[str]:
    """`feel_of` of each phrase's groove bars from (n, 5) `bar_feels` flags and snare hits."""
    tallies = np.add.reduceat(flags[at.rows].astype(np.int64) * groove[:, None], at.edges[:-1], axis=0)
    shares = tallies / np.add.reduceat(groove, at.edges[:-1], dtype=np.int64)[:, None]
    return [_feel_of(share) for share in shares.tolist()]


def time_keeper(counts: np.ndarray, beats_per_bar: np.ndarray) -> str:
    """What keeps time over (m, 9) hit counts of groove bars of `beats_per_bar` felt beats: the crash where it is
    the busiest cymbal at KEEPER_MIN_PER_BEAT hits a beat or more, else the busiest of the closed hat, open hat and
    ride at that rate (the hat's two together), else the toms at TOM_KEEPER_MIN_PER_BEAT, else none."""
    beats = float(np.sum(beats_per_bar))
    if beats <= 0:
        return "none"
    rates = {name: counts[:, column].sum() / beats for name, column in KEEPER_CYMBALS.items()}
    return _keeper_of(rates, counts[:, list(TOMS)].sum() / beats)


def _keeper_of(rates: dict[str, float], toms: float) -> str:
    """`time_keeper` from each cymbal's hits a felt beat (KEEPER_CYMBALS' names) and the toms': the crash where it is
    the busiest cymbal at KEEPER_MIN_PER_BEAT (a metal chorus ridden on it), else the busiest of the hats and ride."""
    crash = rates.pop("crash", 0.0)
    best = max(rates, key=lambda name: rates[name])  # the first of a tie
    if crash >= KEEPER_MIN_PER_BEAT and crash > rates[best]:
        return "crash"
    hats = rates["closed_hat"] + rates["open_hat"]  # a hat half open, half closed keeps time on the hat
    if rates[best] >= KEEPER_MIN_PER_BEAT or (best != "ride" and hats >= KEEPER_MIN_PER_BEAT):
        return best
    return "toms" if toms >= TOM_KEEPER_MIN_PER_BEAT else "none"


def keeper_steps(hits: np.ndarray, keeper: str) -> np.ndarray:
    """(m, S) bool: the steps the time-keeper strikes."""
    if keeper == "toms":
        return hits[:, :, list(TOMS)].any(axis=2)
    return hits[:, :, KEEPER_CYMBALS[keeper]]


def keeper_subdivision(hits: np.ndarray, offset: np.ndarray, beat_steps: np.ndarray, keeper: str,
                       steps_per_quarter: int = 4) -> str:
    """How the time-keeper divides the beat: swung (its off-beat notes read as feel.swing reads a drummer's, in
    quarter-note beats, at SWUNG_MIN_SWING or more), 16ths (SIXTEENTHS_SHARE of its hits on odd 16ths), eighths
    (EIGHTHS_SHARE between the beats), else quarters; "none" where it strikes nothing."""
    return keeper_subdivisions(hits, offset, beat_steps, [keeper], [np.arange(len(hits))], steps_per_quarter)[0]


def keeper_subdivisions(hits: np.ndarray, offset: np.ndarray, beat_steps: np.ndarray, keepers: Sequence[str],
                        rows: Sequence[np.ndarray], steps_per_quarter: int = 4,
                        whole: Sequence[np.ndarray] | None = None) -> list[str]:
    """`keeper_subdivision` of many phrases of one song's (n, S, 9) `hits` at once: phrase j's time-keeper
    `keepers[j]` over its bars `rows[j]` (song rows, in order), each read as if alone (its bars counted from 0).
    A phrase whose bars give under SWING_MIN_BEATS beats to read its swing from, and whose keeper strikes no beat's
    second 16th there (a swung eighth lands on the last), reads it over `whole[j]` (all its bars, fills too) where
    given: a jazz ride's phrase of one groove bar and three comping bars had two beats, and its skip notes on the
    beats' last 16th read as 16ths ("16ths on the ride" printed for the spang-a-lang)."""
    out = ["none"] * len(keepers)
    for keeper in sorted(set(keepers)):
        jobs = [j for j, k in enumerate(keepers) if k == keeper]
        places, strikes, odd, in_beat, second = _keeper_places(hits, offset, beat_steps, keeper,
                                                               [rows[j] for j in jobs], steps_per_quarter)
        short = [index for index, mine in enumerate(places) if len(mine) < SWING_MIN_BEATS and not second[index]]
        if whole is not None and short:
            wider = _keeper_places(hits, offset, beat_steps, keeper, [whole[jobs[i]] for i in short],
                                   steps_per_quarter)[0]
            for index, mine in zip(short, wider):
                places[index] = mine
        for index, j in enumerate(jobs):
            mine = places[index]
            if not strikes[index]:
                continue
            if len(mine) >= SWING_MIN_BEATS and np.add.reduce(mine) / len(mine) >= SWUNG_MIN_SWING:
                out[j] = "swung"
            elif odd[index] / strikes[index] >= SIXTEENTHS_SHARE:  # shares as np.mean of bools gives them
                out[j] = "16ths"
            else:
                out[j] = "eighths" if in_beat[index] / strikes[index] >= EIGHTHS_SHARE else "quarters"
    return out


def _keeper_places(hits: np.ndarray, offset: np.ndarray, beat_steps: np.ndarray, keeper: str,
                   rows: Sequence[np.ndarray], steps_per_quarter: int
                   ) -> tuple[list[np.ndarray], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Of each piece's bars `rows[i]` (song rows, read as if alone): the swung positions of `keeper`'s off-beat notes
    in quarter-note beats (feel.swing `grouped_swung_positions`), its strikes, those on odd 16ths, those between the
    beats and those on a quarter beat's second 16th."""
    song_rows = np.concatenate([np.asarray(r) for r in rows]).astype(np.int64)
    lengths = [len(r) for r in rows]
    job = np.repeat(np.arange(len(rows)), lengths)
    local = np.arange(len(song_rows)) - np.repeat(np.cumsum([0, *lengths[:-1]]), lengths)
    r, step = np.nonzero(keeper_steps(hits[song_rows], keeper))
    row, piece = song_rows[r], job[r]
    moved = np.zeros(len(step)) if keeper == "toms" else offset[row, step, KEEPER_CYMBALS[keeper]]
    quarter = beat_steps[row] == steps_per_quarter
    bar_q = local[r] * 1000.0  # each bar on its own beats: a bar's end never runs into the next
    places, place_piece = grouped_swung_positions((bar_q + (step + moved) / steps_per_quarter)[quarter],
                                                  piece[quarter])
    edges = np.searchsorted(place_piece, np.arange(len(rows) + 1))
    strikes = np.bincount(piece, minlength=len(rows))
    odd = np.bincount(piece[step % 2 == 1], minlength=len(rows))
    in_beat = np.bincount(piece[step % beat_steps[row] != 0], minlength=len(rows))
    second = np.bincount(piece[quarter & (step % steps_per_quarter == 1)], minlength=len(rows))
    return [places[edges[i] : edges[i + 1]] for i in range(len(rows))], strikes, odd, in_beat, second


def backbeat_beats(n_beats: int) -> list[int]:
    """The felt beats (0 = the downbeat) a backbeat falls on: every other beat from the second (2 and 4 in 4/4, the
    second dotted quarter of 6/8), and the last of an odd count (2 and 3 of a waltz, 2, 4 and 5 of 5/4)."""
    if n_beats < 2:
        return []
    beats = set(range(1, n_beats, 2))
    if n_beats % 2:
        beats.add(n_beats - 1)
    return sorted(beats)


FEEL_FLAGS = ("four-floor", "backbeat", "half-time", "waltz")  # `bar_feels`' columns, in `feel_of`'s order


def kick_snare_feel(hits: np.ndarray, bar_steps: np.ndarray, beat_steps: np.ndarray) -> str:
    """What the kick and snare do over (m, S, 9) groove bars (parts.traits PART_FEELS): the kick on every beat (four
    on the floor), the snare on the backbeats (all of them in an even count: 2 and 4; one in an odd: 2 or 3 of a
    waltz), on the middle beat alone (half-time: 3 of 4/4), a three-beat bar's kick or snare on 1 alone (a waltz's
    oom-pa-pa), the snare somewhere else a bar or so (comping), or hardly at all (time only); each in FEEL_MIN_SHARE
    of the bars."""
    return feel_of(bar_feels(hits, bar_steps, beat_steps), hits[:, :, SNARE].sum(axis=1))


def feel_of(flags: np.ndarray, snares: np.ndarray) -> str:
    """`kick_snare_feel` of groove bars from their (m, 4) `bar_feels` flags and snare hits (m,)."""
    m = len(flags)
    return _feel_of([np.count_nonzero(column) / m for column in flags.T] + [snares.sum() / m]) if m else "time-only"


def _feel_of(shares: list[float]) -> str:
    """`feel_of` from the share of groove bars each of FEEL_FLAGS holds in and the snare hits a bar (the last)."""
    held = [name for name, value in zip(FEEL_FLAGS, shares) if value >= FEEL_MIN_SHARE]
    return held[0] if held else "comping" if shares[-1] >= COMPING_MIN_SNARES else "time-only"


def bar_feels(hits: np.ndarray, bar_steps: np.ndarray, beat_steps: np.ndarray) -> np.ndarray:
    """(m, 4) bool: each of (m, S, 9) bars' kick and snare as `FEEL_FLAGS` name them (see `kick_snare_feel`), the
    bars of one count of beats read together."""
    flags = np.zeros((len(hits), len(FEEL_FLAGS)), dtype=bool)
    beats = np.asarray(beat_steps, dtype=np.int64)
    counts = np.asarray(bar_steps, dtype=np.int64) // np.maximum(beats, 1)
    for beat, n_beats in {(int(b), int(n)) for b, n in zip(beats, counts) if n}:
        rows = np.flatnonzero((beats == beat) & (counts == n_beats))
        on_beats = np.arange(n_beats) * beat
        kicks, snares = hits[rows][:, on_beats, KICK], hits[rows][:, on_beats, SNARE]  # (r, n_beats)
        on_backbeats = snares[:, backbeat_beats(n_beats)]
        flags[rows, 0] = n_beats >= 2 and kicks.all(axis=1)
        flags[rows, 1] = on_backbeats.any(axis=1) if n_beats % 2 else on_backbeats.all(axis=1) & (n_beats >= 2)
        flags[rows, 2] = (n_beats >= 4 and n_beats % 2 == 0) & snares[:, n_beats // 2 if n_beats > 1 else 0] \
            & ~snares[:, 1::2].any(axis=1)
        flags[rows, 3] = (n_beats == 3) & ~on_backbeats.any(axis=1) & hits[rows][:, 0][:, [KICK, SNARE]].any(axis=1)
    return flags


def song_labels(song: BarSong, phrases: Sequence[Phrase] | None = None,
                steps_per_quarter: int = 4) -> tuple[list[Phrase], list[PhraseLabel]]:
    """The phrases of a song with drums (its drummer's sections cut by `cut_phrases`, unless given) and their labels;
    a phrase's level is measured against the song's median phrase."""
    if song.hits is None or song.offset is None:
        raise ValueError(f"{song.name}: a song without drums has no drummer's parts to label")
    if phrases is None:
        phrases = cut_phrases(song.sections, song.first_bar, song.n_bars)
    hits = inside_bars(song.hits, song.bar_steps)
    per_bar = hits.sum(axis=(1, 2)).astype(np.float64)
    median = float(arrays.median([per_bar[p.start_row : p.end_row].mean() for p in phrases])) if phrases else 0.0
    return list(phrases), label_phrases(hits, song.offset, song.bar_steps, song.beat_steps,
                                        [(p.start_row, p.end_row) for p in phrases], median, steps_per_quarter)


