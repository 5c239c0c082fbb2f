"""The evaluation's figures (seq2drum/evaluation/plots.py, matplotlib): a song's guitar over its real and generated
drums. The command line's --plot is tests/test_take_picture.py."""

from __future__ import annotations

from matplotlib.backends.backend_agg import FigureCanvasAgg

from seq2drum.config import DataConfig
from seq2drum.evaluation.plots import song_figure
from seq2drum.midi.drums import DRUM_CLASSES
from seq2drum.midi.io import read_midi
from seq2drum.song.encode import encode_song
from tests.builders import backbeat, notes_from_steps, riff, song_bytes


def test_song_figure_stacks_the_guitar_over_the_real_and_the_generated_drums() -> None:
    midi = song_bytes(notes_from_steps(riff(8), length_steps=2), notes_from_steps(backbeat(8)))
    song = encode_song(read_midi(midi), DataConfig())
    figure = song_figure(song, song.drums, max_bars=4, title="riff")
    assert [axis.get_ylabel() for axis in figure.axes] == ["guitar onsets", "real drums", "generated"]
    assert [label.get_text() for label in figure.axes[1].get_yticklabels()] == list(DRUM_CLASSES)
    FigureCanvasAgg(figure).draw()  # draws without error
