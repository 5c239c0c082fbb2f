"""Issue 101 items 2 and 4, measured on the songs' drummers and on take 1 from the band: how fills land where a
section opens, and how often a 3/4 bar puts kick and snare together on beat 1.

    python -m studies.fill_landings --checkpoint /work/main/runs/cv99/fold0/best.pt --fold 0 --out runs/fl-f0.json \
        --gen runs/fl-f0/gen
    # --shipped-settings: the fold's network and calibration, the shipped decoding settings (its own plays no fill)
    python -m studies.fill_landings --split val --out runs/fl-val.json          # the shipped model's validation songs

Per song, over its span's bars (drum_eval's: the first bar to the last onset) and with the sections the run counts
(the band heard, `GenerationResult.sections`: SongScores.sections), for the drummer's own part and for take 1
(seed 0): the fill bars (../shared/scoring kit.py's: 2 or more tom hits, or 4 or more snare hits on odd 16ths); of
those whose next bar opens a section, the ones whose next bar has a crash (crash, china, splash: the crash class) on
its downbeat ("landed"); of the other fill bars, those followed by a crash; the crash bars inside a section (not its
first bar) after a bar that is no fill; and in 3/4 bars that play, those with kick and snare both on beat 1 (and
each alone).
`--gen` writes take 1 as GEN/band/take1/X.drums.mid (X as midisplit.py names the song) for ../shared/scoring.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

import numpy as np

DATA = Path("..") / "shared" / "data" / "midi"
KEYS = ("bars", "fills", "into_section", "landed", "other_fills", "crash_after_other", "mid_crashes",
        "mid_crashes_after_no_fill", "crash_bars", "bars_34", "together_34", "kick_34", "snare_34")


def bar_counts(hits: np.ndarray, bars: np.ndarray, openings: set[int]) -> Counter:
    """The study's counts (KEYS) of drums `hits` (steps, 9) over grid `bars` (k, 4: start, steps, numerator,
    denominator), `openings` the bar indices (into `bars`) where a section opens."""
    from seq2drum.midi.drums import CRASH, KICK, SNARE, TOMS

    counts: Counter = Counter()
    fill, crash = [], []
    for start, steps, numerator, denominator in bars.tolist():
        bar = hits[start: start + steps]
        odd_snares = int(bar[1::2, SNARE].sum())
        fill.append(int(bar[:, list(TOMS)].sum()) >= 2 or odd_snares >= 4)
        crash.append(bool(len(bar)) and bool(bar[0, CRASH]))
        if (numerator, denominator) == (3, 4) and bar.any():
            counts["bars_34"] += 1
            counts["together_34"] += int(bar[0, KICK] and bar[0, SNARE])
            counts["kick_34"] += int(bar[0, KICK])
            counts["snare_34"] += int(bar[0, SNARE])
    counts["bars"] = len(bars)
    counts["crash_bars"] = sum(crash)
    for row in range(len(bars)):
        following = row + 1 < len(bars)
        if fill[row] and following:
            counts["fills"] += 1
            if row + 1 in openings:
                counts["into_section"] += 1
                counts["landed"] += crash[row + 1]
            else:
                counts["other_fills"] += 1
                counts["crash_after_other"] += crash[row + 1]
        if crash[row] and row not in openings and row > 0:
            counts["mid_crashes"] += 1
            counts["mid_crashes_after_no_fill"] += not fill[row - 1]
    return counts


def song_counts(song, real: np.ndarray, ours: np.ndarray, sections: list[tuple[int, str]]) -> dict[str, Counter]:
    """The drummer's and take 1's counts over the song's span, sections as (first bar 1-based, letter)."""
    from seq2drum.song.grid import BAR_START

    start, end = song.span_steps
    grid_bars = song.grid.bars
    rows = np.flatnonzero((grid_bars[:, BAR_START] >= start) & (grid_bars[:, BAR_START] < end))
    first = int(rows[0]) if len(rows) else 0
    openings = {bar - 1 - first for bar, _ in sections[1:]}
    bars = grid_bars[rows]
    return {"drummer": bar_counts(real, bars, openings), "take1": bar_counts(ours, bars, openings)}


def shares(total: Counter) -> dict[str, float]:
    """The pooled figures of summed counts."""
    ratio = lambda a, b: round(total[a] / total[b], 4) if total[b] else None  # noqa: E731
    return {"landed_share": ratio("landed", "into_section"), "crash_after_other_fill": ratio("crash_after_other",
            "other_fills"), "fills_per_8": round(8 * total["fills"] / max(1, total["bars"]), 4),
            "crash_per_8": round(8 * total["crash_bars"] / max(1, total["bars"]), 4),
            "mid_crash_after_no_fill_share": ratio("mid_crashes_after_no_fill", "mid_crashes"),
            "together_34_share": ratio("together_34", "bars_34"), "kick_34_share": ratio("kick_34", "bars_34"),
            "snare_34_share": ratio("snare_34", "bars_34"), **{k: int(total[k]) for k in KEYS}}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--checkpoint", type=Path, default=None, help="default: the shipped model")
    parser.add_argument("--split", choices=("val", "all"), default="val")
    parser.add_argument("--fold", type=int, default=None, help="the songs of this fold of 5 instead of --split")
    parser.add_argument("--shipped-settings", action="store_true", help="the checkpoint's network and calibration "
                        "with the shipped model's decoding settings (a cv99 fold's tuned policy plays no fill)")
    parser.add_argument("--drummers-only", action="store_true", help="the drummers' figures alone (the run's sections "
                        "from the band, no take made)")
    parser.add_argument("--only-34", action="store_true", help="only songs with a 3/4 bar")
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--gen", type=Path, default=None)
    parser.add_argument("--out", type=Path, required=True)
    return parser


def main(argv: list[str] | None = None) -> int:
    from seq2drum.config import DataConfig
    from seq2drum.evaluation.evaluate import EvaluationSettings, chosen_songs, fit_steps, output_name, write_outputs
    from seq2drum.evaluation.inputs import build_input
    from seq2drum.generation.generator import DrumGenerator
    from seq2drum.generation.prepare import prepare
    from seq2drum.options import GenerationOptions
    from seq2drum.song.corpus import build_corpus, files_by_content
    from seq2drum.song.grid import BAR_DENOMINATOR, BAR_NUMERATOR

    args = build_parser().parse_args(argv)
    generator = DrumGenerator.from_checkpoint(args.checkpoint)
    if args.shipped_settings:
        own = generator.decoder.policy
        generator.decoder.policy = DrumGenerator.from_checkpoint(None).decoder.policy.replace(
            calibration=own.calibration)
    corpus = build_corpus(args.data, DataConfig(), None, 1, progress=False)
    settings = EvaluationSettings(split="fold", fold=args.fold) if args.fold is not None else EvaluationSettings(
        split=args.split)
    songs, _, _ = chosen_songs(corpus.songs, settings, DataConfig(), args.data)
    if args.only_34:
        songs = [s for s in songs
                 if ((s.grid.bars[:, BAR_NUMERATOR] == 3) & (s.grid.bars[:, BAR_DENOMINATOR] == 4)).any()]
    songs = songs[: args.limit] if args.limit else songs
    files = files_by_content(args.data)
    options = GenerationOptions(seed=0, takes=1)
    per_song, totals = {}, {"drummer": Counter(), "take1": Counter()}
    for index, song in enumerate(songs, start=1):
        path = files.get(song.sha256)
        if path is None or song.drums is None:
            continue
        made = build_input("band", path.read_bytes(), options)
        if args.drummers_only:
            bars = prepare(made.midi_bytes, made.options, generator.data_config, generator.spec).bars
            sections = [(s.start_bar + 1, s.letter) for s in bars.sections]
            counts = song_counts(song, song.drums.hits, np.zeros_like(song.drums.hits), sections)
        else:
            result = generator.generate(made.midi_bytes, made.options)
            ours = fit_steps(result.takes[0].drums, song.n_steps).hits
            counts = song_counts(song, song.drums.hits, ours, result.sections)
        if args.gen is not None and not args.drummers_only:
            write_outputs(args.gen / "band", output_name(path), [result.takes[0].midi_bytes])
        per_song[output_name(path)] = {who: dict(c) for who, c in counts.items()}
        for who, c in counts.items():
            totals[who].update(c)
        print(f"[{index}/{len(songs)}] {path.name}: " + ", ".join(
            f"{who} {c['landed']}/{c['into_section']} landed, 3/4 {c['together_34']}/{c['bars_34']}"
            for who, c in counts.items()), flush=True)
    out = {"songs": len(per_song), **{who: shares(t) for who, t in totals.items()}, "per_song": per_song}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=1))
    print(json.dumps({k: v for k, v in out.items() if k != "per_song"}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
