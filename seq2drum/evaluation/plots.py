"""Figures: piano rolls of a song's guitar, real and generated drums; descriptor histograms; F1 per system (the
evaluation); a training run's losses per epoch. The CLI's --plot is take_picture's, drawn without matplotlib. Built
on `matplotlib.figure.Figure` directly (no pyplot, no global state), which renders PNGs with the Agg canvas on any
machine, headless or not; a notebook shows the returned figures inline.
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
