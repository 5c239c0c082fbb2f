"""Per song, where the drums' swing comes from (issue 24 item 2): the drummer's swing (../shared/scoring's measure of
the real drums), the song's reading (feel/swing.py: the guitar first, else every listened part) and each listened
part's, the swing decided, the written take 1's swing and its time-keeping pattern, and its F1; for a model's split,
played from the whole arrangement as `--mode evaluate --input-kind band` plays it.

    python -m studies.swing_songs [--checkpoint runs/X/best.pt] [--which swung|straight|all] [--json OUT.json]

The pattern is, over x/4 beats with time-keeping (hats or ride), the share that play the eighth off the beat, other
16ths off it, or the beat alone: a beat with two or more notes off it, or none, has no swing to measure.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from seq2drum.evaluation import metrics
from seq2drum.evaluation.evaluate import EvaluationSettings, chosen_songs, fit_steps
from seq2drum.evaluation.feel_figures import SWING_AGREEMENT
from seq2drum.evaluation.inputs import build_input, data_config_for
from seq2drum.feel.swing import (STRAIGHT_MAX_SWING, SWUNG_MIN_SWING, TIMEKEEPERS, decide_swing, read_swing,
                                 song_swing)
from seq2drum.generation.generator import DrumGenerator
from seq2drum.generation.prepare import prepare
from seq2drum.midi.roles import part_role
from seq2drum.options import GenerationOptions
from seq2drum.song.encode import EncodedSong
from seq2drum.song.drum_part import DrumGrid
from seq2drum.song.grid import BAR_DENOMINATOR, BAR_STEPS, Grid
from seq2drum.song.corpus import build_corpus, files_by_content


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", type=Path, default=None, help="model file (default: the shipped model)")
    parser.add_argument("--data", type=Path, default=Path("..") / "shared" / "data" / "midi")
    parser.add_argument("--split", choices=("val", "train"), default="val")
    parser.add_argument("--which", choices=("swung", "straight", "all"), default="swung",
                        help="songs by their drummer's swing (all: every song with drums)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=None, help="write the rows here too")
    return parser


def kind_of(swing: float | None) -> str:
    if swing is None:
        return "unmeasured"
    return "swung" if swing >= SWUNG_MIN_SWING else "straight" if swing <= STRAIGHT_MAX_SWING else "between"


def pattern(drums: DrumGrid, grid: Grid, span: tuple[int, int]) -> dict[str, float]:
    """Over x/4 beats (bars assumed to start on a beat) whose time-keeping plays: the share with the off-beat eighth,
    with other 16ths off the beat, and with the beat alone."""
    start, end = span
    q = grid.steps_per_quarter
    n_beats = (end - start) // q
    keeps = drums.hits[start : start + n_beats * q][:, list(TIMEKEEPERS)].any(axis=1).reshape(n_beats, q)
    quarter = np.repeat(grid.bars[:, BAR_DENOMINATOR] == 4, grid.bars[:, BAR_STEPS])[start : start + n_beats * q]
    played = keeps.any(axis=1) & quarter.reshape(n_beats, q).all(axis=1)
    beats = keeps[played]
    if not len(beats):
        return {"eighth": 0.0, "sixteenths": 0.0, "beat_only": 0.0}
    others = [step for step in range(1, q) if step != q // 2]
    return {"eighth": float(beats[:, q // 2].mean()), "sixteenths": float(beats[:, others].any(axis=1).mean()),
            "beat_only": float((beats[:, 0] & ~beats[:, 1:].any(axis=1)).mean())}


def song_row(generator: DrumGenerator, song: EncodedSong, path: Path, options: GenerationOptions) -> dict[str, Any]:
    """One song's row (see the module docstring)."""
    assert song.drums is not None
    span = song.span_steps
    made = build_input("band", path.read_bytes(), options)
    prepared = prepare(made.midi_bytes, made.options, generator.data_config, generator.spec)
    grid = prepared.encoded.grid
    guitar, band = prepared.guitar_notes_per_part, prepared.band_notes_per_part
    reading = read_swing(guitar, grid)
    if reading.swing is None:
        reading = read_swing([*guitar, *band], grid)
    decided, _ = decide_swing(None, guitar, grid, band)
    guitar_ids = {id(part) for part in prepared.choice.parts}
    parts = [{"name": part.name, "role": "guitar" if id(part) in guitar_ids else part_role(part),
              "swing": read.swing, "beats": read.n_beats, "off_grid_share": read.swung_share}
             for part in prepared.listened_parts for read in [read_swing(part.notes, grid)]]
    result = generator.generate(made.midi_bytes, made.options)
    take = fit_steps(result.takes[0].drums, song.n_steps)
    real = song_swing(song.drums, song.grid, span)
    return {"name": song.name, "kind": kind_of(real), "drummer": real, "reading": reading.swing,
            "beats_read": reading.n_beats, "off_grid_share": reading.swung_share, "decided": decided,
            "take1": song_swing(take, song.grid, span),
            "f1": metrics.match_hits(take.hits[span[0] : span[1]], song.drums.hits[span[0] : span[1]]).micro()[2],
            "take1_pattern": pattern(take, song.grid, span), "drummer_pattern": pattern(song.drums, song.grid, span),
            "parts": parts}


def agrees(row: dict[str, Any]) -> bool:
    """The issue's agreement: a straight song kept straight (or unmeasured), a swung one within SWING_AGREEMENT."""
    if row["kind"] == "straight":
        return row["take1"] is None or row["take1"] <= STRAIGHT_MAX_SWING
    return row["take1"] is not None and abs(row["take1"] - row["drummer"]) <= SWING_AGREEMENT


def print_row(row: dict[str, Any]) -> None:
    def fmt(value: float | None) -> str:
        return "  -  " if value is None else f"{value:.3f}"

    shares = "/".join(f"{row['take1_pattern'][key]:.2f}" for key in ("eighth", "sixteenths", "beat_only"))
    mark = "ok" if agrees(row) else "MISS" if row["kind"] in ("swung", "straight") else ""
    print(f"{row['name'][:26]:26s} {row['kind'][:8]:8s} drummer {fmt(row['drummer'])} read {fmt(row['reading'])} "
          f"({row['beats_read']} beats, {row['off_grid_share']:.2f} off the grid) decided {fmt(row['decided'])} "
          f"take 1 {fmt(row['take1'])} {mark:4s} F1 {row['f1']:.3f} hats/ride 8th/16ths/beat {shares}")
    for part in row["parts"]:
        print(f"    {part['role']:7s} {str(part['name'])[:24]:24s} {fmt(part['swing'])} ({part['beats']} beats, "
              f"{part['off_grid_share']:.2f} off the grid)")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    generator = DrumGenerator.from_checkpoint(args.checkpoint)
    data_config = data_config_for("band", generator.data_config)
    corpus = build_corpus(args.data, data_config, None, 1, progress=False)
    songs, _, _ = chosen_songs(corpus.songs, EvaluationSettings(split=args.split), data_config, args.data)
    files = files_by_content(args.data)
    rows = []
    for song in songs:
        if song.sha256 not in files or song.drums is None:
            continue
        if args.which != "all" and kind_of(song_swing(song.drums, song.grid, song.span_steps)) != args.which:
            continue
        rows.append(song_row(generator, song, files[song.sha256], GenerationOptions(seed=args.seed)))
        print_row(rows[-1])
    for kind in ("swung", "straight"):
        chosen = [row for row in rows if row["kind"] == kind]
        print(f"{kind} songs agreeing: {sum(agrees(row) for row in chosen)} of {len(chosen)}")
    print(f"mean song F1, take 1: {np.mean([row['f1'] for row in rows]):.4f} over {len(rows)} songs")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
