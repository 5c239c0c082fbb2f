"""Figures for the drum map, the count-in and drums from nothing, measured on the files a user would get.

    python -m studies.shape_figures [--checkpoint PATH] [--bars 34] [--song PATH.mid] [--data DIR]

1. Drums from nothing in 4/4, 3/4, 6/8 and 7/8: bars, meter and tempo read back from the written file, hits per bar,
   the bars that crash and that end in a fill, the sections, how many distinct bars.
2. Count-in on a real song (--song, or the first song in --data with 2 or 3 empty bars before the guitar): the
   sticks written, and for a count-in longer than the room the refusal without merge and the move with it.
3. A drum map round trip on that song: the same seed with and without a plug-in map, mapped back to classes.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from bench.machine import bench_checkpoint, describe_machine
from seq2drum.options import GenerationOptions
from seq2drum.song.move import entry_bar, whole_bars_before
from seq2drum.midi.drums import CRASH, DRUM_CLASSES, PITCH_TO_CLASS
from seq2drum.errors import CountInError, Seq2DrumError
from seq2drum.groove import is_fill_bar
from seq2drum.generation.generator import DrumGenerator
from seq2drum.midi.kit import KIT_KEYS, KitMap
from seq2drum.midi.io import DRUM_CHANNEL, MidiSong, choose_guitar, merged_notes, read_midi
from seq2drum.song.drum_part import drums_to_grid
from seq2drum.song.grid import BAR_START, BAR_STEPS, Grid

REPO = Path(__file__).resolve().parents[1]

PLUGIN_MAP = {"kick": 24, "snare": 26, "closed_hat": 54, "open_hat": 56, "low_tom": 41, "mid_tom": 43,
              "high_tom": 45, "crash": 55, "ride": 60, "side_stick": 25}


def from_nothing(generator: DrumGenerator, bars: int) -> None:
    print(f"\n1. drums from nothing, {bars} bars, temperature 0, seed 0 (bars counted from 1)")
    for meter, tempo_qpm in (("4/4", 120.0), ("3/4", 96.0), ("6/8", 110.0), ("7/8", 140.0)):
        started = time.perf_counter()
        result = generator.generate(None, GenerationOptions(bars=bars, tempo_qpm=tempo_qpm, meter=meter, seed=0))
        seconds = time.perf_counter() - started
        song = read_midi(result.midi_bytes)
        grid = Grid.build(song.ticks_per_quarter, song.time_signatures, song.tempos, song.end_tick)
        drums = drums_to_grid(song.parts[0].notes, grid).hits
        per_bar, crashes, fills, patterns = [], [], [], set()
        beat = grid.beat_steps()
        for bar in range(grid.n_bars):
            start, n_steps = grid.bars[bar, [BAR_START, BAR_STEPS]]
            hits = drums[start : start + n_steps]
            per_bar.append(int(hits.sum()))
            patterns.add(hits.tobytes())
            crashes += [bar + 1] if hits[0, CRASH] else []
            fills += [bar + 1] if bar < grid.n_bars - 1 and is_fill_bar(hits, int(n_steps), int(beat[start])) else []
        qpm = 60_000_000 / song.tempos[0][1]
        print(f"{meter} at {tempo_qpm:g}: file has {grid.n_bars} bars of "
              f"{'/'.join(map(str, song.time_signatures[0][1:]))} at {qpm:.2f} qpm ({len(song.tempos)} tempo, "
              f"{len(song.time_signatures)} meter event), channel {song.parts[0].channel + 1}, {result.n_hits} hits, "
              f"{len(patterns)} distinct bars, {seconds:.2f} s")
        print(f"  sections: {' '.join(f'{letter}@{bar}' for bar, letter in result.sections)}")
        print(f"  hits per bar: {' '.join(map(str, per_bar))}")
        print(f"  crash on the downbeat of bars: {crashes}; fills close bars: {fills}")


def room(song: MidiSong, steps_per_quarter: int) -> tuple[int, int]:
    """The bar where the guitar enters (0-based) and the whole empty bars before it."""
    grid, entry = entry_bar(song, merged_notes(choose_guitar(song).parts), steps_per_quarter)
    return entry, whole_bars_before(grid, entry)


def pick_song(data: Path, steps_per_quarter: int) -> Path:
    """The first song (by path) with 2 or 3 whole empty bars before the guitar and a tempo map, else without one."""
    fallback = None
    for path in sorted(data.rglob("*.mid")):
        try:
            song = read_midi(path)
            _, free = room(song, steps_per_quarter)
        except Seq2DrumError:
            continue
        if 2 <= free <= 3:
            if len(song.tempos) > 1:
                return path
            fallback = fallback or path
    if fallback is None:
        raise SystemExit(f"no song in {data} with 2 or 3 empty bars before the guitar")
    return fallback


def count_in(generator: DrumGenerator, path: Path) -> None:
    song = read_midi(path)
    entry, free = room(song, generator.data_config.steps_per_quarter)
    print(f"\n2. count-in on {path.name}: the guitar enters in bar {entry + 1} after {free} whole empty bars; "
          f"{len(song.tempos)} tempo events, meters {[(tick, f'{n}/{d}') for tick, n, d in song.time_signatures[:3]]}")
    for bars, merge in [(free, False)] * (free > 0) + [(free + 2, False), (free + 2, True)]:
        options = GenerationOptions(seed=0, count_in_bars=bars, merge=merge)
        try:
            result = generator.generate(song, options)
        except CountInError as error:
            print(f"  --count-in {bars}{' --merge' if merge else ''}: refused: {error}")
            continue
        out = read_midi(result.midi_bytes)
        drums = next(p for p in out.parts if p.channel == DRUM_CHANNEL).notes
        sticks = drums[drums[:, 2] == 37]
        first_drum = drums[drums[:, 2] != 37][:, 0].min() / out.ticks_per_quarter
        line = (f"  --count-in {bars}{' --merge' if merge else ''}: {len(sticks)} side sticks from quarter "
                f"{sticks[0, 0] / out.ticks_per_quarter:g} to {sticks[-1, 0] / out.ticks_per_quarter:g}, drums from "
                f"quarter {first_drum:g}")
        if merge:
            guitar = [p for p in out.parts if p.channel != DRUM_CHANNEL]
            first_guitar = min(int(p.notes[0, 0]) for p in guitar) / out.ticks_per_quarter
            was = int(merged_notes(choose_guitar(song).parts)[0, 0]) / song.ticks_per_quarter
            line += (f", guitar from quarter {first_guitar:g} (was {was:g}); tempo map "
                     f"{[(t / out.ticks_per_quarter, round(60e6 / us, 1)) for t, us in out.tempos[:3]]} (was "
                     f"{[(t / song.ticks_per_quarter, round(60e6 / us, 1)) for t, us in song.tempos[:3]]}); "
                     f"meters {[(t / out.ticks_per_quarter, f'{n}/{d}') for t, n, d in out.time_signatures[:3]]}")
        print(line)
        for notice in result.notices:
            print(f"    notice: {notice}")


def kit_round_trip(generator: DrumGenerator, path: Path) -> None:
    song = read_midi(path)
    options = GenerationOptions(seed=0, temperature=0.5)
    gm = read_midi(generator.generate(song, options).midi_bytes).parts[0].notes
    kit = KitMap.from_mapping(PLUGIN_MAP)
    mapped = read_midi(generator.generate(song, options.replace(kit_map=kit.to_json())).midi_bytes).parts[0].notes
    back = {note: key for key, note in kit.to_dict().items()}
    as_keys = sorted((int(t), back[int(p)]) for t, p in mapped[:, [0, 2]])
    named = {37: "side_stick", 44: "pedal_hat"}  # the count-in's sticks (no style here: no cross-stick), the foot
    expected = sorted((int(t), named.get(int(p)) or DRUM_CLASSES[PITCH_TO_CLASS[p]]) for t, p in gm[:, [0, 2]])
    notes_used = sorted(set(mapped[:, 2].tolist()))
    print(f"\n3. drum map round trip on {path.name}: {json.dumps(PLUGIN_MAP)}")
    print(f"  GM file {len(gm)} notes on {sorted(set(gm[:, 2].tolist()))}; mapped file {len(mapped)} notes on "
          f"{notes_used}; mapped back to classes equal to the GM file's: {as_keys == expected}; keys {list(KIT_KEYS)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", type=Path, default=None, help="default: the shipped models/default.pt")
    parser.add_argument("--bars", type=int, default=34)
    parser.add_argument("--song", type=Path, default=None)
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "midi")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    print(describe_machine())
    with tempfile.TemporaryDirectory() as scratch:
        generator = DrumGenerator.from_checkpoint(bench_checkpoint(args.checkpoint, Path(scratch)))
    print(f"model {generator.info.name} {generator.info.version}")
    from_nothing(generator, args.bars)
    song = args.song or pick_song(args.data, generator.data_config.steps_per_quarter)
    count_in(generator, song)
    kit_round_trip(generator, song)


if __name__ == "__main__":
    main()
