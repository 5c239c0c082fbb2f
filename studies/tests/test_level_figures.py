"""studies.level_figures: the drums' level and spread against the drummer's, per song."""

from __future__ import annotations

import numpy as np

from tests.builders import backbeat, notes_from_steps, riff, song_bytes

def test_level_figures_compare_each_songs_drums_with_its_drummers(tmp_path) -> None:
    """studies.level_figures reads a scoring split (refs/, band/) and a folder of generated parts: per song the
    generated part's mean and spread of velocity beside the drummer's."""
    from studies.level_figures import song_levels

    for folder in ("refs", "band", "gen"):
        (tmp_path / folder).mkdir()
    guitar = notes_from_steps([(s, p, 80) for s, p in riff(8)], length_steps=2)
    for name, (real, ours) in {"a": ((60, 100), (70, 90)), "b": ((110, 110), (95, 95))}.items():
        drums = {v: notes_from_steps([(s, p, v) for s, p, _ in backbeat(4)]) for v in {*real, *ours}}
        for folder, velocities in (("refs", real), ("gen", ours)):
            part = np.concatenate([drums[v] for v in velocities])
            (tmp_path / folder / f"{name}.drums.mid").write_bytes(song_bytes(None, part))
        (tmp_path / "band" / f"{name}.guitar.mid").write_bytes(song_bytes(guitar))
    rows = song_levels(tmp_path, tmp_path / "gen")
    np.testing.assert_allclose(rows, [[80, 80, 10, 20], [95, 110, 0, 0]])
