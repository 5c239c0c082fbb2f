"""--plot's picture: a take's drums under what they listened to, over the whole song, in rows of bars like a score
(one panel per role heard, one named row per drum class, bar lines, bar numbers, each section's letter where it
starts).

Painted straight into a numpy raster, its words written with Pillow (matplotlib's own image library): the same
picture drawn with matplotlib made the run 3 to 14 times as long (its import, a constrained layout of up to a hundred
axes, a line artist per bar line per panel; issue 70), where this adds a small part of it (bench/bench_plot.py).
`TakePicture` keeps where each panel is and every word written, so a test can read the picture as a reader would.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from seq2drum.atomic import write_atomic
from seq2drum.midi.drums import CLOSED_HAT, DRUM_CLASSES, Articulation
from seq2drum.midi.io import END, PITCH, START, VELOCITY
from seq2drum.song.drum_part import DrumGrid
from seq2drum.song.grid import BAR_START, BAR_STEPS, Grid

if TYPE_CHECKING:
    from PIL import Image, ImageFont

    from seq2drum.song.encode import EncodedSong

# the drums panel's rows, bottom first: each class's, and the hi-hat foot's (pitch 44, a closed hat struck with the
# pedal: a jazz take's 2 and 4) beside the closed hat's, which then holds the stick's alone
FOOT_ROW = CLOSED_HAT + 1
DRUM_ROWS = (*(name.replace("_", " ") for name in DRUM_CLASSES[:FOOT_ROW]), "hat foot",
             *(name.replace("_", " ") for name in DRUM_CLASSES[FOOT_ROW:]))
PLOT_BARS_PER_ROW = 16
PLOT_MAX_ROWS = 24  # longer songs get more bars per row, so the picture stays a picture
PITCH_CLASSES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
# matplotlib's tab10 colours, a section letter's colour by its place in the alphabet
SECTION_COLORS = ((214, 39, 40), (31, 119, 180), (44, 160, 44), (255, 127, 14), (148, 103, 189), (140, 86, 75),
                  (227, 119, 194), (188, 189, 34))
FOOTER = "bar (grey lines are bar lines; lettered lines mark the sections the model found)"

# the page, in pixels
WIDTH = 1400
LEFT, RIGHT = 96, 12  # room for the row names and the tick labels; a margin
TITLE_SIZE, TITLE_LINE_HEIGHT, TITLE_MARGIN, FOOTER_HEIGHT = 16, 20, 16, 28  # a long title takes several lines
LETTERS_HEIGHT = 18  # above a row: the section letters
PART_NAME_SIZE = 11  # the plan's part names, beside the letters ...
PART_NAME_INDENT = 22  # ... this far right of where their part starts (a section letter's box is 16 wide)
PART_NAME_GAP = 4  # pixels left free between a part's name and the next part's or section's start
PART_HEIGHT, DRUM_ROW_HEIGHT = 84, 13  # a part's panel; a drum class's row in the drums' panel
PANEL_GAP, NUMBERS_HEIGHT, ROW_GAP = 6, 16, 14  # between panels; the bar numbers under a row; between rows
# The picture is a palette image (a third of an RGB one to write): indices 0 (black) to WHITE are greys, evenly
# spaced, so a word's soft edges blend as greys do; the section colours follow.
WHITE = 247
BLACK, BAR_LINE_GREY, FRAME_GREY = 0, 190, 60
LIGHTEST = 190  # the grey of the softest note drawn (the loudest is black)
PALETTE = [round(level * 255 / WHITE) for level in range(WHITE + 1) for _ in range(3)]
PALETTE += [channel for color in SECTION_COLORS for channel in color]


@dataclass(frozen=True)
class Panel:
    """One panel of the picture: its name at its left ("guitar", "bass", "drums"), the parts in its top left corner
    ("bass: Bass", or nothing), the row of bars it is in, its box in pixels (left, top, right, bottom, right and
    bottom excluded) and the grid steps it shows."""

    label: str
    corner: str
    row: int
    box: tuple[int, int, int, int]
    steps: tuple[int, int]


@dataclass
class TakePicture:
    """The picture, its panels top to bottom, and every word written on it."""

    image: Image.Image
    panels: list[Panel] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)

    def save(self, path: str | Path, overwrite: bool = True) -> Path:
        """Write the PNG via a temporary file and rename, so a crash never leaves half an image; over an existing file
        only with `overwrite` (else `FileExistsError`). Compression level 1: half the time of the default (level 6)
        for a file 1.6 times as large (376 kB for a 204-bar song)."""
        return write_atomic(path, lambda stream: self.image.save(stream, format="PNG", compress_level=1),
                            overwrite=overwrite)


@dataclass(frozen=True)
class _Layer:
    """A panel to paint over the whole song: its name, its corner label, its greys and its row ticks."""

    label: str
    corner: str
    greys: np.ndarray  # (n_rows, n_steps) uint8 palette indices, the bottom row first: WHITE nothing, BLACK loudest
    ticks: list[tuple[int, str]]  # (row, counted from the bottom; text)
    height: int


Word = tuple[tuple[int, int], str, int, str]  # (where, text, size in pixels, Pillow's anchor)


def take_picture(song: EncodedSong, drums: DrumGrid, sections: Sequence[tuple[int, str]], title: str = "",
                 bars_per_row: int = PLOT_BARS_PER_ROW, guitar_label: str = "guitar",
                 heard: Sequence[tuple[str, np.ndarray]] = (),
                 parts: Sequence[tuple[int, str]] = ()) -> TakePicture:
    """A generated part over the whole song, from the bar where the music starts to its last sounding bar, in rows
    of `bars_per_row` bars: what the drums listened to above the drums, bar lines, bar numbers, and each section's
    letter where it starts (`sections` as the generator reports them: (first bar, 1-based; letter)). `heard` is what
    the drums listened to, a panel per role ("role: part names", its notes in the grid's ticks:
    `GenerationResult.heard`); without it, the guitar's onsets from the song's features, under `guitar_label` (drums
    from nothing draw their stand-in pulse there, not a guitar). `parts` (first bar, 1-based; name) are the take's plan
    (`TakeResult.parts`): each part's name is written under the section letters where it starts and at each row's
    start. Every row is drawn on one scale, so the last one ends with the song."""
    grid = song.grid
    first_bar, end_bar = song.first_bar, song_end_bar(song, drums, heard)
    bars_per_row = max(bars_per_row, -(-(end_bar - first_bar) // PLOT_MAX_ROWS))
    row_bars = [(b, min(end_bar, b + bars_per_row)) for b in range(first_bar, end_bar, bars_per_row)]
    spans = [(int(grid.bars[b0, BAR_START]), int(grid.bars[b1 - 1, BAR_START] + grid.bars[b1 - 1, BAR_STEPS]))
             for b0, b1 in row_bars]
    scale = (WIDTH - LEFT - RIGHT) / max(end - start for start, end in spans)  # pixels per step, one for every row
    layers = _layers(song, drums, heard, guitar_label)
    row_height = LETTERS_HEIGHT + sum(layer.height + PANEL_GAP for layer in layers) + NUMBERS_HEIGHT + ROW_GAP
    titles = _lines(title or song.name, TITLE_SIZE)
    title_height = TITLE_MARGIN + TITLE_LINE_HEIGHT * len(titles)
    canvas = np.full((title_height + row_height * len(row_bars) + FOOTER_HEIGHT, WIDTH), WHITE, dtype=np.uint8)
    words: list[Word] = [((WIDTH // 2, 8 + TITLE_LINE_HEIGHT * number), line, TITLE_SIZE, "mt")
                         for number, line in enumerate(titles)]
    words.append(((WIDTH // 2, canvas.shape[0] - 8), FOOTER, 12, "mb"))
    panels: list[Panel] = []
    for row, ((b0, b1), (start, end)) in enumerate(zip(row_bars, spans)):
        y = title_height + row * row_height + LETTERS_HEIGHT
        for layer in layers:
            box = (LEFT, y, LEFT + round((end - start) * scale), y + layer.height)
            _paint(canvas, box, layer.greys[:, start:end])
            _bar_lines(canvas, box, grid.bars[:, BAR_START], start, end, scale)
            _turn_label(canvas, box, layer.label)
            panels.append(Panel(layer.label, layer.corner, row, box, (start, end)))
            words += _tick_words(box, layer)
            y += layer.height + PANEL_GAP
        words += _section_marks(canvas, panels[-len(layers):], grid, sections, b0, b1, scale)
        words += _part_names(panels[-len(layers)], grid, parts, b0, b1, scale, [bar for bar, _ in sections])
        words += [((round(LEFT + (grid.bars[b, BAR_START] - start) * scale), y - PANEL_GAP + 2), str(b + 1), 10, "mt")
                  for b in range(b0, b1, 1 if bars_per_row <= 32 else 4)]
    return _written(canvas, words, panels)


def song_end_bar(song: EncodedSong, drums: DrumGrid, heard: Sequence[tuple[str, np.ndarray]]) -> int:
    """One past the last bar where something sounds (a drum hit, a note listened to): where the picture ends, not at
    the grid's end, which can run bars past the song."""
    grid = song.grid
    hit_steps = np.flatnonzero(drums.hits.any(axis=1))
    last_steps = [int(hit_steps[-1]) if len(hit_steps) else 0, song.last_onset_step]
    last_steps += [int(grid.nearest_step(notes[:, START]).max()) for _, notes in heard if len(notes)]
    last_bar = int(np.searchsorted(grid.bars[:, BAR_START], max(last_steps), side="right")) - 1
    return int(np.clip(last_bar + 1, song.first_bar + 1, grid.n_bars))


def _layers(song: EncodedSong, drums: DrumGrid, heard: Sequence[tuple[str, np.ndarray]],
            guitar_label: str) -> list[_Layer]:
    """The panels of every row, top to bottom, each over the whole song: a roll per role heard (or the guitar's
    onset chroma), then the drums, darker for louder."""
    n_steps = song.grid.n_steps
    layers = []
    for label, notes in heard:
        low, high = pitch_range(notes)
        ticks = [(pitch - low, f"C{pitch // 12 - 1}") for pitch in range(low, high + 1) if pitch % 12 == 0]
        layers.append(_Layer(label.split(":")[0], label, _greys(_part_roll(notes, song.grid, n_steps, low, high)),
                             ticks or [(0, str(low))], PART_HEIGHT))
    if not heard:
        chroma = song.guitar[:n_steps, :12].T  # (12, T)
        layers.append(_Layer(guitar_label, "", _greys(chroma), list(enumerate(PITCH_CLASSES)), PART_HEIGHT))
    layers.append(_Layer("drums", "", _greys(drum_loudness(drums)[:, :n_steps]), list(enumerate(DRUM_ROWS)),
                         DRUM_ROW_HEIGHT * len(DRUM_ROWS)))
    return layers


def drum_loudness(drums: DrumGrid) -> np.ndarray:
    """(len(DRUM_ROWS), T) how loud each row of the drums panel plays at each step (0: nothing): each class's hits,
    the closed hat's struck with the foot on the hat foot's row."""
    loudness = np.where(drums.hits, np.maximum(drums.velocity, 30) / 127.0, 0.0).T  # (9, T)
    foot = drums.hits[:, CLOSED_HAT] & (drums.articulation[:, CLOSED_HAT] == Articulation.PEDAL_HAT)
    rows = np.insert(loudness, FOOT_ROW, np.where(foot, loudness[CLOSED_HAT], 0.0), axis=0)
    rows[CLOSED_HAT, foot] = 0.0
    return rows


def pitch_range(notes: np.ndarray) -> tuple[int, int]:
    """The pitches a role's panel shows: its lowest to its highest note, at least an octave."""
    if not len(notes):
        return 48, 60
    low, high = int(notes[:, PITCH].min()), int(notes[:, PITCH].max())
    return low, max(high, low + 12)


def _part_roll(notes: np.ndarray, grid: Grid, n_steps: int, low: int, high: int) -> np.ndarray:
    """The notes of one role (N, 4 in the grid's ticks) as a piano roll over the song, (pitches, T) in [0, 1]: each
    note over the steps it sounds, the louder where two notes meet."""
    roll = np.zeros((high - low + 1, n_steps), dtype=np.float32)
    if len(notes):
        first = np.clip(grid.nearest_step(notes[:, START]), 0, n_steps)
        lengths = np.clip(np.maximum(grid.nearest_step(notes[:, END]), first + 1), 0, n_steps) - first
        offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)  # 0, 1, ... per note
        steps = np.repeat(first, lengths) + offsets
        pitches = np.repeat(notes[:, PITCH] - low, lengths)
        np.maximum.at(roll, (pitches, steps), np.repeat(np.maximum(notes[:, VELOCITY], 40) / 127.0, lengths))
    return roll


def _greys(values: np.ndarray) -> np.ndarray:
    """Values in [0, 1] (0 nothing, 1 the loudest) as palette greys: white for nothing, LIGHTEST to black."""
    shade = np.clip(values, 0.0, 1.0)
    return np.where(shade > 0, np.rint(LIGHTEST * (1.0 - shade)), WHITE).astype(np.uint8)


def _paint(canvas: np.ndarray, box: tuple[int, int, int, int], greys: np.ndarray) -> None:
    """`greys` (rows bottom to top, steps) stretched over `box`, nearest neighbour, and a frame around it."""
    left, top, right, bottom = box
    n_rows, n_steps = greys.shape
    columns = ((np.arange(right - left) + 0.5) * n_steps / (right - left)).astype(np.int64)
    rows = ((np.arange(bottom - top) + 0.5) * n_rows / (bottom - top)).astype(np.int64)[::-1]  # the top row first
    canvas[top:bottom, left:right] = greys[rows][:, columns]
    canvas[[top - 1, bottom], left - 1:right + 1] = FRAME_GREY
    canvas[top - 1:bottom + 1, [left - 1, right]] = FRAME_GREY


def _bar_lines(canvas: np.ndarray, box: tuple[int, int, int, int], bar_starts: np.ndarray, start: int, end: int,
               scale: float) -> None:
    """A light grey line at each bar line inside the panel, behind the notes (on white only)."""
    left, top, right, bottom = box
    xs = np.round(left + (bar_starts[(bar_starts > start) & (bar_starts < end)] - start) * scale).astype(np.int64)
    xs = xs[(xs > left) & (xs < right)]
    strip = canvas[top:bottom, xs]
    strip[strip == WHITE] = BAR_LINE_GREY
    canvas[top:bottom, xs] = strip


def _section_marks(canvas: np.ndarray, row_panels: list[Panel], grid: Grid, sections: Sequence[tuple[int, str]],
                   first_bar: int, end_bar: int, scale: float) -> list[Word]:
    """A coloured line down the row where each section starts, a box of its colour above; returns the letters."""
    letters = []
    for bar_number, letter in sections:
        bar = bar_number - 1
        if not first_bar <= bar < end_bar:
            continue
        color = WHITE + 1 + (ord(letter[:1] or "A") - ord("A")) % len(SECTION_COLORS)
        x = round(LEFT + (grid.bars[bar, BAR_START] - row_panels[0].steps[0]) * scale)
        for panel in row_panels:
            canvas[panel.box[1]:panel.box[3], x - 1:x + 1] = color
        top, width = row_panels[0].box[1], 8 + 8 * len(letter)
        canvas[top - LETTERS_HEIGHT + 2:top - 1, x - 1:x - 1 + width] = color
        letters.append(((x - 1 + width // 2, top - LETTERS_HEIGHT // 2), letter, 12, "mm"))
    return letters


def _part_names(panel: Panel, grid: Grid, parts: Sequence[tuple[int, str]], first_bar: int, end_bar: int,
                scale: float, section_bars: Sequence[int] = ()) -> list[Word]:
    """The plan's part names beside the section letters, above the row: where a part starts (a phrase
    whose part differs from the one before, or at the row's first bar) and, where none starts at the row's first
    bar, the part playing there; each cut to end before the next part's bar or section letter (`section_bars`, 1-based)
    (parts changing at bars 1 and 2 wrote one name over the other)."""
    words: list[Word] = []
    before = None
    for bar_number, name in parts:
        bar = bar_number - 1
        if first_bar <= bar < end_bar and (name != before or bar == first_bar):
            words.append(_part_word(panel, grid, bar, name, scale))
        before = name
    playing = [name for bar_number, name in parts if bar_number - 1 < first_bar]
    if playing and all(bar_number - 1 != first_bar for bar_number, _ in parts):
        words.insert(0, _part_word(panel, grid, first_bar, playing[-1], scale))
    marks = {bar - 1 for bar in section_bars if first_bar <= bar - 1 < end_bar}
    marks |= {bar - 1 for bar, _ in parts if first_bar <= bar - 1 < end_bar}
    edges = sorted(round(LEFT + (grid.bars[bar, BAR_START] - panel.steps[0]) * scale) for bar in marks)
    fitted = []
    for (x, y), name, size, anchor in words:
        limit = min([edge for edge in edges if edge > x], default=panel.box[2]) - PART_NAME_GAP
        fitted.append(((x, y), _fit(name, size, limit - x), size, anchor))
    return fitted


def _fit(text: str, size: int, width: int) -> str:
    """`text` as written at `size`, cut with an ellipsis to at most `width` pixels (at least its first letter)."""
    if _stamp(text, size, "lm")[0].shape[1] <= width:
        return text
    for end in range(len(text) - 1, 0, -1):
        cut = text[:end].rstrip(" ,/") + "..."
        if _stamp(cut, size, "lm")[0].shape[1] <= width:
            return cut
    return text[:1] + "..."


def _part_word(panel: Panel, grid: Grid, bar: int, name: str, scale: float) -> Word:
    """A part's name in the letters' strip above the row, after where a section letter's box would be."""
    x = round(LEFT + (grid.bars[bar, BAR_START] - panel.steps[0]) * scale)
    return ((x + PART_NAME_INDENT, panel.box[1] - LETTERS_HEIGHT // 2), name, PART_NAME_SIZE, "lm")


def _tick_words(box: tuple[int, int, int, int], layer: _Layer) -> list[Word]:
    """A panel's row ticks at its left, right-aligned against the frame."""
    left, top, _, bottom = box
    n_rows = layer.greys.shape[0]
    return [((left - 5, round(bottom - (row + 0.5) * (bottom - top) / n_rows)), text, 9, "rm")
            for row, text in layer.ticks]


def _turn_label(canvas: np.ndarray, box: tuple[int, int, int, int], label: str) -> None:
    """The panel's name written upwards at the page's left, beside the panel's middle."""
    turned = _turned(label)
    top = (box[1] + box[3] - turned.shape[0]) // 2
    canvas[top:top + turned.shape[0], 4:4 + turned.shape[1]] = turned


def _written(canvas: np.ndarray, words: list[Word], panels: list[Panel]) -> TakePicture:
    """The painted canvas with its words written, as a palette image: the ticks, bar numbers and titles in black,
    the section letters in white on their colour, a part's names in a box in its panel's top left corner. A word is
    written once per picture size (`_stamp`) and laid on the canvas wherever it appears."""
    from PIL import Image

    for (x, y), text, size, anchor in words:
        stamp, (dx, dy) = _stamp(text, size, anchor)
        region = _region(canvas, x + dx, y + dy, stamp)
        if anchor == "mm":  # a section letter: white where the letter is (a soft edge would blend into other colours)
            region[stamp[:region.shape[0], :region.shape[1]] < 3 * WHITE // 4] = WHITE
        else:
            np.minimum(region, stamp[:region.shape[0], :region.shape[1]], out=region)
    corners = []
    for panel in panels:
        if panel.corner:  # a role heard: "bass: Bass", as a DAW names a track
            stamp, _ = _stamp(panel.corner, 11, "lt")
            left, top = panel.box[0] + 4, panel.box[1] + 3
            canvas[top:top + stamp.shape[0] + 4, left:left + stamp.shape[1] + 6] = BAR_LINE_GREY
            canvas[top + 1:top + stamp.shape[0] + 3, left + 1:left + stamp.shape[1] + 5] = WHITE
            np.minimum(_region(canvas, left + 3, top + 2, stamp), stamp, out=_region(canvas, left + 3, top + 2, stamp))
            corners.append(panel.corner)
    image = Image.fromarray(canvas)
    image.putpalette(PALETTE)
    texts = [text for _, text, _, _ in words] + [panel.label for panel in panels] + corners
    return TakePicture(image, panels, texts)


def _region(canvas: np.ndarray, x: int, y: int, stamp: np.ndarray) -> np.ndarray:
    """The part of the canvas a stamp laid at (x, y) covers, cut at the canvas's edges (a view, written through)."""
    x, y = max(x, 0), max(y, 0)
    return canvas[y:y + stamp.shape[0], x:x + stamp.shape[1]]


@lru_cache(maxsize=4096)
def _stamp(text: str, size: int, anchor: str) -> tuple[np.ndarray, tuple[int, int]]:
    """`text` written black on white in palette greys (soft edges blend as greys), and where its top left corner
    lies from the point it is anchored at (Pillow's anchors: "rm" right middle, "mt" middle top ...)."""
    from PIL import Image, ImageDraw

    font = _font(size)
    left, top, right, bottom = font.getbbox(text, anchor=anchor)
    stamp = Image.new("L", (max(right - left, 1), max(bottom - top, 1)), WHITE)
    ImageDraw.Draw(stamp).text((-left, -top), text, fill=BLACK, font=font, anchor=anchor)
    return np.asarray(stamp), (left, top)


def _lines(text: str, size: int) -> list[str]:
    """`text` cut at spaces into lines that fit the page's width (a long song's sections make a long title)."""
    font, lines = _font(size), [""]
    for word in text.split(" "):
        joined = f"{lines[-1]} {word}" if lines[-1] else word
        if lines[-1] and font.getlength(joined) > WIDTH - 2 * RIGHT:
            lines.append(word)
        else:
            lines[-1] = joined
    return lines


@cache
def _turned(text: str) -> np.ndarray:
    """`text` written upwards in palette greys, as a panel's name at its left."""
    from PIL import Image, ImageDraw

    font = _font(12)
    right, bottom = font.getbbox(text)[2:]
    label = Image.new("L", (right + 2, bottom + 2), WHITE)
    ImageDraw.Draw(label).text((1, 1), text, fill=BLACK, font=font)
    return np.asarray(label.rotate(90, expand=True))


@cache
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Pillow's own font at `size` pixels (no font file to find on the machine)."""
    from PIL import ImageFont

    return ImageFont.load_default(size)
