"""The musician's controls measured on real songs: hits at --density 0.5, 1 and 2; --swing measured back from the
written MIDI; two --style choices on one song compared cell by cell; the cost of each control in generation time.

    python -m bench.bench_controls --data ../shared/data/midi --songs 10

Songs are the first N of the shipped model's validation split (content-hash split, as evaluation uses), generated
through `DrumGenerator.generate` at temperature 0 with seed 0, as a user's command would.
"""

from __future__ import annotations

import argparse
import hashlib
import time
from pathlib import Path


import numpy as np
import torch

from bench.machine import describe_machine
from seq2drum.evaluation import metrics
from seq2drum.options import GenerationOptions
from seq2drum.song.corpus import build_corpus, find_midi_files, split_songs
from seq2drum.groove import FILL_COLUMN, take_similarity
from seq2drum.generation.generator import DrumGenerator
from seq2drum.midi.io import read_midi
from seq2drum.song.drum_part import drums_to_grid
from seq2drum.song.grid import Grid

REPO = Path(__file__).resolve().parents[1]

DENSITIES = (0.5, 1.0, 2.0)
SWINGS = (0.5, 0.6, 0.67)


def measured_swing(midi_bytes: bytes, steps_per_quarter: int) -> float:
    """Mean swing ratio over the bars of a written drum file that have an eligible beat (metrics.swing)."""
    song = read_midi(midi_bytes)
    grid = Grid.build(song.ticks_per_quarter, song.time_signatures, song.tempos, song.end_tick, steps_per_quarter)
    notes = np.concatenate([part.notes for part in song.drum_parts])
    values = metrics.swing(drums_to_grid(notes, grid), grid, (0, grid.n_steps))
    return float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")


def density_report(generator: DrumGenerator, songs: list, files: dict[str, Path]) -> None:
    """Hits at --density 0.5 / 1 / 2 per song, with the ratios required."""
    print("density: hits at --density 0.5 / 1 / 2 (and the two ratios; required: <= 0.7 and >= 1.43, or the notice "
          "that says how far it went: 'told')")
    totals = dict.fromkeys(DENSITIES, 0)
    failing = 0
    seconds = {d: 0.0 for d in DENSITIES}
    for song in songs:
        midi = files[song.sha256].read_bytes()
        hits, told = {}, False
        for density in DENSITIES:
            started = time.perf_counter()
            result = generator.generate(midi, GenerationOptions(seed=0, density=density))
            hits[density] = result.n_hits
            told |= any(notice.startswith("--density") for notice in result.notices)
            seconds[density] += time.perf_counter() - started
            totals[density] += hits[density]
        ok = hits[0.5] <= 0.7 * hits[1.0] <= 0.49 * hits[2.0]
        failing += not ok and not told
        verdict = "ok" if ok else "told" if told else "FAILS"
        print(f"  {song.name[:40]:40s} {hits[0.5]:6d} {hits[1.0]:6d} {hits[2.0]:6d}   "
              f"{hits[0.5] / max(1, hits[1.0]):.2f} {hits[2.0] / max(1, hits[1.0]):.2f} {verdict}")
    print(f"  total {totals[0.5]} / {totals[1.0]} / {totals[2.0]}: {totals[0.5] / totals[1.0]:.2f} and "
          f"{totals[2.0] / totals[1.0]:.2f} of density 1; {len(songs) - failing} of {len(songs)} songs keep "
          f"hits(0.5) <= 0.7 x hits(1) <= 0.49 x hits(2) or say how far they went")
    print("  generation time (s, all songs): " + ", ".join(f"density {d:g} {s:.1f}" for d, s in seconds.items()))


def swing_report(generator: DrumGenerator, songs: list, files: dict[str, Path], steps_per_quarter: int) -> None:
    """The swing ratio measured back from the written MIDI at each --swing."""
    print("\nswing: mean swing ratio measured back from the written MIDI (metrics.swing, hats and ride)")
    for ratio in (None, *SWINGS):
        values = []
        for song in songs:
            result = generator.generate(files[song.sha256].read_bytes(), GenerationOptions(seed=0, swing=ratio))
            values.append(measured_swing(result.midi_bytes, steps_per_quarter))
        finite = [v for v in values if np.isfinite(v)]
        worst = max((abs(v - ratio) for v in finite), default=float("nan")) if ratio else float("nan")
        print(f"  --swing {'unset' if ratio is None else ratio}: mean {np.mean(finite):.3f} over {len(finite)} songs "
              f"with eligible beats (range {min(finite):.3f}-{max(finite):.3f}"
              + (f"; largest song error {worst:.3f})" if ratio else ")"))


def fills_and_cymbal_report(generator: DrumGenerator, songs: list) -> None:
    """Bars closing with a fill at each --fills; hat and ride hits and velocity at each --cymbal/--dynamics."""
    print("\nfills: bars closing with a fill, all songs (take 1)")
    bars = sum(song.end_bar - song.first_bar for song in songs)
    for fills in ("none", "sections", "every:4", "every:8"):
        takes = [generator.generate_takes(song, GenerationOptions(seed=0, fills=fills), 0)[0] for song in songs]
        print(f"  --fills {fills}: {sum(int(take.structure[:, FILL_COLUMN].sum()) for take in takes)} of {bars} bars")
    print("\ncymbal and dynamics: hi-hat / ride hits and mean velocity of take 1, all songs")
    for cymbal, dynamics in (("auto", 1.0), ("hats", 1.0), ("ride", 1.0), ("auto", 0.7)):
        takes = [generator.generate_takes(song, GenerationOptions(seed=0, cymbal=cymbal, dynamics=dynamics), 0)[0]
                 for song in songs]
        hats = sum(int(take.hits[:, :, 2:4].sum()) for take in takes)
        ride = sum(int(take.hits[:, :, 8].sum()) for take in takes)
        velocity = np.mean(np.concatenate([take.velocity[take.hits] for take in takes]))
        print(f"  --cymbal {cymbal} --dynamics {dynamics:g}: hats {hats}, ride {ride}, mean velocity {velocity:.1f}")


def styles_report(generator: DrumGenerator, songs: list, files: dict[str, Path], names: list[str]) -> None:
    """On the first song every style fits: hits per style and how alike the styles' drums are."""
    for song in songs:
        midi = files[song.sha256].read_bytes()
        try:
            played = {name: generator.generate(midi, GenerationOptions(seed=0, style=name, humanize=False))
                      for name in names}
        except ValueError:  # a style that does not fit this song's meter: try the next song
            continue
        own = generator.generate(midi, GenerationOptions(seed=0, humanize=False))
        print(f"\nstyles on {song.name} ({own.bars} bars): hits " + ", ".join(
            f"{name} {result.n_hits}" for name, result in played.items()) + f", own choice {own.n_hits}")
        print("  cell F1 between them (1 = the same hits):")
        for name in names:
            alike = (take_similarity(played[name].drums.hits, played[other].drums.hits) for other in names)
            print(f"  {name:18s} " + " ".join(f"{value:.2f}" for value in alike)
                  + f"   vs own {take_similarity(played[name].drums.hits, own.drums.hits):.2f}")
        return


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "midi")
    parser.add_argument("--checkpoint", type=Path, default=None)
    parser.add_argument("--songs", type=int, default=10)
    parser.add_argument("--styles", default="straight-8ths,half-time,16th-hats,ride-8ths,shuffle",
                        help="styles compared on the first song they all fit")
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(describe_machine())
    generator = DrumGenerator.from_checkpoint(args.checkpoint)
    config = generator.data_config
    corpus = build_corpus(args.data, config, None, 1, progress=False)
    _, val = split_songs(corpus.songs, config.val_fraction, config.split_seed)
    files = {hashlib.sha256(path.read_bytes()).hexdigest(): path for path in find_midi_files(args.data)}
    songs = [song for song in val if song.sha256 in files][: args.songs]
    print(f"{len(songs)} validation songs of {len(val)}; temperature 0, seed 0\n")
    density_report(generator, songs, files)
    swing_report(generator, songs, files, config.steps_per_quarter)
    fills_and_cymbal_report(generator, songs)
    styles_report(generator, songs, files, args.styles.split(","))


if __name__ == "__main__":
    main()
