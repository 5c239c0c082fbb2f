"""The styles' drummers' bars (tools.fit_style_grooves, groove.vocabulary `drummers_grooves`): how the entries stand
for the bars, the file read on any grid, and the shipped bossa's cells its drummers' own."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from seq2drum.groove.vocabulary import STYLE_GROOVES, drummers_grooves
from seq2drum.midi.drums import CLOSED_HAT, KICK, RIDE, SNARE
from seq2drum.options import GenerationOptions
from tests.builders import pattern as drum_pattern
from tools.fit_style_grooves import entries, main, style_bars

GMD = Path(__file__).resolve().parents[2] / "shared" / "data" / "gmd"


def bar(cells: dict[int, tuple[int, ...]]) -> np.ndarray:
    """A 4/4 bar on the 16th grid (tests.builders `pattern`) from each drum class's 16ths."""
    return drum_pattern(16, [(step, drum) for drum, steps in cells.items() for step in steps])


def test_an_entry_is_the_bar_most_bars_are_like_at_their_median_touch() -> None:
    bossa = bar({KICK: (0, 6, 8, 14), SNARE: (4, 10), RIDE: tuple(range(0, 16, 2))})
    ghost = bossa.copy()
    ghost[15, SNARE] = True  # the same groove with a ghost note: one bar of it
    rock = bar({KICK: (0, 8), SNARE: (4, 12), CLOSED_HAT: tuple(range(0, 16, 2))})
    hits = np.array([bossa] * 9 + [ghost] + [rock] * 8 + [bar({KICK: (0,)})])
    velocity = np.zeros(hits.shape, np.float32)
    velocity[:10] = np.where(hits[:10], 40.0, 0.0)
    velocity[:5, 0, KICK] = 20.0  # five of the ten bars play the one softer
    found = entries(hits, velocity, np.zeros_like(velocity))
    assert [e["bars"] for e in found] == [10, 8]  # the lone kick stands for too few bars (MIN_BARS)
    assert (found[0]["hits"] == bossa).all() and (found[1]["hits"] == rock).all()
    assert found[0]["velocity"][0, KICK] == pytest.approx(30.0) and found[0]["velocity"][4, SNARE] == 40.0
    assert (found[0]["velocity"][~bossa] == 0).all()


def test_the_drummers_bars_are_read_on_any_grid_and_none_without_the_file(tmp_path: Path) -> None:
    at_16ths, at_32nds = drummers_grooves(4), drummers_grooves(8)
    assert set(at_16ths) == set(at_32nds) == {"bossa", "funk", "hip-hop", "samba", "afrobeat"}
    for (n, pattern, bars, velocity, _), (n2, pattern2, bars2, velocity2, _) in zip(
            sum(at_16ths.values(), []), sum(at_32nds.values(), [])):
        assert (n2, bars2) == (2 * n, bars) and (pattern2[::2] == pattern).all() and not pattern2[1::2].any()
        assert (velocity2[::2] == velocity).all() and (velocity[pattern] > 0).all()
    assert drummers_grooves(3) == {} and drummers_grooves(4, tmp_path / "none.npz") == {}


def test_a_bossa_and_a_samba_are_played_straight_unless_the_musician_swings_them() -> None:
    assert GenerationOptions(style="bossa").swing == 0.5
    assert GenerationOptions(style="bossa", swing=0.6).swing == pytest.approx(0.6)
    assert GenerationOptions(style="samba").swing == 0.5
    assert GenerationOptions(style="jazz-ride").swing is None and GenerationOptions().swing is None


@pytest.mark.needs_data
def test_the_shipped_styles_are_their_drummers_bars(tmp_path: Path) -> None:
    """Each shipped entry is a bar GMD's drummers of its style played (the bossa's, funk's, hip-hop's, samba's,
    afrobeat's), and fitting again writes the same file."""
    if not (GMD / "info.csv").is_file():
        pytest.skip(f"the Groove MIDI Dataset is not at {GMD}")
    for style, files_at_least in (("bossa", 2), ("funk", 40), ("hip-hop", 30), ("samba", 5), ("afrobeat", 10)):
        hits, _, _, files = style_bars(GMD, style)
        assert len(files) >= files_at_least and len(hits) >= 150
        played = {b.tobytes() for b in hits}
        assert all(pattern.tobytes() in played for _, pattern, _, _, _ in drummers_grooves(4)[style])
    funk = np.array([pattern for _, pattern, _, _, _ in drummers_grooves(4)["funk"]])
    assert funk[:, [4, 12], SNARE].all() and funk[:, :, [CLOSED_HAT]].any(axis=(1, 2)).all()
    main(["--data", str(GMD), "--out", str(tmp_path / "again.npz")])
    with np.load(tmp_path / "again.npz") as again, np.load(STYLE_GROOVES) as stored:
        for name in ("styles", "hits", "velocity", "offset", "bars"):
            assert (again[name] == stored[name]).all(), name


def test_the_live_drummer_plays_a_styles_drummers_bars_at_their_accents_too() -> None:
    """Bar by bar, the shipped live model under `--style funk` plays its drummers' bars at their accents, as offline
    (render.pipeline: the decided velocities scaled to the level, their spread kept; the loud side narrowed under
    the touch's ceiling, the drawn drummer's variation on them: 0.79 here, 0.17 at the humanizer's accents)."""
    from seq2drum.evaluation.playback import play_file
    from seq2drum.live.model_drummer import ModelDrummer
    from tests import band_songs

    accents = {pattern.tobytes(): velocity for _, pattern, _, velocity, _ in drummers_grooves(4)["funk"]}
    played = play_file(ModelDrummer(), band_songs.rock(16), GenerationOptions(seed=0, style="funk"), 0).drums
    n = len(played.hits) // 16 * 16
    hits, velocity = played.hits[:n].reshape(-1, 16, 9), played.velocity[:n].reshape(-1, 16, 9).astype(float)
    theirs = [k for k, bar in enumerate(hits) if bar.tobytes() in accents]
    assert len(theirs) >= len(hits) // 2
    written = np.concatenate([accents[hits[k].tobytes()][hits[k]] for k in theirs])
    assert np.corrcoef(written, np.concatenate([velocity[k][hits[k]] for k in theirs]))[0, 1] >= 0.7


def test_a_straight_style_over_a_swinging_band_says_so() -> None:
    from seq2drum.generation.generator import DrumGenerator
    from tests.builders import swing_trio

    generator = DrumGenerator.from_checkpoint()
    said = generator.generate(swing_trio(), GenerationOptions(seed=0, style="bossa")).notices
    assert any(n.startswith("a bossa is played straight, where the band swings at 0.6") for n in said), said
    swung = generator.generate(swing_trio(), GenerationOptions(seed=0, style="bossa", swing=0.67)).notices
    assert not any("played straight" in n for n in swung)


def test_a_drummers_bar_is_decided_at_their_velocity_and_a_fills_cells_at_their_scale() -> None:
    """groove.vocabulary `drummers_touch`: the cells their bar plays at their velocity; a cell it does not (a fill's
    snare) at the model's velocity times their velocity over the model's on their cells, never 0."""
    from seq2drum.groove import with_vocabulary
    from seq2drum.groove.vocabulary import drummers_touch
    from tests.builders import tiny_codebook

    codebook = with_vocabulary(tiny_codebook(), 4)
    entry = int(np.flatnonzero(codebook.designed & (codebook.counts > 0))[0])
    pattern, theirs = codebook.patterns[entry, :16], codebook.velocity[entry, :16]
    hits = np.array([pattern, pattern])
    hits[0, 15, SNARE] = True  # the fill's last 16th, not in their bar
    velocity = np.full(hits.shape, 100, np.uint8) * hits
    own = drummers_touch(codebook, np.array([entry, -1]), hits, velocity)
    assert own.tolist() == [True, False]
    assert (velocity[0][pattern] == np.rint(theirs[pattern])).all()
    assert velocity[0, 15, SNARE] == round(100 * theirs[pattern].sum() / (100 * pattern.sum()))
    assert (velocity[1][pattern] == 100).all()  # a bar of no style's drummers: as the model decided
    assert drummers_touch(codebook, np.array([-1, -1]), hits, velocity) is None
