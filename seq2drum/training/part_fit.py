"""Training the parts (issue 86: `--mode train` writes them beside its checkpoint): the drummers' phrases of a run's
training songs labelled (`song_phrases`), the vocabulary of parts they make and the part model (`fit_parts`): what
each phrase's band says of its part (a softmax over the parts of the phrase's family) and whether the drummer changes
part at it (a logistic), each fitted by full-batch L-BFGS with an L2 penalty in torch (CPU, seconds); the parts'
shares are counted. The result is plain numpy arrays (`PartModel`), saved by parts.model `save_parts`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from seq2drum.parts.features import FEATURE_NAMES, phrase_features
from seq2drum.parts.labels import FAMILIES, Phrase, PhraseLabel, song_labels
from seq2drum.parts.model import PartModel, family_mask, standardised
from seq2drum.parts.vocabulary import MIN_PHRASES, LabelledPhrase, PartVocabulary, build_vocabulary
from seq2drum.song.bars import BarSong

L2 = 0.3  # the penalty on the band's weights for the part, per phrase (the features are standardised)
L2_CHANGE = 0.01  # ... and for a change of part
MAX_ITERATIONS = 200
MIN_SCALE = 0.1  # a feature that hardly varies in training (a rare instrument) is not blown up by its spread


def previous_parts(parts: np.ndarray, song_index: np.ndarray, n_parts: int) -> np.ndarray:
    """(N,) the part before each phrase in its song, `n_parts` (none) for a song's first phrase; phrases of a song
    are consecutive in `parts` and `song_index`."""
    previous = np.full(len(parts), n_parts, dtype=np.int64)
    same = np.asarray(song_index[1:]) == np.asarray(song_index[:-1])
    previous[1:][same] = np.asarray(parts[:-1])[same]
    return previous


def _minimise(params: list[torch.Tensor], loss_of: object, max_iterations: int) -> None:
    optimizer = torch.optim.LBFGS(params, max_iter=max_iterations, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        loss = loss_of()  # type: ignore[operator]
        loss.backward()
        return loss

    optimizer.step(closure)


def fit_part_model(features: np.ndarray, parts: np.ndarray, previous: np.ndarray, part_families: np.ndarray,
                   l2: float = L2, l2_change: float = L2_CHANGE, max_iterations: int = MAX_ITERATIONS) -> PartModel:
    """The part model fitted to (N, F) phrase features, their parts (N,) and the parts before them (N,; K for
    none: a song's first phrase, not counted as a change), each part's family (K,) an index into
    parts.labels.FAMILIES."""
    part_families = np.asarray(part_families)
    n_parts = len(part_families)
    known = ~np.isnan(features).all(axis=0)  # a column no song was described for stays at 0 +- 1
    mean = np.where(known, np.nanmean(np.where(known, features, 0.0), axis=0), 0.0)
    scale = np.maximum(np.where(known, np.nanstd(np.where(known, features, 0.0), axis=0), 1.0), MIN_SCALE)
    x = torch.tensor(standardised(mean, scale, features), dtype=torch.float64)
    y = torch.tensor(parts, dtype=torch.int64)
    allowed = family_mask(part_families, features)
    allowed[np.arange(len(parts)), parts] = True  # a phrase across a meter change may be labelled by its other meter
    mask = torch.tensor(allowed)
    weights = torch.zeros((features.shape[1], n_parts), dtype=torch.float64, requires_grad=True)
    bias = torch.zeros(n_parts, dtype=torch.float64, requires_grad=True)

    def part_loss() -> torch.Tensor:
        logits = (x @ weights + bias).masked_fill(~mask, -1e9)
        return torch.nn.functional.cross_entropy(logits, y) + l2 * (weights ** 2).sum()

    _minimise([weights, bias], part_loss, max_iterations)
    later = torch.tensor(previous < n_parts)
    changed = torch.tensor((previous != parts).astype(np.float64))
    change_weights = torch.zeros(features.shape[1], dtype=torch.float64, requires_grad=True)
    change_bias = torch.zeros(1, dtype=torch.float64, requires_grad=True)

    def change_loss() -> torch.Tensor:
        logits = x[later] @ change_weights + change_bias
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, changed[later])
        return loss + l2_change * (change_weights ** 2).sum()

    if bool(later.any()):
        _minimise([change_weights, change_bias], change_loss, max_iterations)
    counts = np.bincount(parts, minlength=n_parts).astype(np.float64) + 1.0  # every part can be played
    family_totals = np.array([counts[part_families == family].sum() for family in part_families])
    return PartModel(FEATURE_NAMES, mean, scale, weights.detach().numpy(), bias.detach().numpy(),
                     np.log(counts / family_totals), change_weights.detach().numpy(), change_bias.detach().numpy(),
                     part_families)


@dataclass
class SongPhrases:
    """One song's phrases, their labels, the drums of each (as the vocabulary reads them) and their band features."""

    name: str
    source: str  # the folder it came from (the parts' `sources`: jazz/'s phrases make the jazz ride's family)
    phrases: list[Phrase]
    labels: list[PhraseLabel]
    labelled: list[LabelledPhrase]
    features: np.ndarray  # (P, F)
    fold: int = -1  # its cross-validation fold, where read by folder (training.parts `folder_phrases`)


def song_phrases(songs: Sequence[BarSong], source: str) -> list[SongPhrases]:
    """The drummers' phrases of songs with drums (BarSongs of the model's columns), labelled; songs without a phrase
    left out."""
    out = []
    for song in songs:
        if song.hits is None:
            continue
        phrases, labels = song_labels(song)
        if not phrases:
            continue
        labelled = [LabelledPhrase(label, song.hits[p.start_row: p.end_row], song.bar_steps[p.start_row: p.end_row],
                                   song.name, source) for p, label in zip(phrases, labels)]
        out.append(SongPhrases(song.name, source, phrases, labels, labelled, phrase_features(song, phrases)))
    return out


def fit_parts(songs: Sequence[SongPhrases]) -> tuple[PartVocabulary, PartModel]:
    """The vocabulary of the songs' phrases and the part model fitted on them."""
    vocabulary, parts = build_vocabulary([p for song in songs for p in song.labelled])
    song_index = np.repeat(np.arange(len(songs)), [len(song.phrases) for song in songs])
    families = np.array([FAMILIES.index(part.family) for part in vocabulary.parts])
    features = np.concatenate([song.features for song in songs])
    return vocabulary, fit_part_model(features, parts, previous_parts(parts, song_index, len(vocabulary)), families)


def too_few_phrases(songs: Sequence[SongPhrases]) -> str:
    """Why the songs make no parts ("" where they do): no drummer's part is played in MIN_PHRASES phrases."""
    from collections import Counter

    counts = Counter(p.label.signature() for song in songs for p in song.labelled)
    total = sum(counts.values())
    if counts and max(counts.values()) >= MIN_PHRASES:
        return ""
    return (f"{len(songs)} song(s) with drums hold {total} four-bar phrase(s), and no part of a drummer is played in "
            f"{MIN_PHRASES} of them: too few to learn the drummers' parts from")
