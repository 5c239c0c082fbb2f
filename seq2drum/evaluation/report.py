"""The evaluation report: Markdown tables (against the loop, grid hits, descriptors), the verdict, report.md,
report.json, distributions.json and the figures, written into a report folder.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from seq2drum.atomic import write_atomic
from seq2drum.evaluation import metrics, plots
from seq2drum.evaluation.checklist import FAULTS
from seq2drum.evaluation.summary import LOOP, Evaluation, dumps, jsonable
from seq2drum.midi.drums import DRUM_CLASSES

TABLE_F1 = {"F1": "all", "F1 +-1": "all_tol1", "kick+snare F1": "kick_snare", "hats merged F1": "merged_hats"}


def _number(value: Any, digits: int = 3) -> str:
    return "n/a" if value is None or not math.isfinite(float(value)) else f"{float(value):.{digits}f}"


def _table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows)]
    lines = [headers, ["-" * w for w in widths], *rows]
    return "\n".join("| " + " | ".join(str(c).ljust(w) for c, w in zip(line, widths)) + " |" for line in lines)


def format_tables(summary: dict[str, Any], with_loop: bool = True) -> str:
    """The against-the-loop table (unless `with_loop` is False), the grid-hit table and the descriptor table, as
    Markdown (printed as is, and put in report.md)."""
    systems = summary["systems"]
    hit_rows = []
    for name in systems:
        grid, novelty = systems[name]["grid"], systems[name]["novelty"]
        hit_rows.append([name, _number(grid["all"]["precision"]), _number(grid["all"]["recall"]),
                         *(_number(grid[key]["f1"]) for key in TABLE_F1.values()),
                         _number(grid["all"]["song_f1_mean"]), _number(novelty["copy_share"], 2)])
    hits = _table(["system", "P", "R", *TABLE_F1, "mean song F1", "copied bars"], hit_rows)
    real = summary["real"]["descriptors"]
    descriptor_rows = [["real", *(_number(real[d]["mean"], 2) for d in metrics.DESCRIPTORS)]]
    for name in systems:
        values = [systems[name]["descriptors"][d] for d in metrics.DESCRIPTORS]
        cells = (f"{_number(v['mean'], 2)} ({_number(v['overlap_with_real'], 2)})" for v in values)
        descriptor_rows.append([name, *cells])
    descriptors = _table(["mean per bar (overlap with real)", *metrics.DESCRIPTORS], descriptor_rows)
    nll = f"model NLL on the real drums: {_number(summary['nll_per_cell'])} nats per (step, class) cell"
    checks = checklist_table(summary)
    tables = f"{hits}\n\n{descriptors}\n\n{feel_table(summary)}\n\n{nll}"
    tables = f"{checks}\n\n{tables}" if checks else tables
    return f"{loop_table(summary)}\n\n{tables}" if with_loop else tables


def loop_table(summary: dict[str, Any]) -> str:
    """The model against the loop, and against the input kind's own baseline when it has one (the bass rule, the
    given bars looped): the figures every model is judged by, as Markdown."""
    loop = summary["against_loop"]
    others = [summary[key] for key in summary if key.startswith("against_") and key != "against_loop"
              and isinstance(summary[key], dict) and "baseline" in summary[key]]
    crashing = loop["crash_most_bars_share"]
    blank = [""] * len(others)

    def structure_rows(key: str, how: str) -> list[list[str]]:
        return [[f"{name} F1 over bars, {how}" + (" (+-1 bar)" if name == "fill" else ""),
                 _number(loop[key]["model"][name]), _number(loop[key][LOOP][name]),
                 *(_number(o[key][o["baseline"]][name]) for o in others)] for name in metrics.STRUCTURES]

    rows = [
        ["mean song F1, take 1", _number(loop["model_mean_song_f1"]), _number(loop["loop_mean_song_f1"]),
         *(_number(o["baseline_mean_song_f1"]) for o in others)],
        ["songs where take 1 beats the loop / this column", "", _number(loop["beats_loop_share"], 2),
         *(_number(o["beats_baseline_share"], 2) for o in others)],
        [f"mean song F1, best of {loop['takes']} takes", _number(loop["best_of_takes_mean_song_f1"]), "", *blank],
        ["density ratio (generated / real hits), median", _number(loop["density_ratio_median"], 2), "", *blank],
        ["lowest density ratio of any take", _number(loop["min_take_density_ratio"], 2), "", *blank],
        ["songs with a take under a third of the real hits", str(loop["songs_with_a_take_under_a_third"]), "", *blank],
        *structure_rows("structure_f1", "pooled"),
        *structure_rows("structure_song_f1_mean", "mean of songs"),
        ["songs crashing on more than half their bars (real drums)",
         f"{_number(crashing['model'], 2)} ({_number(crashing['real'], 2)})", "0", *blank],
    ]
    kind = summary.get("input_kind", "band")
    return _table([f"against the loop (input: {kind})", "model", "loop", *(o["baseline"] for o in others)], rows)


def checklist_table(summary: dict[str, Any]) -> str:
    """The musician's checklist (evaluation.checklist) per system: songs with any fault, songs per fault, and per
    meter family the faulty songs of its songs, as Markdown ("" for scores made before the checklist)."""
    checklist = summary.get("checklist") or {}
    if not checklist:
        return ""
    families = list(next(iter(checklist.values()))["by_family"])
    faults = [name for name in FAULTS if any(values[name] for values in checklist.values())]
    rows = [[name, f"{values['any']:.0%}", *(str(values[f]) for f in faults),
             *(f"{values['by_family'][fam]['faulty']}/{values['by_family'][fam]['songs']}" for fam in families)]
            for name, values in checklist.items()]
    return _table(["checklist: songs with a fault", "any", *faults, *(f"faulty {fam}" for fam in families)], rows)


def feel_table(summary: dict[str, Any]) -> str:
    """The feel figures as ../shared/scoring defines them (evaluation/feel_figures.py), model beside the loop."""
    feel = summary["feel"]
    systems = ("model", LOOP)
    rows = [
        ["velocity spread, generated / real, median", *(_number(feel[s]["velocity_spread_ratio_median"], 2)
                                                       for s in systems)],
        [f"straight songs kept straight (of {feel['model']['straight_songs']})",
         *(_number(feel[s]["straight_kept_share"], 2) for s in systems)],
        [f"swung songs within +-0.04 of the drummer's swing (of {feel['model']['swung_songs']})",
         *(_number(feel[s]["swung_within_share"], 2) for s in systems)],
        *([f"{name} F1, mean over songs that play it", *(_number(feel[s]["per_class_song_f1"][name]) for s in systems)]
          for name in DRUM_CLASSES),
    ]
    return _table(["feel (as ../shared/scoring)", "model", "loop"], rows)


def verdict(summary: dict[str, Any]) -> list[str]:
    """One plain sentence per baseline: does the model beat it on F1 (exact cells, all 9 classes, micro)?"""
    return [f"The model {'beats' if v['beats'] else 'does NOT beat'} the {b} baseline on F1: "
            f"{_number(v['model_f1'])} vs {_number(v['baseline_f1'])}." for b, v in summary["model_beats"].items()]


_NOTES = (
    "Cells are (16th step, drum class) over each song's span, from the guitar's first bar to its last. P/R/F1 are "
    "micro-averaged over all cells of all songs; *mean song F1* averages each song's F1. *F1 +-1* matches a hit to "
    "a hit of the same class within one step, one-to-one. *hats merged* folds closed hat, open hat and ride into one "
    "timekeeping class. *copied bars*: share of non-empty bars equal to some training bar of the same length (empty "
    "bars are left out of both counts). Descriptor overlap is the histogram intersection of the per-bar values with "
    "the real drums' over a shared binning (1 = same distribution). Definitions in `seq2drum/evaluation/metrics.py`."
)


def report_markdown(summary: dict[str, Any], figures: list[str]) -> str:
    model, data, settings, seconds = summary["model"], summary["data"], summary["settings"], summary["seconds"]
    systems, validity = summary["systems"], summary["validity"]
    names = list(systems)
    per_class = [[c, *(_number(systems[s]["grid"]["all"]["per_class"][c]["f1"]) for s in names)]
                 for c in DRUM_CLASSES]
    timekeeping = (_number(systems[s]["grid"]["merged_hats"]["per_class"]["timekeeping"]["f1"]) for s in names)
    per_class.append(["timekeeping (hats + ride)", *timekeeping])
    songs = [[row["name"], str(row["bars"]), f"{row['seconds']:.2f}", f"{row['generation_seconds']:.2f}",
              _number(row["nll_per_cell"]), *(_number(row["f1"][s]) for s in names)] for row in summary["songs"]]
    novelty = systems["model"]["novelty"]
    return "\n".join([
        "# seq2drum evaluation against the real drummers", "",
        f"Model `{model['name']}` {model['version']} (step {model['step']}, validation loss "
        f"{_number(model['val_loss'])}), checkpoint `{model['checkpoint']}`.",
        f"{data['evaluated_songs']} songs ({settings['split']} split; {data['validation_songs']} validation songs of "
        f"{data['songs_in_folder']}) from `{data['data_dir']}`; temperature {settings['temperature']}, "
        f"seed {settings['seed']}.", "",
        "## Verdict", "", *(f"- {line}" for line in verdict(summary)), "",
        "## Against the loop", "", loop_table(summary), "",
        "## A musician's checklist", "", checklist_table(summary) or "(not measured)", "",
        "Faults a drummer hears at once, each against the song's real drummer (docs/evaluation.md).", "",
        "## Grid hits and descriptors", "", format_tables(summary, with_loop=False), "", _NOTES, "",
        "## F1 per class", "", _table(["class", *names], per_class), "",
        "## Likelihood and novelty", "",
        f"Negative log-likelihood of the real drums under the calibrated per-cell probabilities: "
        f"{_number(summary['nll_per_cell'])} nats per (step, class) cell "
        f"({_number(summary['nll_per_cell_song_mean'])} as a mean of songs). "
        f"{novelty['copied_bars']} of the model's {novelty['non_empty_bars']} non-empty bars copy a training bar "
        "exactly (empty bars left out of both counts).", "",
        "## Validity of the generated MIDI", "",
        f"{validity['songs_checked']} songs run through `DrumGenerator.generate(midi_bytes)`; share passing:", "",
        _table(["check", "share"], [[c, _number(validity[c], 2)] for c in validity if c != "songs_checked"]), "",
        "## Time", "",
        f"{seconds['total']} s in all, {seconds['per_song_mean']} s per song "
        f"({seconds['generation_per_song_mean']} s of it generation).", "",
        "## Songs", "",
        _table(["song", "bars", "seconds", "generation s", "NLL/cell", *(f"F1 {s}" for s in names)], songs), "",
        "## Figures", "", *(f"![{name}]({name})" for name in figures), "",
    ])


def make_figures(evaluation: Evaluation) -> dict[str, Any]:
    """File name -> matplotlib Figure: F1 per system, descriptor histograms, piano rolls of the example songs."""
    return plots.report_figures(evaluation.summary, evaluation.examples, TABLE_F1, evaluation.gallery)


def write_report(evaluation: Evaluation, report_dir: Path) -> list[Path]:
    """report.json (every figure, per song too), distributions.json (the per-bar descriptor values behind the
    histograms, compact), report.md (tables, verdict, figures) and the PNGs."""
    report_dir.mkdir(parents=True, exist_ok=True)
    written = [plots.save_figure(figure, report_dir / name) for name, figure in make_figures(evaluation).items()]
    summary = {key: value for key, value in evaluation.summary.items() if key != "distributions"}
    for name, text in (("report.json", dumps(summary)),
                       ("distributions.json", json.dumps(jsonable(evaluation.summary["distributions"]))),
                       ("report.md", report_markdown(evaluation.summary, [p.name for p in written]))):
        written.append(write_atomic(report_dir / name, text))
    return written
