"""How the decided hits are struck (groove/articulation.py): the hi-hat foot on the pedal hat (GM 44) and the bossa's
cross-stick on the side stick (GM 37), named on the finished take and written so offline and live, each moved by a
kit map key of its own (issue 70 item 5)."""

from __future__ import annotations

import numpy as np
import pytest

from seq2drum.generation.generator import DrumGenerator
from seq2drum.groove.articulation import articulate, cross_stick_cells, cross_stick_entries, hat_foot_cells
from seq2drum.groove.policy import Take
from seq2drum.groove.structure import FILL_COLUMN
from seq2drum.groove.styles import StyleBook
from seq2drum.groove.vocabulary import FIGURES, drummers_grooves, figure_arrays, with_vocabulary
from seq2drum.live.model_drummer import ModelDrummer
from seq2drum.evaluation.playback import play_file
from seq2drum.midi.drums import CLOSED_HAT, KICK, RIDE, SNARE, Articulation
from seq2drum.midi.io import read_midi
from seq2drum.options import GenerationOptions
from seq2drum.parts.plan_value import Held, Plan
from tests.builders import jazz_band, swing_trio, tiny_codebook

FOOT_AND_STICKS_MAP = '{"pedal_hat": 21, "cross_stick": 75, "side_stick": 33}'


def bars(*patterns: dict[int, list[int]]) -> np.ndarray:
    """(n, 16, 9) bool hits, one bar per pattern: drum class -> its 16ths."""
    hits = np.zeros((len(patterns), 16, 9), dtype=bool)
    for row, pattern in enumerate(patterns):
        for drum, steps in pattern.items():
            hits[row, steps, drum] = True
    return hits


def test_the_foot_is_the_closed_hat_on_the_beats_of_a_bar_kept_on_the_ride() -> None:
    """Under a ride on the beats, a hat on 2 and 4 (or on every beat) is the foot; a hat in eighths under it, or a
    hat keeping time with no ride, is the stick's."""
    hits = bars({RIDE: [0, 4, 8, 12], CLOSED_HAT: [4, 12]},
                {RIDE: [0, 4, 8, 12], CLOSED_HAT: [0, 4, 8, 12]},
                {RIDE: [0, 4, 8, 12], CLOSED_HAT: list(range(0, 16, 2))},
                {CLOSED_HAT: [4, 12], SNARE: [4, 12]},
                {RIDE: [0, 8], CLOSED_HAT: [4, 12]})  # the ride on half its beats still keeps time
    foot = hat_foot_cells(hits, np.full(5, 16), np.full(5, 4))
    assert [np.flatnonzero(row).tolist() for row in foot] == [[4, 12], [0, 4, 8, 12], [], [], [4, 12]]


@pytest.mark.parametrize("figure", [f for f in FIGURES if f.name.startswith("jazz")], ids=lambda f: f.name)
def test_every_jazz_figures_hat_is_the_foot(figure: object) -> None:
    """The designed jazz rides (groove.vocabulary, played by `--style jazz-ride` and the jazz ride take step) keep
    their hat on the backbeats with the foot, in every meter they are written in."""
    n_steps, pattern, _ = figure_arrays(figure, 4)
    beat = 6 if "6/8" in figure.name else 4
    foot = hat_foot_cells(pattern[None], np.array([n_steps]), np.array([beat]))
    assert foot[0].any() and np.array_equal(foot[0], pattern[:, CLOSED_HAT])


def test_the_cross_stick_is_the_snare_of_the_styles_grooves_but_a_fills() -> None:
    """The bars of a cross-stick groove play their snare as the cross-stick; a fill bar's second half (its fill)
    stays on the snare, and a bar of another groove keeps its snare."""
    hits = bars({KICK: [0, 6, 8, 14], SNARE: [0, 6, 12]}, {KICK: [0, 6, 8, 14], SNARE: [0, 6, 12, 13, 14, 15]},
                {KICK: [0, 8], SNARE: [4, 12]})
    structure = np.zeros((3, 3), dtype=bool)
    structure[1, FILL_COLUMN] = True
    cross_sticks = np.array([False, True, False])
    cells = cross_stick_cells(hits, np.array([1, 1, 2]), structure, cross_sticks, np.full(3, 16))
    assert [np.flatnonzero(row).tolist() for row in cells] == [[0, 6, 12], [0, 6], []]


def test_the_bossa_style_names_its_own_grooves_only() -> None:
    codebook = with_vocabulary(tiny_codebook(), 4)
    styles = StyleBook.build(codebook, 4)
    entries = cross_stick_entries(styles, "bossa")
    assert entries is not None and entries.any()
    assert entries.tolist() == [family == "bossa" for family in styles.family]
    assert entries[codebook.designed].sum() == len(drummers_grooves(4)["bossa"])  # its drummers' bars
    assert cross_stick_entries(styles, "jazz-ride") is None and cross_stick_entries(styles, None) is None


def test_the_step_names_the_finished_take_and_nothing_stale() -> None:
    """A take's articulations are set afresh from its hits: a cell named before a step moved its hit is plain again."""
    hits = bars({RIDE: [0, 4, 8, 12], CLOSED_HAT: [4, 12]}, {KICK: [0, 6, 8, 14], SNARE: [0, 6, 12]})
    take = Take(hits, np.where(hits, 90, 0).astype(np.uint8), np.zeros(hits.shape, dtype=np.float32),
                np.array([0, 1]), {}, 0.0, np.zeros((2, 3), dtype=bool), 0.5, Plan.held_for(Held.BARS))
    take.articulation[1, 2, CLOSED_HAT] = Articulation.PEDAL_HAT  # stale: no hat there
    bar_steps, beat_steps = np.full(2, 16), np.full(2, 4)
    articulate(take, bar_steps, beat_steps, np.array([False, True]))
    named = {(int(r), int(s), int(d), int(take.articulation[r, s, d]))
             for r, s, d in zip(*np.nonzero(take.articulation))}
    assert named == {(0, 4, CLOSED_HAT, 1), (0, 12, CLOSED_HAT, 1), (1, 0, SNARE, 2), (1, 6, SNARE, 2),
                     (1, 12, SNARE, 2)}
    articulate(take, bar_steps, beat_steps, None)  # no cross-stick style: the foot only
    assert set(take.articulation[1].ravel().tolist()) == {0}


# ---------------------------------------------------------------------------------------------- written, end to end


@pytest.fixture(scope="module")
def shipped() -> DrumGenerator:
    return DrumGenerator.from_checkpoint()


@pytest.fixture(scope="module")
def live() -> ModelDrummer:
    return ModelDrummer()


def pitches(midi_bytes: bytes) -> list[int]:
    return read_midi(midi_bytes).drum_parts[0].notes[:, 2].tolist()


def test_a_swing_trios_hat_foot_is_written_on_the_pedal_hat(shipped: DrumGenerator) -> None:
    """The shipped model rides the trio with the hi-hat foot on 2 and 4 (the jazz ride): every hat note is 44,
    none the stick's 42; a kit map moves the foot alone."""
    options = GenerationOptions(seed=0, fills="none", humanize=False)
    written = pitches(shipped.generate(swing_trio(), options).midi_bytes)
    assert written.count(44) >= 16 and 42 not in written and written.count(51) > written.count(44)
    mapped = pitches(shipped.generate(swing_trio(), options.replace(kit_map=FOOT_AND_STICKS_MAP)).midi_bytes)
    assert mapped.count(21) == written.count(44) and 44 not in mapped


def test_the_bossas_cross_stick_is_written_on_the_side_stick(shipped: DrumGenerator) -> None:
    """`--style bossa`: its snare is the cross-stick, 37, never the full snare (38) without fills; the count-in's
    sticks (37 too) and the cross-stick move by their own keys."""
    options = GenerationOptions(seed=0, style="bossa", fills="none", humanize=False, count_in_bars=1, merge=True)
    written = read_midi(shipped.generate(jazz_band(4, 4), options).midi_bytes).drum_parts[0].notes
    assert 38 not in written[:, 2].tolist() and np.count_nonzero(written[:, 2] == 37) >= 20
    mapped = read_midi(shipped.generate(jazz_band(4, 4), options.replace(kit_map=FOOT_AND_STICKS_MAP)).midi_bytes)
    mapped_notes = mapped.drum_parts[0].notes
    first_bar = int(mapped_notes[mapped_notes[:, 2] == 75, 0].min())
    sticks = mapped_notes[mapped_notes[:, 2] == 33, 0]
    assert len(sticks) == 4 and (sticks < first_bar).all()  # the count-in's bar of sticks, before the drums
    assert np.count_nonzero(mapped_notes[:, 2] == 75) + len(sticks) == np.count_nonzero(written[:, 2] == 37)


def test_the_live_drummer_writes_the_foot_and_the_cross_stick_too(live: ModelDrummer) -> None:
    """Bar by bar, the shipped live model under `--style jazz-ride` keeps the foot on 44 and under `--style bossa`
    the cross-stick on 37, and the kit map moves them."""
    ride = play_file(live, swing_trio(), GenerationOptions(seed=0, style="jazz-ride"), 0).notes[:, 2].tolist()
    assert ride.count(44) >= 16 and ride.count(44) > ride.count(42)
    bossa = play_file(live, jazz_band(4, 4), GenerationOptions(seed=0, style="bossa"), 0).notes[:, 2].tolist()
    assert bossa.count(37) >= 20 and bossa.count(37) > bossa.count(38)
    mapped = play_file(live, jazz_band(4, 4), GenerationOptions(seed=0, style="bossa", kit_map=FOOT_AND_STICKS_MAP),
                       0).notes[:, 2].tolist()
    assert mapped.count(75) == bossa.count(37) and 37 not in mapped
