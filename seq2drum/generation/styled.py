"""A section played in a style's drummers' own bars (`--parts "B=bossa; C=funk"`). The bossa, funk, hip-hop, samba and
afrobeat are no part of the vocabulary (parts.traits DRUMMERS_STYLES: no drummer of the table plays them often
enough to make one), but their drummers' bars are in the codebook (groove.vocabulary) and `--style` plays a song in
them. A section named with one is decided as `--style` decides the whole song, and its bars are spliced into the take
of the rest of the song, take by take (`spliced`): its hits, velocities, timing and structure, its drummers' accents
(`Take.own_touch`), straight where the style is played straight and the user asked no `--swing`
(`Take.straight_bars`, options.STRAIGHT_STYLES), and printed by the style's name beside what it plays (`named`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from seq2drum.groove import Deciders, Heard, Take
from seq2drum.options import STRAIGHT_STYLES, GenerationOptions
from seq2drum.parts.arrangement import code_style, parse_parts, style_named
from seq2drum.parts.played import BAR_BY_BAR
from seq2drum.parts.traits import DRUMMERS_STYLES


def styled_bars(options: GenerationOptions, heard: Heard, deciders: Deciders) -> dict[str, np.ndarray]:
    """(n,) bool the bars of each drummers' style `--parts` names for a section ({} where it names none, or where no
    plan of parts is made: groove.request `plan_ask` refuses `--parts` there), read as `plan_ask` reads the rest."""
    planner, song = deciders.planner, heard.song
    if not options.parts or planner is None or song is None or options.plan != "parts" or not named_styles(options):
        return {}
    arrangement = planner.arrangement(song, heard.p)  # read again only where a drummers' style is named
    out: dict[str, np.ndarray] = {}
    for phrase, code in zip(arrangement.phrases, arrangement.chosen(options.parts, planner).tolist()):
        style = code_style(code)
        if style is not None:
            out.setdefault(style, np.zeros(heard.span.n_bars, dtype=bool))[phrase.start_row: phrase.end_row] = True
    return out


def with_styled_sections(takes: list[Take], decide_under: Callable[[GenerationOptions], list[Take]],
                         options: GenerationOptions, heard: Heard, deciders: Deciders) -> list[Take]:
    """The takes with the sections `--parts` names a drummers' style for spliced in from the takes `decide_under`
    decides under that style (the whole song, as `--style` would; take k's bars into take k)."""
    for style, bars in styled_bars(options, heard, deciders).items():
        under = decide_under(replace(options, style=style, parts=None))
        straight = style in STRAIGHT_STYLES and options.swing is None
        takes = [spliced(take, other, bars, style, straight, heard.scores.first_bar)
                 for take, other in zip(takes, under)]
    return takes


def spliced(take: Take, styled: Take, bars: np.ndarray, style: str, straight: bool, first_bar: int) -> Take:
    """`take` with its `bars` (n,) bool played as `styled` plays them (a take decided under `style`): its cells,
    velocities, timing, articulations, grooves and structure; its own accents where `styled` has them, straight where
    `straight`; its parts (first bar, 1-based; name) named `style` there (`first_bar`: the song bar of row 0)."""
    rows = bars[: len(take.hits)]

    def mixed(mine: np.ndarray, theirs: np.ndarray) -> np.ndarray:
        out = mine.copy()
        out[rows] = theirs[rows]
        return out

    def marked(mine: np.ndarray | None, where: np.ndarray) -> np.ndarray | None:
        out = (np.zeros(len(rows), dtype=bool) if mine is None else mine & ~rows) | where
        return out if out.any() else None

    own = styled.own_touch[: len(rows)] & rows if styled.own_touch is not None else rows & False
    return replace(take, hits=mixed(take.hits, styled.hits), velocity=mixed(take.velocity, styled.velocity),
                   offset=mixed(take.offset, styled.offset), articulation=mixed(take.articulation, styled.articulation),
                   grooves=mixed(take.grooves, styled.grooves), structure=mixed(take.structure, styled.structure),
                   own_touch=marked(take.own_touch, own), swung_bars=marked(take.swung_bars, rows & False),
                   straight_bars=marked(take.straight_bars, rows if straight else rows & False),
                   parts=styled_parts(take.parts, rows, style, first_bar))


def styled_parts(parts: Sequence[tuple[int, str]], rows: np.ndarray, style: str, first_bar: int
                 ) -> tuple[tuple[int, str], ...]:
    """A take's parts (first bar, 1-based; name) with each run of `rows` one entry named `style`, and the bar after a
    run an entry of its own (the take's phrase there, else BAR_BY_BAR: its plan's phrases are whole within a run)."""
    edges = np.flatnonzero(np.diff(np.concatenate([[False], rows, [False]]).astype(np.int8))).tolist()
    starts, ends = edges[::2], [row for row in edges[1::2] if row < len(rows)]
    named = dict(parts)
    bars = sorted({bar for bar, _ in parts if not rows[bar - 1 - first_bar]}
                  | {first_bar + row + 1 for row in (*starts, *ends)})
    return tuple((bar, style if rows[bar - 1 - first_bar] else named.get(bar, BAR_BY_BAR)) for bar in bars)


def named(asked: Sequence[tuple[int, str]], played: Sequence[tuple[int, str]]) -> tuple[tuple[int, str], ...]:
    """The take's parts as played (render's `as_played`) with a drummers' style's sections named by the style:
    "bossa (eighths on the hat, comping)"."""
    styles = {bar: name for bar, name in asked if name in DRUMMERS_STYLES}
    return tuple((bar, f"{styles[bar]} ({name})" if bar in styles else name) for bar, name in played)


def straight_sections(options: GenerationOptions) -> list[str]:
    """The drummers' styles played straight (options.STRAIGHT_STYLES) that `--parts` names for a section, where no
    `--swing` is asked: the run says they are played straight under a swinging band."""
    if not options.parts or options.swing is not None:
        return []
    return [style for style in STRAIGHT_STYLES if style in named_styles(options)]


def named_styles(options: GenerationOptions) -> set[str]:
    """The drummers' styles `--parts` names (parts.traits DRUMMERS_STYLES), from its values alone."""
    named = {style_named(value) for _, value in parse_parts(options.parts)} if options.parts else set()
    return named & set(DRUMMERS_STYLES)
