"""The controls a drummer asks for, applied around decoding: style, density, fills and crashes (through
`policy.Steering`), then the time-keeping voice and dynamics (on each decided `Take`); swing is played by
feel.swing, and the time-keeping that carries it is a take step (groove.decide, groove.voices).

Each control left at its default leaves the model's own choice untouched: style (styles.py: grooves only from that
family), density (density.py: busier or sparser as a drummer would), fills and crashes (none, the model's calls, or
every Nth bar of each section), cymbal (hats to the ride or the ride to the hats, with the model's velocity and timing
for the voice they land on), dynamics (every velocity multiplied, clipped to 1-127) and swing (the swung eighth placed
at `swing` of its beat, the 16ths between moved in proportion; a shuffle's or jazz ride's late note lands there too;
the model's hit-to-hit timing kept; compound meters left alone, with a notice).
"""

from __future__ import annotations

from collections.abc import Callable
import numpy as np

from seq2drum.options import GenerationOptions, fills_every
from seq2drum.groove.decoder import Decoder
from seq2drum.groove.policy import Steering, Take
from seq2drum.groove.structure import closes_with_fill
from seq2drum.groove.scores import SongScores
from seq2drum.song.grid import BAR_DENOMINATOR, BAR_NUMERATOR, Grid, is_compound
from seq2drum.groove.styles import StyleBook, meter_name


# ---------------------------------------------------------------------------------------------- decoding


def song_meters(scores: SongScores, grid: Grid, steps_per_quarter: int) -> list[str]:
    """The meters of the song's drum bars, most played first (4/4, 6/8, 7/8 ...)."""
    rows = grid.bars[scores.first_bar : scores.first_bar + scores.n_bars]
    if len(rows) != scores.n_bars:
        return []
    compound = is_compound(rows[:, BAR_NUMERATOR], rows[:, BAR_DENOMINATOR])
    names = [meter_name(int(n), bool(c), steps_per_quarter) for n, c in zip(scores.bar_steps.tolist(), compound)]
    playing = [name for name, plays in zip(names, scores.guitar_plays.tolist()) if plays] or names
    counts: dict[str, int] = {}
    for name in playing:
        counts[name] = counts.get(name, 0) + 1
    return sorted(counts, key=lambda name: -counts[name])


def section_bars(choice: str, scores: SongScores,
                 mark: Callable[[np.ndarray, int, int, int], None]) -> np.ndarray | None:
    """(n,) bool bars for a `none|sections|every:N` control (`--fills`, `--crashes`): None for `sections` (the
    model's calls), none for `none`, else `mark(bars, start, end, N)` over each section's rows [start, end)."""
    if choice == "sections":
        return None
    bars = np.zeros(scores.n_bars, dtype=bool)
    if choice == "none":
        return bars
    every = fills_every(choice) or 1
    for section in scores.sections:
        start = max(0, section.start_bar - scores.first_bar)
        mark(bars, start, min(scores.n_bars, section.end_bar - scores.first_bar), every)
    return bars


def _close_with_fills(bars: np.ndarray, start: int, end: int, every: int) -> None:
    if closes_with_fill(end - start):
        bars[start + every - 1 : end : every] = True
        bars[end - 1] = True


def _open_with_crashes(bars: np.ndarray, start: int, end: int, every: int) -> None:
    bars[start:end:every] = True


def fill_bars(fills: str, scores: SongScores) -> np.ndarray | None:
    """(n,) bool bars that close with a fill for `--fills none|every:N` (the Nth, 2Nth ... bar of each section and
    its last); None for `sections` (the model's calls)."""
    return section_bars(fills, scores, _close_with_fills)


def crash_bars(crashes: str, scores: SongScores) -> np.ndarray | None:
    """(n,) bool bars that crash on their downbeat for `--crashes none|every:N` (bars 1, N+1 ... of each section);
    None for `sections` (the model's calls)."""
    return section_bars(crashes, scores, _open_with_crashes)


def steering_for(options: GenerationOptions, scores: SongScores, styles: StyleBook, decoder: Decoder,
                 grid: Grid, base: Steering | None = None) -> Steering:
    """The decoding hooks the options ask for, on top of `base` (drums from nothing's structure; --fills other
    than `sections` overrides its fills). ConfigError for a style that is unknown or does not fit."""
    allowed = None
    if options.style is not None:
        allowed = styles.allowed(options.style, song_meters(scores, grid, styles.steps_per_quarter))
    base = base or Steering()
    fills = fill_bars(options.fills, scores)
    crashes = crash_bars(options.crashes, scores)
    return base.replace(allowed=allowed, fills=base.fills if fills is None else fills,
                        crashes=base.crashes if crashes is None else crashes, refine_adds=options.style is None)


def decide(decoder: Decoder, scores: SongScores, options: GenerationOptions, seed: int, styles: StyleBook,
           grid: Grid, base: Steering | None = None, swung: bool = False) -> list[Take]:
    """The takes the options ask for: `decoder.decide` steered by style, fills and crashes (on top of `base`), each
    take decided to groove.decide's last take step (density, crashes none, the time-keeping voice, dynamics, the
    swung time-keeping of a song that swings by its own reading, `swung`)."""
    steering = steering_for(options, scores, styles, decoder, grid, base)
    return decoder.decide(scores, options.takes, options.temperature, np.random.default_rng(seed), steering=steering,
                          options=options, swung=swung, grid=grid)
