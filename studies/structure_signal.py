"""How much a song's guitar part says about where its drummer rests, crashes and rides: the measurements behind
issue 9's structure targets (rest F1 0.45, crash 0.35, ride cells 0.05), from the data alone, no model.

    python -m studies.structure_signal [--data ../shared/data/midi] [--limit N]

For every song with guitar and drums (the guitar as generation chooses it, all its parts), over the bars from the
guitar's entry to its last onset, as `--mode evaluate` scores them:
- rests: where the drummer's silent bars are (before the drums enter, after they stop, where the guitar is silent,
  elsewhere) and how often the drums rest by the share of the song's guitar parts playing in the bar (a guitar
  intro before the band enters would show as bars with fewer guitar parts);
- crashes and fills: how often the drummer crashes on the first bar of a section the section finder
  (`sections.song_structure`) finds, and plays a fill in the last bar of one, against all bars; the F1 of crashing
  on every section start;
- ride: the share of songs and of sections whose drummer keeps time on the ride more than on the hi-hats.
A signal worth a structure F1 of 0.35-0.45 would show as rates far from the base rate in some kind of bar.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path


import numpy as np

from seq2drum.config import DataConfig
from seq2drum.song.corpus import find_midi_files
from seq2drum.groove import STRUCTURE_COLUMNS, SpanSection, drummed_structure, section_places
from seq2drum.midi.drums import CLOSED_HAT, OPEN_HAT, RIDE
from seq2drum.errors import Seq2DrumError
from seq2drum.song.bars import FeatureSpec, bar_song
from seq2drum.evaluation.metrics import match_hits
from seq2drum.midi.io import choose_guitar, read_midi
from seq2drum.song.encode import encode_song

REPO = Path(__file__).resolve().parents[1]


def song_bars(path: Path, config: DataConfig, spec: FeatureSpec) -> dict[str, np.ndarray] | None:
    """Per bar of the song's span: rest / crash / fill of the real drums, guitar parts playing, section edges,
    ride and hat hits; None for a song without guitar or drums."""
    try:
        song = read_midi(path)
        parts = choose_guitar(song).parts
        encoded = encode_song(song, config, with_drums=True)
    except Seq2DrumError:
        return None
    if encoded.drums is None:
        return None
    bars = bar_song(encoded, spec)
    n = bars.last_onset[0] + 1
    grid = encoded.grid
    bar_of_step = grid.bar_of_step()
    playing = np.zeros((len(parts), n), dtype=bool)
    for row, part in enumerate(parts):
        if len(part.notes):
            steps, _ = grid.quantize(part.notes[:, 0])
            song_bars_played = bar_of_step[np.clip(steps, 0, grid.n_steps - 1)] - bars.first_bar
            playing[row, song_bars_played[(song_bars_played >= 0) & (song_bars_played < n)]] = True
    spans = tuple(SpanSection(s.start_bar - bars.first_bar, s.end_bar - bars.first_bar, s.label) for s in bars.sections)
    position, ends = section_places(spans, n, n)  # where decoding's edge thresholds apply: starts and closing fills
    starts = position == 0
    structure = drummed_structure(bars)[:n]
    return {**{name: structure[:, column] for column, name in enumerate(STRUCTURE_COLUMNS)},
            "parts_playing": playing.sum(axis=0), "n_parts": np.full(n, len(parts)), "starts": starts, "ends": ends,
            "ride": bars.hits[:n, :, RIDE].sum(axis=1),
            "hats": bars.hits[:n, :, [CLOSED_HAT, OPEN_HAT]].sum(axis=(1, 2)),
            "section": np.cumsum(starts)}


def f1(predicted: np.ndarray, real: np.ndarray) -> float:
    """F1 over bars (n,) bool, as evaluate matches rests and crashes."""
    return match_hits(predicted[:, None], real[:, None]).micro()[2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "midi")
    parser.add_argument("--limit", type=int, default=None, help="only the first N files (a quick look)")
    args = parser.parse_args()
    config = DataConfig()
    spec = FeatureSpec.current(config.steps_per_quarter)
    files = find_midi_files(args.data)[: args.limit]
    songs = [bars for bars in (song_bars(path, config, spec) for path in files) if bars is not None]
    if not songs:
        sys.exit(f"no song with guitar and drums under {args.data}")
    every = {key: np.concatenate([song[key] for song in songs]) for key in songs[0]}
    rest, n_bars = every["rest"], len(every["rest"])
    print(f"{len(songs)} songs with guitar and drums of {len(files)} files, {n_bars} bars from the guitar's entry to "
          f"its last onset\n")

    kinds: Counter[str] = Counter()
    for song in songs:
        played = np.flatnonzero(~song["rest"])
        if not len(played):
            kinds["the whole song"] += len(song["rest"])
            continue
        first, last = played[0], played[-1]
        middle = slice(first, last + 1)
        kinds["before the drums enter"] += first
        kinds["after the drums stop"] += len(song["rest"]) - 1 - last
        silent_guitar = song["parts_playing"][middle] == 0
        kinds["in between, guitar silent"] += int((song["rest"][middle] & silent_guitar).sum())
        kinds["in between, guitar playing"] += int((song["rest"][middle] & ~silent_guitar).sum())
    print(f"Rests: the drummer rests in {rest.sum()} bars ({rest.mean():.1%}); where:")
    for kind, count in kinds.most_common():
        print(f"  {kind:28s} {count:6d} ({count / max(1, rest.sum()):.0%})")
    intro_songs = sum(bool(len(np.flatnonzero(~s["rest"]))) and not bool(~s["rest"][0]) for s in songs)
    print(f"  songs whose drums enter after the guitar: {intro_songs} of {len(songs)}")
    multi = every["n_parts"] >= 2
    share = every["parts_playing"] / np.maximum(1, every["n_parts"])
    print("  rest rate by the share of the song's guitar parts playing in the bar (songs with 2+ guitar parts):")
    for label, chosen in (("none", multi & (share == 0)), ("some", multi & (share > 0) & (share < 1)),
                          ("all", multi & (share == 1))):
        print(f"    {label:5s} {chosen.sum():6d} bars, rest {rest[chosen].mean():.3f}")
    single = ~multi
    for label, chosen in (("silent", single & (share == 0)), ("playing", single & (share > 0))):
        print(f"  one guitar part, {label:8s} {chosen.sum():6d} bars, rest {rest[chosen].mean():.3f}")

    crash, fill, starts, ends = every["crash"], every["fill"], every["starts"], every["ends"]
    print(f"\nCrashes on the downbeat: {crash.mean():.3f} of all bars, {crash[starts].mean():.3f} of the "
          f"{starts.sum()} section starts ({crash[starts].sum() / max(1, crash.sum()):.0%} of the crashes are there); "
          f"crashing on every section start: F1 {f1(starts, crash):.3f}")
    print(f"Fills: {fill.mean():.3f} of all bars, {fill[ends].mean():.3f} of the {ends.sum()} section ends; a fill "
          f"on every section end: F1 {f1(ends, fill):.3f} (exact bar)")

    ridden_songs = sum(s["ride"].sum() > s["hats"].sum() for s in songs)
    sections = ridden = 0
    for song in songs:
        for label in np.unique(song["section"]):
            chosen = song["section"] == label
            sections += 1
            ridden += song["ride"][chosen].sum() > song["hats"][chosen].sum()
    print(f"\nRide: {ridden_songs} of {len(songs)} songs ({ridden_songs / len(songs):.0%}) and {ridden} of {sections} "
          f"sections ({ridden / max(1, sections):.0%}) keep time more on the ride than on the hi-hats")


if __name__ == "__main__":
    main()
