"""Where live loses to offline (issue 102): the validation songs played from the band through `--mode evaluate`'s
measure, the live drummer as shipped and as told a plan, beside the offline path on the same causal network.

    python -m studies.live_gap --variant live --variant prefix-plan [--limit N] [--input-kind band]

Variants: `live` (models/live.pt bar by bar, as shipped: the band heard so far described, its genre and the part
model's causal plan told, live/hearing.py); `live-genre` (the same, no plan told: the genre heard alone); `live-deaf`
(neither: the live drummer before issue 102's hearing); `offline` (the same network through offline generation, the
plan of parts); `offline-bars` (... bar by bar, `plan="bars"`); `told-plan` (live, told each song's offline plan as
the musician's `--parts` bar ranges: an upper bound, it reads the whole song); `told-plan-late` (the same, each phrase
the part planned for the phrase before it); `prefix-plan` (live, told every 8 bars the part offline generation plans
for the last phrase of the music heard before them: the file cut at the bar, causal); `default` (models/default.pt
offline, the plan). `--hearing NAME=VALUE` sets one of live/hearing.py's settings for the run. Each prints F1
(precision, recall), the silent bars of the drummers the drums play in, the 4/4 bars with a snare backbeat, the songs.
"""

from __future__ import annotations

import argparse
import io
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from seq2drum.evaluation import evaluate as ev
from seq2drum.evaluation import playback
from seq2drum.live import hearing
from seq2drum.midi.drums import SNARE
from seq2drum.song.grid import BAR_STEPS

LIVE_CHECKPOINT = Path(__file__).resolve().parents[1] / "models" / "live.pt"
VARIANTS = ("live", "live-genre", "live-deaf", "offline", "offline-bars", "told-plan", "told-plan-late", "prefix-plan",
            "default")
BACKBEAT_BAR_STEPS, BACKBEAT_STEPS = 16, (4, 12)  # style_touch.py's backbeat: a 4/4 bar's snare on 2 and 4 (16ths)
PREFIX_BARS = 8  # prefix-plan: a part asked every this many bars, of the music before them


def cut_midi(midi_bytes: bytes, cut_tick: int) -> bytes:
    """The file up to `cut_tick`: every event before it, the notes sounding there ended at it."""
    import mido

    source = mido.MidiFile(file=io.BytesIO(midi_bytes))
    out = mido.MidiFile(type=source.type, ticks_per_beat=source.ticks_per_beat)
    for track in source.tracks:
        kept, now, last, sounding = mido.MidiTrack(), 0, 0, set()
        for message in track:
            now += message.time
            if message.type == "end_of_track" or now >= cut_tick:
                continue
            kept.append(message.copy(time=now - last))
            last = now
            if message.type == "note_on" and message.velocity > 0:
                sounding.add((message.channel, message.note))
            elif message.type in ("note_off", "note_on"):
                sounding.discard((message.channel, message.note))
        for channel, note in sorted(sounding):
            kept.append(mido.Message("note_off", channel=channel, note=note, velocity=0, time=max(0, cut_tick - last)))
            last = cut_tick
        kept.append(mido.MetaMessage("end_of_track", time=0))
        out.tracks.append(kept)
    written = io.BytesIO()
    out.save(file=written)
    return written.getvalue()


def told_parts(generator: Any, midi_bytes: bytes, options: Any, variant: str) -> str | None:
    """The `--parts` bar ranges a told variant gives the live drummer (None: none)."""
    if variant == "prefix-plan":
        return prefix_parts(generator, midi_bytes, options)
    planned = generator.generate(midi_bytes, replace(options, takes=1)).takes[0].planned
    entries = []
    for j, (first, name) in enumerate(planned):
        last = planned[j + 1][0] - 1 if j + 1 < len(planned) else first + 3
        if variant == "told-plan-late":
            name = planned[j - 1][1] if j else ""
        if name and last >= first:
            entries.append(f"{first}-{last}={name}")
    return "; ".join(entries) or None


def prefix_parts(generator: Any, midi_bytes: bytes, options: Any) -> str | None:
    """Every PREFIX_BARS bars from the music's first, the part offline plans for the last phrase of the file cut
    there: what a planner could tell the live drummer from the music heard so far."""
    from seq2drum.generation.prepare import prepare
    from seq2drum.song.grid import BAR_START

    encoded = prepare(midi_bytes, options, generator.data_config, generator.spec).encoded
    grid, entries = encoded.grid, []
    for bar in range(encoded.first_bar + PREFIX_BARS, grid.n_bars, PREFIX_BARS):
        tick = int(grid.step_to_tick(np.array([grid.bars[bar, BAR_START]]))[0])
        planned = generator.generate(cut_midi(midi_bytes, tick), replace(options, takes=1)).takes[0].planned
        if planned and planned[-1][1]:
            entries.append(f"{bar + 1}-{bar + PREFIX_BARS}={planned[-1][1]}")
    return "; ".join(entries) or None


def telling(variant: str) -> None:
    """Live plays its songs told the variant's parts (playback.play_file wrapped; the live drummer's own generator,
    the same network offline, plans them)."""
    played, generators = playback.play_file, {}

    def told(drummer: Any, midi_bytes: bytes, options: Any, seed: int) -> Any:
        generator = generators.get("g") or generators.setdefault("g", ev.loaded_model(drummer.checkpoint, False)[0])
        return played(drummer, midi_bytes, replace(options, parts=told_parts(generator, midi_bytes, options,
                                                                                   variant)), seed)

    playback.play_file = told  # type: ignore[assignment]


def deafened(variant: str) -> None:
    """`live-genre`: the live drummer told no plan (live/hearing.py's reading and genre kept); `live-deaf`: no reading
    at all (the band never read: no genre, no plan)."""
    from seq2drum.live import told

    if variant == "live-genre":
        told.told_plan = lambda *args: hearing.NO_PLAN  # type: ignore[assignment]
    if variant == "live-deaf":
        hearing.heard = lambda hearing_, *args: hearing_  # type: ignore[assignment]


Kept = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def kept_grids() -> dict[str, Kept]:
    """Each song's (take 1's hits, the real hits, the bar of each step, each step's place in its bar, its bar's
    steps) over its scored span, as scored."""
    kept: dict[str, Kept] = {}
    scored = ev.evaluate_song

    def keeping(song: Any, *args: Any, **kwargs: Any) -> Any:
        score, grid, outputs = scored(song, *args, **kwargs)
        start, end = ev.song_span(song)
        bar = song.grid.bar_of_step()
        kept[song.name] = (grid.hits[start:end], song.drums.hits[start:end], bar[start:end],
                           song.grid.step_in_bar()[start:end], song.grid.bars[bar, BAR_STEPS][start:end])
        return score, grid, outputs

    ev.evaluate_song = keeping  # type: ignore[assignment]
    return kept


def backbeat_bars(hits: np.ndarray, bar: np.ndarray, in_bar: np.ndarray, bar_steps: np.ndarray) -> tuple[int, int]:
    """(bars played, bars with a snare backbeat) of the 16-step bars (4/4) in `hits` (n, 9): style_touch.py's count
    (../shared/scoring), a snare on 16ths 4 and 12 of a bar with any hit, read off the scored grid."""
    four = bar_steps == BACKBEAT_BAR_STEPS
    played = np.unique(bar[four & hits.any(axis=1)])
    snare = four & hits[:, SNARE]
    backbeat = np.intersect1d(*(bar[snare & (in_bar == step)] for step in BACKBEAT_STEPS))
    return len(played), len(backbeat)


def figures(kept: dict[str, Kept]) -> str:
    """F1 (precision, recall) over every song's hits, the silent bars the drums play in and the 4/4 bars with a snare
    backbeat, the drums' and the drummers'."""
    tp = played = real_hits = silent = filled = 0
    backbeats = np.zeros((2, 2), dtype=np.int64)  # (drums, drummers) x (bars played, with a backbeat)
    for hits, real, bar, in_bar, bar_steps in kept.values():
        n = min(len(hits), len(real))
        hits, real, bar, in_bar, bar_steps = hits[:n], real[:n], bar[:n], in_bar[:n], bar_steps[:n]
        tp, played, real_hits = tp + int((hits & real).sum()), played + int(hits.sum()), real_hits + int(real.sum())
        for index in np.unique(bar).tolist():
            if not real[bar == index].any():
                silent, filled = silent + 1, filled + int(hits[bar == index].any())
        backbeats += [backbeat_bars(hits, bar, in_bar, bar_steps), backbeat_bars(real, bar, in_bar, bar_steps)]
    precision, recall = tp / max(1, played), tp / max(1, real_hits)
    f1 = 2 * precision * recall / max(1e-9, precision + recall)
    share = backbeats[:, 1] / np.maximum(backbeats[:, 0], 1)
    return (f"F1 {f1:.4f} (precision {precision:.3f}, recall {recall:.3f}); drums in {filled} of the {silent} bars "
            f"the drummers leave silent; a snare backbeat in {share[0]:.2f} of {backbeats[0, 0]} 4/4 bars (drummers "
            f"{share[1]:.2f} of {backbeats[1, 0]}); {len(kept)} songs: {', '.join(sorted(kept))}")


def run(variant: str, args: argparse.Namespace) -> str:
    """One variant's figures (the wrapped functions put back after it)."""
    from seq2drum.live import told

    scored, played = ev.evaluate_song, playback.play_file
    told_plan, heard = told.told_plan, hearing.heard
    try:
        return _run(variant, args)
    finally:
        ev.evaluate_song, playback.play_file = scored, played  # type: ignore[assignment]
        told.told_plan, hearing.heard = told_plan, heard  # type: ignore[assignment]


def _run(variant: str, args: argparse.Namespace) -> str:
    kept = kept_grids()
    if variant in ("told-plan", "told-plan-late", "prefix-plan"):
        telling(variant)
    deafened(variant)
    live = variant in ("live", "live-genre", "live-deaf", "told-plan", "told-plan-late", "prefix-plan")
    settings = ev.EvaluationSettings(split=args.split, limit=args.limit, seed=0, plots_songs=0,
                                     input_kind=args.input_kind, live=live, without_guitar=args.without_guitar,
                                     plan="bars" if variant == "offline-bars" else "parts")
    checkpoint = None if variant == "default" else LIVE_CHECKPOINT
    ev.evaluate(args.data, checkpoint, None, settings, progress=False, log=lambda line: None)
    return figures(kept)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variant", action="append", choices=VARIANTS, default=[])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/midi"))
    parser.add_argument("--input-kind", default="band")
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--split", default="val", help="val: the checkpoint's validation songs; all: every song")
    parser.add_argument("--without-guitar", action="store_true", help="songs without a guitar too (jazz/'s trios)")
    parser.add_argument("--hearing", action="append", default=[], metavar="NAME=VALUE",
                        help="a live/hearing.py setting (PLAN_BARS=4, WINDOW_BARS=16, PLAN_LEVELS=full,sparse)")
    args = parser.parse_args()
    for setting in args.hearing:
        name, value = setting.split("=", 1)
        setattr(hearing, name, tuple(value.split(",")) if name == "PLAN_LEVELS" else int(value))
    for variant in args.variant or ["live"]:
        print(f"{variant}: {run(variant, args)}", flush=True)


if __name__ == "__main__":
    main()
