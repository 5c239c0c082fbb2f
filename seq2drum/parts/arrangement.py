"""The song's arrangement (issue 87): its sections as the run counts them, the drummer's parts each section can play
ranked by how well they fit there, the part the song's own drummer plays in each, and the musician's choice
(`--parts "A=ride-8ths; B#2=half-time; 33-40=drop-out"`) made into the part each phrase plays.

A section is keyed by its label (`B`: every B), its label and occurrence (`B#2`: the second B) or a bar range of the
song (`33-40`: the phrases that start in it), in any letter case; a more specific key wins (range over occurrence over
label), and a key given twice with two parts is refused. A value is a part's name or id as `--mode arrange` prints it
(`13`, `[13]`, `kick and snare, backbeat [13]`), a style's name (parts.traits: its likeliest part there; a style of
drummers' bars such as `bossa` or `funk`: those bars, in 4/4, generation/styled.py) or a time-keeper without its
feel (`eighths on the ride`: the likeliest of those parts there), read as a musician types them (`folded`: any
letter case, `16th`/`16ths`/`sixteenths`, `8ths`/`eighths`, `hats`/`hi-hat`, `-` or a space).
Anything that does not fit gets one `ConfigError` line that lists what does. Pure numpy on the planner's tables.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from seq2drum import arrays
from seq2drum.errors import ConfigError
from seq2drum.options import ascii_number
from seq2drum.parts.labels import Phrase
from seq2drum.parts.traits import DRUMMERS_FAMILY, DRUMMERS_STYLES, STYLES
from seq2drum.parts.vocabulary import Part, PartVocabulary


class PartBook(Protocol):
    """What arranging reads of the planner (parts.plan `Planner`, which imports this module): its vocabulary and its
    parts' step rates."""

    vocabulary: PartVocabulary
    rates: np.ndarray
    steps: np.ndarray


MAX_ENTRIES = 1024  # --parts entries at most: every section a song of 2,048 bars can count, and ranges
# a part's rank score: its log posterior under the part model + NETWORK_WEIGHT x the network's fit + LABEL_WEIGHT x its
# log posterior over every phrase of the section's label (issue 87). Out of fold (folds 0-1, studies.arrangement_ranks)
# 1.0 and 0.5 had the drummer's part among a section's first 3 in 4/4 0.509, jazz/ 0.413; 0.5 and 1.0: 0.532, 0.463,
# 3/4 and compound the same, the other meters 0.457 -> 0.507 (issue 100; 9 weightings tried, docs/experiments)
NETWORK_WEIGHT = 0.5
LABEL_WEIGHT = 1.0


def letter_of(label: int) -> str:
    """A section label as its letter: 0 -> A, 25 -> Z, 26 -> A2 ..."""
    return chr(ord("A") + label % 26) + (str(label // 26 + 1) if label >= 26 else "")


@dataclass(frozen=True)
class Occurrence:
    """One section of the song as the run counts it: its key (`B#2`), first song bar (1-based), bars, meter family
    and the indices of its phrases in the song's phrases."""

    key: str
    label: str
    occurrence: int
    first_bar: int
    n_bars: int
    family: str
    phrases: tuple[int, ...]


@dataclass(frozen=True)
class RankedPart:
    """A part a section may play, with its id (the vocabulary's index), name and score (higher fits better)."""

    id: int
    name: str
    score: float


def occurrences(phrases: list[Phrase], families: list[str], first_bar: int) -> list[Occurrence]:
    """The song's sections (the phrases' sections in order; bars no section holds are not one), keyed by label and
    occurrence; `families` (P,) each phrase's meter family, `first_bar` the song bar of row 0 (0-based)."""
    by_section: dict[int, list[int]] = {}
    for j, phrase in enumerate(phrases):
        if phrase.section >= 0:
            by_section.setdefault(phrase.section, []).append(j)
    seen: Counter = Counter()
    out = []
    for section in sorted(by_section, key=lambda s: phrases[by_section[s][0]].start_row):
        held = by_section[section]
        label = letter_of(phrases[held[0]].letter)
        seen[label] += 1
        family = Counter(families[j] for j in held).most_common(1)[0][0]
        start, end = phrases[held[0]].start_row, phrases[held[-1]].end_row
        out.append(Occurrence(f"{label}#{seen[label]}", label, seen[label], first_bar + start + 1, end - start,
                              family, tuple(held)))
    return out


def network_fit(planner: PartBook, p: np.ndarray, bar_steps: np.ndarray, phrases: list[Phrase]) -> np.ndarray:
    """(P, K) how well each part's profile explains what the network expects in each phrase: the log likelihood the
    expected bar of its cells (p (n, S, 9)) has under the part's step rates, averaged over the phrase's bars (a
    phrase of mixed bar lengths: each length's expected bar, by its bars). A part's profile of another bar length is
    read repeated or cut to the bar's, as it is played there (a 2/4 drummer's part over a 6/4 bar): unscored, an odd
    meter's drop-out ranked last."""
    rates = planner.rates  # (K, W, 9), clipped
    steps = np.maximum(planner.steps, 1)  # (K,)
    out = np.zeros((len(phrases), len(steps)))
    for j, phrase in enumerate(phrases):
        rows = np.arange(max(phrase.start_row, 0), min(phrase.end_row, len(p)))
        for length in arrays.distinct(bar_steps[rows]).tolist():
            bars = p[rows[bar_steps[rows] == length], :length]  # (m, L, 9)
            tiled = rates[np.arange(len(steps))[:, None], np.arange(bars.shape[1])[None, :] % steps[:, None]]
            mean = bars.mean(axis=0)  # (L, 9): the expected bar
            fit = (mean[None] * np.log(tiled) + (1 - mean[None]) * np.log(1 - tiled)).sum(axis=(1, 2))  # (K,)
            out[j] += fit * len(bars) / max(len(rows), 1)
    return out


def ranked(planner: PartBook, occurrence: Occurrence, posterior: np.ndarray, fit: np.ndarray,
           label_rows: tuple[int, ...] = (), label_weight: float = LABEL_WEIGHT,
           held: np.ndarray | None = None) -> list[RankedPart]:
    """The parts of the section's meter family, best first: each scored by its mean log posterior over the section's
    phrases (the part model's reading of the band), plus `label_weight` x its mean log posterior over `label_rows`
    (every phrase of its label: a drummer keeps his part through a song's verses), plus NETWORK_WEIGHT x the mean
    network fit per bar; the parts its bars hold first (`held` (P, K): `Planner.held_parts`, 7/8's eighths: beats)."""
    rows = list(occurrence.phrases)
    parts = planner.vocabulary.parts
    candidates = [k for k, part in enumerate(parts) if part.family == occurrence.family]
    log_posterior = np.log(np.maximum(posterior, 1e-12))  # (P, K)
    score = log_posterior[rows].mean(axis=0)
    if label_rows and label_weight:
        score = score + label_weight * log_posterior[list(label_rows)].mean(axis=0)
    bars = max(occurrence.n_bars / max(len(rows), 1), 1.0)
    score = score + NETWORK_WEIGHT * fit[rows].mean(axis=0) / bars
    scores, fits = {k: float(score[k]) for k in candidates}, held[rows].all(axis=0) if held is not None else None
    order = sorted(candidates, key=lambda k: (fits is not None and not fits[k], -scores[k], k))
    return [RankedPart(k, parts[k].name, scores[k]) for k in order]


def same_label_phrases(sections: list[Occurrence], occurrence: Occurrence) -> tuple[int, ...]:
    """The phrases of every section of `occurrence`'s label (its own among them)."""
    return tuple(j for s in sections if s.label == occurrence.label for j in s.phrases)


@dataclass(frozen=True)
class Arrangement:
    """A song's arrangement as the plan reads it: its phrases, each phrase's meter family, its sections and the parts
    each can play, ranked (`ranking[key]`); `heard_band` whether a band was heard (else the ranking is the network's
    fit alone: the part model reads a band)."""

    phrases: tuple[Phrase, ...]
    families: tuple[str, ...]
    sections: tuple[Occurrence, ...]
    ranking: dict[str, list[RankedPart]]
    heard_band: bool
    first_bar: int
    n_bars: int
    held: np.ndarray | None = None  # (P, K) bool the parts each phrase's bars hold (parts.plan `Planner.held_parts`)

    def chosen(self, spec: str, planner: PartBook) -> np.ndarray:
        """(P,) the part `spec` (`--parts`) names for each phrase, -1 where none, a drummers' style's `styled_code`
        where it names one (`chosen_parts`)."""
        return chosen_parts(spec, planner, list(self.phrases), list(self.families), list(self.sections),
                            self.ranking, self.first_bar, self.n_bars)


# ---------------------------------------------------------------------------------------------- --parts


def parse_parts(spec: str) -> list[tuple[str, str]]:
    """`--parts "A=ride-8ths; B#2=half-time; 33-40=drop-out"` as (key, value) pairs, each key as the song names it
    (`b#2` -> `B#2`, `33 - 40` -> `33-40`: `section_key`); ConfigError for an entry that is not KEY=VALUE, a key given
    twice with two values (the last silently won) or more than MAX_ENTRIES entries."""
    entries = [entry.strip() for entry in spec.split(";") if entry.strip()]
    if len(entries) > MAX_ENTRIES:
        raise ConfigError(f"--parts has {len(entries):,} entries; at most {MAX_ENTRIES:,} (one a section, "
                          "e.g. \"A=eighths on the hat, backbeat; B#2=4\")")
    pairs = []
    given: dict[str, str] = {}
    for entry in entries:
        key, sep, value = entry.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ConfigError(f"--parts entry {entry[:40]!r} is not KEY=PART; write e.g. \"A=eighths on the hat, "
                              "backbeat; B#2=12; 33-40=drop-out\" (python main.py --mode arrange SONG lists them)")
        key, value = section_key(key), value.strip()
        if given.setdefault(key, value) != value:
            raise ConfigError(f"--parts gives {key[:20]} twice ({key[:20]}={given[key][:40]}, then "
                              f"{key[:20]}={value[:40]}); keep one (a more specific key, e.g. {key[:20]}#2 or a bar "
                              "range, overrides a label)")
        pairs.append((key, value))
    return pairs


def section_key(key: str) -> str:
    """A `--parts` key as the song's sections are named: a label in capitals (`b#2` -> `B#2`), a range without
    spaces (`33 - 40` -> `33-40`); anything else as given (stripped), for the lookup to refuse."""
    key = key.strip()
    bars = re.fullmatch(r"([0-9]{1,5})\s*-\s*([0-9]{1,5})", key)
    if bars:
        return f"{bars.group(1)}-{bars.group(2)}"
    return re.sub(r"\s+", "", key).upper() if re.fullmatch(r"[A-Za-z][0-9]{0,3}(\s*#\s*[0-9]{1,5})?", key) else key


def chosen_parts(spec: str, planner: PartBook, phrases: list[Phrase], families: list[str], sections: list[Occurrence],
                 ranking: dict[str, list[RankedPart]], first_bar: int, n_bars: int) -> np.ndarray:
    """(P,) the part the musician names for each phrase (-1: not named; `styled_code`: a drummers' style's bars),
    from `spec` (see the module docstring);
    `families` each phrase's meter family, `ranking` each section's ranked parts (a style's likeliest there),
    `first_bar` the song bar of row 0 (0-based), `n_bars` the song's bars from it. ConfigError, listing what fits,
    for a key or value that does not.

    It costs the song's phrases once, then per entry the phrases it holds (in numpy) and one lookup per distinct
    context among them: a plain part is resolved once per value and meter, a style once per value and section
    (issue 98 Q2: 1,024 entries over a 2,040-bar song once cost 65,280 resolutions)."""
    chosen = np.full(len(phrases), -1, dtype=np.int64)
    specificity = np.full(len(phrases), -1)
    keys = ", ".join(s.key for s in sections) or "none"
    where = _Keys(phrases, sections, first_bar, n_bars, keys)
    section_of = [-1] * len(phrases)
    for index, section in enumerate(sections):
        for j in section.phrases:
            section_of[j] = index
    # a phrase's context: its section (where a style's part is the section's likeliest) and its meter family
    contexts: dict[tuple[int, str], int] = {}
    context_of = np.array([contexts.setdefault((section_of[j], families[j]), len(contexts))
                           for j in range(len(phrases))], dtype=np.int64)
    context_list = list(contexts)
    resolved: dict[tuple[str, object], int] = {}
    pairs = parse_parts(spec)
    per_section = {value: value_kind(value, planner) in ("style", "keeper") for value in {value for _, value in pairs}}
    for key, value in pairs:
        level, held = where.phrases(key)
        by_context = np.full(len(context_list), -1, dtype=np.int64)
        for c in arrays.distinct(context_of[held]).tolist():
            section, family = context_list[c]
            memo = (value, c) if per_section[value] else (value, family)
            if memo not in resolved:
                resolved[memo] = part_of(value, key, planner, sections[section] if section >= 0 else None,
                                         ranking, family)
            by_context[c] = resolved[memo]
        wins = held[level >= specificity[held]]
        chosen[wins], specificity[wins] = by_context[context_of[wins]], level
    return chosen


class _Keys:
    """The phrases each `--parts` key names, looked up rather than scanned: a range by the phrases' first bars, a
    label or an occurrence in a table made once."""

    def __init__(self, phrases: list[Phrase], sections: list[Occurrence], first_bar: int, n_bars: int,
                 keys: str) -> None:
        self.first_bar, self.n_bars, self.keys = first_bar, n_bars, keys
        self.starts = np.array([first_bar + q.start_row + 1 for q in phrases], dtype=np.int64)  # (P,) song bars
        self.order = np.argsort(self.starts, kind="stable")
        self.named: dict[str, list[int]] = {}
        for s in sections:
            self.named.setdefault(s.key, []).extend(s.phrases)
            self.named.setdefault(s.label, []).extend(s.phrases)

    def phrases(self, key: str) -> tuple[int, np.ndarray]:
        """(specificity, phrase indices) `key` names: 2 a bar range, 1 an occurrence, 0 a label."""
        bars = re.fullmatch(r"(\d{1,5})\s*-\s*(\d{1,5})", key)
        if bars:
            a, b = int(bars.group(1)), int(bars.group(2))
            last = self.first_bar + self.n_bars
            if not 1 <= a <= b or b > last:
                raise ConfigError(f"--parts range {key}: the song's bars are {self.first_bar + 1}-{last}; name bars in "
                                  "it (first-last), or a section: " + self.keys)
            ordered = self.starts[self.order]
            held = np.sort(self.order[np.searchsorted(ordered, a):np.searchsorted(ordered, b, side="right")])
            if not len(held):
                raise ConfigError(f"--parts range {key} holds no phrase's first bar; phrases start at bars "
                                  + ", ".join(str(bar) for bar in self.starts[:24].tolist()))
            return 2, held
        held = self.named.get(key)  # an occurrence's key holds "#", a label never does
        if not held:
            raise ConfigError(f"--parts key {key[:20]!r} is not a section of this song; its sections are {self.keys} "
                              "(a label names every one, B#2 the second B, 33-40 a bar range)")
        return (1 if "#" in key else 0), np.array(sorted(set(held)), dtype=np.int64)


def part_of(value: str, key: str, planner: PartBook, section: Occurrence | None,
             ranking: dict[str, list[RankedPart]], family: str) -> int:
    """The part id `value` names for a phrase of `section` (a part's id or name of its meter family, a style's
    likeliest part there, or a time-keeper's: see the module docstring); ConfigError listing the parts that fit."""
    parts = planner.vocabulary.parts
    family = section.family if section is not None else family
    fits = [k for k, part in enumerate(parts) if part.family == family]
    number, name = part_id(value)
    if number is not None:
        if number not in fits:
            raise ConfigError(f"--parts {key}={value}: part {number} is not one of the {family} parts this section "
                              f"can play: {_listed(parts, fits)}")
        if name and folded(name) != folded(parts[number].name):
            raise ConfigError(f"--parts {key}={value}: part {number} is {parts[number].name!r}, not {name[:40]!r}; "
                              "give the name or the [id] alone")
        return number
    wanted = folded(value)
    by_name = [k for k in fits if folded(parts[k].name) == wanted]
    if by_name:
        return by_name[0]
    style = style_named(value)
    order = [r.id for r in ranking.get(section.key, [])] if section is not None else fits  # the likeliest first
    if style is not None and STYLES[style].no_part:  # its drummers' own bars, not a part (generation/styled.py)
        if family != DRUMMERS_FAMILY:
            meter = {"compound": "compound meter (6/8, 12/8 ...)", "other": "odd meter (5/4, 7/8 ...)"}.get(family,
                                                                                                     family)
            raise ConfigError(f"--parts {key}={value}: the style {style} plays its drummers' {DRUMMERS_FAMILY} bars, "
                              f"not this section's {meter}; name one of its parts: {_listed(parts, fits)}")
        return styled_code(style)
    if style is not None:
        playing = [k for k in order if k in fits and parts[k].level == "full"
                   and STYLES[style].holds(family, parts[k].keeper, parts[k].subdivision, parts[k].feel)]
        if playing:
            return playing[0]
        raise ConfigError(f"--parts {key}={value}: no {family} part plays the style {style}; the parts that fit: "
                          f"{_listed(parts, fits)}")
    keeping = [k for k in fits if parts[k].level == "full" and folded(_time_keeper(parts[k].name)) == wanted]
    if keeping:  # "eighths on the ride": the likeliest of its feels here
        return next(k for k in [*order, *keeping] if k in keeping)
    raise ConfigError(f"--parts {key}={value[:40]!r}: not a part of this section's meter ({family}) nor a style; "
                      f"the parts that fit: {_listed(parts, fits)}")


def styled_code(style: str) -> int:
    """The code `chosen_parts` gives a phrase `--parts` names a drummers' style for (parts.traits DRUMMERS_STYLES):
    -2 for the first, -3 for the next (-1 is no part named)."""
    return -2 - DRUMMERS_STYLES.index(style)


def code_style(code: int) -> str | None:
    """The drummers' style a `chosen_parts` code names (None: a part, or none)."""
    return DRUMMERS_STYLES[-2 - code] if code <= -2 else None


LISTED_PARTS = 6  # an error names this many of the parts that fit (all 30 made a line of 1,200 characters)


def value_kind(value: str, planner: PartBook) -> str:
    """How `part_of` reads `value`: "id" (a part's id as the menu prints it), "name" (a part's name), "style", "keeper"
    (a time-keeper without its feel), or "" where it names no part of any meter. A style or a time-keeper names a part
    per section (the likeliest there), an id or a name one part per meter."""
    parts = planner.vocabulary.parts
    number, name = part_id(value)
    if number is not None:
        return "id" if number < len(parts) and (not name or folded(name) == folded(parts[number].name)) else ""
    wanted = folded(value)
    if any(folded(part.name) == wanted for part in parts):
        return "name"
    if style_named(value) is not None:
        return "style"
    return "keeper" if any(folded(_time_keeper(part.name)) == wanted for part in parts) else ""


def part_id(value: str) -> tuple[int | None, str]:
    """(the id, the name before it) of a value that gives a part's id as `--mode arrange` prints it: `13`, `[13]`,
    `kick and snare, backbeat [13]` or the menu's whole line, `1. kick and snare, backbeat [13]` (ASCII digits,
    `ascii_number`); (None, value) for any other."""
    value = value.strip()
    number = ascii_number(value)
    if number is not None:
        return number, ""
    bracket = re.fullmatch(r"(.*?)\s*\[\s*([0-9]{1,6})\s*\]", value, flags=re.S)
    if bracket:
        name = re.sub(r"^[0-9]{1,3}\.\s+", "", bracket.group(1).strip())  # the menu's rank: "1. NAME [13]"
        return ascii_number(bracket.group(2)), name.removesuffix(",").strip()
    return None, value


_SAME_WORDS = {"16th": "16ths", "sixteenth": "16ths", "sixteenths": "16ths", "8th": "8ths", "eighth": "8ths",
               "eighths": "8ths", "quarter": "quarters", "hats": "hat", "hihat": "hat", "hihats": "hat"}


@functools.lru_cache(maxsize=4096)
def folded(text: str) -> str:
    """A part's or style's name as compared: lower case, words split at anything not a letter or digit, "the" left
    out, each spelling of a subdivision or the hat made one (`16ths-hats`, `16th hats` and `16th-hats` alike)."""
    text = re.sub(r"hi[\s_-]*hat", "hat", text[:200].lower())
    return " ".join(_SAME_WORDS.get(word, word) for word in re.split(r"[^a-z0-9]+", text) if word and word != "the")


_FOLDED_STYLES = {folded(name): name for name in STYLES}


def style_named(value: str) -> str | None:
    """The style `value` names (folded as part names are), or None."""
    return _FOLDED_STYLES.get(folded(value))


def _time_keeper(name: str) -> str:
    """A part's name without its feel: "eighths on the ride, backbeat" -> "eighths on the ride"."""
    return name.partition(",")[0]


def _listed(parts: list[Part], fits: list[int]) -> str:
    """The parts that fit, as an error lists them (the first LISTED_PARTS, and where the rest are listed): built
    only when a value is refused."""
    shown = "; ".join(f"{k} {parts[k].name}" for k in fits[:LISTED_PARTS])
    more = len(fits) - LISTED_PARTS
    return shown if more <= 0 else f"{shown}; and {more} more (--mode arrange SONG.mid lists them all)"
