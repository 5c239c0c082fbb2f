"""--plot: a generated part drawn over the whole song (guitar above named drum rows, bar lines, section letters)."""

from __future__ import annotations

from pathlib import Path

import matplotlib.image
import numpy as np
import pytest

from seq2drum.cli import main
from seq2drum.config import DataConfig
from seq2drum.midi.drums import DRUM_CLASSES
from seq2drum.midi.io import read_midi
from seq2drum.evaluation.plots import PLOT_MAX_ROWS, generation_figure, save_figure
from seq2drum.song.encode import encode_song
from tests.builders import backbeat, notes_from_steps, riff, rock_song_bytes, song_bytes

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def figure_texts(figure) -> set[str]:  # noqa: ANN001 - a matplotlib Figure
    """Every text drawn: tick labels, axis labels, annotations, the title."""
    return {text.get_text().strip() for text in figure.findobj(lambda artist: hasattr(artist, "get_text"))}


def encoded(bars: int, **kwargs: object):  # noqa: ANN201 - an EncodedSong with its real drums
    midi = song_bytes(notes_from_steps(riff(bars), length_steps=2), notes_from_steps(backbeat(bars)), **kwargs)
    return encode_song(read_midi(midi), DataConfig())


def test_figure_names_the_drum_rows_marks_sections_and_numbers_the_bars(tmp_path: Path) -> None:
    song = encoded(20)
    figure = generation_figure(song, song.drums, [(1, "A"), (9, "B"), (17, "A")], title="my song")
    texts = figure_texts(figure)
    assert {name.replace("_", " ") for name in DRUM_CLASSES} <= texts
    assert {"A", "B"} <= texts  # the section letters
    assert {"1", "16", "17", "20"} <= texts  # bar numbers under each row of 16 bars
    assert "my song" in texts
    path = save_figure(figure, tmp_path / "song.png")
    assert path.read_bytes()[:8] == PNG_MAGIC
    image = matplotlib.image.imread(path)
    assert image.ndim == 3 and image.shape[1] > 1000  # a picture, wide enough to read the 16ths


def test_odd_meters_and_long_songs_stay_one_readable_picture() -> None:
    """7/8 bars keep their own lengths; a 400-bar song gets more bars per row instead of hundreds of rows."""
    seven = encoded(8, time_signatures=((0, 7, 8),))
    assert len(generation_figure(seven, seven.drums, [(1, "A")]).axes) == 2
    long_song = encoded(400)
    axes = generation_figure(long_song, long_song.drums, [(1, "A")]).axes
    assert len(axes) // 2 <= PLOT_MAX_ROWS


def test_drums_from_nothing_name_their_pulse_row_as_what_it_is() -> None:
    """The plot of drums from nothing labelled its stand-in pulse "guitar"."""
    song = encoded(4)
    assert "guitar" in figure_texts(generation_figure(song, song.drums, [(1, "A")]))
    texts = figure_texts(generation_figure(song, song.drums, [(1, "A")], guitar_label="pulse (no song)"))
    assert "pulse (no song)" in texts and "guitar" not in texts


def test_cli_writes_one_png_per_take_beside_its_mid(
    tiny_model_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    song = tmp_path / "riff.mid"
    song.write_bytes(rock_song_bytes(8))
    code = main.main(["--mode", "infer", str(song), "--checkpoint", str(tiny_model_path), "--takes", "2", "--plot",
                      "--seed", "1"])
    out = capsys.readouterr().out
    assert code == 0
    pictures = [tmp_path / f"riff_drums.take{take}.png" for take in (1, 2)]
    for picture in pictures:
        assert f"wrote {picture}" in out
        assert picture.read_bytes()[:8] == PNG_MAGIC
        assert matplotlib.image.imread(picture).shape[2] in (3, 4)
    assert not np.array_equal(*(matplotlib.image.imread(p) for p in pictures))  # each take draws its own drums
