"""studies/render_control.py and studies/feel_drift.py on a song made in code: the drummer's own cells come back
through the render with every cell kept, played (velocities and timing of the render's, not his), on the grid at
--humanize 0; a written take is read back as the fit reads a GMD performance. If one fails, the control's realism
figure no longer measures the render apart from the cells."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from seq2drum.midi.io import read_midi
from studies.feel_drift import read_take
from studies.render_control import main
from tests.builders import backbeat, notes_from_steps, riff, song_bytes

BARS = 8


def split(tmp_path: Path) -> Path:
    """A midisplit-like folder: band/song.guitar.mid (no drums) and refs/song.drums.mid (the drummer's backbeat)."""
    (tmp_path / "band").mkdir()
    (tmp_path / "refs").mkdir()
    (tmp_path / "band" / "song.guitar.mid").write_bytes(song_bytes(notes_from_steps(riff(BARS), length_steps=2)))
    (tmp_path / "refs" / "song.drums.mid").write_bytes(song_bytes(drums=notes_from_steps(backbeat(BARS))))
    return tmp_path


def test_the_drummers_cells_come_back_played_by_the_render(tmp_path: Path) -> None:
    folder = split(tmp_path)
    main(["--split", str(folder), "--out", str(tmp_path / "played")])
    drummer, played = read_take(folder / "refs" / "song.drums.mid"), read_take(tmp_path / "played" / "song.drums.mid")
    n = min(drummer.drums.n_steps, played.drums.n_steps)
    assert played.drums.hits.any() and np.array_equal(drummer.drums.hits[:n], played.drums.hits[:n])
    assert played.straight and np.abs(played.drums.offset[played.drums.hits]).max() > 0.01
    assert set(played.drums.velocity[played.drums.hits].tolist()) != {80}  # the backbeat's own velocity

    main(["--split", str(folder), "--out", str(tmp_path / "grid"), "--humanize", "0"])
    on_grid = read_midi((tmp_path / "grid" / "song.drums.mid").read_bytes())
    starts = on_grid.drum_parts[0].notes[:, 0]
    assert len(starts) and (starts % (on_grid.ticks_per_quarter // 4) == 0).all()
