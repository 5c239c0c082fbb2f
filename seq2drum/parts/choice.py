"""How a plan of parts is chosen over the song's phrases (parts.plan `Planner.plans`): the section plan a drummer
makes from each phrase's part probabilities (`section_plan`), a plan's weight under the part model's chain
(`plan_log_likelihood`), how far two plans are apart (`changed_share`), and the song's other arrangements: its main
sections (the two labels that cover the most bars) given other parts, for takes 2 and on (`other_arrangements`)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from seq2drum.midi.drums import CLOSED_HAT, RIDE, SNARE
from seq2drum.parts.features import FEATURE_NAMES
from seq2drum.parts.labels import Phrase
from seq2drum.parts.model import PartModel, emissions, log_initial, log_transitions, sample_plans
from seq2drum.parts.vocabulary import PartVocabulary

CHANGE_MARGIN = 3.0  # a new section where the band changes takes its best other part within this of its best (log)


def section_plan(phrases: list[Phrase], posterior: np.ndarray, features: np.ndarray,
                 bias: np.ndarray | None = None) -> np.ndarray:
    """(P,) the plan a drummer makes of the song's sections from each phrase's part probabilities (P, K): a section
    plays the part its phrases agree on (the highest summed log probability); a repeat of a letter keeps the part
    it had; a new section where the band changes changes part (its best other than the part before, where that is
    within CHANGE_MARGIN of its best); inside a section, a phrase where the band thins to under half its median
    plays the thinner part its band asks for where that is likelier than the section's. `bias` (K,) is added to every
    phrase's log probabilities (--density's)."""
    log_p = np.log(np.maximum(posterior, 1e-12)) + (0.0 if bias is None else bias)
    thin = features[:, FEATURE_NAMES.index("thin")] > 0
    changed = features[:, FEATURE_NAMES.index("band_change")] > 0
    plan = np.zeros(len(phrases), dtype=np.int64)
    by_letter: dict[int, int] = {}
    before = -1
    start = 0
    while start < len(phrases):
        end = start + 1
        while end < len(phrases) and (phrases[end].section, phrases[end].letter) == (phrases[start].section,
                                                                                   phrases[start].letter):
            end += 1
        rows = np.arange(start, end)
        letter = phrases[start].letter
        score = log_p[rows].sum(axis=0) / len(rows)
        if letter >= 0 and letter in by_letter:
            part = by_letter[letter]
        else:
            part = int(np.argmax(score))
            if part == before and changed[start] and start:
                others = np.where(np.arange(len(score)) == before, -np.inf, score)
                other = int(np.argmax(others))
                if score[other] >= score[part] - CHANGE_MARGIN:
                    part = other
            if letter >= 0:
                by_letter[letter] = part
        plan[rows] = part
        for row in rows[thin[rows]]:
            if log_p[row].max() > log_p[row, part]:
                plan[row] = int(np.argmax(log_p[row]))
        before = int(plan[end - 1])
        start = end
    return plan


def plan_log_likelihood(initial: np.ndarray, emit: np.ndarray, step: np.ndarray, parts: np.ndarray) -> float:
    """The log weight of a plan under the chain: its first part's prior (`initial` (K,)), its emissions (P, K) and
    transitions (P, K, K) along it."""
    parts = np.asarray(parts)
    if not len(parts):
        return 0.0
    total = float(initial[parts[0]] + emit[np.arange(len(parts)), parts].sum())
    return total + float(step[np.arange(1, len(parts)), parts[:-1], parts[1:]].sum())


def changed_share(a: np.ndarray, b: np.ndarray) -> float:
    """The share of phrases two plans give different parts (1 for two empty plans: nothing shared)."""
    return float((np.asarray(a) != np.asarray(b)).mean()) if len(a) else 1.0


MAIN_LABELS = 2  # a song's main sections: the two section labels that cover the most bars (its verse and chorus)
ARRANGEMENT_CHOICES = 4  # each main label is arranged from its likeliest full parts, this many


def main_labels(phrases: list[Phrase], left: set[int] | None = None) -> list[int]:
    """The MAIN_LABELS section labels (letters) that cover the most bars, ties to the earlier; labels in `left`
    (the musician's, named wherever they play) are not arranged."""
    bars: dict[int, int] = {}
    for phrase in phrases:
        if phrase.letter >= 0 and phrase.letter not in (left or set()):
            bars[phrase.letter] = bars.get(phrase.letter, 0) + phrase.n_bars
    return sorted(bars, key=lambda letter: -bars[letter])[:MAIN_LABELS]


def other_arrangements(first: np.ndarray, phrases: list[Phrase], posterior: np.ndarray, candidates: np.ndarray,
                       n: int, left: set[int] | None = None) -> tuple[dict[int, int], list[dict[int, int]]]:
    """(take 1's arrangement, `n` others): an arrangement gives each main label (`main_labels`) one full part that
    `candidates` (P, K) allows in all its phrases. Take 1's is the commonest part its plan `first` (P,) gives each
    label's phrases; the i-th other gives each label its i-th likeliest part besides take 1's (by the mean log
    probability over its phrases, as `section_plan` chooses; its last where it has fewer, among
    ARRANGEMENT_CHOICES): each take brings each main section a part no take before it played there, the way to find
    the drummer's part in the fewest takes (measured: best of 4 takes 0.505 against 0.496 for the likeliest
    combinations, on the validation songs; docs/experiments/2026-11-28-your-arrangement.md)."""
    log_p = np.log(np.maximum(posterior, 1e-12))
    others: dict[int, list[int]] = {}
    firsts: dict[int, int] = {}
    for letter in main_labels(phrases, left):
        rows = [j for j, phrase in enumerate(phrases) if phrase.letter == letter]
        score = np.where(candidates[rows].all(axis=0) & (posterior[rows] > 0).all(axis=0),
                         log_p[rows].mean(axis=0), -np.inf)
        best = [int(k) for k in np.argsort(-score, kind="stable")[: ARRANGEMENT_CHOICES + 1] if np.isfinite(score[k])]
        played = [int(first[j]) for j in rows if candidates[j, first[j]]]
        firsts[letter] = max(set(played), key=played.count) if played else (best[0] if best else int(first[rows[0]]))
        others[letter] = [k for k in best if k != firsts[letter]][:ARRANGEMENT_CHOICES]
    kept = {letter: parts for letter, parts in others.items() if parts}
    return firsts, [{letter: parts[min(i, len(parts) - 1)] for letter, parts in kept.items()}
                    for i in range(n if kept else 0)]


def named_labels(phrases: list[Phrase], musician: np.ndarray | None) -> set[int]:
    """The labels (letters) the musician named (`--parts`; `musician` (P,) his part of each phrase, -1 not named) in
    every phrase: they keep his parts and are not arranged."""
    if musician is None:
        return set()
    return {phrase.letter for phrase in phrases} - {phrase.letter for phrase, part in zip(phrases, musician.tolist())
                                                    if part < 0}


def played_arrangement(parts: np.ndarray, phrases: list[Phrase], candidates: np.ndarray,
                       left: set[int] | None = None) -> dict[int, int]:
    """The arrangement a plan `parts` (P,) plays: each main label's (`main_labels`) commonest part among its phrases
    whose part `candidates` (P, K) allows (its full parts), else among all its phrases; ties to the earlier phrase's.
    What a take names, read from the plan it plays (the network's hearing may have kept a phrase's part)."""
    out: dict[int, int] = {}
    for letter in main_labels(phrases, left):
        rows = [j for j, phrase in enumerate(phrases) if phrase.letter == letter]
        played = [int(parts[j]) for j in rows if candidates[j, parts[j]]] or [int(parts[j]) for j in rows]
        out[letter] = max(dict.fromkeys(played), key=played.count)
    return out


def arranged(parts: np.ndarray, phrases: list[Phrase], arrangement: dict[int, int], full: np.ndarray) -> np.ndarray:
    """`parts` (P,) with every phrase of an arranged label that plays a full part given the arrangement's part
    there: the plan's levels (sparse, drop-out phrases) kept."""
    out = np.asarray(parts).copy()
    for j, phrase in enumerate(phrases):
        if phrase.letter in arrangement and full[out[j]]:
            out[j] = arrangement[phrase.letter]
    return out


PLAN_MIN_CHANGED = 0.5  # a later take's plan differs from every earlier take's in this share of phrases at least
PLAN_DRAWS = 16  # plans drawn for the later takes, the first far enough from the earlier ones kept


def drawn_plans(model: PartModel, features: np.ndarray, chosen: list[np.ndarray], n_plans: int,
                rng: np.random.Generator, heard: Callable[[np.ndarray], np.ndarray]) -> list[np.ndarray]:
    """Plans past `chosen` up to `n_plans`: of PLAN_DRAWS plans drawn from the part model's chain (then `heard`),
    the likeliest unlike every earlier one in PLAN_MIN_CHANGED of its phrases (else the most unlike); fewer where
    the chain has no other."""
    out: list[np.ndarray] = []
    if len(chosen) >= n_plans:
        return out
    emit, step, initial = emissions(model, features), log_transitions(model, features), log_initial(model, features)
    while len(chosen) + len(out) < n_plans:
        drawn = [heard(d) for d in sample_plans(model, features, PLAN_DRAWS, rng)]
        distance = np.array([min(changed_share(d, c) for c in [*chosen, *out]) for d in drawn])
        if distance.max() == 0:
            break
        likely = np.array([plan_log_likelihood(initial, emit, step, d) for d in drawn])
        far = distance >= PLAN_MIN_CHANGED
        out.append(drawn[int(np.argmax(np.where(far, likely, -np.inf))) if far.any() else int(np.argmax(distance))])
    return out


def heard_ride(parts: np.ndarray, p: np.ndarray, phrases: list[Phrase], vocabulary: PartVocabulary,
               jazz_family: np.ndarray, ride_ratio: float) -> np.ndarray:
    """Take 1 of a swung song: each phrase of a full hat part of a family jazz/'s drummers ride in (`jazz_family`,
    (K,) bool) where the network hears the ride at `ride_ratio` of the closed hat or more ((n, S, 9) `p` summed over
    the phrase) plays that family's swung ride part of the same feel (the jazz ride; of another feel where it has
    none), as a swung drummer rides where the band asks it: bound to its plan, take 1 of a jazz song played the
    plan's hats where the network's ride had played (issue 99; jazz/ out of fold 0.47 -> 0.36 on fold 0)."""
    items = vocabulary.parts
    rides = {}
    for k, part in enumerate(items):
        if part.level == "full" and part.keeper == "ride" and part.subdivision == "swung":
            rides.setdefault((part.family, part.feel), k)
            rides.setdefault((part.family, None), k)
    out = parts.copy()
    for j, phrase in enumerate(phrases):
        part = items[int(parts[j])]
        if part.level != "full" or part.keeper not in ("closed_hat", "open_hat") or not jazz_family[parts[j]]:
            continue
        rows = p[max(phrase.start_row, 0): min(phrase.end_row, len(p))]
        if rows[..., RIDE].sum() < ride_ratio * rows[..., CLOSED_HAT].sum():
            continue
        ride = rides.get((part.family, part.feel), rides.get((part.family, None)))
        if ride is not None:
            out[j] = ride
    return out


# a feel is chosen by the snare its name says (backbeat or not): chosen by the kick and snare, out of fold the same
# jazz/ F1 (0.512) with a backbeat in 0.61 of jazz/'s bars against 0.52 (its drummers 0.40; 2026-11-30-the-feel-heard)
FEEL_CLASSES = (SNARE,)


def heard_feel(parts: np.ndarray, p: np.ndarray, phrases: list[Phrase], vocabulary: PartVocabulary,
               rates: np.ndarray) -> np.ndarray:
    """Take 1 of a swung song: each phrase of a full swung 4/4 part (a jazz ride, swung eighths) plays the feel of its
    time-keeper (backbeat, comping, feathered kick, none) whose snare the network hears best: the sibling whose step
    rates (`rates` (K, S, 9), parts.plan's) give the network's snare over the phrase's 16-step bars (the mean of
    (n, S, 9) `p`) the highest likelihood. Jazz drummers play a backbeat in 0-98% of their bars, song by song, and
    nothing in the band's description says which (docs/experiments/2026-11-30-what-the-styles-rest-on.md); bound to
    the part model's feel, a jazz head's take 1 played the backbeat its drummer did not, or left out his."""
    items = vocabulary.parts
    siblings: dict[tuple, list[int]] = {}
    for k, part in enumerate(items):
        if part.level == "full" and part.subdivision == "swung" and part.family == "4/4":
            siblings.setdefault((part.keeper, part.subdivision), []).append(k)
    steps = (p.max(axis=2) > 0).sum(axis=1)  # (n,) each bar's steps
    out = parts.copy()
    for j, phrase in enumerate(phrases):
        part = items[int(parts[j])]
        mine = siblings.get((part.keeper, part.subdivision), []) if part.level == "full" else []
        rows = np.arange(max(phrase.start_row, 0), min(phrase.end_row, len(p)))
        rows = rows[steps[rows] == 16]
        if len(mine) < 2 or int(parts[j]) not in mine or not len(rows):
            continue
        heard = p[rows, :16][..., list(FEEL_CLASSES)].mean(axis=0)  # (16, classes)
        r = rates[np.ix_(mine, range(16), FEEL_CLASSES)]  # (m, 16, classes)
        likelihood = (heard * np.log(r) + (1 - heard) * np.log(1 - r)).sum(axis=(1, 2))
        out[j] = mine[int(np.argmax(likelihood))]
    return out


def swung_siblings(vocabulary: PartVocabulary) -> np.ndarray:
    """(K,) bool the parts whose time is straight on a cymbal their family swings a part on: a song the drums swing
    plays them swung, read back as the swung part's (jazz/'s take 4 printed "eighths on the hat, four on the floor"
    and swung it in 60 phrases)."""
    swung_on = {(part.family, part.keeper) for part in vocabulary.parts if part.subdivision == "swung"}
    return np.array([(part.family, part.keeper) in swung_on and part.subdivision != "swung"
                     for part in vocabulary.parts], dtype=bool)


def played_swung(parts: np.ndarray, posterior: np.ndarray, vocabulary: PartVocabulary) -> np.ndarray:
    """(P,) `parts` with each part of `swung_siblings` given its cymbal's swung part of its feel, else that cymbal's
    likeliest swung part (`posterior` (P, K)), but a waltz (a swung backbeat is no waltz): a swung song's later take
    plays its straight hat part as the swung hat part it sounds as, on the cymbal it was drawn on (kept to the parts
    without them, the arrangements left took a swung pop song's hat to the ride, take 3 F1 0.77 -> 0.25)."""
    parts, each = parts.copy(), vocabulary.parts
    for j in np.flatnonzero(swung_siblings(vocabulary)[parts]).tolist():
        drawn = each[parts[j]]
        same = np.array([part.family == drawn.family and part.keeper == drawn.keeper and part.subdivision == "swung"
                         for part in each])
        feel = same & np.array([part.feel == drawn.feel for part in each])
        if feel.any() or drawn.feel != "waltz":
            parts[j] = int(np.argmax(np.where(feel if feel.any() else same, posterior[j], -1.0)))
    return parts
