"""A genre group's figures with ../shared/scoring (issue 58's must-shows): the model's take 1 from the whole
arrangement against the jazz ride pattern and the loop, the kit, and the swing.

    python -m studies.group_figures --data ../shared/data/jazz --gen runs/cv-jazz/gen-extra-TAG/band/take1 \
        --out runs/cv-jazz/scoring-jazz

midisplit.py splits only songs with a guitar; the whole arrangement needs none, so the split here is midisplit's
own `band/` and `refs/` (its functions, imported from ../shared/scoring) of every song with drums, a trio's and a
big band's too, named as midisplit names them. Then drum_eval.py's baselines (the loop, the jazz ride pattern) and
scores, compare.py, kit.py. Printed: take 1, the jazz ride pattern and the loop (mean song F1), the share of songs
where take 1 beats the jazz ride pattern, kit.py's rate ratios, and the share of swung songs (the drummer's swing
0.58 or more) whose generated swing is within 0.04 of the drummer's (drum_eval.py's swing_gen and swing_ref).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from tools.score_split import script
from tools.scoring_scripts import SCORING, scoring_script

SWUNG = 0.58  # drum_eval.py's threshold: a swing ratio at or above it is swung
SWING_TOLERANCE = 0.04


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="the group's folder of songs (with drums)")
    parser.add_argument("--gen", type=Path, required=True, help="the model's take 1: NAME.drums.mid per song")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--scoring", type=Path, default=SCORING)
    return parser


def band_split(scoring: Path, data: Path, split: Path) -> int:
    """midisplit.py's band/ and refs/ of every song of `data` with drums, guitar or not; how many songs."""
    midisplit = scoring_script("midisplit", scoring)
    import mido

    (split / "band").mkdir(parents=True, exist_ok=True)
    (split / "refs").mkdir(parents=True, exist_ok=True)
    count = 0
    for path in sorted(data.rglob("*.mid")) + sorted(data.rglob("*.midi")):
        song = mido.MidiFile(path)
        events = midisplit.absolute(song)
        if not any(getattr(m, "channel", -1) == midisplit.DRUM_CHANNEL and m.type == "note_on" for _, _, m in events):
            continue
        name = f"{path.parent.name}__{path.stem}"
        midisplit.build(events, lambda c: c == midisplit.DRUM_CHANNEL, song.ticks_per_beat).save(
            split / "refs" / f"{name}.drums.mid")
        midisplit.without_drums(song).save(split / "band" / f"{name}.guitar.mid")
        count += 1
    return count


def figures(args: argparse.Namespace) -> dict[str, Any]:
    """Split, baselines, scores, kit; the must-show figures as one dict (also written to OUT/figures.json)."""
    split = args.out / "split"
    songs = band_split(args.scoring, args.data, split)
    script(args, "drum_eval.py", "baselines", split / "band", split / "base")
    jsons = {}
    for label, gen in (("model", args.gen), ("jazz_ride", split / "base" / "jazz_ride"),
                       ("loop", split / "base" / "backbeat")):
        jsons[label] = args.out / f"{label}.json"
        script(args, "drum_eval.py", "score", split / "band", split / "refs", gen, "--json", jsons[label])
    rows = {label: {song: row for song, row in json.loads(path.read_text())["songs"].items() if "f1" in row}
            for label, path in jsons.items()}
    common = sorted(set(rows["model"]) & set(rows["jazz_ride"]))
    model = [rows["model"][song]["f1"] for song in common]
    ride = [rows["jazz_ride"][song]["f1"] for song in common]
    loop = [rows["loop"][song]["f1"] for song in common if song in rows["loop"]]
    swung = [rows["model"][song] for song in common if (rows["model"][song].get("swing_ref") or 0) >= SWUNG]
    within = [abs((row["swing_gen"] or 0.5) - row["swing_ref"]) <= SWING_TOLERANCE for row in swung]
    kit_text = script(args, "kit.py", split / "band", split / "refs", args.gen, "--json", args.out / "kit.json")
    (args.out / "kit.txt").write_text(kit_text)
    kit = json.loads((args.out / "kit.json").read_text())
    result = {"songs_split": songs, "songs_scored": len(common), "model_f1": _mean(model), "jazz_ride_f1": _mean(ride),
              "loop_f1": _mean(loop), "beats_jazz_ride_share": _mean([m > r for m, r in zip(model, ride)]),
              "swung_songs": len(swung), "swing_within_share": _mean(within), "kit": kit}
    (args.out / "figures.json").write_text(json.dumps(result, indent=1))
    return result


def _mean(values: list[Any]) -> float:
    return float(sum(values) / len(values)) if values else float("nan")


def main() -> None:
    args = build_parser().parse_args()
    result = figures(args)
    print(f"{result['songs_scored']} songs (of {result['songs_split']} with drums): take 1 {result['model_f1']:.3f}, "
          f"the jazz ride pattern {result['jazz_ride_f1']:.3f}, the loop {result['loop_f1']:.3f}; take 1 beats the "
          f"jazz ride pattern on {result['beats_jazz_ride_share']:.0%} of songs")
    print(f"swing within {SWING_TOLERANCE} of the drummer's on {result['swing_within_share']:.0%} of the "
          f"{result['swung_songs']} swung songs")
    print((args.out / "kit.txt").read_text())


if __name__ == "__main__":
    main()
