"""The part model: which part the drummer plays in each phrase of a song, from the band (parts.features); numpy only,
for the decision to call (training.part_fit trains it; docs/experiments/2026-11-27-parts.md shows the calls).

A hidden Markov chain over the parts of each phrase's meter family. What a phrase's band says of its part is a
softmax over its family's parts (`band_log_probabilities`: the standardised features, clipped at CLIP, through
`weights`), read as a likelihood (over the parts' training shares, `log_prior`). Between phrases the drummer keeps his
part, or changes it with a probability read from the band (`change_probabilities`: a logistic of the same features:
a section's start, the band changing, thinning ...) to another part of the family in proportion to its share. The
marginals use every phrase of the song (`part_probabilities`, forward-backward: a part held through a section is the
one its phrases agree on; parts.plan's section plan reads them), other plans are drawn (`sample_plans`); the study's
Viterbi path and next part given the one before are studies.part_study's. `save_parts` and `load_parts` keep the
vocabulary and the model in one .npz (no pickle).
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from seq2drum.atomic import write_atomic
from seq2drum.errors import CheckpointError
from seq2drum.parts.features import FEATURE_NAMES
from seq2drum.parts.labels import FAMILIES
from seq2drum.parts.vocabulary import PartVocabulary, vocabulary_arrays, vocabulary_from_arrays

FORMAT_VERSION = 1
MAX_PARTS_BYTES = 64 * 1024 * 1024  # what a parts file may inflate to: the shipped one holds about 1 MB
PARTS_FALLBACK = ("without one beside the checkpoint, a model whose training made parts plans bar by bar, an older "
                  "one with the shipped models/parts.npz")
PARTS_REMAKE = ("python main.py --mode train writes a run's beside its checkpoint; the shipped one: "
                "python -m studies.part_study --write models/parts.npz")
CLIP = 4.0  # standardised features are clipped here: a song unlike any in training is not read as 100 spreads off
FAMILY_COLUMNS = [FEATURE_NAMES.index(f"family_{family}") for family in FAMILIES]


@dataclass
class PartModel:
    """Weights of the part model (see the module docstring); K parts, F features."""

    feature_names: tuple[str, ...]
    mean: np.ndarray  # (F,)
    scale: np.ndarray  # (F,)
    weights: np.ndarray  # (F, K) the band's features -> each part's logit
    bias: np.ndarray  # (K,)
    log_prior: np.ndarray  # (K,) log of each part's share of its family's training phrases
    change_weights: np.ndarray  # (F,) the band's features -> the logit of the drummer changing part
    change_bias: np.ndarray  # () or (1,)
    part_families: np.ndarray  # (K,) int: each part's family (an index into FAMILIES)

    @property
    def n_parts(self) -> int:
        return len(self.bias)

    def __repr__(self) -> str:
        return f"PartModel({self.n_parts} parts, {len(self.feature_names)} features)"


def family_mask(part_families: np.ndarray, features: np.ndarray) -> np.ndarray:
    """(P, K) bool: the parts (of families `part_families` (K,)) of each phrase's meter family (all parts where its
    family has none)."""
    family = np.argmax(features[:, FAMILY_COLUMNS], axis=1)
    mask = np.asarray(part_families)[None, :] == family[:, None]
    mask[~mask.any(axis=1)] = True
    return mask


def standardised(mean: np.ndarray, scale: np.ndarray, features: np.ndarray) -> np.ndarray:
    """(P, F) features less their training mean, over their spread, clipped at +-CLIP; an unknown one (NaN: a song
    whose band was not described) at its mean."""
    return np.nan_to_num(np.clip((features - mean) / scale, -CLIP, CLIP), nan=0.0)


def _checked(model: PartModel, features: np.ndarray) -> np.ndarray:
    if features.ndim != 2 or features.shape[1] != len(model.feature_names):
        raise CheckpointError(f"the part model reads {len(model.feature_names)} features, this seq2drum makes "
                              f"{features.shape[-1]}; retrain it ({PARTS_REMAKE})")
    return standardised(model.mean, model.scale, features)


def band_log_probabilities(model: PartModel, features: np.ndarray) -> np.ndarray:
    """(P, K) log P(part | the phrase's band alone), -inf outside the phrase's family."""
    logits = _checked(model, features) @ model.weights + model.bias
    logits = np.where(family_mask(model.part_families, features), logits, -np.inf)
    top = np.max(logits, axis=-1, keepdims=True)  # a log softmax over the family's parts
    return logits - top - np.log(np.sum(np.exp(logits - top), axis=-1, keepdims=True))


def change_probabilities(model: PartModel, features: np.ndarray) -> np.ndarray:
    """(P,) the probability that the drummer changes part at each phrase (the first: 1, nothing to keep)."""
    logits = _checked(model, features) @ model.change_weights + float(np.ravel(model.change_bias)[0])
    change = 1 / (1 + np.exp(-logits))
    change[:1] = 1.0
    return change


def log_transitions(model: PartModel, features: np.ndarray) -> np.ndarray:
    """(P, K, K) log P(part | part before) at each phrase: kept with 1 - change, else another part of the phrase's
    family by its share; a part before of another family (a meter change) always changes."""
    mask, change, prior, _, anew = _chain(model, features)  # (P, K) each but change (P,)
    move = prior[:, None, :] * (1 - np.eye(model.n_parts))[None]  # (P, K before, K)
    move /= np.maximum(move.sum(axis=2, keepdims=True), 1e-12)
    step = np.where(mask[:, :, None], change[:, None, None] * move, anew[:, None, :])  # another family's: by share
    phrase, part = np.nonzero(mask)  # a part before of the phrase's family can be kept: 1 - change
    step[phrase, part, part] += (1 - change)[phrase]
    with np.errstate(divide="ignore"):
        return np.log(step)


def emissions(model: PartModel, features: np.ndarray) -> np.ndarray:
    """(P, K) log of what each phrase's band says of each part, as a likelihood (the band's probability over the
    part's share)."""
    return band_log_probabilities(model, features) - model.log_prior


def log_initial(model: PartModel, features: np.ndarray) -> np.ndarray:
    """(K,) the log prior of the first phrase's part: its share, -inf outside the phrase's family."""
    with np.errstate(divide="ignore"):
        return np.where(family_mask(model.part_families, features)[0], model.log_prior, -np.inf)


def part_probabilities(model: PartModel, features: np.ndarray) -> np.ndarray:
    """(P, K) each phrase's part given the band of the whole song (forward-backward), 0 outside its family. The
    chain's steps are taken in O(K) each from the transitions' parts (`_chain`) instead of (K, K) matrices (the
    same probabilities to a few parts in 10^16: issue 86, the plan's time)."""
    n_phrases = len(features)
    if not n_phrases:
        return np.zeros((0, model.n_parts))
    emit = emissions(model, features)
    emit = np.exp(emit - emit.max(axis=1, keepdims=True))
    mask, change, prior, apart, anew = _chain(model, features)
    forward = np.zeros((n_phrases, model.n_parts))
    forward[0] = prior[0] * emit[0] / max((prior[0] * emit[0]).sum(), 1e-300)
    for t in range(1, n_phrases):
        f, m = forward[t - 1], mask[t]
        moved = change[t] * prior[t] * ((f * m / apart[t]).sum() - np.where(m, f / apart[t], 0.0))
        forward[t] = (moved + (1 - change[t]) * f * m + f[~m].sum() * anew[t]) * emit[t]
        forward[t] /= max(forward[t].sum(), 1e-300)
    backward = np.ones((n_phrases, model.n_parts))
    for t in range(n_phrases - 2, -1, -1):
        g, m = emit[t + 1] * backward[t + 1], mask[t + 1]
        kept = change[t + 1] * ((prior[t + 1] * g).sum() - prior[t + 1] * g) / apart[t + 1] + (1 - change[t + 1]) * g
        backward[t] = np.where(m, kept, (anew[t + 1] * g).sum())
        backward[t] /= max(backward[t].sum(), 1e-300)
    posterior = forward * backward
    return posterior / np.maximum(posterior.sum(axis=1, keepdims=True), 1e-300)


def _chain(model: PartModel, features: np.ndarray) -> tuple[np.ndarray, ...]:
    """The transitions of `log_transitions` in parts, (P, K) each but `change` (P,): the family mask, the change
    probability, each part's share within the phrase's family (`prior`), what a part before leaves to the others
    (`apart`: the family's share less its own) and a part before of another family's move (`anew`: the share)."""
    mask = family_mask(model.part_families, features)
    prior = np.where(mask, np.exp(model.log_prior), 0.0)
    total = prior.sum(axis=1, keepdims=True)
    return mask, change_probabilities(model, features), prior, np.maximum(total - prior, 1e-12), prior / total


def sample_plans(model: PartModel, features: np.ndarray, n_plans: int, generator: np.random.Generator) -> np.ndarray:
    """(n_plans, P) plans drawn from the chain given the whole song's band (forward filtering, backward sampling):
    each as likely as the model finds it, changing part about as often as it expects the drummer to (the Viterbi plan
    changes far less often); other takes can play other plans."""
    n_phrases = len(features)
    plans = np.zeros((n_plans, n_phrases), dtype=np.int64)
    if not n_phrases:
        return plans
    emit = emissions(model, features)
    emit = np.exp(emit - emit.max(axis=1, keepdims=True))  # scaled to a maximum of 1
    step = np.exp(log_transitions(model, features))  # (P, K, K)
    forward = np.zeros((n_phrases, model.n_parts))  # each phrase's part given the band up to it
    initial = np.where(family_mask(model.part_families, features)[0], np.exp(model.log_prior), 0.0)
    forward[0] = initial * emit[0] / max((initial * emit[0]).sum(), 1e-300)
    for t in range(1, n_phrases):
        forward[t] = (forward[t - 1] @ step[t]) * emit[t]
        forward[t] /= max(forward[t].sum(), 1e-300)
    for plan in plans:
        plan[-1] = generator.choice(model.n_parts, p=forward[-1] / forward[-1].sum())
        for t in range(n_phrases - 2, -1, -1):
            weights = forward[t] * step[t + 1][:, plan[t + 1]]
            plan[t] = generator.choice(model.n_parts, p=weights / weights.sum())
    return plans


MODEL_ARRAYS = ("mean", "scale", "weights", "bias", "log_prior", "change_weights", "change_bias", "part_families")


def save_parts(path: Path, vocabulary: PartVocabulary, model: PartModel) -> None:
    """The vocabulary and the model in one .npz, written atomically."""
    if len(vocabulary) != model.n_parts:
        raise ValueError(f"a model of {model.n_parts} parts for a vocabulary of {len(vocabulary)}")
    arrays = {f"vocabulary_{name}": value for name, value in vocabulary_arrays(vocabulary).items()}
    arrays.update({f"model_{name}": getattr(model, name) for name in MODEL_ARRAYS})
    arrays["model_meta"] = np.array(json.dumps({"format_version": FORMAT_VERSION,
                                                "feature_names": list(model.feature_names)}))
    write_atomic(Path(path), lambda stream: np.savez_compressed(stream, **arrays))


def load_parts(path: Path) -> tuple[PartVocabulary, PartModel]:
    """The vocabulary and the model `save_parts` wrote; one CheckpointError naming the file and what to do for
    anything else: not a zip archive of arrays (cut short, random bytes), one that inflates past MAX_PARTS_BYTES (a
    3 MB zip of 3 GB was loaded), another format, or arrays whose shapes do not fit together (cut to one element)."""
    fix = f"write it again ({PARTS_REMAKE}), or remove it ({PARTS_FALLBACK})"
    try:
        with zipfile.ZipFile(path) as archive:
            inflated_bytes = sum(member.file_size for member in archive.infolist())
        if inflated_bytes > MAX_PARTS_BYTES:
            raise CheckpointError(f"{path} inflates to {inflated_bytes / 1e6:,.0f} MB, and a parts file holds a few "
                                  f"(at most {MAX_PARTS_BYTES / 1e6:.0f} MB): it is not one; {fix}")
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
        meta = json.loads(str(arrays["model_meta"]))
    except CheckpointError:
        raise
    except (zipfile.BadZipFile, EOFError, NotImplementedError) as exc:  # cut short, or not a zip at all
        raise CheckpointError(f"{path} is not a parts file (not a whole zip archive of arrays: "
                              f"{str(exc)[:120] or type(exc).__name__}); {fix}") from exc
    except (OSError, ValueError, KeyError, TypeError) as exc:
        reason = "an array holds Python objects" if "allow_pickle" in str(exc) else f"{type(exc).__name__}: {exc}"
        raise CheckpointError(f"{path} is not a parts file ({reason[:160]}); {fix}") from exc
    if not isinstance(meta, dict) or meta.get("format_version") != FORMAT_VERSION:
        version = meta.get("format_version") if isinstance(meta, dict) else None
        raise CheckpointError(f"{path} is parts format {version}, this seq2drum reads {FORMAT_VERSION}; {fix}")
    problem = _shape_problem(arrays, meta) or _value_problem(arrays)
    if problem:
        raise CheckpointError(f"{path} is damaged: {problem}; {fix}")
    prefix = len("vocabulary_")
    try:
        vocabulary = vocabulary_from_arrays({k[prefix:]: v for k, v in arrays.items() if k.startswith("vocabulary_")})
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise CheckpointError(f"{path} is damaged: its vocabulary does not read ({type(exc).__name__}: "
                              f"{str(exc)[:120]}); {fix}") from exc
    return vocabulary, PartModel(tuple(meta["feature_names"]), *(arrays[f"model_{name}"] for name in MODEL_ARRAYS))


def _value_problem(arrays: dict[str, np.ndarray]) -> str:
    """Why a parts file's numbers cannot be played from ("" when they can): a NaN or infinity in any float array (a
    file of NaN floats made --mode infer exit 1, "cannot convert float NaN to integer", and --mode arrange --json
    print bare NaN, issue 98 Q7)."""
    for name, values in arrays.items():
        if values.dtype.kind in "fc" and not np.isfinite(values).all():
            return f"its {name} holds {int(np.count_nonzero(~np.isfinite(values))):,} NaN or infinite values"
    return ""


def _shape_problem(arrays: dict[str, np.ndarray], meta: dict) -> str:
    """Why a parts file's arrays do not fit together ("" when they do): each model array of its shape for F
    features and K parts, each vocabulary array with a row for each of the K parts (or each fill and groove)."""
    names = meta.get("feature_names")
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        return "its model names no features"
    vocabulary_meta = arrays.get("vocabulary_meta")
    try:
        n_parts = len(json.loads(str(vocabulary_meta))["parts"]) if vocabulary_meta is not None else -1
    except (ValueError, KeyError, TypeError):
        n_parts = -1
    if n_parts < 1:
        return "its vocabulary lists no parts"
    f, k = len(names), n_parts
    wanted = {"model_mean": (f,), "model_scale": (f,), "model_weights": (f, k), "model_bias": (k,),
              "model_log_prior": (k,), "model_change_weights": (f,), "model_change_bias": (1,),
              "model_part_families": (k,)}
    for name in ("hits_per_bar", "class_share", "profile", "centroids"):
        wanted[f"vocabulary_{name}"] = (k, *arrays.get(f"vocabulary_{name}", np.zeros((0,))).shape[1:])
    for kind in ("fill", "groove"):
        rows = len(arrays.get(f"vocabulary_{kind}_part", ()))
        wanted[f"vocabulary_{kind}_steps"] = (rows,)
        wanted[f"vocabulary_{kind}s"] = (rows, *arrays.get(f"vocabulary_{kind}s", np.zeros((0,))).shape[1:])
    for name, shape in wanted.items():
        if name not in arrays:
            return f"it has no {name}"
        if arrays[name].shape != shape and not (name == "model_change_bias" and arrays[name].size == 1):
            return f"its {name} is {arrays[name].shape}, not {shape} ({f} features, {k} parts)"
    for kind in ("fill", "groove"):
        part = arrays[f"vocabulary_{kind}_part"]
        if len(part) and (part.min() < 0 or part.max() >= k):
            return f"its {kind}s name parts outside its {k}"
    return ""
