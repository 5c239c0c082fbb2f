"""What the band plays in each phrase, as the part model reads it (`phrase_features`, columns `FEATURE_NAMES`): the
meter family and tempo; the band's notes per bar (against the song's median phrase: thinner, silent), how much that
moved from the phrase before and to the phrase after, and whether the band changes there (`band_changes`); which
roles play, enter and leave, and how busy; the guitar's density, loudness, novelty and register and the bass's; where
the band's onsets fall in the beat and its swing (feel.swing's reading, on the 16th grid); the drummer's section
(its letter, a repeat or a new one, where in it) and where in the song; the song's summary (song.guitar's); and what
kind of band it is (issue 100: band.describe_band's harmony, bass line, instruments, swing and form, `HEARD`, with the
shipped genre reader's jazz score), unknown (NaN, read as the training mean) where the song was not described.
Only the band: no drum is read, so the same features serve songs without drums. From a `BarSong` (song.bars) whose
columns are this code's (`FeatureSpec.current`).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np

from seq2drum import arrays
from seq2drum.band import DESCRIPTION_FIELDS, BandDescription
from seq2drum.band.heard import shipped_reader
from seq2drum.feel.swing import grouped_swung_positions, swung_positions
from seq2drum.midi.roles import BAND_ROLES, ROLES
from seq2drum.parts.labels import FAMILIES, Phrase, PhraseRows, family_of
from seq2drum.song.bars import BarSong
from seq2drum.song.columns import BAR, SONG, STEP

CHANGE_RATIO = 0.3  # the band's notes per phrase move by this share: a change (the measure) ...
CHANGE_CELL_F1 = 0.6  # ... or its onsets folded over the phrase match the phrase before's by cell F1 under this
THIN_SHARE = 0.5  # a phrase of under this share of the song's median phrase's notes is thin
LETTERS = 4  # section letters one-hot: A, B, C, D and later
SUMMARY = tuple(name for name in SONG.names if not name.startswith("pitch_class"))  # the key says nothing of a part
METRICAL = ("downbeat", "beat", "beat_half", "offbeat")
HEARD = ("seventh_share", "extended_share", "dominant_share", "triad_share", "chord_changes_per_bar", "walking_share",
         "root_fifth_share", "driving_share", "pedal_share", "shuffle_share", "bossa_share", "jazz_program_share",
         "distorted_share", "swing", "swung_share", "blues_share", "chorus_12", "named_horns", "named_acoustic_bass",
         "named_distortion", "family_brass", "family_reed", "family_organ", "family_piano")  # DESCRIPTION_FIELDS'

FEATURE_NAMES: tuple[str, ...] = (
    *(f"family_{f}" for f in FAMILIES), "tempo_log2",
    "notes_log", "notes_vs_song", "thin", "silent_share", "notes_change_before", "notes_change_after",
    "band_change", "band_change_after", "pattern_f1_before",
    *(f"band_{role}_plays" for role in ROLES), *(f"band_{role}_density" for role in ROLES), "enters", "leaves",
    "guitar_density", "guitar_loudness", "novelty", "novelty_first_bar",
    "guitar_lowest", "guitar_highest", "bass_lowest", "has_bass",
    *(f"onsets_{level}" for level in METRICAL), "song_swing", "song_swung_share", "phrase_swing",
    *(f"letter_{letter}" for letter in "ABCD"), "section_start", "index_in_section", "section_bars_log",
    "letter_heard_before", "same_section_before", "same_letter_before", "section_place",
    "song_place", "first_phrase", "last_phrase", "next_to_last", "phrase_bars", "song_phrases_log",
    *(f"song_{name}" for name in SUMMARY), "heard_jazz", "heard_blues", "heard_jazz_score",
    *(f"heard_{name}" for name in HEARD),
)


HEARD_JAZZ = FEATURE_NAMES.index("heard_jazz")  # 1 where the drums play the song as jazz, 0 not, NaN not heard


def _column(song: BarSong, name: str) -> np.ndarray:
    return song.bar_features[:, _bar_index(name)]


@functools.lru_cache(maxsize=None)
def _bar_index(name: str) -> int:
    return BAR.index(name)


def _mean(values: np.ndarray) -> float:
    """np.mean of a 1-D slice, the same float (its sum over its count), without np.mean's wrapper: the part model's
    features take a few hundred of them a song."""
    return np.add.reduce(values) / len(values)


_BAND_MEANS = ("tempo_log2", *(f"band_{role}_{cue}" for cue in ("plays", "density") for role in ROLES))
_PLACE_MEANS = ("guitar_density", "guitar_loudness", "novelty")


def phrase_means(values: np.ndarray, rows: Sequence[tuple[int, int]]) -> np.ndarray:
    """(P, C) the mean of (n, C) `values` over each phrase's rows [a, b): `_mean` of each column's slice."""
    if not len(rows):
        return np.zeros((0, values.shape[1]), dtype=values.dtype)
    return np.array([[_mean(values[a:b, c]) for c in range(values.shape[1])] for a, b in rows])


def bar_onsets(song: BarSong) -> np.ndarray:
    """(n, S) onsets of every part listened to at each step of each bar (the guitar's and each band role's)."""
    columns = [STEP.index("onsets")] + [STEP.index(f"{role}_onsets") for role in BAND_ROLES]
    return song.step_features[:, :, columns].sum(axis=2)


def swing_reading(onsets: np.ndarray, bar_steps: np.ndarray, beat_steps: np.ndarray,
                  steps_per_quarter: int = 4) -> tuple[float, float]:
    """(mean place, share at the swung 16th) of the beats with one off-beat onset (feel.swing's `swung_positions`)
    in (m, S) onsets of bars with quarter-note beats; (0.5, 0) with no beat to read. On the 16th grid a swung
    eighth sits on the beat's last 16th (0.75), a straight one on its middle (0.5)."""
    row, step = np.nonzero((onsets > 0) & (np.arange(onsets.shape[1])[None, :] < bar_steps[:, None]))
    quarter = beat_steps[row] == steps_per_quarter
    places = swung_positions((row * 1000.0 + step / steps_per_quarter)[quarter])
    if not len(places):
        return 0.5, 0.0
    return float(places.mean()), float((places > 0.6).mean())


def folded_f1(a: np.ndarray, b: np.ndarray) -> float:
    """Cell F1 of two phrases' onsets folded over their bars ((S,) bool each), or of two takes' hits (any one shape:
    groove.takes `take_similarity`); 1 for two empty ones."""
    total = a.sum() + b.sum()
    return float(2 * (a & b).sum() / total) if total else 1.0


def band_changes(song: BarSong, phrases: Sequence[Phrase]) -> tuple[np.ndarray, np.ndarray]:
    """(P,) bool: the band changes at each phrase's start (its notes a bar moved by CHANGE_RATIO from the phrase
    before's, or its folded onsets at cell F1 under CHANGE_CELL_F1), and (P,) that cell F1 (1 for the first)."""
    rows = [(p.start_row, p.end_row) for p in phrases]
    per_bar = phrase_means(np.asarray(song.notes, dtype=np.float64)[:, None], rows)[:, 0]
    return _changes(bar_onsets(song) > 0, per_bar, rows)


def _changes(onsets: np.ndarray, per_bar: np.ndarray, rows: Sequence[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    """`band_changes` from (n, S) bool onsets and each phrase's notes a bar: `band_changed` of each pair."""
    f1 = np.ones(len(rows))
    changed = np.zeros(len(rows), dtype=bool)
    if len(rows) < 2:
        return changed, f1
    ends = np.array([[a, b] for a, b in rows]).ravel()
    padded = np.concatenate([onsets, np.zeros((1, onsets.shape[1]), dtype=bool)])  # reduceat reads an end row
    folded = np.logical_or.reduceat(padded, ends, axis=0)[::2]  # (P, S): rows [a, b) of each (none empty)
    for j in range(1, len(rows)):
        changed[j], f1[j] = band_changed(per_bar[j - 1], per_bar[j], folded[j - 1], folded[j])
    return changed, f1


def band_changed(notes_before: float, notes: float, folded_before: np.ndarray,
                 folded: np.ndarray) -> tuple[bool, float]:
    """Whether the band changes from one phrase to the next, and the cell F1 of their folded onsets ((S,) bool each):
    its notes (a bar, or a phrase of as many bars) moved by CHANGE_RATIO, or that F1 is under CHANGE_CELL_F1."""
    f1 = folded_f1(folded_before, folded)
    moved = abs(notes - notes_before) / max(notes_before, notes, 1e-9)
    return bool(moved >= CHANGE_RATIO or f1 < CHANGE_CELL_F1), f1


def phrase_features(song: BarSong, phrases: Sequence[Phrase], steps_per_quarter: int = 4) -> np.ndarray:
    """(P, len(FEATURE_NAMES)) float32: the band's features of each phrase (see the module docstring)."""
    if song.bar_features.shape[1] != len(BAR) or song.step_features.shape[2] != len(STEP):
        raise ValueError(f"{song.name}: the part model reads this seq2drum's columns (FeatureSpec.current); this song "
                         "was read for a model with other columns")
    rows = [(p.start_row, p.end_row) for p in phrases]
    notes = np.asarray(song.notes, dtype=np.float64)
    per_bar = phrase_means(notes[:, None], rows)[:, 0]
    level = np.log1p(per_bar)  # log(1 + notes a bar) of each phrase
    median = float(arrays.median(level)) if len(level) else 0.0
    onsets = bar_onsets(song)
    changed, f1 = _changes(onsets > 0, per_bar, rows)
    swing = swing_reading(onsets, song.bar_steps, song.beat_steps, steps_per_quarter)
    columns = [_band_columns(song, phrases, level, median, changed, f1, steps_per_quarter),
               _place_columns(song, onsets, rows, swing, steps_per_quarter),
               _section_columns(song, phrases),
               np.broadcast_to(heard_numbers(song.described, song.genre), (len(rows), 3 + len(HEARD)))]
    return np.concatenate(columns, axis=1).astype(np.float32)


def _band_columns(song: BarSong, phrases: Sequence[Phrase], level: np.ndarray, median: float,
                  changed: np.ndarray, f1: np.ndarray, steps_per_quarter: int) -> np.ndarray:
    """Family, tempo, the band's notes and their changes, the roles: each column of every phrase at once."""
    rows = [(p.start_row, p.end_row) for p in phrases]
    means = phrase_means(song.bar_features[:, [_bar_index(name) for name in _BAND_MEANS]], rows)
    silent = phrase_means((np.asarray(song.notes) == 0).astype(np.int64)[:, None], rows)[:, 0]
    starts = [a for a, _ in rows]
    enters = song.bar_features[np.ix_(starts, [_bar_index(f"band_{role}_enters") for role in ROLES])].max(axis=1)
    leaves = song.bar_features[np.ix_(starts, [_bar_index(f"band_{role}_leaves") for role in ROLES])].max(axis=1)
    at = PhraseRows(rows)
    families = [family_of(length, beat, steps_per_quarter)
                for length, beat in zip(at.modes(song.bar_steps).tolist(), at.modes(song.beat_steps).tolist())]
    thin_below = THIN_SHARE * np.expm1(median)
    thin = [np.expm1(value) < thin_below for value in level]  # each phrase's own expm1, as it was read
    steps = np.diff(level)
    columns = [np.array(families)[:, None] == np.asarray(FAMILIES)[None, :], means[:, :1],
               level, level - median, thin, silent, np.concatenate([[0.0], steps]), np.concatenate([steps, [0.0]]),
               changed, np.concatenate([changed[1:], [0.0]]), f1, means[:, 1:], enters, leaves]
    return np.column_stack([np.asarray(column, dtype=np.float64).reshape(len(rows), -1) for column in columns])


def _place_columns(song: BarSong, onsets: np.ndarray, rows: list[tuple[int, int]], swing: tuple[float, float],
                   steps_per_quarter: int) -> np.ndarray:
    """The guitar's cues and register, the bass's register, where the onsets fall, the swing."""
    step = song.step_features
    strikes = step[:, :, STEP.has_onset] > 0
    bass = step[:, :, STEP.index("bass_onsets")] > 0
    means = phrase_means(song.bar_features[:, [_bar_index(name) for name in _PLACE_MEANS]], rows)
    registers = [_masked_means(step[:, :, STEP.lowest_pitch], strikes, rows),
                 _masked_means(step[:, :, STEP.highest_pitch], strikes, rows),
                 _masked_means(step[:, :, STEP.index("bass_lowest_pitch")], bass, rows)]
    swings = phrase_swings(onsets, song.bar_steps, song.beat_steps, rows, steps_per_quarter)
    starts = [a for a, _ in rows]
    bass_plays = np.logical_or.reduceat(np.append(bass.any(axis=1), False), np.ravel(rows))[::2] if rows else []
    columns = [means, _column(song, "novelty")[starts], *registers, bass_plays, _onset_shares(onsets, step, rows),
               np.broadcast_to(np.asarray(swing, dtype=np.float64), (len(rows), 2)), swings]
    return np.column_stack([np.asarray(column, dtype=np.float64).reshape(len(rows), -1) for column in columns])


def _onset_shares(onsets: np.ndarray, step: np.ndarray, rows: list[tuple[int, int]]) -> np.ndarray:
    """(P, 4) float32: each phrase's share of its band's onsets at each METRICAL place (a phrase's block sums,
    float32, each over its own total or 1e-9)."""
    blocks = [onsets * step[:, :, STEP.index(name)] for name in METRICAL]  # (n, S) float32 each
    out = []
    for a, b in rows:
        total = max(onsets[a:b].sum(), 1e-9)
        out.append([block[a:b].sum() / total for block in blocks])
    return np.array(out, dtype=np.float32).reshape(len(rows), len(METRICAL))


def _masked_means(values: np.ndarray, mask: np.ndarray, rows: list[tuple[int, int]]) -> list[float]:
    """Each phrase's mean of (n, S) `values` where `mask` is set (0 where it never is), taken as a phrase's own
    masked values' mean (the same values in the same order: one selection, cut at the phrase's rows)."""
    chosen = values[mask]
    edges = np.concatenate([[0], np.cumsum(mask.sum(axis=1))])
    return [_mean(chosen[edges[a] : edges[b]]) if edges[b] > edges[a] else 0.0 for a, b in rows]


def phrase_swings(onsets: np.ndarray, bar_steps: np.ndarray, beat_steps: np.ndarray, rows: list[tuple[int, int]],
                  steps_per_quarter: int = 4) -> list[float]:
    """`swing_reading`'s mean place of each phrase's (rows [a, b) of (n, S) `onsets`) as read alone, all at once."""
    row, step = np.nonzero((onsets > 0) & (np.arange(onsets.shape[1])[None, :] < bar_steps[:, None]))
    phrase_of = np.full(len(onsets), -1, dtype=np.int64)
    for t, (a, b) in enumerate(rows):
        phrase_of[a:b] = t
    first_rows = np.array([a for a, _ in rows] + [0], dtype=np.int64)
    piece = phrase_of[row]
    keep = (piece >= 0) & (beat_steps[row] == steps_per_quarter)
    local = row - first_rows[piece]  # a phrase's bars counted from its first, as it reads alone
    places, pieces = grouped_swung_positions((local * 1000.0 + step / steps_per_quarter)[keep], piece[keep])
    edges = np.searchsorted(pieces, np.arange(len(rows) + 1))
    return [_mean(places[edges[t] : edges[t + 1]]) if edges[t + 1] > edges[t] else 0.5 for t in range(len(rows))]


def _section_columns(song: BarSong, phrases: Sequence[Phrase]) -> np.ndarray:
    """The drummer's section of each phrase, where the phrase is in the song, the song's summary."""
    n_phrases = len(phrases)
    summary = song.bar_features[0, [BAR.index(f"song_{name}") for name in SUMMARY]] if song.n_bars else []
    section_bars: dict[int, int] = {}
    for p in phrases:
        section_bars[p.section] = section_bars.get(p.section, 0) + p.n_bars
    bars_log = {section: np.log2(max(bars, 1)) / 5 for section, bars in section_bars.items()}
    sections, phrases_log = max(1, len(section_bars)), np.log2(n_phrases + 1) / 6  # the same for every phrase
    out, letters_before = [], {}  # the letter of every section before the phrase's
    for t, p in enumerate(phrases):
        letter = [0.0] * LETTERS
        if p.letter >= 0:
            letter[min(p.letter, LETTERS - 1)] = 1.0
        before = phrases[t - 1] if t else None
        heard = any(letter_ == p.letter for section, letter_ in letters_before.items() if section != p.section)
        letters_before[p.section] = p.letter
        out.append([*letter, p.index == 0, min(p.index, 3) / 3, bars_log[p.section], heard,
                    before is not None and before.section == p.section,
                    before is not None and before.letter == p.letter,
                    (p.section + 1) / sections, p.start_row / max(song.n_bars, 1), t == 0, t == n_phrases - 1,
                    t == n_phrases - 2, p.n_bars / 4, phrases_log])
    core = np.array(out, dtype=np.float64).reshape(n_phrases, -1)
    return np.concatenate([core, np.broadcast_to(np.asarray(summary, dtype=np.float64), (n_phrases, len(summary)))],
                          axis=1)


def heard_numbers(described: dict | None, genre: str | None) -> np.ndarray:
    """(3 + len(HEARD),) whether the drums play the song as jazz and as a blues (`genre`: the musician's word, else
    the band's reader's), the shipped reader's jazz score and the song's HEARD numbers (`described`:
    BandDescription.to_json's); NaN where unknown."""
    said = [np.nan, np.nan] if genre is None else [float(genre == "jazz"), float(genre == "blues")]
    if described is None:
        return np.array([*said, *np.full(1 + len(HEARD), np.nan)])
    description = BandDescription.from_json(described)
    values = dict(zip(DESCRIPTION_FIELDS, description.vector().tolist()))
    return np.array([*said, shipped_reader().jazz_score(description), *(values[name] for name in HEARD)])
