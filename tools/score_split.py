"""Score a model on a split's songs with ../shared/scoring, the scripts that score the songs we do not have: the guitar
part alone and the whole arrangement (the file minus its drums), against the loop and, for the arrangement, the bass
rule, so a model's figures compare like with like with the issues' figures.

    python -m tools.score_split --checkpoint runs/band1/best.pt --out runs/score-band1 [--split val] [--takes 1]

The split is the checkpoint's own (its data config's validation songs), so the figures are of songs it did not train
on; they are tuned-on validation figures, not cross-validated ones. Writes OUT/split (midisplit's inputs/, band/,
refs/), OUT/gen-guitar and OUT/gen-band (take K as NAME.drums.takeK.mid), the baselines, and prints compare.py's
tables.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
from pathlib import Path

from bench.machine import describe_machine
from seq2drum.generation.generator import DrumGenerator
from seq2drum.options import GenerationOptions
from seq2drum.training.corpus import build_corpus, find_midi_files, split_songs


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", type=Path, default=None, help="model file (default: the shipped model)")
    parser.add_argument("--data", type=Path, default=Path("..") / "shared" / "data" / "midi")
    parser.add_argument("--scoring", type=Path, default=Path("..") / "shared" / "scoring")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--split", choices=("val", "train"), default="val")
    parser.add_argument("--takes", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--own-passes", type=int, default=None,
                        help="for a model that hears drums: passes hearing its own take 1 (default: its policy's)")
    return parser


def split_files(generator: DrumGenerator, data: Path, split: str) -> list[Path]:
    """The files of the checkpoint's validation (or training) songs, found by content hash."""
    config = generator.data_config
    songs = build_corpus(data, config, None, None, progress=False).songs
    train, val = split_songs(songs, config.val_fraction, config.split_seed)
    wanted = {song.sha256 for song in (val if split == "val" else train)}
    return [path for path in find_midi_files(data) if hashlib.sha256(path.read_bytes()).hexdigest() in wanted]


def script(args: argparse.Namespace, name: str, *arguments: object) -> str:
    """Run one of ../shared/scoring's scripts; its output."""
    run = subprocess.run([sys.executable, str(args.scoring / name), *map(str, arguments)], capture_output=True,
                         text=True, check=True)
    return run.stdout


def generate_all(generator: DrumGenerator, inputs: Path, out: Path, takes: int, seed: int) -> int:
    """Drums for every NAME.guitar.mid of `inputs` into `out` (NAME.drums.takeK.mid); how many songs failed."""
    out.mkdir(parents=True, exist_ok=True)
    failed = 0
    for song in sorted(inputs.glob("*.guitar.mid")):
        name = song.name[: -len(".guitar.mid")]
        try:
            result = generator.generate(song.read_bytes(), GenerationOptions(seed=seed, takes=takes))
        except Exception as exc:  # noqa: BLE001  (a study: count and name the song, go on with the others)
            print(f"  {song.name}: {type(exc).__name__}: {exc}", file=sys.stderr)
            failed += 1
            continue
        for take in result.takes:
            (out / f"{name}.drums.take{take.index}.mid").write_bytes(take.midi_bytes)
    return failed


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    print(describe_machine())
    generator = DrumGenerator.from_checkpoint(args.checkpoint)
    if args.own_passes is not None:
        generator.decoder.policy = generator.decoder.policy.replace(own_drums_passes=args.own_passes)
    source = args.out / "source"
    source.mkdir(parents=True, exist_ok=True)
    for path in split_files(generator, args.data, args.split):
        link = source / path.name
        if not link.exists():
            link.symlink_to(path.resolve())
    split = args.out / "split"
    script(args, "midisplit.py", source, split)
    script(args, "drum_eval.py", "baselines", split / "inputs", split / "base")
    script(args, "bass_follow.py", split / "band", split / "bandbase" / "bass_follow")
    print(f"model {generator.info.name} {generator.info.version}, {len(list(source.iterdir()))} songs")
    for kind in ("inputs", "band"):
        generated = args.out / f"gen-{kind}"
        failed = generate_all(generator, split / kind, generated, args.takes, args.seed)
        jsons = []
        for take in range(1, args.takes + 1):
            take_dir = args.out / f"gen-{kind}-take{take}"
            take_dir.mkdir(exist_ok=True)
            for file in generated.glob(f"*.drums.take{take}.mid"):
                (take_dir / file.name.replace(f".take{take}", "")).write_bytes(file.read_bytes())
            jsons.append(args.out / f"{kind}-take{take}.json")
            script(args, "drum_eval.py", "score", split / kind, split / "refs", take_dir, "--json", jsons[-1])
        baselines = [("loop", split / "base" / "backbeat")]
        if kind == "band":
            baselines.append(("bass_rule", split / "bandbase" / "bass_follow"))
        for label, folder in baselines:
            baseline_json = args.out / f"{kind}-{label}.json"
            script(args, "drum_eval.py", "score", split / kind, split / "refs", folder, "--json", baseline_json)
            print(f"\n== {kind} vs {label} ({failed} songs failed)")
            print(script(args, "compare.py", jsons[0], baseline_json, *jsons[1:]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
