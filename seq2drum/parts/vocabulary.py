"""The drummers' parts, learned: `build_vocabulary` groups labelled phrases (parts.labels) into parts per meter family,
named as a drummer would say them ("eighths on the hat, backbeat", "jazz ride, comping", "drop-out"), each with what
the decision needs to play it (`Part`): its time-keeper and subdivision, hits a bar of each class, the classes it
allows, a step profile of its groove bars, its commonest groove bars, and fills drawn from its own phrase ends.

A label's signature (`PhraseLabel.signature`) is a part when MIN_SHARE of its family's phrases have it, in one of the
folders at least (midi/'s or jazz/'s: a jazz ride part is kept for jazz/'s songs); a rarer signature joins the part of
its family and level whose phrases' mean descriptor (`descriptor`) is nearest. `vocabulary_arrays` and
`vocabulary_from_arrays` are a round-tripping pair (a plain dict of numpy arrays and one JSON string).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from seq2drum.midi.drums import NUM_DRUM_CLASSES
from seq2drum.parts.labels import FAMILIES, PhraseLabel, inside_bars
from seq2drum.parts.traits import KEEPERS, PART_FEELS, PART_LEVELS, SUBDIVISIONS

MIN_SHARE = 0.015  # a signature is a part with this share of its family's phrases in a folder
MIN_PHRASES = 12  # ... and this many phrases at least
ALLOWED_SHARE = 0.2  # a part allows the classes played in this share of its phrases
MAX_FILLS, MAX_GROOVES = 16, 8  # fills and groove bars kept per part
MAX_PER_SONG = 2  # fills or groove bars from one song at most, so one song's fills are not the part's
KEEPER_WORDS = {"closed_hat": "the hat", "open_hat": "the open hat", "ride": "the ride", "toms": "the toms",
                "crash": "the crash"}
FEEL_WORDS = {"backbeat": "backbeat", "half-time": "half-time", "four-floor": "four on the floor", "waltz": "waltz",
              "comping": "comping", "time-only": "no backbeat"}
CLASS_GROUPS = ((0,), (1,), (2,), (3,), (4, 5, 6), (7,), (8,))  # kick, snare, hats, open hat, toms, crash, ride


@dataclass(frozen=True)
class LabelledPhrase:
    """A phrase's label with its drums (m, S, 9) and bar lengths, the song it is from and its folder."""

    label: PhraseLabel
    hits: np.ndarray
    bar_steps: np.ndarray
    song: str
    source: str = "midi"


@dataclass
class Part:
    """One part of the vocabulary: what a drummer plays through it (see the module docstring)."""

    family: str
    name: str
    signature: tuple[str, ...]
    n_phrases: int
    share: float  # of its family's phrases (all folders)
    hits_per_bar: np.ndarray  # (9,) mean hits a bar of each class
    class_share: np.ndarray  # (9,) the share of its phrases that play each class
    profile: np.ndarray  # (S, 9) float: how often each step of a groove bar (profile_steps long) holds each class
    profile_steps: int
    end_fill_share: float  # of its phrases, those whose last bar is a fill
    fills_per_phrase: float
    fills: np.ndarray  # (k, S, 9) bool: phrase-end fill bars of its phrases, commonest first
    fill_steps: np.ndarray  # (k,) their lengths in steps
    grooves: np.ndarray  # (g, S, 9) bool: its commonest groove (not fill) bars
    groove_steps: np.ndarray  # (g,)
    sources: dict[str, int] = field(default_factory=dict)  # phrases per folder

    @property
    def level(self) -> str:
        return self.signature[1]

    @property
    def keeper(self) -> str:
        return self.signature[2] if len(self.signature) > 2 else "none"

    @property
    def subdivision(self) -> str:
        return self.signature[3] if len(self.signature) > 3 else "none"

    @property
    def feel(self) -> str:
        return self.signature[4] if len(self.signature) > 4 else "time-only"

    @property
    def allowed(self) -> np.ndarray:
        """(9,) bool: the drum classes the part plays (in ALLOWED_SHARE of its phrases or more)."""
        return self.class_share >= ALLOWED_SHARE

    def __repr__(self) -> str:
        return f"Part({self.family} {self.name!r}, {self.n_phrases} phrases, {self.share:.1%})"


def part_name(signature: Sequence[str]) -> str:
    """A drummer's words for a signature."""
    level = signature[1]
    if level == "drop-out":
        return "drop-out"
    if level == "sparse":
        keeper = signature[2]
        return "sparse / intro" + ("" if keeper == "none" else f", {KEEPER_WORDS[keeper].removeprefix('the ')}")
    if signature[2] == "crash":
        return "riding the crash"
    keeper, subdivision, feel = signature[2:5]
    if keeper == "ride" and subdivision == "swung":
        return "jazz ride, " + ("feathered kick" if feel == "four-floor" else FEEL_WORDS[feel])
    if keeper == "none":
        return "kick and snare, " + FEEL_WORDS[feel] if feel != "time-only" else "no time-keeper"
    subdivision = "swung eighths" if subdivision == "swung" else subdivision
    return f"{subdivision} on {KEEPER_WORDS[keeper]}, {FEEL_WORDS[feel]}"


def descriptor(label: PhraseLabel) -> np.ndarray:
    """(D,) what a phrase plays, for finding the part nearest a rare signature: one-hots of its time-keeper,
    subdivision and feel, and log hits a bar of the class groups."""
    parts = [np.eye(len(values))[values.index(value)]
             for values, value in ((KEEPERS, label.keeper), (SUBDIVISIONS, label.subdivision),
                                   (PART_FEELS, label.feel))]
    groups = np.array([label.hits_per_bar[list(group)].sum() for group in CLASS_GROUPS])
    return np.concatenate([*parts, np.log1p(groups) / 2])


@dataclass
class PartVocabulary:
    """The parts of every meter family, and which part each signature seen in training belongs to."""

    parts: list[Part]
    by_signature: dict[tuple[str, ...], int]
    centroids: np.ndarray  # (K, D) the mean descriptor of each part's phrases

    def family_parts(self, family: str) -> list[int]:
        return [index for index, part in enumerate(self.parts) if part.family == family]

    def assign(self, label: PhraseLabel) -> int:
        """The part of a phrase: its signature's, else the nearest part of its family and level (`nearest_part`)."""
        index = self.by_signature.get(label.signature())
        if index is not None:
            return index
        return nearest_part([p.signature for p in self.parts], self.centroids, label.signature(), descriptor(label))

    def feels_labelled(self, index: int, keeper: str, subdivision: str) -> tuple[str, ...]:
        """The feels in which a full phrase of part `index`'s family, its time kept by `keeper` in `subdivision`, is
        labelled that part (`assign`; a signature not seen in training read at the part's mean hits a bar; a waltz
        only in 3/4), the part's own feel first where it is one: a half-time phrase on the ride's quarters is
        "quarters on the ride, comping"'s, a comping one on the hat's quarters "swung eighths on the hat, comping"'s."""
        part = self.parts[index]
        feels = sorted((f for f in PART_FEELS if f != "waltz" or part.family == "3/4"),
                       key=lambda feel: feel != part.feel)
        return tuple(feel for feel in feels if self.assign(PhraseLabel(
            part.family, "full", keeper, subdivision, feel, part.hits_per_bar, (), 1)) == index)

    def __len__(self) -> int:
        return len(self.parts)


def kept_signatures(phrases: Sequence[LabelledPhrase]) -> list[tuple[str, ...]]:
    """The signatures that are parts: MIN_SHARE of their family's phrases in some folder, and MIN_PHRASES."""
    kept: set[tuple[str, ...]] = set()
    for source in sorted({p.source for p in phrases}):
        counts = Counter(p.label.signature() for p in phrases if p.source == source)
        families = Counter(p.label.family for p in phrases if p.source == source)
        kept |= {s for s, n in counts.items() if n >= MIN_PHRASES and n >= MIN_SHARE * families[s[0]]}
    for family in FAMILIES:  # every family that has phrases has a drop-out and at least one part
        in_family = Counter(p.label.signature() for p in phrases if p.label.family == family)
        if in_family and not any(s[0] == family for s in kept):
            kept.add(in_family.most_common(1)[0][0])
    return sorted(kept, key=lambda s: (FAMILIES.index(s[0]), PART_LEVELS.index(s[1]), s))


def nearest_part(signatures: Sequence[tuple[str, ...]], centroids: np.ndarray, signature: tuple[str, ...],
                 point: np.ndarray) -> int:
    """The part (of `signatures`, with their mean descriptors `centroids`) nearest `point`: among the parts of the
    signature's family and level, else of its family, else all."""
    candidates = [i for i, s in enumerate(signatures) if s[0] == signature[0]] or list(range(len(signatures)))
    candidates = [i for i in candidates if signatures[i][1] == signature[1]] or candidates
    distances = ((centroids[candidates] - point) ** 2).sum(axis=1)
    return candidates[int(np.argmin(distances))]


def build_vocabulary(phrases: Sequence[LabelledPhrase]) -> tuple[PartVocabulary, np.ndarray]:
    """The vocabulary of labelled phrases, and each phrase's part (P,): a rare signature's phrases all join the part
    nearest their mean descriptor, as `PartVocabulary.assign` places them later."""
    kept = kept_signatures(phrases)
    by_signature = {signature: i for i, signature in enumerate(kept)}
    signatures = [p.label.signature() for p in phrases]
    descriptors = np.array([descriptor(p.label) for p in phrases])
    centroids = np.array([descriptors[[s == signature for s in signatures]].mean(axis=0) for signature in kept])
    for signature in sorted(set(signatures) - set(by_signature)):
        mean = descriptors[[s == signature for s in signatures]].mean(axis=0)
        by_signature[signature] = nearest_part(kept, centroids, signature, mean)
    assigned = np.array([by_signature[s] for s in signatures], dtype=np.int64)
    family_sizes = Counter(p.label.family for p in phrases)
    parts = [describe_part(kept[i], [p for p, a in zip(phrases, assigned) if a == i], family_sizes)
             for i in range(len(kept))]
    return PartVocabulary(parts, by_signature, centroids), assigned


def describe_part(signature: tuple[str, ...], phrases: Sequence[LabelledPhrase], family_sizes: Counter) -> Part:
    """A part from its phrases: its rates, profile, groove bars and fills."""
    width = phrases[0].hits.shape[1]
    hits_per_bar = np.mean([p.label.hits_per_bar for p in phrases], axis=0)
    class_share = np.mean([p.label.hits_per_bar > 0 for p in phrases], axis=0)
    groove_bars, groove_steps, groove_songs, fill_bars, fill_steps, fill_songs = [], [], [], [], [], []
    for p in phrases:
        hits = inside_bars(p.hits, np.minimum(p.bar_steps, width))
        fills = set(p.label.fill_rows)
        for row in range(len(hits)):
            if row not in fills:
                groove_bars.append(hits[row]), groove_steps.append(int(p.bar_steps[row])), groove_songs.append(p.song)
        if p.label.end_fill:
            fill_bars.append(hits[-1]), fill_steps.append(int(p.bar_steps[-1])), fill_songs.append(p.song)
    steps = Counter(groove_steps).most_common(1)[0][0] if groove_steps else width
    same = [bar for bar, n in zip(groove_bars, groove_steps) if n == steps]
    profile = np.mean(same, axis=0) if same else np.zeros((width, NUM_DRUM_CLASSES))
    grooves, kept_groove_steps = commonest_bars(groove_bars, groove_steps, groove_songs, MAX_GROOVES, width)
    fills, kept_fill_steps = commonest_bars(fill_bars, fill_steps, fill_songs, MAX_FILLS, width)
    return Part(signature[0], part_name(signature), signature, len(phrases), len(phrases) / family_sizes[signature[0]],
                hits_per_bar, class_share, profile.astype(np.float32), int(steps),
                float(np.mean([p.label.end_fill for p in phrases])),
                float(np.mean([len(p.label.fill_rows) for p in phrases])), fills, kept_fill_steps, grooves,
                kept_groove_steps, dict(Counter(p.source for p in phrases)))


def commonest_bars(bars: list[np.ndarray], steps: list[int], songs: list[str], most: int,
                   width: int) -> tuple[np.ndarray, np.ndarray]:
    """Up to `most` distinct bars, commonest first (ties: first seen), MAX_PER_SONG from one song at most."""
    counts: Counter = Counter()
    first: dict[bytes, tuple[np.ndarray, int, str]] = {}
    for bar, n, song in zip(bars, steps, songs):
        key = bar.tobytes() + n.to_bytes(2, "little")
        counts[key] += 1
        first.setdefault(key, (bar, n, song))
    chosen, per_song = [], Counter()
    for key, _ in counts.most_common():
        bar, n, song = first[key]
        if per_song[song] < MAX_PER_SONG and bar.any():
            chosen.append((bar, n))
            per_song[song] += 1
        if len(chosen) == most:
            break
    if not chosen:
        return np.zeros((0, width, NUM_DRUM_CLASSES), dtype=bool), np.zeros(0, dtype=np.int64)
    return np.array([bar for bar, _ in chosen]), np.array([n for _, n in chosen], dtype=np.int64)


def vocabulary_arrays(vocabulary: PartVocabulary) -> dict[str, np.ndarray]:
    """The vocabulary as named numpy arrays and one JSON string (`meta`): what a `.npz` file holds."""
    parts = vocabulary.parts
    meta = {"parts": [{"family": p.family, "name": p.name, "signature": list(p.signature), "n_phrases": p.n_phrases,
                       "share": p.share, "profile_steps": p.profile_steps, "end_fill_share": p.end_fill_share,
                       "fills_per_phrase": p.fills_per_phrase, "sources": p.sources} for p in parts],
            "by_signature": [[*signature, index] for signature, index in sorted(vocabulary.by_signature.items())]}
    return {"meta": np.array(json.dumps(meta)),
            "hits_per_bar": np.array([p.hits_per_bar for p in parts], dtype=np.float32),
            "class_share": np.array([p.class_share for p in parts], dtype=np.float32),
            "profile": np.array([p.profile for p in parts], dtype=np.float16),
            "centroids": vocabulary.centroids.astype(np.float32),
            "fills": np.concatenate([p.fills for p in parts]),
            "fill_steps": np.concatenate([p.fill_steps for p in parts]),
            "fill_part": np.repeat(np.arange(len(parts)), [len(p.fills) for p in parts]),
            "grooves": np.concatenate([p.grooves for p in parts]),
            "groove_steps": np.concatenate([p.groove_steps for p in parts]),
            "groove_part": np.repeat(np.arange(len(parts)), [len(p.grooves) for p in parts])}


def vocabulary_from_arrays(arrays: dict[str, np.ndarray]) -> PartVocabulary:
    """The inverse of `vocabulary_arrays`."""
    meta = json.loads(str(arrays["meta"]))
    parts = []
    for i, entry in enumerate(meta["parts"]):
        fills, grooves = arrays["fill_part"] == i, arrays["groove_part"] == i
        parts.append(Part(entry["family"], entry["name"], tuple(entry["signature"]), entry["n_phrases"],
                          entry["share"], arrays["hits_per_bar"][i], arrays["class_share"][i],
                          arrays["profile"][i].astype(np.float32), entry["profile_steps"], entry["end_fill_share"],
                          entry["fills_per_phrase"], arrays["fills"][fills].astype(bool), arrays["fill_steps"][fills],
                          arrays["grooves"][grooves].astype(bool), arrays["groove_steps"][grooves],
                          dict(entry["sources"])))
    by_signature = {tuple(row[:-1]): int(row[-1]) for row in meta["by_signature"]}
    return PartVocabulary(parts, by_signature, arrays["centroids"].astype(np.float64))


def parts_by_family(vocabulary: PartVocabulary) -> dict[str, list[Part]]:
    """The parts of each family, commonest first."""
    grouped: dict[str, list[Part]] = defaultdict(list)
    for part in vocabulary.parts:
        grouped[part.family].append(part)
    return {family: sorted(grouped[family], key=lambda p: -p.n_phrases) for family in FAMILIES if family in grouped}
