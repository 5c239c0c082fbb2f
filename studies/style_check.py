"""Does `--style X` sound like X? For every style and every meter it lists, take 1 of real songs in that meter (or,
where ../shared has none, a song built in code) is decided with the style, and each output bar where the guitar
plays (fill, crash and ending bars left out) is put in a family by styles.py's own rules (`entry_family`): the share
of those bars in the style asked (issue 23 asks >= 90%).

    python -m studies.style_check --data ../shared/data/midi [--songs 3] [--styles shuffle,ride-8ths]
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path

import numpy as np

from seq2drum.errors import Seq2DrumError
from seq2drum.generation.generator import DrumGenerator
from seq2drum.generation.prepare import prepare
from seq2drum.generation.render import swung_by_song
from seq2drum.groove import CRASH_COLUMN, FILL_COLUMN, REST_COLUMN, entry_family, meter_name, song_meters
from seq2drum.options import GenerationOptions
from seq2drum.song.grid import BAR_DENOMINATOR, BAR_NUMERATOR, is_compound
from seq2drum.song.corpus import find_midi_files


def bar_families(generator: DrumGenerator, midi: bytes | None,
                 options: GenerationOptions) -> tuple[list[tuple[str, str]], str]:
    """(meter, family) of every counted bar of take 1 (see the module), and the song's main meter."""
    prepared = prepare(midi, options, generator.data_config, generator.spec)
    scorer = generator.scorer(prepared.bars, prepared.given)
    grid = prepared.encoded.grid
    take = generator.takes(scorer, options, 0, grid, prepared.steering, prepared.given,
                           swung_by_song(prepared, options))[0]
    scores = scorer(0, scorer.n_bars, None)
    spq = generator.styles.steps_per_quarter
    rows = grid.bars[scores.first_bar : scores.first_bar + scores.n_bars]
    compound = is_compound(rows[:, BAR_NUMERATOR], rows[:, BAR_DENOMINATOR])
    counted = scores.guitar_plays & ~take.structure[:, [REST_COLUMN, CRASH_COLUMN, FILL_COLUMN]].any(axis=1)
    counted[-1:] = False  # the ending
    families = []
    for row in np.flatnonzero(counted):
        steps = int(scores.bar_steps[row])
        bar = take.hits[row]
        meter = meter_name(steps, bool(compound[row]), spq)
        families.append((meter, entry_family(bar, steps, bool(compound[row]), spq) if bar.any() else ""))
    meters = song_meters(scores, grid, spq)
    return families, meters[0] if meters else "4/4"


def songs_by_meter(generator: DrumGenerator, data: Path, per_meter: int) -> dict[str, list[Path]]:
    """Up to `per_meter` songs of each main meter in `data` (file order)."""
    found: dict[str, list[Path]] = defaultdict(list)
    for path in find_midi_files(data):
        try:
            _, meter = bar_families(generator, path.read_bytes(), GenerationOptions(seed=0, takes=1))
        except Seq2DrumError:
            continue
        if len(found[meter]) < per_meter:
            found[meter].append(path)
    return found


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("..") / "shared" / "data" / "midi")
    parser.add_argument("--songs", type=int, default=3, help="songs per meter")
    parser.add_argument("--styles", default="", help="a comma list (default: all)")
    args = parser.parse_args(argv)
    generator = DrumGenerator.from_checkpoint()
    styles = generator.styles
    names = [n for n in args.styles.split(",") if n] or styles.names()
    songs = songs_by_meter(generator, args.data, args.songs)
    print("style | meter | songs | bars counted | in the style | other families (most common)")
    for name in names:
        for meter in styles.get(name).meters:
            tally: dict[str, int] = defaultdict(int)
            for path in songs.get(meter, []):
                try:
                    families, _ = bar_families(generator, path.read_bytes(), GenerationOptions(seed=0, style=name))
                except Seq2DrumError as error:
                    print(f"{name} | {meter} | {path.name}: refused ({error})")
                    continue
                for bar_meter, family in families:
                    if bar_meter == meter:  # the style's rules in the meter checked; other meters keep the model's
                        tally[family] += 1
            total = sum(tally.values())
            if not total:
                print(f"{name} | {meter} | {len(songs.get(meter, []))} | 0 | - | no real song in this meter")
                continue
            others = sorted(((c, f or "empty") for f, c in tally.items() if f != name), reverse=True)[:3]
            print(f"{name} | {meter} | {len(songs.get(meter, []))} | {total} | {tally[name] / total:.0%} | "
                  + ", ".join(f"{f} {c}" for c, f in others), flush=True)


if __name__ == "__main__":
    main()
