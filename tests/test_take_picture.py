"""--plot: a generated part drawn over the whole song (what the drums listened to above named drum rows, bar lines,
bar numbers, section letters), painted without matplotlib so that the picture costs a small part of the run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from seq2drum.cli import main
from seq2drum.config import DataConfig
from seq2drum.evaluation import take_picture as pictures
from seq2drum.evaluation.take_picture import PLOT_MAX_ROWS, SECTION_COLORS, take_picture
from seq2drum.midi.drums import DRUM_CLASSES, Articulation
from seq2drum.midi.io import read_midi
from seq2drum.midi.write import TrackSpec
from seq2drum.song.drum_part import DrumGrid
from seq2drum.song.encode import EncodedSong, encode_song
from tests.builders import backbeat, notes_from_steps, riff, rock_song_bytes, song_bytes

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
REPO = Path(__file__).resolve().parents[1]


def encoded(bars: int, **kwargs: object) -> EncodedSong:
    """A riff with its real drums (a backbeat)."""
    midi = song_bytes(notes_from_steps(riff(bars), length_steps=2), notes_from_steps(backbeat(bars)), **kwargs)
    return encode_song(read_midi(midi), DataConfig())


def rgb(picture: pictures.TakePicture) -> np.ndarray:
    return np.asarray(picture.image.convert("RGB"))  # (H, W, 3)


def test_figure_names_the_drum_rows_marks_sections_and_numbers_the_bars(tmp_path: Path) -> None:
    song = encoded(20)
    picture = take_picture(song, song.drums, [(1, "A"), (9, "B"), (17, "A")], title="my song")
    texts = set(picture.texts)
    assert {name.replace("_", " ") for name in DRUM_CLASSES} <= texts
    assert {"A", "B"} <= texts  # the section letters
    assert {"1", "16", "17", "20"} <= texts  # bar numbers under each row of 16 bars
    assert {"my song", "guitar", "drums"} <= texts
    path = picture.save(tmp_path / "song.png")
    assert path.read_bytes()[:8] == PNG_MAGIC
    with Image.open(path) as image:
        assert image.width > 1000 and image.height > 300  # a picture, wide enough to read the 16ths


def test_each_part_of_the_plan_is_named_where_it_starts_and_at_each_rows_start() -> None:
    song = encoded(40)  # rows of 16 bars: 1-16, 17-32, 33-40
    parts = [(1, "eighths on the hat, backbeat"), (5, "eighths on the hat, backbeat"), (9, "drop-out"),
             (13, "16ths on the hat, four on the floor"), (29, "sparse / intro")]
    picture = take_picture(song, song.drums, [(1, "A"), (9, "B")], parts=parts)
    names = [text for text in picture.texts if text in {name for _, name in parts}]
    # where each part starts (the same part again at bar 5 is not named twice), and the part playing at each row's
    # start (bar 17: the 16ths part; bar 33: the sparse one)
    assert names == ["eighths on the hat, backbeat", "drop-out", "16ths on the hat, four on the floor",
                     "16ths on the hat, four on the floor", "sparse / intro", "sparse / intro"]
    assert take_picture(song, song.drums, [(1, "A")]).texts.count("drop-out") == 0  # no plan, no names


def test_the_drums_are_drawn_where_they_play_darker_for_louder_and_sections_in_their_colour() -> None:
    """Read back from the pixels: a hit shows in its drum's row at its step, a louder one darker, an empty row stays
    white, and section B's line is drawn in B's colour at bar 9."""
    song = encoded(16)
    drums = DrumGrid.empty(song.grid.n_steps)
    kick, crash = DRUM_CLASSES.index("kick"), pictures.DRUM_ROWS.index("crash")
    drums.hits[[0, 8], kick] = True
    drums.velocity[[0, 8], kick] = [127, 40]
    picture = take_picture(song, drums, [(1, "A"), (9, "B")])
    image = rgb(picture)
    panel = next(p for p in picture.panels if p.label == "drums")
    left, top, right, bottom = panel.box
    pixel, per_step = pixel_reader(image, panel), (right - left) / (panel.steps[1] - panel.steps[0])

    assert pixel(0, kick) < pixel(8, kick) < 255  # both drawn, the loud one darker
    assert pixel(4, kick) == 255 and pixel(0, crash) == 255  # nothing where nothing plays
    x = round(left + 8 * 16 * per_step)
    assert tuple(image[(top + bottom) // 2, x]) == SECTION_COLORS[1]


def pixel_reader(image: np.ndarray, panel: pictures.Panel):  # noqa: ANN201
    """(step, row of the drums panel, from the bottom) -> the red of the pixel at its middle."""
    left, top, right, bottom = panel.box
    per_step, per_row = (right - left) / (panel.steps[1] - panel.steps[0]), (bottom - top) / len(pictures.DRUM_ROWS)
    return lambda step, row: int(image[int(bottom - (row + 0.5) * per_row), int(left + (step + 0.5) * per_step), 0])


def test_the_hat_foot_is_drawn_on_a_row_of_its_own() -> None:
    """Issue 90: the hi-hat foot (44) was never drawn apart, so a jazz take's 2 and 4 were missing from the picture;
    it has its row, and the closed hat's holds the stick's hits alone."""
    song = encoded(4)
    drums = DrumGrid.empty(song.grid.n_steps)
    hat, foot_row, hat_row = DRUM_CLASSES.index("closed_hat"), pictures.DRUM_ROWS.index("hat foot"), \
        pictures.DRUM_ROWS.index("closed hat")
    drums.hits[[2, 4, 12], hat] = True
    drums.velocity[[2, 4, 12], hat] = 100
    drums.articulation[[4, 12], hat] = Articulation.PEDAL_HAT
    picture = take_picture(song, drums, [(1, "A")])
    pixel = pixel_reader(rgb(picture), next(p for p in picture.panels if p.label == "drums"))
    assert "hat foot" in picture.texts
    assert pixel(4, foot_row) < 255 and pixel(12, foot_row) < 255 and pixel(2, foot_row) == 255
    assert pixel(2, hat_row) < 255 and pixel(4, hat_row) == 255


def test_part_names_a_bar_apart_do_not_overlap() -> None:
    """Issue 90: parts changing at bars 1 and 2 wrote one name over the other; the first is cut to end before the
    second part's bar; one with room is written whole."""
    song = encoded(16)
    parts = [(1, "sparse / intro, hat"), (2, "eighths on the hat, backbeat"), (6, "16ths on the hat, backbeat")]
    panel = pictures.Panel("guitar", "", 0, (pictures.LEFT, 100, pictures.WIDTH - pictures.RIGHT, 184),
                           (0, song.grid.n_steps))
    scale = (panel.box[2] - panel.box[0]) / song.grid.n_steps
    words = pictures._part_names(panel, song.grid, parts, 0, 16, scale, [1, 9])
    spans = [(x, x + pictures._stamp(text, size, "lm")[0].shape[1]) for (x, _), text, size, _ in words]
    assert all(end < start for (_, end), (start, _) in zip(spans, spans[1:])), (words, spans)
    assert words[0][1].startswith("spar") and words[0][1].endswith("...")  # cut, still readable
    assert words[1][1] == parts[1][1]  # four bars hold the name whole


def test_odd_meters_and_long_songs_stay_one_readable_picture() -> None:
    """7/8 bars keep their own lengths; a 400-bar song gets more bars per row instead of hundreds of rows."""
    seven = encoded(8, time_signatures=((0, 7, 8),))
    assert len(take_picture(seven, seven.drums, [(1, "A")]).panels) == 2
    long_song = encoded(400)
    panels = take_picture(long_song, long_song.drums, [(1, "A")]).panels
    assert max(panel.row for panel in panels) + 1 <= PLOT_MAX_ROWS


def test_drums_from_nothing_name_their_pulse_row_as_what_it_is() -> None:
    """The plot of drums from nothing labelled its stand-in pulse "guitar"."""
    song = encoded(4)
    assert "guitar" in take_picture(song, song.drums, [(1, "A")]).texts
    texts = take_picture(song, song.drums, [(1, "A")], guitar_label="pulse (no song)").texts
    assert "pulse (no song)" in texts and "guitar" not in texts


def test_a_long_title_is_cut_into_lines_that_fit_the_page() -> None:
    """A long song's sections make a title wider than the page: it is written on more lines, not cut off."""
    song = encoded(4)
    title = "song.mid: take 1; sections (letter@bar) " + " ".join(f"A@{bar}" for bar in range(1, 400, 4))
    picture = take_picture(song, song.drums, [(1, "A")], title=title)
    lines = [text for text in picture.texts if text.startswith(("song.mid", "A@"))]
    assert len(lines) > 1 and " ".join(lines) == title


def test_cli_writes_one_png_per_take_beside_its_mid(
    tiny_model_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    song = tmp_path / "riff.mid"
    song.write_bytes(rock_song_bytes(8))
    code = main.main(["--mode", "infer", str(song), "--checkpoint", str(tiny_model_path), "--takes", "2", "--plot",
                      "--seed", "1"])
    out = capsys.readouterr().out
    assert code == 0
    pictures_written = [tmp_path / f"riff_drums.take{take}.png" for take in (1, 2)]
    for picture in pictures_written:
        assert f"wrote {picture}" in out
        assert picture.read_bytes()[:8] == PNG_MAGIC
    first, second = (np.asarray(Image.open(p).convert("RGB")) for p in pictures_written)
    assert not np.array_equal(first, second)  # each take draws its own drums


def test_the_plot_leaves_matplotlib_unloaded(tiny_model_path: Path, tmp_path: Path) -> None:
    """--plot cost 5 to 10 times the run (issue 70): matplotlib's import alone takes longer than a short song's
    run. The command line's picture is painted without it."""
    song = tmp_path / "riff.mid"
    song.write_bytes(rock_song_bytes(4))
    script = ("import sys; from seq2drum.cli import main; "
              f"code = main.main(['--mode', 'infer', {str(song)!r}, '--checkpoint', {str(tiny_model_path)!r}, "
              "'--plot', '--seed', '1']); "
              "print(code, sorted(m for m in sys.modules if m.split('.')[0] == 'matplotlib')[:3])")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, timeout=300,
                          check=False)
    assert done.stdout.strip().endswith("0 []"), done.stdout[-500:] + done.stderr[-2000:]
    assert (tmp_path / "riff_drums.png").read_bytes()[:8] == PNG_MAGIC


def band_song_bytes(bars: int = 8) -> bytes:
    """A guitar, a bass and a piano exported on a guitar patch (the piano is keys, not a second guitar)."""
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
    drawn = []
    draw = pictures.take_picture
    monkeypatch.setattr(pictures, "take_picture", lambda *args, **kwargs: drawn.append(draw(*args, **kwargs))
                        or drawn[-1])
    song = tmp_path / "band.mid"
    song.write_bytes(band_song_bytes(8))
    assert main.main(["--mode", "infer", str(song), "--checkpoint", str(tiny_model_path), "--plot", "--seed", "1"]) == 0
    assert (tmp_path / "band_drums.png").read_bytes()[:8] == PNG_MAGIC
    (picture,) = drawn
    assert {"guitar: Guitar", "bass: Bass", "keys: Piano"} <= set(picture.texts)
    assert [panel.label for panel in picture.panels] == ["guitar", "bass", "keys", "drums"]  # one row of 8 bars


def test_plot_ends_with_the_song_not_the_grid() -> None:
    """The x-axis ran 3 empty bars past the end (a last chord held 3 bars longer stretches the grid): the picture
    ends with the last bar where something starts, and a short last row is drawn on the rows' scale."""
    guitar = notes_from_steps(riff(20), length_steps=2)
    guitar[-1, 1] += 3 * 16 * 120  # the last note rings on for 3 bars
    song = encode_song(read_midi(song_bytes(guitar, notes_from_steps(backbeat(20)))), DataConfig())
    assert song.grid.n_bars == 23
    picture = take_picture(song, song.drums, [(1, "A")])
    assert "20" in picture.texts and "21" not in picture.texts and "23" not in picture.texts
    drum_panels = [panel for panel in picture.panels if panel.label == "drums"]
    full, last = drum_panels[0], drum_panels[-1]
    bar_steps = 16
    assert last.steps[1] - last.steps[0] == 4 * bar_steps  # bars 17-20, nothing after
    assert full.steps[1] - full.steps[0] == 16 * bar_steps
    # one scale: the short row is a quarter of the full row's width on the page
    assert last.box[2] - last.box[0] == pytest.approx((full.box[2] - full.box[0]) / 4, abs=1)


def test_the_readme_picture_is_remade_by_its_script(tmp_path: Path) -> None:
    """tools/plot_example.py makes docs/plot-example.png through the command line's --plot, from the shipped
    example; the README shows that file."""
    from tools.plot_example import make_picture

    picture = make_picture(tmp_path / "plot.png")
    assert picture.read_bytes()[:8] == PNG_MAGIC
    with Image.open(picture) as image:
        assert image.width > 1000
    assert "](docs/plot-example.png)" in (REPO / "README.md").read_text()
