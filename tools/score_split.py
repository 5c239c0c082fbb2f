"""Score a model with ../shared/scoring, the scripts that score the songs we do not have, on the three inputs of issue
21 (the guitar part alone, the whole arrangement, the guitar plus the drummer's first 2 bars), against the loop and
each input's own baseline (the bass rule, the given bars looped), so its figures compare like with like with the
issues' figures; then prints the issue's must-show figures.

    python -m tools.score_split --checkpoint runs/band1/best.pt --out runs/score-band1 [--split val] [--takes 4]
    python -m tools.score_split --gen runs/cv/gen --out runs/cv/scoring      # crossval's out-of-fold outputs

With --checkpoint (or the shipped model) the songs are the checkpoint's own split (tuned-on validation figures, not
cross-validated ones) and the drums are generated here from midisplit's files. With --gen the drums are those
`tools.crossval` wrote (GEN/KIND/takeK/X.drums.mid, X named as midisplit names the song's files), and the songs are
those with a take 1 there, all folds together. Writes OUT/split (midisplit's inputs/, band/, refs/, prime_split's
primed/ and primebase/loop/), the baselines, OUT/KIND-*.json (drum_eval's scores) and OUT/must_show.json; then
tools.kit_figures's kit-use figures of each kind's take 1 (issue 54; --no-kit skips them).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
from pathlib import Path

from bench.machine import describe_machine
from seq2drum.evaluation import INPUT_KINDS
from seq2drum.evaluation.evaluate import output_name, write_outputs
from seq2drum.evaluation.inputs import PRIMED_BARS
from seq2drum.options import GenerationOptions
from seq2drum.song.corpus import build_corpus, find_midi_files, split_songs
from tools import kit_figures
from tools.scoring_scripts import SCORING

INPUT_DIRS = {"guitar": "inputs", "band": "band", "primed": "primed"}  # midisplit's / prime_split's folder per kind
BASELINE_DIRS = {"loop": "base/backbeat", "bass_rule": "bandbase/bass_follow", "given_looped": "primebase/loop"}
KIND_BASELINE = {"guitar": None, "band": "bass_rule", "primed": "given_looped"}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", type=Path, default=None, help="model file (default: the shipped model)")
    parser.add_argument("--gen", type=Path, default=None,
                        help="score these outputs (tools.crossval's OUT/gen) instead of generating")
    parser.add_argument("--data", type=Path, default=Path("..") / "shared" / "data" / "midi")
    parser.add_argument("--scoring", type=Path, default=SCORING)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--split", choices=("val", "train"), default="val")
    parser.add_argument("--takes", type=int, default=4, help="takes generated (with --gen: found) per song")
    parser.add_argument("--kinds", default=",".join(INPUT_KINDS), help="input kinds, a comma list")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=int, default=0, help="at most this many songs (0 = all), in file order")
    parser.add_argument("--no-kit", action="store_true",
                        help="skip issue 54's kit figures of take 1 (tools.kit_figures: kit, realism, checklist, "
                             "adherence, sections)")
    parser.add_argument("--own-passes", type=int, default=None,
                        help="for a model that hears drums: passes hearing its own take 1 (default: its policy's)")
    return parser


def split_files(data_config: object, data: Path, split: str) -> list[Path]:
    """The files of the checkpoint's validation (or training) songs, found by content hash."""
    songs = build_corpus(data, data_config, None, None, progress=False).songs  # type: ignore[arg-type]
    train, val = split_songs(songs, data_config.val_fraction, data_config.split_seed)  # type: ignore[attr-defined]
    wanted = {song.sha256 for song in (val if split == "val" else train)}
    return [path for path in find_midi_files(data) if hashlib.sha256(path.read_bytes()).hexdigest() in wanted]


def generated_files(data: Path, gen: Path) -> list[Path]:
    """The song files of `data` that have an output in GEN/*/take1 (named as midisplit names them)."""
    names = {p.name[: -len(".drums.mid")] for p in gen.glob("*/take1/*.drums.mid")}
    return [path for path in find_midi_files(data) if output_name(path) in names]


def script(args: argparse.Namespace, name: str, *arguments: object) -> str:
    """Run one of ../shared/scoring's scripts; its output."""
    run = subprocess.run([sys.executable, str(args.scoring / name), *map(str, arguments)], capture_output=True,
                         text=True, check=True)
    return run.stdout


def make_split(args: argparse.Namespace, files: list[Path]) -> Path:
    """midisplit.py over links to `files`, then prime_split.py, the loop and the bass rule; a split already made
    whole for the same songs (OUT/split/complete.json, e.g. another run's split copied there) is kept."""
    split = args.out / "split"
    names = sorted(f"{path.parent.name}/{path.name}" for path in files)
    marker = split / "complete.json"
    if marker.is_file() and json.loads(marker.read_text()) == names:
        return split
    source = args.out / "source"
    source.mkdir(parents=True, exist_ok=True)
    for path in files:  # folder/stem.mid, so that midisplit names it folder__stem as evaluate's outputs are named
        link = source / path.parent.name / path.name
        link.parent.mkdir(exist_ok=True)
        if not link.exists():
            link.symlink_to(path.resolve())
    script(args, "midisplit.py", source, split)
    script(args, "prime_split.py", split, PRIMED_BARS)
    script(args, "drum_eval.py", "baselines", split / "inputs", split / "base")
    script(args, "bass_follow.py", split / "band", split / "bandbase" / "bass_follow")
    split.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps(names))
    return split


def generate_all(generator: object, inputs: Path, out: Path, kind: str, takes: int, seed: int) -> int:
    """Drums for every NAME.guitar.mid of `inputs` into out/takeK/NAME.drums.mid; how many songs failed."""
    failed = 0
    options = GenerationOptions(seed=seed, takes=takes, guitar_only=kind == "guitar", keep_drums=kind == "primed")
    for song in sorted(inputs.glob("*.guitar.mid")):
        try:
            result = generator.generate(song.read_bytes(), options)  # type: ignore[attr-defined]
        except Exception as exc:  # noqa: BLE001  (a study: count and name the song, go on with the others)
            print(f"  {song.name}: {type(exc).__name__}: {exc}", file=sys.stderr)
            failed += 1
            continue
        write_outputs(out, song.name[: -len(".guitar.mid")], [take.midi_bytes for take in result.takes])
    return failed


def score_kind(args: argparse.Namespace, split: Path, gen: Path, kind: str) -> dict[str, object]:
    """drum_eval.py score of every take and baseline of one kind, compare.py of take 1 against each baseline."""
    inputs = split / INPUT_DIRS[kind]
    jsons = []
    for take in range(1, args.takes + 1):
        if (gen / f"take{take}").is_dir():
            jsons.append(args.out / f"{kind}-take{take}.json")
            script(args, "drum_eval.py", "score", inputs, split / "refs", gen / f"take{take}", "--json", jsons[-1])
    figures: dict[str, object] = {"takes": len(jsons)}
    for label in ("loop", KIND_BASELINE[kind]):
        if label is None:
            continue
        baseline_json = args.out / f"{kind}-{label}.json"
        script(args, "drum_eval.py", "score", inputs, split / "refs", split / BASELINE_DIRS[label], "--json",
               baseline_json)
        figures[label] = json.loads(script(args, "compare.py", jsons[0], baseline_json, *jsons[1:]))
    figures["density"] = {take: {name: row.get("density_ratio") for name, row in _rows(path).items()}
                          for take, path in enumerate(jsons, start=1)}
    return figures


def _rows(path: Path) -> dict[str, dict]:
    return json.loads(path.read_text())["songs"]


def must_show(figures: dict[str, dict]) -> str:
    """The issue's must-show figures, one line per input kind, and the share of songs with any output (takes 1-4
    of the guitar alone, take 1 of the others) under a third of the drummer's hits."""
    lines = ["kind    songs valid take1  loop   own    wins  best-of-N density min-density rest  crash fill (pooled)"]
    low: dict[str, bool] = {}
    for kind, kind_figures in figures.items():
        loop = kind_figures["loop"]
        own = kind_figures.get(KIND_BASELINE[kind] or "", {})
        best = next((v for k, v in loop.items() if k.startswith("best_of_")), None)
        lines.append(f"{kind:7} {loop['songs']:5} {loop['valid']:5} {loop['f1']:.3f}  {loop['base_f1']:.3f}  "
                     f"{own.get('base_f1', float('nan')):.3f}  {loop['win_share']:.2f}  "
                     f"{best if best is not None else float('nan'):.3f}     {loop['density_ratio_median']}   "
                     f"{loop['min_density_ratio']}       {loop['rest_pooled_f1']} {loop['crash_pooled_f1']} "
                     f"{loop['fill_pooled_f1']}")
        for take, ratios in kind_figures["density"].items():
            if kind == "guitar" or take == 1:
                for name, ratio in ratios.items():
                    low[name] = low.get(name, False) or (ratio is not None and ratio < 1 / 3)
    share = sum(low.values()) / max(1, len(low))
    lines.append(f"songs with any output under a third of the drummer's hits: {sum(low.values())} of {len(low)} "
                 f"({share:.1%})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    kinds = [kind.strip() for kind in args.kinds.split(",") if kind.strip()]
    print(describe_machine())
    generator = None
    if args.gen is None:
        from seq2drum.generation.generator import DrumGenerator

        generator = DrumGenerator.from_checkpoint(args.checkpoint)
        if args.own_passes is not None:
            generator.decoder.policy = generator.decoder.policy.replace(own_drums_passes=args.own_passes)
        files = split_files(generator.data_config, args.data, args.split)
        print(f"model {generator.info.name} {generator.info.version}, {len(files)} songs")
    else:
        files = generated_files(args.data, args.gen)
        print(f"outputs of {args.gen}: {len(files)} songs")
    split = make_split(args, files[: args.limit] if args.limit else files)
    figures = {}
    for kind in kinds:
        gen = (args.gen or args.out / "gen") / kind
        if generator is not None:
            failed = generate_all(generator, split / INPUT_DIRS[kind], gen, kind, args.takes, args.seed)
            print(f"{kind}: {failed} songs failed")
        figures[kind] = score_kind(args, split, gen, kind)
        for label in ("loop", KIND_BASELINE[kind]):
            if label is not None:
                print(f"\n== {kind} vs {label}\n{json.dumps(figures[kind][label])}")
    (args.out / "must_show.json").write_text(json.dumps(figures, indent=1))
    print("\n" + must_show(figures))
    if not args.no_kit:
        kit_figures.run_kinds(args.scoring, args.out, args.gen or args.out / "gen", kinds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
