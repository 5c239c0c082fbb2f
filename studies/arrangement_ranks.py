"""How well `--mode arrange` ranks the parts a section can play, and what the song's own drummer's arrangement
(`--mode arrange --drummer`, played with `--parts`) does to take 1 (issue 87), on the shipped model's validation songs
or a folder of songs with drums (../shared/data/jazz):

    python -m studies.arrangement_ranks --out runs/arrange-val.json                     # the validation songs
    python -m studies.arrangement_ranks --data ../shared/data/jazz --split all --no-play --out runs/arrange-jazz.json
    python -m studies.arrangement_ranks --checkpoint runs/cv/fold2/best.pt --fold 2 $POLICY --out runs/arrange-f2.json

For each song: its sections as the run counts them (from the band, the drums not heard), the part its drummer plays
in each (his commonest there, labelled as the plan labels parts) and its rank in each ranking variant: the part
model's posterior alone, the network's fit alone, both with the label's other phrases pooled (the shipped rank,
NETWORK_WEIGHT and LABEL_WEIGHT) and without; top 1, 3 and 5 by occurrence and by phrase, per meter family.
`--half 0|1` keeps half of the songs by a fixed hash of their names (choose on one, confirm on the other). Unless
--no-play, take 1 is made twice from the band input (seed 0), as shipped and with the drummer's --parts, and scored
against the real drums (F1, the checklist), and each named section's phrases are labelled back from take 1 (the
share that plays the part named).
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

DATA = Path("..") / "shared" / "data" / "midi"
# (posterior's power, network weight, label weight): "both" is the shipped rank (NETWORK_WEIGHT, LABEL_WEIGHT;
# "issue-87" the one before issue 100's folds)
VARIANTS = {"posterior": (1.0, 0.0, 0.0), "network": (0.0, 1.0, 0.0), "both": (1.0, 0.5, 1.0),
            "issue-87": (1.0, 1.0, 0.5), "both-no-label": (1.0, 1.0, 0.0), "both-label-1": (1.0, 1.0, 1.0),
            "posterior-label": (1.0, 0.0, 0.5), "both-network-0.25": (1.0, 0.25, 0.5),
            "both-network-0.5": (1.0, 0.5, 0.5), "both-network-0.75": (1.0, 0.75, 0.5),
            "network-0.25-label-1": (1.0, 0.25, 1.0), "network-0.75-label-1": (1.0, 0.75, 1.0)}


# the shipped order ("both") with its first 3 made distinct by a key of the part: a menu of three ways to play the
# section rather than three spellings of one (the first is never moved)
DIVERSE = {"both-diverse-feel": lambda part: (part.level, part.feel),
           "both-diverse-keeper": lambda part: (part.level, part.keeper),
           "both-diverse-subdivision": lambda part: (part.level, part.keeper, part.feel),
           "both-diverse-level": lambda part: part.level}


def diverse(order: list[int], parts, key, listed: int = 3) -> list[int]:
    """`order` with its first `listed` the likeliest parts of distinct `key`s (then the rest in order)."""
    menu, keys = [], set()
    for k in order:
        if len(menu) < listed and key(parts[k]) not in keys:
            menu.append(k)
            keys.add(key(parts[k]))
    return menu + [k for k in order if k not in menu]


def ranks(planner, arrangement, drummer, posterior, fit) -> dict[str, list[tuple[str, int, int]]]:
    """Per variant: (family, phrases, rank of the drummer's part, 0 = unlisted) of each section occurrence."""
    from seq2drum.parts.arrangement import NETWORK_WEIGHT, ranked, same_label_phrases

    out = {}
    sections = list(arrangement.sections)
    for name, (w_post, w_net, w_label) in VARIANTS.items():
        rows = []
        for section in sections:
            # ranked weighs the fit by NETWORK_WEIGHT: the variant's weight is the fit scaled to it
            order = [r.id for r in ranked(planner, section, posterior ** w_post if w_post else np.ones_like(posterior),
                                          fit * (w_net / NETWORK_WEIGHT), same_label_phrases(sections, section),
                                          w_label, held=arrangement.held)]
            mine = drummer[section.key].id if section.key in drummer else -1  # none of his: a miss, as before
            rows.append((section.family, len(section.phrases), order.index(mine) + 1 if mine in order else 0))
            for variant, key in DIVERSE.items() if name == "both" else ():
                menu = diverse(order, planner.vocabulary.parts, key)
                out.setdefault(variant, []).append(
                    (section.family, len(section.phrases), menu.index(mine) + 1 if mine in menu else 0))
        out[name] = rows
    return out


def half_of(name: str) -> int:
    """The half (0, 1) a song's file name falls in, fixed by its hash: variants are chosen on one, confirmed on the
    other."""
    return hashlib.sha256(name.encode()).digest()[0] % 2


def summary(rows: list[tuple[str, int, int]]) -> dict:
    """Top 1, 3 and 5 by occurrence and by phrase, per meter family and all."""
    out = {}
    for family in sorted({r[0] for r in rows}) + ["all"]:
        held = [r for r in rows if family in ("all", r[0])]
        occ = np.array([r[2] for r in held])
        weights = np.array([r[1] for r in held], dtype=float)
        out[family] = {"occurrences": len(held), "phrases": int(weights.sum()),
                       **{f"top{k}": round(float(((occ >= 1) & (occ <= k)).mean()), 3) for k in (1, 3, 5)},
                       **{f"top{k}_phrases": round(float((((occ >= 1) & (occ <= k)) * weights).sum() / weights.sum()),
                                                   3) for k in (1, 3, 5)}}
    return out


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--checkpoint", type=Path, default=None, help="default: the shipped model (and the "
                        "parts.npz beside the checkpoint: fit one without the songs measured, see the page)")
    parser.add_argument("--split", choices=("val", "all"), default="val")
    parser.add_argument("--fold", type=int, default=None, help="the songs of this fold of 5 instead of --split (a "
                        "tools.crossval fold's checkpoint, with its parts.npz beside it)")
    parser.add_argument("--policy", action="append", default=[], metavar="NAME=VALUE",
                        help="a decoding setting changed from the checkpoint's (as tools.crossval's --policy)")
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--half", type=int, choices=(0, 1), default=None, help="only the songs whose file name's "
                        "sha256 starts with an even (0) or odd (1) byte: choose a variant on one half, confirm on the "
                        "other")
    parser.add_argument("--no-play", action="store_true")
    parser.add_argument("--input-kind", choices=("band", "guitar"), default="band", help="what take 1 hears: the "
                        "band, or the guitar alone (its sections, ranks and the drummer's parts keyed from the guitar)")
    parser.add_argument("--gen", type=Path, default=None, help="write each played song's take 1 with the drummer's "
                        "--parts as GEN/KIND/take1/X.drums.mid (X as midisplit.py names it), for score_split --gen")
    parser.add_argument("--out", type=Path, required=True)
    return parser


def main(argv: list[str] | None = None) -> int:
    from seq2drum.config import DataConfig
    from seq2drum.evaluation.baselines import BarLibrary
    from seq2drum.evaluation.evaluate import EvaluationSettings, chosen_songs
    from seq2drum.generation.arrange import song_arrangement
    from seq2drum.generation.generator import DrumGenerator
    from seq2drum.groove import policy_change
    from seq2drum.options import GenerationOptions
    from seq2drum.band import describe_json
    from seq2drum.song.corpus import build_corpus, files_by_content

    args = build_parser().parse_args(argv)
    generator = DrumGenerator.from_checkpoint(args.checkpoint)
    if args.policy:
        generator.decoder.policy = generator.decoder.policy.replace(**dict(map(policy_change, args.policy)))
    corpus = build_corpus(args.data, DataConfig(), None, 2, progress=False, without_guitar=True,
                          describe=describe_json)
    settings = EvaluationSettings(split="fold", fold=args.fold) if args.fold is not None else EvaluationSettings(
        split=args.split)
    songs, train_songs, _ = chosen_songs(corpus.songs, settings, DataConfig(), args.data)
    library, files = BarLibrary.build(train_songs), files_by_content(args.data)
    if args.half is not None:
        songs = [song for song in songs if song.sha256 in files and half_of(files[song.sha256].name) == args.half]
    songs = songs[: args.limit] if args.limit else songs
    options = GenerationOptions(seed=0, guitar_only=args.input_kind == "guitar")
    per_variant: dict[str, list] = defaultdict(list)
    played: dict[str, list] = defaultdict(list)
    for index, song in enumerate(songs, start=1):
        path = files.get(song.sha256)
        if path is None:
            continue
        try:
            result = song_arrangement(generator, path.read_bytes(), options, drummer=True)
        except Exception as error:  # noqa: BLE001  a song the run cannot arrange is counted, not fatal
            print(f"[{index}/{len(songs)}] {path.name}: skipped ({type(error).__name__}: {str(error)[:80]})")
            played["skipped"].append(path.name)
            continue
        prepared = rank_song(generator, path, options, result, per_variant)
        line = f"[{index}/{len(songs)}] {path.name}: {len(result.arrangement.sections)} sections"
        if not args.no_play and result.arrangement.sections:
            line += play_twice(generator, song, path, options, library, result, prepared, played, args.input_kind,
                               args.gen)
        print(line, flush=True)
    out = report(len(songs), per_variant, played)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=1))
    print(json.dumps(out, indent=1))
    return 0


def rank_song(generator, path: Path, options, result, per_variant: dict) -> object:
    """Each ranking variant's rows for the song's sections (appended to `per_variant`); returns the prepared song."""
    from seq2drum.generation.prepare import prepare
    from seq2drum.groove import calibrated
    from seq2drum.parts.arrangement import network_fit
    from seq2drum.parts.features import phrase_features
    from seq2drum.parts.model import part_probabilities

    planner, arrangement = generator.planner, result.arrangement
    prepared = prepare(path.read_bytes(), options, generator.data_config, generator.spec)
    p, _ = calibrated(generator.scorer(prepared.bars)(0, prepared.bars.n_bars, None), generator.decoder.policy)
    phrases = list(arrangement.phrases)
    features = phrase_features(prepared.bars, phrases)
    posterior = part_probabilities(planner.model, features) if arrangement.heard_band else np.ones(
        (len(phrases), len(planner.vocabulary)))
    fit = network_fit(planner, p, prepared.bars.bar_steps, phrases)
    for name, rows in ranks(planner, arrangement, result.drummer, posterior, fit).items():
        per_variant[name] += rows
    return prepared


def report(n_songs: int, per_variant: dict, played: dict) -> dict:
    """The figures: each ranking variant's top 1/3/5, take 1 as shipped and with the drummer's parts."""
    out: dict = {"songs": n_songs, "ranking": {name: summary(rows) for name, rows in per_variant.items()}}
    if played.get("f1_shipped"):
        out["take1"] = {"songs": len(played["f1_shipped"]),
                        "f1_shipped": round(float(np.mean(played["f1_shipped"])), 4),
                        "f1_drummers_parts": round(float(np.mean(played["f1_drummers_parts"])), 4),
                        "faulty_shipped": round(float(np.mean(played["faulty_shipped"])), 3),
                        "faulty_drummers_parts": round(float(np.mean(played["faulty_drummers_parts"])), 3),
                        "named_sections_play_their_part": round(float(np.mean(played["plays_named"])), 3)}
        families = sorted(set(played["family"]))
        out["take1"]["faulty_per_family"] = {
            f: [int(sum(x for x, g in zip(played[k], played["family"]) if g == f))
                for k in ("faulty_shipped", "faulty_drummers_parts")] for f in families}
    out["skipped"] = played.get("skipped", [])
    out["missed_most"] = Counter(played.get("missed", [])).most_common(15)
    return out


def play_twice(generator, song, path, options, library, result, prepared, played: dict, kind: str = "band",
               gen: Path | None = None) -> str:
    """Take 1 from the `kind` input (band, guitar) as shipped and with the drummer's --parts, scored (F1, the
    checklist); each named phrase labelled back from the second, which is written under `gen` when given. Appends to
    `played`; returns what to print."""
    from seq2drum.evaluation.evaluate import evaluate_song, output_name, write_outputs
    from seq2drum.parts.labels import song_labels
    from seq2drum.song.drum_part import per_bar

    planner, arrangement = generator.planner, result.arrangement
    plain = dataclasses.replace(options, guitar_only=False)  # the input kind reads the guitar alone itself
    base, _, _ = evaluate_song(song, path, generator, plain, library, kind)
    mine, drums, outputs = evaluate_song(song, path, generator,
                                         dataclasses.replace(plain, parts=result.parts_value()), library, kind)
    if gen is not None:
        write_outputs(gen / kind, output_name(path), outputs[:1])
    bars = prepared.bars
    rows = prepared.encoded.grid.bars[bars.first_bar: bars.first_bar + bars.n_bars]
    width = bars.step_features.shape[1]
    take = dataclasses.replace(bars, hits=per_bar(drums.hits, rows, width).astype(bool),
                               offset=per_bar(drums.offset, rows, width))
    _, labels = song_labels(take, list(arrangement.phrases))
    back = [planner.vocabulary.assign(label) for label in labels]
    wanted = [(j, result.drummer[s.key]) for s in arrangement.sections if s.key in result.drummer for j in s.phrases]
    named = [back[j] == part.id for j, part in wanted]
    names = planner.vocabulary.parts
    played["missed"] += [f"{part.name} -> {names[back[j]].name}" for j, part in wanted if back[j] != part.id]
    played["f1_shipped"].append(base.take_f1[0])
    played["f1_drummers_parts"].append(mine.take_f1[0])
    played["faulty_shipped"].append(bool(base.faults.get("model")))
    played["faulty_drummers_parts"].append(bool(mine.faults.get("model")))
    played["plays_named"].append(float(np.mean(named)) if named else 1.0)
    played["family"].append(arrangement.sections[0].family)
    faults = f", faults {base.faults.get('model')} -> {mine.faults.get('model')}" if mine.faults.get("model") else ""
    return f"; F1 {base.take_f1[0]:.3f} -> {mine.take_f1[0]:.3f}, named parts played {np.mean(named):.2f}" + faults


if __name__ == "__main__":
    raise SystemExit(main())
