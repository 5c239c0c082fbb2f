"""The feel of a model's drums on a split's songs, scored with ../shared/scoring/drum_eval.py: the median velocity
spread ratio (generated / the drummer's, per song), the mean velocity, straight songs kept straight and swung songs
within +-0.04 of the drummer's swing; and the velocity spread scale (seq2drum.feel.model.SONG_VELOCITY_SPREAD) that
would bring the median ratio to 1 (the ratio scales with it), which is how the shipped value was fitted on the
shipped model's training songs.

    python -m studies.song_feel --split SPLIT --out OUT [--humanize 1] [--checkpoint runs/band1/best.pt] [--band]

SPLIT is midisplit.py's output (inputs/, band/, refs/; tools/score_split.py makes it for a model's own split);
generation is render-only here, so the validation split measures it.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

import numpy as np

from seq2drum.evaluation.feel_figures import SWING_AGREEMENT
from seq2drum.feel.model import SONG_VELOCITY_SPREAD
from seq2drum.feel.swing import STRAIGHT_MAX_SWING, SWUNG_MIN_SWING
from seq2drum.generation.generator import DrumGenerator
from seq2drum.midi.io import VELOCITY, merged_notes, read_midi
from seq2drum.options import GenerationOptions
from tools.scoring_scripts import SCORING


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--checkpoint", type=Path, default=None, help="model file (default: the shipped model)")
    parser.add_argument("--band", action="store_true", help="generate from band/ (every part) instead of inputs/")
    parser.add_argument("--humanize", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scoring", type=Path, default=SCORING)
    return parser


def generate(generator: DrumGenerator, inputs: Path, out: Path, options: GenerationOptions) -> list[float]:
    """OUT/NAME.drums.mid for every NAME.guitar.mid; the mean drum velocity of each song written."""
    out.mkdir(parents=True, exist_ok=True)
    means = []
    for song in sorted(inputs.glob("*.guitar.mid")):
        try:
            result = generator.generate(song.read_bytes(), options)
        except Exception as exc:  # noqa: BLE001  (a study: name the song, go on with the others)
            print(f"  {song.name}: {type(exc).__name__}: {exc}", file=sys.stderr)
            continue
        (out / song.name.replace(".guitar.mid", ".drums.mid")).write_bytes(result.midi_bytes)
        means.append(float(merged_notes(read_midi(result.midi_bytes).drum_parts)[:, VELOCITY].mean()))
    return means


def score(args: argparse.Namespace, inputs: Path, generated: Path, name: str) -> dict:
    """drum_eval.py's per-song rows of `generated` against the split's refs."""
    out = args.out / f"{name}.json"
    subprocess.run([sys.executable, str(args.scoring / "drum_eval.py"), "score", str(inputs),
                    str(args.split / "refs"), str(generated), "--json", str(out)], check=True, capture_output=True)
    return json.loads(out.read_text())["songs"]


def figures(mine: dict, real: dict) -> dict[str, float]:
    """The issue's feel figures from drum_eval's rows (the refs scored as generated give the drummer's spread)."""
    names = [n for n in mine if "velocity_std" in mine[n] and real.get(n, {}).get("velocity_std")]
    ratios = [mine[n]["velocity_std"] / real[n]["velocity_std"] for n in names]
    swing = {n: (mine[n].get("swing_gen"), mine[n].get("swing_ref")) for n in mine if "f1" in mine[n]}
    straight = [g is None or g <= STRAIGHT_MAX_SWING for g, r in swing.values()
                if r is not None and r <= STRAIGHT_MAX_SWING]
    swung = [g is not None and abs(g - r) <= SWING_AGREEMENT for g, r in swing.values()
             if r is not None and r >= SWUNG_MIN_SWING]
    median = statistics.median(ratios) if ratios else float("nan")
    return {"songs": len(mine), "velocity_spread_ratio_median": median,
            "velocity_spread_ratio_quartiles": [float(q) for q in np.percentile(ratios, [25, 75])] if ratios else [],
            "straight_kept": f"{sum(straight)}/{len(straight)}", "swung_within": f"{sum(swung)}/{len(swung)}",
            "spread_scale_for_ratio_1": SONG_VELOCITY_SPREAD / median if ratios else float("nan")}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    generator = DrumGenerator.from_checkpoint(args.checkpoint)
    inputs = args.split / ("band" if args.band else "inputs")
    generated = args.out / "gen"
    means = generate(generator, inputs, generated, GenerationOptions(seed=args.seed, humanize=args.humanize))
    result = figures(score(args, inputs, generated, "gen"), score(args, inputs, args.split / "refs", "refs"))
    result["mean_velocity"] = float(np.mean(means)) if means else float("nan")
    print(json.dumps(result, indent=1))
    (args.out / "figures.json").write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
