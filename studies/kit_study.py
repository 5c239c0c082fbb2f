"""A quick study of the kit: how often take 1 plays each class of the kit against the song's drummer, its fills, and
its mean song F1, on a model's validation songs from the whole arrangement, for the decision as it is in this checkout.

    python -m studies.kit_study [--split val] [--limit N] [--checkpoint PATH]
    python -m studies.kit_study --cv runs/cv [--folds 5]   # each fold's model on its held-out songs (out of fold)
    python -m studies.kit_study --live [--checkpoint models/live.pt]   # the live drummer, bar by bar, on its val songs

The network's scores are computed once per song from the cache (the song's encoded grid: every part, as the band
input hears it), then decided and humanized as generation does, and compared with the song's own drums over its
span: per class (kick, snare, closed hat, open hat, toms, crash, ride) the rate ratio (our hits over the drummer's,
pooled) and the bars ratio (bars using the class), fill bars per 8 bars (../shared/scoring's kit.py definition: 2+
tom hits, or 4+ snare hits on odd 16ths), the mean song F1 over (16th, class) cells, and for the colour classes kit.py's
"followed" (of the songs whose drummer uses the class in 10% of the bars, those where take 1 uses it in half as many),
"sprinkled" (of those whose drummer uses it in under 2% of the bars, those where take 1 uses it in 10%) and "placed"
(cell F1 beside the same hits a bar on random steps); then per meter family (../shared/scoring/checklist.py's: 4/4,
3/4, compound, other, mixed; `evaluation.checklist.meter_family`) the kick and snare rate ratios and the mean song F1.
For fast comparisons while
the decision changes; the figures an issue asks for come from ../shared/scoring on the written files
(tools/score_split.py).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from seq2drum.evaluation import metrics
from seq2drum.evaluation.checklist import FAMILIES, meter_family
from seq2drum.evaluation.evaluate import EvaluationSettings, chosen_songs
from seq2drum.evaluation.inputs import data_config_for
from seq2drum.generation.generator import DrumGenerator
from seq2drum.groove import calibrated, policy_change
from seq2drum.model.scoring import WholeSongScorer
from seq2drum.options import GenerationOptions
from seq2drum.song.bars import bar_song
from seq2drum.song.corpus import build_corpus
from seq2drum.song.drum_part import DrumGrid
from seq2drum.song.grid import BAR_START, BAR_STEPS

KIT = {"kick": (0,), "snare": (1,), "closed hat": (2,), "open hat": (3,), "toms": (4, 5, 6), "crash": (7,),
       "ride": (8,)}


def bar_rows(drums: DrumGrid, grid: object, span: tuple[int, int]) -> list[np.ndarray]:
    """The drums' hits (steps, 9) of each bar that starts inside the span."""
    rows = []
    for start, steps in grid.bars[:, [BAR_START, BAR_STEPS]].tolist():  # type: ignore[attr-defined]
        if span[0] <= start < span[1]:
            rows.append(drums.hits[start : min(start + steps, span[1])])
    return rows


def kit_counts(rows: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, int]:
    """Hits and bars using each kit class, and the fill bars, over bars of hits (steps, 9)."""
    hits, bars, fills = np.zeros(len(KIT)), np.zeros(len(KIT)), 0
    for bar in rows:
        for k, classes in enumerate(KIT.values()):
            n = int(bar[:, list(classes)].sum())
            hits[k] += n
            bars[k] += n > 0
        toms = int(bar[:, [4, 5, 6]].sum())
        odd_snares = int(bar[1::2, 1].sum())
        fills += toms >= 2 or odd_snares >= 4
    return hits, bars, fills


def set_constant(name: str, value: str) -> None:
    """A groove/settings.py constant changed in every loaded seq2drum module that holds it (a study, not a setting)."""
    import sys

    from seq2drum.groove import settings

    old = getattr(settings, name)
    new = type(old)(float(value)) if isinstance(old, (int, float)) else value
    for module in [m for key, m in sys.modules.items() if key.startswith("seq2drum") and m is not None]:
        if getattr(module, name, None) is old:
            setattr(module, name, new)


class Tally:
    """The kit figures summed over songs."""

    def __init__(self) -> None:
        self.ours, self.theirs = np.zeros((2, len(KIT))), np.zeros((2, len(KIT)))
        self.fills, self.n_bars, self.f1s = np.zeros(2), 0, []
        self.follow, self.sprinkle = np.zeros((2, len(KIT))), np.zeros((2, len(KIT)))
        self.placed = np.zeros((4, len(KIT)))  # matched cells, ours, theirs, matched at random
        # the calibrated probabilities summed: per class, then crash and fill bars
        self.expected = np.zeros(len(KIT) + 2)
        self.rng = np.random.default_rng(0)
        # per meter family: kick and snare hits, ours then the drummer's, and the songs' F1s
        self.family_hits = {family: np.zeros((2, 2)) for family in FAMILIES}
        self.family_f1s: dict[str, list[float]] = {family: [] for family in FAMILIES}

    def add(self, ours: list[np.ndarray], theirs: list[np.ndarray], f1: float, expected: np.ndarray,
            family: str = "4/4") -> None:
        """One song's bars (steps, 9) of take 1 and of its drummer, what the model expects over them, and its meter
        family."""
        self.f1s.append(f1)
        self.family_f1s[family].append(f1)
        for side, rows in enumerate((ours, theirs)):
            self.family_hits[family][side] += [sum(int(bar[:, k].sum()) for bar in rows) for k in (0, 1)]
        self.expected += expected
        n = len(theirs)
        self.n_bars += n
        song_bars = []
        for side, rows in enumerate((ours, theirs)):
            hits, bars, fill = kit_counts(rows)
            (self.ours if side == 0 else self.theirs)[0] += hits
            (self.ours if side == 0 else self.theirs)[1] += bars
            self.fills[side] += fill
            song_bars.append(bars)
        for k, classes in enumerate(KIT.values()):
            if song_bars[1][k] >= 0.10 * n:
                self.follow[:, k] += (1, song_bars[0][k] >= 0.5 * song_bars[1][k])
            if song_bars[1][k] < 0.02 * n:
                self.sprinkle[:, k] += (1, song_bars[0][k] >= 0.10 * n)
            for mine, real in zip(ours, theirs):
                a, b = mine[:, list(classes)].any(axis=1), real[:, list(classes)].any(axis=1)
                self.placed[:3, k] += (np.count_nonzero(a & b), np.count_nonzero(a), np.count_nonzero(b))
                count = int(np.count_nonzero(a))
                if count:
                    for _ in range(5):
                        steps = self.rng.choice(len(b), size=min(count, len(b)), replace=False)
                        self.placed[3, k] += np.count_nonzero(b[steps]) / 5

    def report(self, started: float) -> None:
        print(f"{len(self.f1s)} songs, {self.n_bars} bars, mean song F1 {np.mean(self.f1s):.4f} "
              f"({time.perf_counter() - started:.0f} s)")
        print(f"{'class':<11} {'rate ratio':>10} {'bars ratio':>10} {'ours/bar':>9} {'drummer/bar':>11} "
              f"{'followed':>9} {'sprinkled':>9} {'placed/random':>13} {'expected':>8}")
        for k, name in enumerate(KIT):
            matched, mine, real, at_random = self.placed[:, k]
            placed = 2 * matched / max(mine + real, 1)
            random = 2 * at_random / max(mine + real, 1)
            print(f"{name:<11} {self.ours[0, k] / max(self.theirs[0, k], 1):>10.2f} "
                  f"{self.ours[1, k] / max(self.theirs[1, k], 1):>10.2f} {self.ours[0, k] / max(self.n_bars, 1):>9.2f} "
                  f"{self.theirs[0, k] / max(self.n_bars, 1):>11.2f} "
                  f"{self.follow[1, k] / max(self.follow[0, k], 1):>9.2f} "
                  f"{self.sprinkle[1, k] / max(self.sprinkle[0, k], 1):>9.2f} {placed:>6.3f}/{random:.3f} "
                  f"{self.expected[k] / max(self.theirs[0, k], 1):>8.2f}")
        per8 = 8 * self.fills / max(self.n_bars, 1)
        print(f"fill bars per 8 bars: ours {per8[0]:.2f}, the drummers' {per8[1]:.2f}; the model's structure head "
              f"expects {8 * self.expected[-1] / max(self.n_bars, 1):.2f} fill bars and "
              f"{8 * self.expected[-2] / max(self.n_bars, 1):.2f} crash bars per 8 (expected: its calibrated "
              f"probabilities summed, over the drummer's hits)")
        print(f"{'family':<9} {'songs':>5} {'kick ratio':>10} {'snare ratio':>11} {'snares ours/drummer':>19} "
              f"{'mean F1':>8}")
        for family in FAMILIES:
            f1s, hits = self.family_f1s[family], self.family_hits[family]
            if f1s:
                print(f"{family:<9} {len(f1s):>5} {hits[0, 0] / max(hits[1, 0], 1):>10.2f} "
                      f"{hits[0, 1] / max(hits[1, 1], 1):>11.2f} {hits[0, 1]:>10.0f}/{hits[1, 1]:<8.0f} "
                      f"{np.mean(f1s):>8.4f}")


def study_songs(generator: DrumGenerator, songs: list, options: GenerationOptions, seed: int, tally: Tally,
                per_song: bool = False) -> None:
    """Take 1 of each song decided and humanized as generation does, added to the tally (and, `per_song`, each
    song's meter family, kicks and snares a bar, ours and the drummer's, and F1 printed)."""
    for song in songs:
        scorer = WholeSongScorer(generator.song_scores(bar_song(song, generator.spec)))
        takes = generator.takes(scorer, options, seed, song.grid)
        drums = generator.takes_to_grids(song, takes[:1], options, seed)[0]
        span = song.span_steps
        assert song.drums is not None
        real = song.drums.hits[span[0] : span[1]]
        counts = metrics.match_hits(drums.hits[span[0] : span[1]], real, 0)
        ours, theirs, family = bar_rows(drums, song.grid, span), bar_rows(song.drums, song.grid, span), \
            meter_family(song.grid, span)
        tally.add(ours, theirs, counts.micro()[2], expected_counts(generator, scorer, song, span), family)
        if per_song:
            n = max(len(theirs), 1)
            kicks, snares = ([sum(int(bar[:, k].sum()) for bar in rows) / n for rows in (ours, theirs)] for k in (0, 1))
            print(f"{song.name} [{family}] {len(theirs)} bars: kicks a bar {kicks[0]:.1f}/{kicks[1]:.1f}, snares "
                  f"{snares[0]:.1f}/{snares[1]:.1f} (ours/drummer's), F1 {counts.micro()[2]:.3f}")


def expected_counts(generator: DrumGenerator, scorer: WholeSongScorer, song: object,
                    span: tuple[int, int]) -> np.ndarray:
    """The model's calibrated probabilities summed over the bars that start inside the span: per kit class, then
    the crash and fill bars of its structure head."""
    scores = scorer(0, scorer.n_bars, None)
    p, structure = calibrated(scores, generator.decoder.policy)
    starts = song.grid.bars[song.first_bar : song.first_bar + len(p), BAR_START]  # type: ignore[attr-defined]
    inside = (starts >= span[0]) & (starts < span[1])
    per_class = [float(p[inside][:, :, list(classes)].sum()) for classes in KIT.values()]
    return np.array([*per_class, float(structure[inside, 1].sum()), float(structure[inside, 2].sum())])


def study_live(checkpoint: Path | None, data: Path, settings: EvaluationSettings, seed: int, tally: Tally) -> None:
    """Each song's file played to the live drummer bar by bar (`--mode evaluate --live`'s path), its take added to
    the tally (no expected counts: the causal model hears each bar as it comes)."""
    from seq2drum.evaluation.evaluate import change_policy, fit_steps, loaded_model
    from seq2drum.evaluation.inputs import build_input
    from seq2drum.evaluation.playback import play_file
    from seq2drum.song.corpus import files_by_content

    generator, drummer = loaded_model(checkpoint, live=True)
    change_policy(generator, drummer, settings)
    config = data_config_for("band", generator.data_config)
    corpus = build_corpus(data, config, progress=False)
    files = files_by_content(data)
    options = GenerationOptions(seed=seed)
    for song in chosen_songs(corpus.songs, settings, config, data)[0]:
        path = files.get(song.sha256)
        if path is None or song.drums is None:
            continue
        made = build_input("band", path.read_bytes(), options)
        drums = fit_steps(play_file(drummer, made.midi_bytes, made.options, seed).drums, song.n_steps)
        span = song.span_steps
        counts = metrics.match_hits(drums.hits[span[0] : span[1]], song.drums.hits[span[0] : span[1]], 0)
        tally.add(bar_rows(drums, song.grid, span), bar_rows(song.drums, song.grid, span), counts.micro()[2],
                  np.zeros(len(KIT) + 2))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("..") / "shared" / "data" / "midi")
    parser.add_argument("--checkpoint", type=Path, default=None)
    parser.add_argument("--split", default="val", choices=("val", "train", "all"))
    parser.add_argument("--cv", type=Path, default=None,
                        help="a tools.crossval folder: each foldN/best.pt on its fold's songs (out of fold)")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--live", action="store_true",
                        help="play each song to the live drummer bar by bar (default model models/live.pt)")
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--per-song", action="store_true", help="print each song's family, kicks, snares and F1")
    parser.add_argument("--policy", action="append", default=[], type=policy_change, metavar="NAME=VALUE",
                        help="a DecodingPolicy field changed from the model's (repeatable)")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="a constant of groove/settings.py changed wherever it is read (repeatable)")
    args = parser.parse_args(argv)
    for change in args.set:
        set_constant(*change.split("=", 1))
    started = time.perf_counter()
    tally, options = Tally(), GenerationOptions(seed=args.seed)
    if args.live:
        study_live(args.checkpoint, args.data, EvaluationSettings(split=args.split, limit=args.limit,
                                                                  policy_changes=tuple(args.policy)), args.seed, tally)
        tally.report(started)
        return
    for fold in range(args.folds) if args.cv else [None]:
        checkpoint = args.cv / f"fold{fold}" / "best.pt" if args.cv else args.checkpoint
        generator = DrumGenerator.from_checkpoint(checkpoint)
        if args.policy:
            generator.decoder.policy = generator.decoder.policy.replace(**dict(args.policy))
        config = data_config_for("band", generator.data_config)
        corpus = build_corpus(args.data, config, progress=False)
        settings = (EvaluationSettings(split="fold", folds=args.folds, fold=fold, limit=args.limit) if args.cv else
                    EvaluationSettings(split=args.split, limit=args.limit))
        study_songs(generator, chosen_songs(corpus.songs, settings, config, args.data)[0], options, args.seed, tally,
                    args.per_song)
    tally.report(started)

if __name__ == "__main__":
    main()
