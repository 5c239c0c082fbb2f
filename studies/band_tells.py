"""What the band tells of the drummer's kit, out of fold: is a class the decision under-plays one the fold network
expects, and does that expectation (or the band's instruments) tell the songs whose drummer plays it?

    python -m studies.band_tells --cv runs/cv51 [--data ../shared/data/midi] [--json OUT]
    python -m studies.band_tells --cv runs/cv51 --extra --data ../shared/data/jazz     # the --extra-data songs
    python -m studies.band_tells --refs runs/cv10/scoring-bars/split/refs              # the drummers' habits alone

For each fold of a cross-validation run (`tools.crossval`, band input), its network and its held-out songs (the
fold's scores-band-*.pkl; with --extra, scores-extra-band-*.pkl, the songs of crossval's --extra-data): the hits
per class of take 1 (as `--mode evaluate` counted them), of the song's drummer, and of the fold network's calibrated
probabilities summed over the song (what it expects). Printed, pooled:
- per class, take 1 / expected and expected / drummer (under 1 and about 1: the decision leaves out what the network
  expects; both under 1: the network does not expect it);
- the songs too busy (take 1 over twice the drummer's hits, checklist.py's too_busy on the whole song): what the
  network expects there against the drummer, and how many would stay too busy with take 1 capped at the network's
  expected count;
- per colour class (open hat, toms, crash, ride), the songs whose drummer plays it half a hit a bar or more: how well
  the network's expected rate ranks them (AUC; 0.5 is chance), and take 1's own rate;
- the ride: the songs whose drummer keeps 30% of the time-keeping on the ride, ranked by the network's ride share,
  and by the band's instruments (GM program families, a logistic fit in 5 folds); among the songs that swing by
  their own reading, the same ranking by the network's ride over closed hat.
The JSON holds each song's rows (hits per class, bars, programs, whether it swings) beside the figures. `--refs`
(../shared/scoring's refs of a split) reads the drummers' parts in 4/4 alone: the share of their crash hits in bars
of 4 crashes or more (the crash ridden) and on a downbeat, and of their tom hits in runs of 3 or more bars with toms
(a tom groove, not a fill); each hit on its 16th before its bar, as kit.py.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
from pathlib import Path

import numpy as np

from seq2drum.midi.drums import CLOSED_HAT as HAT
from seq2drum.midi.drums import CRASH, DRUM_CLASSES, PITCH_TO_CLASS, RIDE, TOMS
from seq2drum.midi.drums import OPEN_HAT as OPEN
from studies.part_study import auc

COLOURS = {"open hat": [OPEN], "toms": list(TOMS), "crash": [CRASH], "ride": [RIDE]}
RIDER_SHARE = 0.3  # a song whose drummer plays this share of his time-keeping hits on the ride rides
HEAVY_RATE = 0.5  # a colour class played this many hits a bar or more: the drummer's sound in that song


def song_rows(cv: Path, data: Path, extra: bool = False) -> list[dict]:
    """Per held-out song of every fold: hits per class (take 1, drummer, expected), bars, GM programs, whether it
    swings by its own reading; `extra`: the songs of crossval's --extra-data."""
    from seq2drum.evaluation.inputs import build_input
    from seq2drum.generation.generator import DrumGenerator
    from seq2drum.generation.prepare import prepare
    from seq2drum.generation.render import song_swing
    from seq2drum.groove import calibrated
    from seq2drum.midi.io import DRUM_CHANNEL, read_midi
    from seq2drum.options import GenerationOptions

    files = {path.stem: path for path in data.rglob("*.mid")}
    rows = []
    for fold in sorted(cv.glob("fold*")):
        pickles = sorted(fold.glob("scores-extra-band-*.pkl" if extra else "scores-band-*.pkl"))
        if not pickles or not (fold / "best.pt").is_file():
            continue
        generator = DrumGenerator.from_checkpoint(fold / "best.pt")
        with open(pickles[0], "rb") as handle:
            scored = pickle.load(handle)
        for done, song in enumerate(scored, 1):
            path = files.get(song.name)
            if path is None:
                continue
            raw = path.read_bytes()
            made = build_input("band", raw, GenerationOptions(seed=0))
            prepared = prepare(made.midi_bytes, made.options, generator.data_config, generator.spec)
            scorer = generator.scorer(prepared.bars, prepared.given)
            p, _ = calibrated(scorer(0, scorer.n_bars, None), generator.decoder.policy)
            counts = song.counts["model"]["all"]
            programs = sorted({int(part.program) for part in read_midi(raw).parts
                               if part.channel != DRUM_CHANNEL and len(part.notes)})
            rows.append({"name": song.name, "fold": fold.name, "bars": int(scorer.n_bars),
                         "ours": counts.predicted.tolist(), "drummer": counts.real.tolist(),
                         "expected": p.sum(axis=(0, 1)).tolist(), "programs": programs,
                         "swung": song_swing(prepared, made.options)[0] is not None})
            print(f"\r{fold.name}: {done}/{len(scored)} songs", end="", file=sys.stderr, flush=True)
        print(file=sys.stderr)
    return rows


CRASH_RIDDEN_HITS = 4  # crash hits in a bar that make it ridden, not struck
TOM_RUN_BARS = 3  # consecutive bars with toms that make a tom groove (or a long passage), not a fill


def drummer_habits(refs: Path) -> dict:
    """Over the drum parts in 4/4 of a folder (../shared/scoring refs): where the crash and tom hits fall."""
    from seq2drum.midi.io import DRUM_CHANNEL, read_midi

    crash = {"hits": 0, "ridden": 0, "downbeat": 0}
    toms = {"hits": 0, "in_runs": 0, "bars": 0, "bars_with": 0}
    songs = 0
    for path in sorted(refs.glob("*.mid")):
        song = read_midi(path.read_bytes())
        parts = [part.notes for part in song.parts if part.channel == DRUM_CHANNEL and len(part.notes)]
        if not parts or not song.time_signatures or any(m[1:] != (4, 4) for m in song.time_signatures):
            continue
        songs += 1
        notes, bar_ticks = np.concatenate(parts), 4 * song.ticks_per_quarter
        placed = notes[:, 0] + song.ticks_per_quarter // 8  # a hit on its 16th before its bar (kit.py)
        n_bars = int(placed.max() // bar_ticks) + 1
        drum_class = PITCH_TO_CLASS[notes[:, 2]]
        hit = drum_class == CRASH
        bars = placed[hit] // bar_ticks
        per_bar = np.bincount(bars, minlength=n_bars)
        crash["hits"] += int(hit.sum())
        crash["ridden"] += int(per_bar[per_bar >= CRASH_RIDDEN_HITS].sum())
        crash["downbeat"] += int((placed[hit] % bar_ticks < song.ticks_per_quarter // 4).sum())
        tom_bars = np.bincount(placed[np.isin(drum_class, TOMS)] // bar_ticks, minlength=n_bars)
        run = np.zeros(n_bars, dtype=bool)
        start = None
        for row, has in enumerate([*(tom_bars > 0).tolist(), False]):
            if has and start is None:
                start = row
            elif not has and start is not None:
                run[start:row] = row - start >= TOM_RUN_BARS
                start = None
        toms["hits"] += int(tom_bars.sum())
        toms["in_runs"] += int(tom_bars[run].sum())
        toms["bars"] += n_bars
        toms["bars_with"] += int((tom_bars > 0).sum())
    return {"songs": songs, "crash": crash, "toms": toms}


def instrument_auc(programs: list[list[int]], positive: np.ndarray, folds: int = 5) -> float:
    """AUC of a logistic fit (16 GM program families present, out of `folds` folds) for the positive songs."""
    x = np.zeros((len(programs), 17))
    for row, present in enumerate(programs):
        x[row, [program // 8 for program in present]] = 1.0
    x[:, 16] = 1.0
    y = positive.astype(float)
    fold = np.random.default_rng(0).integers(0, folds, len(y))
    score = np.zeros(len(y))
    for k in range(folds):
        train = fold != k
        w = np.zeros(x.shape[1])
        for _ in range(500):  # gradient descent on the log loss, an L2 of 1
            prob = 1 / (1 + np.exp(-x[train] @ w))
            w -= (x[train].T @ (prob - y[train]) + w) / train.sum()
        score[~train] = x[~train] @ w
    return auc(score, positive)


def figures(rows: list[dict]) -> dict:
    ours, drummer, expected = (np.array([row[key] for row in rows], dtype=float)
                               for key in ("ours", "drummer", "expected"))
    bars = np.array([row["bars"] for row in rows], dtype=float)
    out: dict = {"songs": len(rows), "classes": {}}
    for index, name in enumerate(DRUM_CLASSES):
        out["classes"][name] = {"ours_vs_expected": ours[:, index].sum() / max(expected[:, index].sum(), 1e-9),
                                "expected_vs_drummer": expected[:, index].sum() / max(drummer[:, index].sum(), 1)}
    total_ours, total_drummer, total_expected = ours.sum(1), drummer.sum(1), expected.sum(1)
    busy = total_ours > 2 * np.maximum(total_drummer, 1)
    out["busy"] = {"songs": int(busy.sum()),
                   "expected_vs_drummer_median": float(np.median(total_expected[busy] / total_drummer[busy])),
                   "expected_vs_drummer_median_others": float(np.median(
                       total_expected[~busy] / np.maximum(total_drummer[~busy], 1))),
                   "still_busy_capped": {str(cap): int((np.minimum(total_ours, cap * total_expected)
                                                        > 2 * np.maximum(total_drummer, 1)).sum())
                                         for cap in (1.0, 1.2, 1.5)}}
    out["colours"] = {}
    for name, columns in COLOURS.items():
        heavy = drummer[:, columns].sum(1) / bars >= HEAVY_RATE
        out["colours"][name] = {"heavy_songs": int(heavy.sum()),
                                "auc_expected": auc(expected[:, columns].sum(1) / bars, heavy),
                                "auc_take1": auc(ours[:, columns].sum(1) / bars, heavy)}
    crash_share = expected[:, CRASH] / np.maximum(expected[:, [HAT, OPEN, CRASH, RIDE]].sum(1), 1e-9)
    crashing = drummer[:, CRASH] / bars >= 1.0  # a crash a bar or more: mostly the crash ridden
    high = crash_share >= 0.1
    out["crash_riding"] = {"songs": int(crashing.sum()), "auc_crash_share": auc(crash_share, crashing),
                           "at_share_0.1": [int(high.sum()), int((high & crashing).sum())]}
    keeping = drummer[:, [HAT, OPEN, RIDE]].sum(1)
    rider = drummer[:, RIDE] / np.maximum(keeping, 1) >= RIDER_SHARE
    share = expected[:, RIDE] / np.maximum(expected[:, [HAT, OPEN, RIDE]].sum(1), 1e-9)
    out["ride"] = {"riders": int(rider.sum()), "auc_network_share": auc(share, rider),
                   "auc_instruments": instrument_auc([row["programs"] for row in rows], rider),
                   "precision_at": {str(t): [int((share >= t).sum()), int(((share >= t) & rider).sum())]
                                    for t in (0.1, 0.15, 0.2, 0.25)}}
    swung = np.array([row.get("swung", False) for row in rows], dtype=bool)
    reading = expected[:, RIDE] / np.maximum(expected[:, HAT], 1e-9)  # the ride over the closed hat it expects
    out["swung_ride"] = {"songs": int(swung.sum()), "riders": int((swung & rider).sum()),
                         "auc_ride_over_hat": auc(reading[swung], rider[swung])}
    return out


def print_habits(habits: dict) -> None:
    crash, toms = habits["crash"], habits["toms"]
    crashes, tom_hits, tom_bars = max(1, crash["hits"]), max(1, toms["hits"]), max(1, toms["bars"])
    print(f"{habits['songs']} drum parts in 4/4: crash hits {crash['hits']}, {crash['ridden'] / crashes:.2f} in "
          f"bars of {CRASH_RIDDEN_HITS}+ crashes, {crash['downbeat'] / crashes:.2f} on a downbeat; tom hits "
          f"{toms['hits'] / tom_bars:.2f} a bar, in {toms['bars_with'] / tom_bars:.3f} of the bars, "
          f"{toms['in_runs'] / tom_hits:.2f} in runs of {TOM_RUN_BARS}+ bars with toms")


def print_figures(result: dict) -> None:
    print(f"{result['songs']} songs, take 1 from the whole arrangement, out of fold")
    print(f"  {'class':<11} {'take 1 / expected':>17} {'expected / drummer':>19}")
    for name, figure in result["classes"].items():
        print(f"  {name:<11} {figure['ours_vs_expected']:>17.2f} {figure['expected_vs_drummer']:>19.2f}")
    busy = result["busy"]
    print(f"too busy (take 1 over 2x the drummer's hits): {busy['songs']} songs; the network expects "
          f"{busy['expected_vs_drummer_median']:.2f}x the drummer's there (median; others "
          f"{busy['expected_vs_drummer_median_others']:.2f}x); still too busy with take 1 capped at 1.0 / 1.2 / 1.5x "
          f"what it expects: {' / '.join(map(str, busy['still_busy_capped'].values()))}")
    for name, figure in result["colours"].items():
        print(f"{name}: {figure['heavy_songs']} songs whose drummer plays it {HEAVY_RATE:g}+ a bar; ranked by the "
              f"network's expected rate AUC {figure['auc_expected']:.3f}, by take 1's rate {figure['auc_take1']:.3f}")
    ride = result["ride"]
    print(f"ride: {ride['riders']} songs whose drummer keeps {RIDER_SHARE:.0%}+ of the time on it; AUC of the "
          f"network's ride share {ride['auc_network_share']:.3f}, of the band's instruments "
          f"{ride['auc_instruments']:.3f}; songs at a share of 0.1 / 0.15 / 0.2 / 0.25 or more (riders among them): "
          + ", ".join(f"{n} ({hit})" for n, hit in ride["precision_at"].values()))
    riding = result["crash_riding"]
    print(f"crash: {riding['songs']} songs whose drummer crashes once a bar or more; AUC of the network's crash share "
          f"{riding['auc_crash_share']:.3f}; at a share of 0.1 or more {riding['at_share_0.1'][0]} songs, "
          f"{riding['at_share_0.1'][1]} of them")
    swung = result["swung_ride"]
    print(f"swung songs: {swung['songs']}, {swung['riders']} of them riders; AUC of the network's ride over closed hat "
          f"{swung['auc_ride_over_hat']:.3f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cv", type=Path, default=None, help="a tools.crossval --out folder (band input)")
    parser.add_argument("--refs", type=Path, default=None, help="../shared/scoring refs: the drummers' habits alone")
    parser.add_argument("--data", type=Path, default=Path("..") / "shared" / "data" / "midi")
    parser.add_argument("--json", type=Path, default=None, help="also write the per-song rows and figures here")
    parser.add_argument("--extra", action="store_true", help="the songs of crossval's --extra-data (e.g. jazz/)")
    args = parser.parse_args(argv)
    if args.refs is not None:
        if not args.refs.is_dir():
            print(f"error: {args.refs} not found (--refs DIR: ../shared/scoring's refs of a split)", file=sys.stderr)
            return 2
        print_habits(drummer_habits(args.refs))
        if args.cv is None:
            return 0
    if args.cv is None:
        parser.error("--cv DIR (a tools.crossval --out folder) or --refs DIR")
    if not args.data.is_dir() or not args.cv.is_dir():
        print(f"error: {args.cv if not args.cv.is_dir() else args.data} not found (--cv DIR, --data DIR)",
              file=sys.stderr)
        return 2
    rows = song_rows(args.cv, args.data, args.extra)
    if not rows:
        print(f"error: no fold of {args.cv} has a best.pt and a scores-{'extra-' * args.extra}band-*.pkl with songs of "
              f"{args.data}", file=sys.stderr)
        return 2
    result = figures(rows)
    print_figures(result)
    if args.json is not None:
        args.json.write_text(json.dumps({"figures": result, "songs": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
