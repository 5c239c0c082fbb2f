"""The sections a drummer counts (`drummer_sections`): where the decision crashes, fills and holds a groove, what a
generation prints (`A@1 B@9 ...`) and writes as markers. The guitar's own sections (`song.sections.song_structure`) stay
the network's input, exactly as the shipped models were trained on them; a drummer's are derived from them in six steps:
(1) hard starts: the first bar, a marker, a part entering after PART_CHANGE_BARS silent bars and playing as long, or
leaving as long after playing as long; (2) choruses: the band's own where its description counts a form (a
12-bar blues: `CountedForm`, from seq2drum.band), then a stretch whose bars come back a period later (8 to 32 bars: a
12-bar blues, a 16-bar verse) and at no shorter lag (a riff has none) starts a section at each repeat and after the
last, and so does a 12-bar stretch whose pitch classes alone come back so (a blues comped or soloed over freely: no
other start inside it); (3) phrase lines: the guitar's other starts, and bars where the band turns busier or sparser
(BAND_CHANGE), move to the nearest line PHRASE_BARS on from the start before (ties to the higher novelty; in a chorus
only starts its repeats agree on stay); (4) no section under MIN_DRUMMER_SECTION_BARS but the first and the last: a
short one loses its weaker start to the neighbour it resembles more; (5) labels by likeness and by the band's busyness;
(6) back-to-back sections of one label are one unless a chorus repeat or a hard start divides them (A A A for three
choruses of a blues, not B@18 B@22 B@34 for one long B). Pure numpy, on rows [0, n) of the song's bars from `first_bar`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from seq2drum.song.sections import Section, section_labels, self_similarity

PHRASE_BARS = 4  # a drummer counts phrases of 4 bars (and 8, 16: whole phrases of 4) from a section's start
MIN_FILL_SECTION_BARS = 2  # a section this long or longer closes with a fill (its last bar is a fill's edge)
# a fill bar (../shared/scoring kit.py's definition, read alike by the part labels and the decision's fills): this
# many tom hits, or this many snare hits on odd 16ths (a snare roll), at least
FILL_TOM_HITS = 2
FILL_ODD_SNARES = 4
MIN_DRUMMER_SECTION_BARS = 4  # a section this long at least, but an intro or an ending
PART_CHANGE_BARS = 4  # a part entering or leaving starts a section when it was silent (playing) this long before
CHORUS_PERIODS = tuple(range(8, 33))  # the lengths of a repeated chorus (12: a blues), shortest first
HARMONY_PERIODS = (12,)  # a chorus read off the harmony alone (the guitar's chroma): a blues, its rhythm free
CLEAR_NOVELTY = 0.4  # a start of the guitar's this novel stays where it is, on a phrase line or not
REPEAT_SIMILARITY = 0.9  # a bar this like the bar a period later repeats it (bar vectors' cosine similarity)
BAND_CHANGE = 0.3  # the band busier or sparser by this much (mean log(1 + notes) a bar, after against before) ...
BAND_CHANGE_BARS = 3  # ... over this many bars on each side; sections this far apart in busyness differ in label


def closes_with_fill(section_bars: int) -> bool:
    """A section of two bars or more closes with a fill; a one-bar section does not."""
    return section_bars >= MIN_FILL_SECTION_BARS


# the kinds of start, weakest first: which start a short section loses, and which divide one label's sections
GUITAR, BAND, CHORUS, HARD = 1, 2, 3, 4


@dataclass(frozen=True)
class Chorus:
    """Repeats of one block of `period` bars: rows [start, end) repeat the bars `period` rows before them from
    start + period on (a last block of half a period or more counts; a shorter tail is the next section's start)."""

    start: int
    end: int
    period: int
    harmonic: bool = False  # found in the harmony alone (a blues): one part each time, no start inside it

    def blocks(self) -> range:
        """The rows each block starts on, the first block's start included."""
        whole, tail = divmod(self.end - self.start, self.period)
        return range(self.start, self.start + (whole + (2 * tail >= self.period)) * self.period, self.period)

    def starts(self) -> list[int]:
        """The rows its sections start on: each block's, and the row after the last block."""
        blocks = self.blocks()
        return [*blocks, min(self.end, blocks[-1] + self.period)]


@dataclass(frozen=True)
class CountedForm:
    """The form a musician counts, as the band's description reads it (seq2drum.band; generation hands it over):
    choruses of `period` bars, one opening on song bar `first_bar` (0-based; so does every bar `period` on or back);
    with `first_bar` None, the choruses lie where the band's harmony repeats a period later (`chroma`: (song bars,
    12) the share of each bar each pitch class sounds), as a repeat of the song's `choruses` is found."""

    period: int
    first_bar: int | None
    chroma: np.ndarray | None = field(default=None, compare=False, repr=False)


def counted_choruses(form: CountedForm | None, first_bar: int, n: int, hard: set[int] | None = None,
                     guitar: set[int] | None = None) -> list[Chorus]:
    """The form's choruses over rows [0, n) from song bar `first_bar`: one chorus from the first row a chorus opens on
    to the end (harmonic: no start of the guitar's or the band's inside it), when a whole chorus fits; for a form
    placed by the band's harmony, each stretch where it repeats (blocks on the most `hard`, then `guitar` starts)."""
    if form is None:
        return []
    if form.first_bar is None:
        chroma = np.zeros((n, 12), dtype=np.float32)  # bars past the band's reading are silent
        if form.chroma is not None:
            shown = form.chroma[first_bar:first_bar + n]
            chroma[:len(shown)] = shown
        harmony = self_similarity(chroma)
        return [replace(chorus, harmonic=True)
                for chorus in choruses(harmony, hard or set(), guitar or set(), (form.period,))]
    start = (form.first_bar - first_bar) % form.period
    return [Chorus(start, n, form.period, harmonic=True)] if n - start >= form.period else []


def held(found: Sequence[Chorus], n: int) -> np.ndarray:
    """(n,) bool: the rows the choruses `found` hold."""
    taken = np.zeros(n, dtype=bool)
    for chorus in found:
        taken[chorus.start:chorus.end] = True
    return taken


def drummer_sections(sections: Sequence[Section], novelty: np.ndarray, similarity: np.ndarray,
                     parts_play: np.ndarray, notes: np.ndarray, marker_rows: Sequence[int],
                     first_bar: int, harmony: np.ndarray | None = None,
                     form: CountedForm | None = None) -> list[Section]:
    """The drummer's sections of the song bars [first_bar, first_bar + n): from the guitar's `sections`, its bars'
    `novelty` (n,) and `similarity` (n, n), which parts play in each bar (`parts_play` (n, parts) bool), the notes
    struck in each bar by every part (`notes` (n,)) and the rows of the file's markers; `harmony` (n, n), the bars'
    likeness in pitch classes alone, finds the choruses of a blues (HARMONY_PERIODS) where `similarity` does not;
    `form`, the band's form as its description counts it (a 12-bar blues), lays its choruses before any is sought."""
    n = len(novelty)
    if n == 0:
        return []
    starts = dict.fromkeys(hard_starts(parts_play, marker_rows) | {0}, HARD)
    guitar = sorted({s.start_bar - first_bar for s in sections} & set(range(1, n)))
    found = counted_choruses(form, first_bar, n, set(starts), set(guitar))
    found = sorted([*found, *choruses(similarity, set(starts), set(guitar), taken=held(found, n))],
                   key=lambda chorus: chorus.start)
    if harmony is not None:  # a blues whose changes repeat where its comping or solo does not
        blues = [replace(chorus, harmonic=True)
                 for chorus in choruses(harmony, set(starts), set(guitar), HARMONY_PERIODS, held(found, n))]
        found = sorted([*found, *blues], key=lambda chorus: chorus.start)
    for chorus in found:
        for row in chorus.starts():
            if row < n:
                starts[row] = max(starts.get(row, 0), CHORUS)
    starts = on_phrase_lines(starts, guitar, novelty, GUITAR)
    starts = on_phrase_lines(starts, band_changes(notes), novelty, BAND)
    starts = agreed_in_choruses(starts, found)
    starts = without_short(starts, n, similarity)
    rows = sorted(starts)
    spans = list(zip(rows, rows[1:] + [n]))
    busyness = np.log1p(np.asarray(notes, dtype=np.float64))
    labels = section_labels(similarity, spans, [float(busyness[a:b].mean()) for a, b in spans], BAND_CHANGE)
    return one_label_joined(spans, labels, starts, first_bar)


def hard_starts(parts_play: np.ndarray, marker_rows: Sequence[int]) -> set[int]:
    """Rows where a marker is, or a part enters or leaves, silent (playing) for PART_CHANGE_BARS bars before and
    playing (silent) as long after (or as long as the song has)."""
    n = len(parts_play)
    rows = {int(row) for row in marker_rows if 0 < row < n}
    k = PART_CHANGE_BARS
    for plays in np.asarray(parts_play, dtype=bool).T:
        for row in np.flatnonzero(plays[1:] != plays[:-1]) + 1:
            before, after = plays[max(0, row - k) : row], plays[row : row + k]
            if (after.all() and not before.any()) or (before.all() and not after.any()):
                rows.add(int(row))
    return rows


def band_changes(notes: np.ndarray) -> list[int]:
    """Rows where the band turns busier or sparser: the mean log(1 + notes) of the BAND_CHANGE_BARS bars from the row
    differs from that of the bars before it by BAND_CHANGE or more, the most of its neighbours."""
    k, n = BAND_CHANGE_BARS, len(notes)
    if n < 2 * k:
        return []
    total = np.concatenate([[0.0], np.cumsum(np.log1p(np.asarray(notes, dtype=np.float64)))])
    rows = np.arange(k, n - k + 1)
    change = np.zeros(n + 1)
    change[rows] = np.abs(total[rows + k] - 2 * total[rows] + total[rows - k]) / k
    peaks = (change[1:-1] >= BAND_CHANGE) & (change[1:-1] >= change[:-2]) & (change[1:-1] > change[2:])
    return (np.flatnonzero(peaks) + 1).tolist()


def choruses(similarity: np.ndarray, hard: set[int], guitar: set[int], periods: Sequence[int] = CHORUS_PERIODS,
             taken: np.ndarray | None = None) -> list[Chorus]:
    """Stretches of bars that each come back a chorus period later (a single bar of difference forgiven: a varied
    turnaround), two whole blocks at least, found for the shortest period first, and not where the bars also repeat
    at a shorter lag (a riff). A stretch's blocks start where the most `hard` starts fall on them, then the most of
    the `guitar`'s section starts; on a tie where the repeating begins. `periods`: the chorus lengths tried; `taken`
    (n,) bool: rows a chorus holds already."""
    n = len(similarity)
    found: list[Chorus] = []
    taken = np.zeros(n, dtype=bool) if taken is None else taken.copy()
    for period in periods:
        if 2 * period > n:
            break
        for first, last in _runs(np.diagonal(similarity, period) >= REPEAT_SIMILARITY):
            end = last + period  # one past the last bar that repeats an earlier one
            if last - first < period or taken[first:end].any() or _repeats_sooner(similarity, first, end, period):
                continue
            taken[first:end] = True
            on_blocks = [(_on_blocks(hard, first + phase, end, period), _on_blocks(guitar, first + phase, end, period))
                         for phase in range(period)]
            phase = max(range(period), key=lambda p: on_blocks[p])
            if end - first - phase >= 2 * period:
                found.append(Chorus(first + phase, end, period))
    return sorted(found, key=lambda chorus: chorus.start)


def _on_blocks(rows: set[int], start: int, end: int, period: int) -> int:
    return sum((row - start) % period == 0 for row in rows if start <= row < end)


def _runs(repeats: np.ndarray) -> list[tuple[int, int]]:
    """[first, last) of each run of True in (m,) bool, a single False between two Trues counting as True."""
    filled = repeats.copy()
    filled[1:-1] |= repeats[:-2] & repeats[2:]
    edges = np.flatnonzero(np.diff(np.concatenate([[0], filled.astype(np.int8), [0]])))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist()))


def _repeats_sooner(similarity: np.ndarray, first: int, end: int, period: int) -> bool:
    """Whether rows [first, end) repeat on the whole at some lag shorter than `period`, as well as at it."""
    return any(np.diagonal(similarity, lag)[first : end - lag].mean() >= REPEAT_SIMILARITY for lag in range(1, period))


def on_phrase_lines(starts: dict[int, int], rows: Sequence[int], novelty: np.ndarray, kind: int) -> dict[int, int]:
    """`starts` and `rows` of `kind` (those not starts already), each moved to the nearest phrase line from the start
    before it: back, or on where it is 3 bars past one, or 2 and the bar on is the more novel; a row where the guitar
    clearly changes (CLEAR_NOVELTY) stays."""
    starts = dict(starts)
    n = len(novelty)
    for row in rows:
        if row in starts:
            continue
        before = max(start for start in starts if start < row)
        late = (row - before) % PHRASE_BARS
        earlier, later = row - late, row - late + PHRASE_BARS
        if late and novelty[row] < CLEAR_NOVELTY:
            on = earlier == before or 2 * late > PHRASE_BARS or (
                2 * late == PHRASE_BARS and later < n and novelty[later] > novelty[earlier])
            row = later if on else earlier
        if row < n:
            starts.setdefault(row, kind)
    return starts


def agreed_in_choruses(starts: dict[int, int], found: Sequence[Chorus]) -> dict[int, int]:
    """Inside each chorus, the guitar's and the band's starts only at the bars of a repeat where half its repeats or
    more have one, and there in every repeat (a chorus is one part, cut alike each time); inside a chorus found in the
    harmony alone none (the guitar's changes there are its comping's or its solo's, not the form's)."""
    starts = dict(starts)
    for chorus in found:
        blocks, end = chorus.blocks(), chorus.starts()[-1]
        inside = [row for row, kind in starts.items() if kind <= BAND and chorus.start < row < end]
        if chorus.harmonic:
            for row in inside:
                del starts[row]
            continue
        counts = np.bincount([(row - chorus.start) % chorus.period for row in inside], minlength=chorus.period)
        kinds = {(row - chorus.start) % chorus.period: starts.pop(row) for row in inside}
        for offset in np.flatnonzero(2 * counts >= len(blocks)).tolist():
            if MIN_DRUMMER_SECTION_BARS <= offset <= chorus.period - MIN_DRUMMER_SECTION_BARS:
                for block in blocks:
                    if block + offset < end:
                        starts.setdefault(block + offset, kinds[offset])
    return starts


def without_short(starts: dict[int, int], n: int, similarity: np.ndarray) -> dict[int, int]:
    """`starts` with no section under MIN_DRUMMER_SECTION_BARS but the first and the last: each short one, first to
    last, loses its weaker start (on a tie, the one that joins it to the neighbour it resembles more)."""
    starts = dict(starts)
    while True:
        rows = sorted(starts)
        ends = rows[1:] + [n]
        short = [i for i in range(1, len(rows) - 1) if ends[i] - rows[i] < MIN_DRUMMER_SECTION_BARS]
        if not short:
            return starts
        i = short[0]
        start, end = rows[i], ends[i]
        like_before = float(similarity[start:end, rows[i - 1] : start].mean())
        like_after = float(similarity[start:end, end : ends[i + 1]].mean())
        # its own start goes (it joins the section before), or the next section's start (it joins that one)
        joins_before = (starts[start], -like_before) <= (starts[end], -like_after)
        del starts[start if joins_before else end]


def one_label_joined(spans: list[tuple[int, int]], labels: list[int], starts: dict[int, int],
                     first_bar: int) -> list[Section]:
    """Sections of `spans` (rows) and `labels`, back-to-back sections of one label joined where neither a chorus
    repeat nor a hard start divides them, the labels renumbered in order of appearance (the first section is A)."""
    joined: list[list[int]] = []  # [start, end, label]
    for (start, end), label in zip(spans, labels):
        if joined and joined[-1][2] == label and starts[start] < CHORUS:
            joined[-1][1] = end
        else:
            joined.append([start, end, label])
    letters: dict[int, int] = {}
    return [Section(first_bar + start, first_bar + end, letters.setdefault(label, len(letters)))
            for start, end, label in joined]
