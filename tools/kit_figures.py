"""Issue 54's kit-use figures of take 1, for each input kind that tools.score_split scored: ../shared/scoring's
kit.py, realism.py (and --counts), checklist.py and adherence.py on the same outputs, and section figures computed
here: do our printed sections (the "Section X" markers of the output) fall where the song's drummer marks one?

    python -m tools.kit_figures runs/score-val [--kinds band] [--gen runs/cv/gen] [--no-realism]   # after score_split

The scripts read SPLIT/band (the whole arrangement: its span and the band's onsets), SPLIT/refs and GEN/KIND/take1,
whatever the input kind; realism.py needs scikit-learn and is recorded as skipped without it. Writes OUT/KIND-kit.json,
KIND-checklist.json, KIND-realism.json, KIND-adherence.json, KIND-sections.json and OUT/kit_figures.json.
Bar lines, the crash bar and the fill bar are the scoring scripts' own (loaded by path from ../shared/scoring, which
is not a package, as studies.crash_figures loads drum_eval): a crash bar has a crash on its first 16th (checklist.py,
times rounded to the grid), a fill bar 2+ tom hits or 4+ snare hits on odd 16ths (kit.py).
"""

from __future__ import annotations

import argparse
import bisect
import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

from tools.scoring_scripts import SCORING, scoring_script

NAMED_FAULTS = ("crash_ridden", "crash_happy", "no_backbeat", "tom_groove", "weak_fills")
SECTION_PREFIX = "Section "  # seq2drum/generation/render.py's marker text
REALISM_LINE = re.compile(r"(\d+) songs.*?, (\d+) phrases: real-vs-generated accuracy ([\d.]+)%")
ADHERENCE_LINE = re.compile(r"(\d+) songs in 4/4 \((\d+) without output\): own ([\d.]+) others ([\d.]+) "
                            r"gap (-?[\d.]+) \(gap > 0 on (\d+)%\)")


def scoring_modules(scoring: Path) -> tuple[ModuleType, ModuleType, ModuleType]:
    """drum_eval, kit and checklist of ../shared/scoring (scripts beside the project, not a package), loaded by path
    under the names they import each other by, so kit.py's drum_eval is this drum_eval (no sys.path edit here)."""
    loaded = {name: scoring_script(name, scoring) for name in ("drum_eval", "checklist", "kit")}
    return loaded["drum_eval"], loaded["kit"], loaded["checklist"]


def section_quarters(path: Path) -> list[float]:
    """Quarter positions of the output's "Section X" marker events, in time order."""
    import mido

    midi_file = mido.MidiFile(path)
    found = []
    for track in midi_file.tracks:
        tick = 0
        for message in track:
            tick += message.time
            if message.type == "marker" and message.text.startswith(SECTION_PREFIX):
                found.append(tick / midi_file.ticks_per_beat)
    return sorted(found)


def song_sections(scoring: Path, input_file: Path, ref_file: Path, gen_file: Path) -> dict[str, int]:
    """One song's counts (bars of kit.py's span): printed section starts after the first, where the drummer crashes
    on them or fills in the bar before, the drummer's crash-after-fill bars and how many are printed starts, where
    our drums crash or fill before, and the same marks over every bar but the first (the chance level)."""
    drum_eval, kit, checklist = scoring_modules(scoring)
    ref_rows, gen_rows, bar_list = kit.song(input_file, ref_file, gen_file)

    def crashes(path: Path) -> list[bool]:
        _, raw = drum_eval.hits(drum_eval.load(path)["notes"])
        return [bar["crash"] for bar in checklist.per_bar(raw, bar_list)]

    def fills(rows: list[dict]) -> list[bool]:
        return [row["_fill_toms"] >= 2 or row["_fill_snare"] >= 4 for row in rows]

    ref_crash, gen_crash, ref_fill, gen_fill = crashes(ref_file), crashes(gen_file), fills(ref_rows), fills(gen_rows)
    bar_starts = [bar[0] for bar in bar_list]
    printed, off_bar_line = [], 0  # bar index of every printed section start in the span
    for quarter in section_quarters(gen_file):
        index = bisect.bisect_right(bar_starts, round(quarter * 4) / 4 + 1e-6) - 1
        if 0 <= index < len(bar_list) and index not in printed:
            printed.append(index)
            off_bar_line += abs(quarter - bar_starts[index]) > 1 / 8  # our bar lines and drum_eval's disagree
    starts = [index for index in printed[1:] if index > 0]
    later = range(1, len(bar_list))
    crash_after_fill = [index for index in later if ref_crash[index] and ref_fill[index - 1]]
    return {
        "bars": len(later), "printed": len(printed), "starts": len(starts), "off_bar_line": off_bar_line,
        "ref_crash": sum(ref_crash[i] for i in starts), "ref_fill_before": sum(ref_fill[i - 1] for i in starts),
        "ref_either": sum(ref_crash[i] or ref_fill[i - 1] for i in starts),
        "ref_crash_after_fill": len(crash_after_fill), "ref_crash_after_fill_printed": len(set(crash_after_fill)
                                                                                            & set(printed)),
        "gen_crash": sum(gen_crash[i] for i in starts), "gen_fill_before": sum(gen_fill[i - 1] for i in starts),
        "any_ref_crash": sum(ref_crash[i] for i in later), "any_ref_fill_before": sum(ref_fill[i - 1] for i in later),
        "any_ref_either": sum(ref_crash[i] or ref_fill[i - 1] for i in later),
        "any_gen_crash": sum(gen_crash[i] for i in later), "any_gen_fill_before": sum(gen_fill[i - 1] for i in later),
        "any_printed": sum(i in printed for i in later),
    }


def section_figures(scoring: Path, inputs: Path, refs: Path, gen: Path) -> dict[str, object]:
    """Every song's counts (INPUTS/X.guitar.mid, REFS/X.drums.mid, GEN/X.drums.mid) and the pooled shares."""
    songs = {}
    for input_file in sorted(inputs.glob("*.guitar.mid")):
        name = input_file.name[: -len(".guitar.mid")]
        ref_file, gen_file = refs / f"{name}.drums.mid", gen / f"{name}.drums.mid"
        if ref_file.exists() and gen_file.exists():
            songs[name] = song_sections(scoring, input_file, ref_file, gen_file)
    total = {key: sum(song[key] for song in songs.values()) for key in next(iter(songs.values()), {})}

    def share(part: str, whole: str) -> float | None:
        return total[part] / total[whole] if total.get(whole) else None

    pooled = {
        "songs": len(songs), "songs_with_sections": sum(song["starts"] > 0 for song in songs.values()),
        "starts": total.get("starts", 0), "bars": total.get("bars", 0), "off_bar_line": total.get("off_bar_line", 0),
        "drummer_crash": share("ref_crash", "starts"), "drummer_fill_before": share("ref_fill_before", "starts"),
        "drummer_either": share("ref_either", "starts"), "drummer_crash_any_bar": share("any_ref_crash", "bars"),
        "drummer_fill_before_any_bar": share("any_ref_fill_before", "bars"),
        "drummer_either_any_bar": share("any_ref_either", "bars"),
        "crash_after_fill_bars": total.get("ref_crash_after_fill", 0),
        "crash_after_fill_printed": share("ref_crash_after_fill_printed", "ref_crash_after_fill"),
        "printed_any_bar": share("any_printed", "bars"),
        "ours_crash": share("gen_crash", "starts"), "ours_fill_before": share("gen_fill_before", "starts"),
        "ours_crash_any_bar": share("any_gen_crash", "bars"),
        "ours_fill_before_any_bar": share("any_gen_fill_before", "bars"),
    }
    return {"pooled": pooled, "songs": songs}


def run_script(scoring: Path, name: str, *arguments: object) -> tuple[str, str | None]:
    """One of ../shared/scoring's scripts: (stdout, None), or (stdout, its last error line) when it failed."""
    run = subprocess.run([sys.executable, str(scoring / name), *map(str, arguments)], capture_output=True, text=True)
    if run.returncode == 0:
        return run.stdout, None
    lines = (run.stderr or run.stdout).strip().splitlines()
    return run.stdout, lines[-1] if lines else f"exit code {run.returncode}"


def parse_realism(stdout: str) -> dict[str, object]:
    """realism.py's line: songs, phrases and the accuracy in %."""
    match = REALISM_LINE.search(stdout)
    if not match:
        return {"error": f"no accuracy in realism.py's output: {stdout.strip()[:200]!r}"}
    return {"songs": int(match[1]), "phrases": int(match[2]), "accuracy_percent": float(match[3])}


def parse_adherence(stdout: str) -> dict[str, object]:
    """adherence.py's line: songs, songs without output, own, others, gap and the share with gap > 0."""
    match = ADHERENCE_LINE.search(stdout)
    if not match:
        return {"error": f"no gap in adherence.py's output: {stdout.strip()[:200]!r}"}
    return {"songs": int(match[1]), "without_output": int(match[2]), "own": float(match[3]),
            "others": float(match[4]), "gap": float(match[5]), "gap_above_0_percent": int(match[6])}


def kind_figures(scoring: Path, split: Path, gen: Path, out: Path, kind: str,
                 realism: bool = True) -> dict[str, object]:
    """The four scripts and the section figures on GEN (one take's folder), their JSON written as OUT/KIND-*.json
    (without `realism`, realism.py is recorded as skipped: on 600 songs it takes half an hour a kind)."""
    band, refs = split / "band", split / "refs"
    figures: dict[str, object] = {}
    stdout, error = run_script(scoring, "kit.py", band, refs, gen, "--json", out / f"{kind}-kit.json")
    figures["kit"] = {"error": error} if error else json.loads((out / f"{kind}-kit.json").read_text())
    stdout, error = run_script(scoring, "checklist.py", band, refs, gen, "--json", out / f"{kind}-checklist.json")
    figures["checklist"] = ({"error": error} if error else
                            json.loads((out / f"{kind}-checklist.json").read_text())["summary"])
    if not realism:
        figures["realism"] = {"skipped": "--no-realism (run realism.py on a subset of the songs)"}
    elif importlib.util.find_spec("sklearn") is None:
        figures["realism"] = {"skipped": "realism.py needs scikit-learn (pip install scikit-learn)"}
    else:
        figures["realism"] = {}
        for label, extra in (("all", ()), ("counts", ("--counts",))):
            stdout, error = run_script(scoring, "realism.py", band, refs, gen, *extra)
            figures["realism"][label] = {"error": error} if error else parse_realism(stdout)
    stdout, error = run_script(scoring, "adherence.py", band, refs, gen)
    figures["adherence"] = {"error": error} if error else parse_adherence(stdout)
    for name in ("realism", "adherence"):
        (out / f"{kind}-{name}.json").write_text(json.dumps(figures[name], indent=1))
    sections = section_figures(scoring, band, refs, gen)
    (out / f"{kind}-sections.json").write_text(json.dumps(sections, indent=1))
    figures["sections"] = sections["pooled"]
    return figures


def _f(value: object, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def summary(kind: str, figures: dict) -> str:
    """The printed tables of one kind: kit use, fills, realism, checklist, adherence, sections."""
    kit, lines = figures["kit"], [f"== {kind}: kit use of take 1 against the drummers"]
    if "error" in kit:
        lines.append(f"kit.py failed: {kit['error']}")
    else:
        lines.append(f"{kit['songs']} songs\nclass       rate  bars  followed    sprinkled   placed/random")
        for name, row in kit["classes"].items():
            placed = kit["placed"].get(name)
            lines.append(f"{name:<11} {_f(row['rate_ratio']):>4}  {_f(row['bars_ratio']):>4}  "
                         f"{_f(row['followed']):>4} of {row['songs_using']:<3} {_f(row['sprinkled']):>4} of "
                         f"{row['songs_not_using']:<3} "
                         + (f"{placed['f1']:.3f}/{placed['random_f1']:.3f}" if placed else ""))
        fills = kit["fill_bars_per_8"]
        lines.append(f"fill bars per 8 bars: ours {fills['generated']:.2f}, drummers' {fills['drummer']:.2f}")
        for family, row in kit["by_family"].items():
            lines.append(f"  rate ratios, {family} ({row['songs']} songs): "
                         + ", ".join(f"{k} {v:.2f}" for k, v in row.items() if k != "songs" and v is not None))
    realism = figures["realism"]
    if "skipped" in realism:
        lines.append(f"realism: skipped, {realism['skipped']}")
    else:
        full, counts = realism["all"], realism["counts"]
        lines.append(f"realism (4/4 songs; 50% = passes for the drummer): {_f(full.get('accuracy_percent'), 1)}%, "
                     f"hit counts only {_f(counts.get('accuracy_percent'), 1)}% ({full.get('songs', '-')} songs)"
                     + "".join(f"; {r['error']}" for r in (full, counts) if "error" in r))
    checks = figures["checklist"]
    lines.append(f"checklist failed: {checks['error']}" if "error" in checks else
                 f"checklist: any fault {100 * checks['any']:.0f}% of {checks['songs']} songs; "
                 + ", ".join(f"{name} {checks[name]}" for name in NAMED_FAULTS) + "; also "
                 + ", ".join(f"{name} {count}" for name, count in checks.items()
                             if name not in NAMED_FAULTS + ("songs", "any", "by_family")))
    gap = figures["adherence"]
    lines.append(f"adherence: {gap['error']}" if "error" in gap else
                 f"adherence gap {gap['gap']:.3f} (own {gap['own']:.3f}, others {gap['others']:.3f}; "
                 f"{gap['songs']} songs in 4/4, gap > 0 on {gap['gap_above_0_percent']}%)")
    s = figures["sections"]
    lines += [
        f"sections: {s['starts']} printed section starts after the first, in {s['songs_with_sections']} of "
        f"{s['songs']} songs ({s['bars']} bars; {s['off_bar_line']} printed off drum_eval's bar lines)",
        f"  the drummer at them: crash {_f(s['drummer_crash'])}, fill before {_f(s['drummer_fill_before'])}, "
        f"either {_f(s['drummer_either'])} (any bar: {_f(s['drummer_crash_any_bar'])}, "
        f"{_f(s['drummer_fill_before_any_bar'])}, {_f(s['drummer_either_any_bar'])})",
        f"  the drummer's crash-after-fill bars ({s['crash_after_fill_bars']}) that are printed starts: "
        f"{_f(s['crash_after_fill_printed'])} (printed starts are {_f(s['printed_any_bar'])} of bars)",
        f"  our drums at them: crash {_f(s['ours_crash'])}, fill before {_f(s['ours_fill_before'])} "
        f"(any bar: crash {_f(s['ours_crash_any_bar'])}, fill before {_f(s['ours_fill_before_any_bar'])})",
    ]
    return "\n".join(lines)


def run_kinds(scoring: Path, out: Path, gen_root: Path, kinds: list[str], realism: bool = True) -> dict[str, dict]:
    """Every kind's figures on GEN_ROOT/KIND/take1, printed, and written to OUT/kit_figures.json."""
    figures = {}
    for kind in kinds:
        gen = gen_root / kind / "take1"
        if not gen.is_dir():
            print(f"== {kind}: no {gen}, skipped")
            continue
        figures[kind] = kind_figures(scoring, out / "split", gen, out, kind, realism)
        print("\n" + summary(kind, figures[kind]), flush=True)
    (out / "kit_figures.json").write_text(json.dumps(figures, indent=1))
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path, help="a tools.score_split output folder (OUT/split, OUT/gen)")
    parser.add_argument("--gen", type=Path, default=None, help="the outputs' GEN/KIND/takeK (default OUT/gen)")
    parser.add_argument("--scoring", type=Path, default=SCORING)
    parser.add_argument("--kinds", default="guitar,band,primed", help="input kinds, a comma list")
    parser.add_argument("--no-realism", action="store_true",
                        help="skip realism.py (half an hour a kind on 600 songs): run it on a subset instead")
    args = parser.parse_args(argv)
    kinds = [kind.strip() for kind in args.kinds.split(",") if kind.strip()]
    run_kinds(args.scoring, args.out, args.gen or args.out / "gen", kinds, realism=not args.no_realism)
    return 0


if __name__ == "__main__":
    sys.exit(main())
