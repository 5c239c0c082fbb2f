"""The render's own tell: each song's own drummer's cells (his hits quantized to the song's grid, his articulations)
played through the render pipeline generation plays a take through (render.pipeline `play`, then `notes`: the
band's level and spread, the humanizer, the song's swing, the kit map), written as a generated part would be. Scored
by ../shared/scoring's realism.py against the drummer's own part, it measures what the render gives away apart from
what the network decides (the cells are the drummer's).

    python -m studies.render_control --split SPLIT --out OUT [--seed 0] [--humanize 1] [--level drummer] [--limit N]
    OMP_NUM_THREADS=1 python ../shared/scoring/realism.py SPLIT/band SPLIT/refs OUT     # the tell

SPLIT is midisplit.py's output (band/, refs/; tools/score_split.py makes it for the shipped model's validation
songs). Writes OUT/NAME.drums.mid for each SPLIT/band/NAME.guitar.mid with a refs/NAME.drums.mid, and prints how many
songs were written and how many of them keep every cell (checked by reading the written file back onto the grid).
`--level drummer` plays them at the drummer's own level and spread (as --keep-drums plays the user's), not at those
feel.level reads off the band: an oracle that tells the level and spread's part of the tell from the humanizer's.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from seq2drum.errors import Seq2DrumError
from seq2drum.generation.prepare import prepare
from seq2drum.generation.render import drums_feel, song_swing, write_song
from seq2drum.feel.level import SongLevel
from seq2drum.generation.generator import DrumGenerator
from seq2drum.midi.io import MidiSong, read_midi
from seq2drum.options import GenerationOptions
from seq2drum.render.pipeline import RenderControls, draw_drummer, notes, play
from seq2drum.song.drum_part import DrumGrid, drums_to_grid
from seq2drum.song.grid import Grid


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", type=Path, required=True, help="midisplit.py's folder (band/, refs/)")
    parser.add_argument("--out", type=Path, required=True, help="the folder the rendered parts are written to")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--humanize", type=float, default=1.0, help="--humanize's amount (0: on the grid)")
    parser.add_argument("--level", choices=("band", "drummer"), default="band",
                        help="the level and spread played at: the band's lines (as generation) or the drummer's own")
    parser.add_argument("--limit", type=int, default=0, help="at most this many songs (0 = all), in name order")
    return parser


def drummer_cells(refs: MidiSong, grid: Grid) -> DrumGrid:
    """The drummer's part of `refs` on `grid`: his hits on their steps with his velocities and articulations, no
    timing (the cells the render plays, as a decided take's)."""
    drum_notes = [part.notes for part in refs.drum_parts]
    cells = drums_to_grid(np.concatenate(drum_notes).astype(np.int64) if drum_notes else np.zeros((0, 4), np.int64),
                          grid)
    return DrumGrid(cells.hits, cells.velocity, np.zeros_like(cells.offset), articulation=cells.articulation)


def rendered(band: bytes, refs: MidiSong, options: GenerationOptions, generator: DrumGenerator,
             own_level: bool = False) -> tuple[bytes, bool]:
    """The drummer's cells of `refs` played through the render as generation plays a take of the song `band` (its
    grid, touch and swing; `own_level`: at the drummer's level and spread), and whether the written part
    holds exactly those cells."""
    prepared = prepare(band, options, generator.data_config, generator.spec)
    grid = prepared.encoded.grid
    cells = drummer_cells(refs, grid)
    controls = RenderControls.of(options, song_swing(prepared, options)[0])
    rng = np.random.default_rng([options.seed, 1])  # as generation.render `played_takes`: the drummer, then the take
    drummer = draw_drummer(rng, controls.feel, controls.humanize)
    velocities = cells.velocity[cells.hits].astype(np.float64)
    level = SongLevel(float(velocities.mean()), float(velocities.std())) if own_level and len(velocities) else \
        drums_feel(prepared, options.seed)
    played, _ = play(cells, grid, controls, level, drummer, rng)
    written = notes(played, grid, controls)
    same = bool(np.array_equal(drums_to_grid(written, grid).hits, cells.hits))
    return write_song(prepared.song, written, []), same


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    generator = DrumGenerator.from_checkpoint()  # its data config and bar spec: the grid generation puts a song on
    options = GenerationOptions(seed=args.seed, humanize=args.humanize)
    songs = sorted((args.split / "band").glob("*.guitar.mid"))
    args.out.mkdir(parents=True, exist_ok=True)
    written = kept = 0
    for song in songs[: args.limit] if args.limit else songs:
        name = song.name[: -len(".guitar.mid")]
        ref_path = args.split / "refs" / f"{name}.drums.mid"
        if not ref_path.is_file():
            continue
        try:
            data, same = rendered(song.read_bytes(), read_midi(ref_path.read_bytes()), options, generator,
                                  args.level == "drummer")
        except Seq2DrumError as exc:
            print(f"  {name}: {exc}", file=sys.stderr)
            continue
        (args.out / f"{name}.drums.mid").write_bytes(data)
        written += 1
        kept += same
    print(f"{written} songs written to {args.out}; {kept} keep every cell of their drummer")
    return 0


if __name__ == "__main__":
    sys.exit(main())
