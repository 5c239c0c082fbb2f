"""Do the printed sections fall where the drummers mark them? The guitar's sections (`song_structure`, what was
printed before and what the network still reads) against the drummer's (`song.phrases.drummer_sections`, what is
printed, written as markers and decided from now), over every song with drums, from the data alone (no network).

    python -m studies.section_study [--data ../shared/data/midi] [--limit N] [--songs]

The songs come from the cache (`build_corpus`), their bars from the guitar's or the band's entry to the end
(`bar_song`). Per bar, from the song's own drums: a crash bar has a crash (the CRASH class of seq2drum/midi/drums.py:
GM 49, 52, 55, 57, 58) on its first 16th; a fill bar has 2 or more tom hits, or 4 or more snare hits on odd 16ths
(../shared/scoring/kit.py's definition); a crash after a fill is a crash bar right after a fill bar. Printed for
each set of sections:
(a) of the section starts after the first, the share where the drummer crashes, or fills in the bar before (beside
    that share over all bars: what starts put anywhere would get);
(b) of the drummer's crashes after a fill, the share that are section starts (and the same over those 4 bars or
    more after the one before: a drummer who crashes out of a fill every bar marks no sections by it);
(c) sections per song (mean, median), and the share of sections of 1-3 bars that are neither first nor last.
`--songs` lists each song's sections, old and new, with the drummer's crashes after fills.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from seq2drum.config import DataConfig
from seq2drum.midi.drums import CRASH, HIGH_TOM, LOW_TOM, MID_TOM, SNARE
from seq2drum.song.bars import BarSong, FeatureSpec, bar_song
from seq2drum.song.corpus import build_corpus
from seq2drum.song.sections import Section

SHORT_BARS = 4  # a section under this many bars is short
SPACED_BARS = 4  # a crash after a fill this many bars or more after the one before marks a section, not a groove


def drummer_marks(song: BarSong) -> tuple[np.ndarray, np.ndarray]:
    """(n,) bool each: the bars whose drums crash on the first 16th, and the fill bars (kit.py's definition)."""
    assert song.hits is not None
    inside = np.arange(song.hits.shape[1])[None, :] < song.bar_steps[:, None]  # (n, S)
    hits = song.hits & inside[:, :, None]
    toms = hits[:, :, [LOW_TOM, MID_TOM, HIGH_TOM]].sum(axis=(1, 2))
    odd_snares = hits[:, 1::2, SNARE].sum(axis=1)
    return hits[:, 0, CRASH], (toms >= 2) | (odd_snares >= 4)


class Tally:
    """The figures of one set of sections, summed over songs."""

    def __init__(self) -> None:
        self.starts = self.marked = 0  # (a) section starts after the first, and those the drummer marks
        self.crash_fills = self.found = 0  # (b) the drummer's crashes after a fill, and those that are starts
        self.spaced = self.spaced_found = 0  # (b) over crashes after a fill SPACED_BARS or more apart
        self.counts: list[int] = []  # (c)
        self.short = self.sections = 0

    def add(self, sections: list[Section], first_bar: int, crash: np.ndarray, fill: np.ndarray) -> None:
        n = len(crash)
        starts = {s.start_bar - first_bar for s in sections} & set(range(1, n))
        self.starts += len(starts)
        self.marked += sum(bool(crash[row] or fill[row - 1]) for row in starts)
        crash_fills = (np.flatnonzero(crash[1:] & fill[:-1]) + 1).tolist()
        self.crash_fills += len(crash_fills)
        self.found += sum(row in starts for row in crash_fills)
        for before, row in zip([-SPACED_BARS, *crash_fills], crash_fills):
            if row - before >= SPACED_BARS:
                self.spaced += 1
                self.spaced_found += row in starts
        self.counts.append(len(sections))
        self.sections += len(sections)
        self.short += sum(s.n_bars < SHORT_BARS for s in sections[1:-1])

    def report(self, name: str) -> None:
        print(f"{name}: (a) {self.marked / max(self.starts, 1):.3f} of {self.starts} section starts are marked; "
              f"(b) {self.found / max(self.crash_fills, 1):.3f} of {self.crash_fills} crashes after a fill are section "
              f"starts ({self.spaced_found / max(self.spaced, 1):.3f} of the {self.spaced} spaced "
              f"{SPACED_BARS}+ bars apart); (c) {np.mean(self.counts):.2f} sections a song (median "
              f"{np.median(self.counts):.0f}), {self.short / max(self.sections, 1):.3f} of {self.sections} sections "
              f"are 1-3 bars inside the song")


def listing(sections: list[Section]) -> str:
    return " ".join(f"{s.letter}@{s.start_bar + 1}" for s in sections)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("..") / "shared" / "data" / "midi")
    parser.add_argument("--limit", type=int, default=0, help="at most this many songs (0 = all)")
    parser.add_argument("--songs", action="store_true", help="list each song's sections, old and new")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    config = DataConfig()
    corpus = build_corpus(args.data, config, progress=False)
    encoded = [s for s in corpus.songs if s.drums is not None][: args.limit or None]
    spec = FeatureSpec.current(config.steps_per_quarter)
    old, new = Tally(), Tally()
    bars = marked = 0  # every bar after the first, and those the drummer marks: (a) by chance
    for song in (bar_song(s, spec) for s in encoded):
        crash, fill = drummer_marks(song)
        bars += len(crash) - 1
        marked += int((crash[1:] | fill[:-1]).sum())
        old.add(song.network_sections, song.first_bar, crash, fill)
        new.add(song.sections, song.first_bar, crash, fill)
        if args.songs:
            marks = np.flatnonzero(crash[1:] & fill[:-1]) + 2 + song.first_bar
            print(f"{song.name}\n  old {listing(song.network_sections)}\n  new {listing(song.sections)}\n"
                  f"  drummer's crashes after a fill: {' '.join(map(str, marks.tolist()))}")
    print(f"{len(encoded)} songs with drums ({time.perf_counter() - started:.0f} s); bars as printed (1 = the file's "
          f"first bar); the drummer crashes, or fills in the bar before, in {marked / max(bars, 1):.3f} of all bars")
    old.report("old (the guitar's sections)")
    new.report("new (the drummer's sections)")


if __name__ == "__main__":
    main()
