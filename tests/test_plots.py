"""--plot: a generated part drawn over the whole song (guitar above named drum rows, bar lines, section letters)."""

from __future__ import annotations

from pathlib import Path

import matplotlib.image
from matplotlib.backends.backend_agg import FigureCanvasAgg
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


def band_song_bytes(bars: int = 8) -> bytes:
    """A guitar, a bass and a piano exported on a guitar patch (the piano is keys, not a second guitar)."""
    from seq2drum.midi.write import TrackSpec

    bass = notes_from_steps([(bar * 16 + step, 28 + bar % 4) for bar in range(bars) for step in (0, 6, 8)],
                            length_steps=2)
    keys = notes_from_steps([(bar * 16, pitch) for bar in range(bars) for pitch in (52, 55, 59)], length_steps=16)
    return song_bytes(notes_from_steps(riff(bars), length_steps=2), None,
                      extra=[TrackSpec("Bass", 1, bass, 33), TrackSpec("Piano", 2, keys, 29)])


def test_plot_draws_each_part_the_drums_listened_to_by_name(
    tiny_model_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--plot drew the guitar alone: drums that followed the band seemed to play over an empty staff. Each role the
    drums listened to gets its panel, named by its parts, above the drums."""
    from seq2drum.evaluation import plots

    drawn = []
    save = plots.save_figure
    monkeypatch.setattr(plots, "save_figure", lambda figure, path: (drawn.append(figure), save(figure, path))[1])
    song = tmp_path / "band.mid"
    song.write_bytes(band_song_bytes(8))
    assert main.main(["--mode", "infer", str(song), "--checkpoint", str(tiny_model_path), "--plot", "--seed", "1"]) == 0
    assert (tmp_path / "band_drums.png").read_bytes()[:8] == PNG_MAGIC
    (figure,) = drawn
    texts = figure_texts(figure)
    assert {"guitar: Guitar", "bass: Bass", "keys: Piano"} <= texts
    assert [axis.get_ylabel() for axis in figure.axes] == ["guitar", "bass", "keys", "drums"]  # one row of 8 bars


def test_plot_ends_with_the_song_not_the_grid() -> None:
    """The x-axis ran 3 empty bars past the end (a last chord held 3 bars longer stretches the grid): the picture
    ends with the last bar where something starts, and a short last row is drawn on the rows' scale."""
    guitar = notes_from_steps(riff(20), length_steps=2)
    guitar[-1, 1] += 3 * 16 * 120  # the last note rings on for 3 bars
    song = encode_song(read_midi(song_bytes(guitar, notes_from_steps(backbeat(20)))), DataConfig())
    assert song.grid.n_bars == 23
    figure = generation_figure(song, song.drums, [(1, "A")])
    texts = figure_texts(figure)
    assert "20" in texts and "21" not in texts and "23" not in texts
    drums_axes = [axis for axis in figure.axes if axis.get_ylabel() == "drums"]
    full, last = drums_axes[0], drums_axes[-1]
    bar_steps = 16
    assert last.get_xlim()[1] - last.get_xlim()[0] == pytest.approx(4 * bar_steps)  # bars 17-20, nothing after
    assert full.get_xlim()[1] - full.get_xlim()[0] == pytest.approx(16 * bar_steps)
    FigureCanvasAgg(figure).draw()  # lays the figure out
    # one scale: the short row is a quarter of the full row's width on the page
    assert last.get_position().width == pytest.approx(full.get_position().width / 4, rel=0.05)


def test_the_readme_picture_is_remade_by_its_script(tmp_path: Path) -> None:
    """tools/plot_example.py makes docs/plot-example.png through the command line's --plot, from the shipped
    example; the README shows that file."""
    from tools.plot_example import make_picture

    picture = make_picture(tmp_path / "plot.png")
    assert picture.read_bytes()[:8] == PNG_MAGIC and matplotlib.image.imread(picture).shape[1] > 1000
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert "](docs/plot-example.png)" in readme
