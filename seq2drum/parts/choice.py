"""How a plan of parts is chosen over the song's phrases (parts.plan `Planner.plans`): the section plan a drummer
makes from each phrase's part probabilities (`section_plan`), a plan's weight under the part model's chain
(`plan_log_likelihood`) and how far two plans are apart (`changed_share`)."""

from __future__ import annotations

import numpy as np

from seq2drum.parts.features import FEATURE_NAMES
from seq2drum.parts.labels import Phrase

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
