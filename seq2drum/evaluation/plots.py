"""Figures: piano rolls of a song's guitar, real and generated drums; descriptor histograms; F1 per system (the
evaluation); a generated part over the whole song with its sections (`generation_figure`, the CLI's --plot); a
training run's losses per epoch. Built on `matplotlib.figure.Figure` directly (no pyplot, no global state), which
renders PNGs with the Agg canvas on any machine, headless or not; a notebook shows the returned figures inline.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.figure import Figure

from seq2drum.atomic import write_atomic
from seq2drum.midi.drums import DRUM_CLASSES
from seq2drum.midi.io import END as END_COLUMN
from seq2drum.midi.io import PITCH as PITCH_COLUMN
from seq2drum.midi.io import START as START_COLUMN
from seq2drum.midi.io import VELOCITY as VELOCITY_COLUMN
from seq2drum.song.drum_part import DrumGrid
from seq2drum.song.grid import BAR_START, BAR_STEPS, Grid

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from seq2drum.song.encode import EncodedSong

PITCH_CLASSES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
SYSTEM_COLORS = {
    "real": "0.25", "model": "tab:red", "backbeat": "tab:blue", "jazz_ride": "tab:green", "retrieval": "tab:purple"
}


def save_figure(figure: Figure, path: str | Path, dpi: int = 100) -> Path:
    """Write a PNG via a temporary file and rename, so a crash never leaves half an image."""
    return write_atomic(path, lambda stream: figure.savefig(stream, dpi=dpi, format="png"))


def save_loss_figure(metrics_path: Path, png_path: Path) -> None:
    """Train and validation loss per epoch from a run's metrics.csv, as a PNG beside it."""
    with metrics_path.open() as stream:
        rows = list(csv.DictReader(stream))
    if not rows:
        return
    epochs = [int(r["epoch"]) for r in rows]
    figure = Figure(figsize=(6, 4), layout="tight")
    axis = figure.subplots()
    axis.plot(epochs, [float(r["train_loss"]) for r in rows], marker="o", label="train")
    axis.plot(epochs, [float(r["val_loss"]) for r in rows], marker="o", label="validation")
    axis.set_xlabel("epoch")
    axis.set_ylabel("loss (hit BCE + weighted groove, structure, feel)")
    axis.legend()
    axis.grid(alpha=0.3)
    save_figure(figure, png_path)


def _bar_lines(axis: Axes, grid: Grid, start_step: int, end_step: int) -> None:
    for bar_start in grid.bars[:, BAR_START]:
        if start_step <= bar_start <= end_step:
            axis.axvline(bar_start - 0.5, color="0.75", linewidth=0.6, zorder=0)


def guitar_roll(axis: Axes, guitar: np.ndarray, grid: Grid, start_step: int, end_step: int) -> None:
    """Onset chroma of the guitar (columns 0-11 of the song's guitar features): one row per pitch class."""
    chroma = guitar[start_step:end_step, :12].T  # (12, T)
    axis.imshow(chroma, aspect="auto", origin="lower", cmap="Greys", vmin=0, vmax=1, interpolation="nearest",
                extent=(start_step - 0.5, end_step - 0.5, -0.5, 11.5))
    axis.set_yticks(range(12), PITCH_CLASSES, fontsize=6)
    axis.set_ylabel("guitar onsets")
    _bar_lines(axis, grid, start_step, end_step)


def drum_roll(axis: Axes, drums: DrumGrid, grid: Grid, start_step: int, end_step: int, label: str) -> None:
    """One row per drum class, darker for louder hits."""
    loudness = np.where(drums.hits, np.maximum(drums.velocity, 30) / 127.0, 0.0)[start_step:end_step].T  # (9, T)
    axis.imshow(loudness, aspect="auto", origin="lower", cmap="Greys", vmin=0, vmax=1, interpolation="nearest",
                extent=(start_step - 0.5, end_step - 0.5, -0.5, len(DRUM_CLASSES) - 0.5))
    axis.set_yticks(range(len(DRUM_CLASSES)), DRUM_CLASSES, fontsize=6)
    axis.set_ylabel(label)
    _bar_lines(axis, grid, start_step, end_step)


def song_figure(song: EncodedSong, generated: DrumGrid | None = None, max_bars: int = 16, title: str = "") -> Figure:
    """Guitar, real drums and (when given) generated drums one above another, over the first `max_bars` bars of
    the song's scored span."""
    (start, span_end), first_bar = song.span_steps, song.first_bar
    last_bar = min(song.end_bar, first_bar + max_bars) - 1
    end = min(int(song.grid.bars[last_bar, BAR_START] + song.grid.bars[last_bar, BAR_STEPS]), span_end)
    rows = [("guitar", None)]
    if song.drums is not None:
        rows.append(("real drums", song.drums))
    if generated is not None:
        rows.append(("generated", generated))
    figure = Figure(figsize=(12, 1.2 + 1.6 * len(rows)), layout="constrained")
    axes = figure.subplots(len(rows), 1, sharex=True, squeeze=False)[:, 0]
    for axis, (label, drums) in zip(axes, rows):
        if drums is None:
            guitar_roll(axis, song.guitar, song.grid, start, end)
        else:
            drum_roll(axis, drums, song.grid, start, end, label)
    axes[-1].set_xlabel(f"step ({song.grid.steps_per_quarter} per quarter note); grey lines are bar lines")
    figure.suptitle(title or f"{song.name}: bars {first_bar + 1}-{last_bar + 1}")
    return figure


PLOT_BARS_PER_ROW = 16
PLOT_MAX_ROWS = 24  # longer songs get more bars per row, so the picture stays a picture
SECTION_COLORS = ("tab:red", "tab:blue", "tab:green", "tab:orange", "tab:purple", "tab:brown", "tab:pink", "tab:olive")


def _section_marks(axis: Axes, grid: Grid, sections: Sequence[tuple[int, str]], first_bar: int, end_bar: int,
                   with_letters: bool) -> None:
    """A coloured line where each section starts (sections as (first bar, 1-based; letter)), its letter above."""
    for bar_number, letter in sections:
        bar = bar_number - 1
        if not first_bar <= bar < end_bar:
            continue
        x = grid.bars[bar, BAR_START] - 0.5
        color = SECTION_COLORS[(ord(letter[:1] or "A") - ord("A")) % len(SECTION_COLORS)]
        axis.axvline(x, color=color, linewidth=2.0, zorder=3)
        if with_letters:
            axis.text(x, 1.02, f" {letter} ", transform=axis.get_xaxis_transform(), color="white", fontsize=9,
                      fontweight="bold", ha="left", va="bottom", bbox={"facecolor": color, "edgecolor": "none",
                                                                       "pad": 1.5}, clip_on=False)


def part_roll(axis: Axes, notes: np.ndarray, grid: Grid, start_step: int, end_step: int, label: str,
              pitch_range: tuple[int, int]) -> None:
    """The notes of one role (N, 4 in the grid's ticks) as a piano roll, darker for louder, with `label` ("bass:
    Bass") written in the panel's corner as a DAW names a track, and the role beside it."""
    low, high = pitch_range
    roll = np.zeros((high - low + 1, end_step - start_step), dtype=np.float32)  # (pitches, T)
    if len(notes):
        first = grid.nearest_step(notes[:, START_COLUMN])
        last = np.maximum(grid.nearest_step(notes[:, END_COLUMN]), first + 1)
        for begin, stop, pitch, velocity in zip(first, last, notes[:, PITCH_COLUMN], notes[:, VELOCITY_COLUMN]):
            begin, stop = max(int(begin), start_step), min(int(stop), end_step)
            if begin < stop:
                row = roll[int(pitch) - low, begin - start_step:stop - start_step]
                np.maximum(row, max(int(velocity), 40) / 127.0, out=row)
    axis.imshow(roll, aspect="auto", origin="lower", cmap="Greys", vmin=0, vmax=1, interpolation="nearest",
                extent=(start_step - 0.5, end_step - 0.5, low - 0.5, high + 0.5))
    ticks = [pitch for pitch in range(low, high + 1) if pitch % 12 == 0] or [low]
    axis.set_yticks(ticks, [f"C{pitch // 12 - 1}" if pitch % 12 == 0 else str(pitch) for pitch in ticks], fontsize=6)
    axis.set_ylabel(label.split(":")[0], fontsize=8)
    axis.text(0.005, 0.96, label, transform=axis.transAxes, fontsize=8, ha="left", va="top",
              bbox={"facecolor": "white", "edgecolor": "0.7", "alpha": 0.85, "pad": 1.5})
    _bar_lines(axis, grid, start_step, end_step)


def _song_end_bar(song: EncodedSong, drums: DrumGrid, heard: Sequence[tuple[str, np.ndarray]]) -> int:
    """One past the last bar where something sounds (a drum hit, a note listened to): where the picture ends, not at
    the grid's end, which can run bars past the song."""
    grid = song.grid
    hit_steps = np.flatnonzero(drums.hits.any(axis=1))
    last_steps = [int(hit_steps[-1]) if len(hit_steps) else 0, song.last_onset_step]
    last_steps += [int(grid.nearest_step(notes[:, START_COLUMN]).max()) for _, notes in heard if len(notes)]
    last_bar = int(np.searchsorted(grid.bars[:, BAR_START], max(last_steps), side="right")) - 1
    return int(np.clip(last_bar + 1, song.first_bar + 1, grid.n_bars))


def generation_figure(song: EncodedSong, drums: DrumGrid, sections: Sequence[tuple[int, str]], title: str = "",
                      bars_per_row: int = PLOT_BARS_PER_ROW, guitar_label: str = "guitar",
                      heard: Sequence[tuple[str, np.ndarray]] = ()) -> Figure:
    """A generated part over the whole song, from the bar where the music starts to its last sounding bar, in rows
    of `bars_per_row` bars like a score: what the drums listened to above the drums (one named row per drum class),
    bar lines, bar numbers, and each section's letter where it starts (`sections` as the generator reports them:
    (first bar, 1-based; letter)). `heard` is what the drums listened to, a panel per role ("role: part names", its
    notes in the grid's ticks: `GenerationResult.heard`); without it, the guitar's onsets from the song's features,
    under `guitar_label` (drums from nothing draw their stand-in pulse there, not a guitar). Every row is drawn on
    one scale, so the last one ends with the song."""
    grid = song.grid
    first_bar, end_bar = song.first_bar, _song_end_bar(song, drums, heard)
    bars_per_row = max(bars_per_row, -(-(end_bar - first_bar) // PLOT_MAX_ROWS))
    row_bars = [(b, min(end_bar, b + bars_per_row)) for b in range(first_bar, end_bar, bars_per_row)]
    spans = [(int(grid.bars[b0, BAR_START]), int(grid.bars[b1 - 1, BAR_START] + grid.bars[b1 - 1, BAR_STEPS]))
             for b0, b1 in row_bars]
    width = max(end - start for start, end in spans)  # every row on one scale, the last one short
    last_width = spans[-1][1] - spans[-1][0]
    panels = len(heard) or 1
    ranges = [_pitch_range(notes) for _, notes in heard]
    figure = Figure(figsize=(14, 0.9 + (1.6 + 1.0 * panels) * len(row_bars)), layout="constrained")
    short = last_width < width  # the last row: a column as wide as its bars, beside an empty one
    layout = figure.add_gridspec((panels + 1) * len(row_bars), 2 if short else 1, height_ratios=(
        [1.0] * panels + [1.4]) * len(row_bars), width_ratios=[last_width, width - last_width] if short else None)
    label_every = 1 if bars_per_row <= 32 else 4
    for row, ((b0, b1), (start, end)) in enumerate(zip(row_bars, spans)):
        narrow = short and row == len(row_bars) - 1
        columns = slice(0, 1) if narrow else slice(None)
        axes = [figure.add_subplot(layout[(panels + 1) * row + panel, columns]) for panel in range(panels + 1)]
        for axis, (label, notes), pitches in zip(axes, heard, ranges):
            part_roll(axis, notes, grid, start, end, label, pitches)
        if not heard:
            guitar_roll(axes[0], song.guitar, grid, start, end)
            axes[0].set_ylabel(guitar_label)
        drum_axis = axes[-1]
        drum_roll(drum_axis, drums, grid, start, end, "drums")
        drum_axis.set_yticks(range(len(DRUM_CLASSES)), [name.replace("_", " ") for name in DRUM_CLASSES], fontsize=7)
        for axis in axes:
            axis.set_xlim(start - 0.5, start + (last_width if narrow else width) - 0.5)
            _section_marks(axis, grid, sections, b0, b1, with_letters=axis is axes[0])
            axis.set_xticks([])
        bars = range(b0, b1, label_every)
        drum_axis.set_xticks([grid.bars[b, BAR_START] - 0.5 for b in bars], [str(b + 1) for b in bars], fontsize=7)
    figure.supxlabel("bar (grey lines are bar lines; lettered lines mark the sections the model found)", fontsize=9)
    figure.suptitle(title or song.name)
    return figure


def _pitch_range(notes: np.ndarray) -> tuple[int, int]:
    """The pitches a role's panel shows: its lowest to its highest note, at least an octave."""
    if not len(notes):
        return 48, 60
    low, high = int(notes[:, PITCH_COLUMN].min()), int(notes[:, PITCH_COLUMN].max())
    return low, max(high, low + 12)


def descriptor_histograms(
    distributions: Mapping[str, Mapping[str, np.ndarray]],
    overlaps: Mapping[str, Mapping[str, float]] | None = None,
    bins: int = 20,
) -> Figure:
    """One panel per descriptor: per-bar values of the real drums (filled) and of each system (outlines), over one
    shared binning. `distributions` is system -> descriptor -> values (NaN dropped); `overlaps` is
    system -> descriptor -> overlap area with the real drums, shown in the legend."""
    systems = list(distributions)
    descriptors = list(next(iter(distributions.values()))) if distributions else []
    columns = min(3, max(1, len(descriptors)))
    rows_count = max(1, -(-len(descriptors) // columns))
    figure = Figure(figsize=(4.2 * columns, 3.2 * rows_count), layout="constrained")
    axes = figure.subplots(rows_count, columns, squeeze=False).ravel()
    for axis, descriptor in zip(axes, descriptors):
        samples = {s: _finite(distributions[s][descriptor]) for s in systems}
        joined = np.concatenate([v for v in samples.values()] or [np.zeros(0)])
        if not len(joined):
            axis.set_title(f"{descriptor} (no values)")
            continue
        low, high = float(joined.min()), float(joined.max())
        edges = np.linspace(low, high if high > low else low + 1.0, bins + 1)
        for system, values in samples.items():
            if not len(values):
                continue
            label = system
            if overlaps and system in overlaps and np.isfinite(overlaps[system].get(descriptor, np.nan)):
                label += f" (overlap {overlaps[system][descriptor]:.2f})"
            style: dict[str, Any] = {"histtype": "step", "linewidth": 1.4}
            if system == "real":
                style = {"histtype": "stepfilled", "alpha": 0.35}
            weights = np.full(len(values), 1.0 / len(values))
            axis.hist(values, bins=edges, weights=weights, color=SYSTEM_COLORS.get(system), label=label, **style)
        axis.set_title(descriptor.replace("_", " "))
        axis.set_ylabel("share of bars")
        axis.legend(fontsize=6)
    for axis in axes[len(descriptors):]:
        axis.set_visible(False)
    figure.suptitle("descriptors per bar: generated vs real")
    return figure


def f1_bar_chart(f1_by_system: Mapping[str, Mapping[str, float]], title: str = "grid-hit F1 per system") -> Figure:
    """Grouped bars: for each metric (exact F1, F1 within one step, kick+snare, hats merged ...) one bar per system."""
    systems = list(f1_by_system)
    metrics: Sequence[str] = list(next(iter(f1_by_system.values()))) if systems else []
    figure = Figure(figsize=(1.6 + 1.5 * len(metrics), 3.8), layout="constrained")
    axis = figure.subplots()
    width = 0.8 / max(1, len(systems))
    for index, system in enumerate(systems):
        values = [np.nan_to_num(f1_by_system[system][m], nan=0.0) for m in metrics]
        positions = np.arange(len(metrics)) + (index - (len(systems) - 1) / 2) * width
        bars = axis.bar(positions, values, width, label=system, color=SYSTEM_COLORS.get(system))
        axis.bar_label(bars, fmt="%.2f", fontsize=6)
    axis.set_xticks(range(len(metrics)), [m.replace("_", " ") for m in metrics], fontsize=8)
    axis.set_ylim(0, 1.05)
    axis.set_ylabel("F1")
    axis.legend(fontsize=7)
    axis.set_title(title)
    return figure


def _finite(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    return values[np.isfinite(values)]


def report_figures(
    summary: Mapping[str, Any], examples: Sequence[tuple[EncodedSong, DrumGrid]], f1_columns: Mapping[str, str],
    gallery: Sequence[tuple[EncodedSong, DrumGrid, list[str]]] = (),
) -> dict[str, Figure]:
    """The evaluation report's figures by file name, from its summary (`seq2drum.evaluation.summary.summarize`): F1
    per system for each `f1_columns` label -> view key, descriptor histograms, and a piano roll per example song."""
    systems = summary["systems"]
    f1 = {s: {label: systems[s]["grid"][key]["f1"] for label, key in f1_columns.items()} for s in systems}
    distributions = {name: {d: np.asarray(v, dtype=np.float64) for d, v in values.items()}
                     for name, values in summary["distributions"].items()}
    overlaps = {s: {d: v["overlap_with_real"] for d, v in systems[s]["descriptors"].items()} for s in systems}
    figures = {"f1_by_system.png": f1_bar_chart(f1), "descriptors.png": descriptor_histograms(distributions, overlaps)}
    for index, (song, generated) in enumerate(examples, start=1):
        safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in song.name)[:60]
        figures[f"song{index}_{safe}.png"] = song_figure(song, generated)
    for index, (song, generated, faults) in enumerate(gallery, start=1):  # the faultiest songs, their faults named
        safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in song.name)[:60]
        figures[f"gallery{index}_{safe}.png"] = song_figure(song, generated, title=f"{song.name}: {', '.join(faults)}")
    return figures
