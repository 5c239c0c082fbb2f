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
(precision, recall) over the songs' hits and how many of the bars the drummers leave silent the drums play in.
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

LIVE_CHECKPOINT = Path(__file__).resolve().parents[1] / "models" / "live.pt"
VARIANTS = ("live", "live-genre", "live-deaf", "offline", "offline-bars", "told-plan", "told-plan-late", "prefix-plan",
            "default")
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


def kept_grids() -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Each song's (take 1's hits, the real hits, the bar of each step) over its scored span, as scored."""
    kept: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    scored = ev.evaluate_song

    def keeping(song: Any, *args: Any, **kwargs: Any) -> Any:
        score, grid, outputs = scored(song, *args, **kwargs)
        start, end = ev.song_span(song)
        kept[song.name] = (grid.hits[start:end], song.drums.hits[start:end], song.grid.bar_of_step()[start:end])
        return score, grid, outputs

    ev.evaluate_song = keeping  # type: ignore[assignment]
    return kept


def figures(kept: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]) -> str:
    """F1 (precision, recall) over every song's hits, and the silent bars the drums play in."""
    tp = played = real_hits = silent = filled = 0
    for hits, real, bar in kept.values():
        n = min(len(hits), len(real))
        hits, real, bar = hits[:n], real[:n], bar[:n]
        tp, played, real_hits = tp + int((hits & real).sum()), played + int(hits.sum()), real_hits + int(real.sum())
        for index in np.unique(bar).tolist():
            if not real[bar == index].any():
                silent, filled = silent + 1, filled + int(hits[bar == index].any())
    precision, recall = tp / max(1, played), tp / max(1, real_hits)
    f1 = 2 * precision * recall / max(1e-9, precision + recall)
    return (f"F1 {f1:.4f} (precision {precision:.3f}, recall {recall:.3f}); drums in {filled} of the {silent} bars "
            "the drummers leave silent")


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
    settings = ev.EvaluationSettings(split="val", limit=args.limit, seed=0, plots_songs=0,
                                     input_kind=args.input_kind, live=live,
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
