"""The musician's parts live (issue 87 item 6): a switch while playing takes effect where the next phrase starts
(phrases of 4 bars from the band's first bar), the bars before it untouched; "model" gives the bars back; `--parts`
bar ranges hold live; a section's letter, or a part no meter has, is refused with one line. Played through the same
session a server's stream and `--simulate` use (evaluation/playback `play_file`), with the shipped live model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from seq2drum.errors import ConfigError
from seq2drum.evaluation.playback import play_file
from seq2drum.live.model_drummer import ModelDrummer
from seq2drum.live.parts import switched
from seq2drum.options import GenerationOptions
from tests.test_parts_plan import band_song

RIDE, HATS = 51, (42, 44, 46)
RIDING = "eighths on the ride, backbeat"


@pytest.fixture(scope="module")
def drummer() -> ModelDrummer:
    return ModelDrummer()


def cymbals(notes: np.ndarray, bars: int, tpq: int = 480) -> list[tuple[int, int]]:
    """(ride hits, hi-hat hits) of each 4/4 bar of the drums' notes (N, 4)."""
    bar = notes[:, 0] // (4 * tpq)
    return [(int((notes[bar == b, 2] == RIDE).sum()), int(np.isin(notes[bar == b, 2], HATS).sum()))
            for b in range(bars)]


def test_a_switch_plays_from_the_next_phrase_and_model_gives_the_bars_back(drummer: ModelDrummer) -> None:
    song = band_song(24)
    plain = cymbals(play_file(drummer, song, GenerationOptions(), 3).notes, 24)
    switched_ = cymbals(play_file(drummer, song, GenerationOptions(), 3,
                                  switches={5: RIDING, 13: "model"}).notes, 24)
    assert all(ride == 0 for ride, _ in plain)  # the model keeps this riff on the hats
    assert switched_[:8] == plain[:8]  # asked in bar 6 (index 5): nothing moves before the next phrase
    assert all(ride >= 4 and ride > hats for ride, hats in switched_[8:16])  # bars 9-16 ride
    assert all(hats > ride for ride, hats in switched_[16:])  # "model" asked in bar 14: from bar 17 the hats again


def test_parts_bar_ranges_hold_live_and_section_letters_are_refused(drummer: ModelDrummer) -> None:
    song = band_song(16)
    ranged = cymbals(play_file(drummer, song, GenerationOptions(parts=f"5-8={RIDING}"), 3).notes, 16)
    assert all(ride > hats for ride, hats in ranged[4:8])
    assert all(ride == 0 for ride, _ in ranged[:4]) and all(hats > ride for ride, hats in ranged[8:])
    with pytest.raises(ConfigError, match="live, parts are given by bar range"):
        drummer.begin(GenerationOptions(parts=f"A={RIDING}"), 0)
    with pytest.raises(ConfigError, match="neither a part's name or id nor a style"):
        drummer.switched(drummer.begin(GenerationOptions(), 0), "cowbell forever", None)  # type: ignore[arg-type]


def test_live_parts_read_every_form_the_menu_prints(drummer: ModelDrummer) -> None:
    """Issue 101 item 1, live: a bar range's part as `[id]` and a switch named in capitals play the part its plain
    name plays; "Model" gives the bars back."""
    song = band_song(16)
    ride = next(k for k, part in enumerate(drummer.planner.vocabulary.parts) if part.family == "4/4"
                and part.name == RIDING)
    named = play_file(drummer, song, GenerationOptions(parts=f"5-8={RIDING}"), 3).notes
    assert np.array_equal(play_file(drummer, song, GenerationOptions(parts=f"5 - 8=[{ride}]"), 3).notes, named)
    plain = play_file(drummer, song, GenerationOptions(), 3, switches={1: RIDING, 5: "model"}).notes
    typed = play_file(drummer, song, GenerationOptions(), 3, switches={1: RIDING.upper(), 5: "Model"}).notes
    assert np.array_equal(typed, plain) and not np.array_equal(plain, play_file(drummer, song, GenerationOptions(),
                                                                                3).notes)


@pytest.mark.parametrize("value", ["²", "9" * 5000], ids=["superscript", "5000-digits"])
def test_a_part_id_only_python_calls_a_digit_is_refused_not_internal(drummer: ModelDrummer, value: str) -> None:
    """Issue 98 Q1: "²".isdigit() is true and int("²") raises: a live start or a switch of it ended the stream
    INTERNAL. Refused as an unknown part is, in one line."""
    with pytest.raises(ConfigError, match="neither a part's name or id nor a style"):
        drummer.begin(GenerationOptions(parts=f"1-4={value}"), 0)
    with pytest.raises(ConfigError, match="neither a part's name or id nor a style"):
        drummer.switched(drummer.begin(GenerationOptions(), 0), value, None)  # type: ignore[arg-type]


def test_the_helpers_switch_bar_is_read_as_ascii_digits(capsys: pytest.CaptureFixture[str]) -> None:
    """`--switch ²=PART`: "²".isdigit() is true and int("²") raised a traceback; now the one usage line."""
    from client import daw_helper

    with pytest.raises(SystemExit) as exit_:
        daw_helper.main(["--simulate", "song.mid", "-o", "out.mid", "--switch", "²=half-time"])
    assert exit_.value.code == 2 and "write BAR=PART" in capsys.readouterr().err


def test_the_next_phrase_counts_from_the_bands_first_bar() -> None:
    assert switched((), "x", 5, 0) == ((8, "x"),)
    assert switched((), "x", 8, 0) == ((8, "x"),)  # asked as a phrase starts: from there
    assert switched((), "x", 5, 3) == ((7, "x"),)  # the band came in at bar 4
    assert switched((), "x", 2, None) == ((2, "x"),)  # before the band: from its first bar on
    assert switched(((0, "a"), (12, "b")), "x", 9, 0) == ((0, "a"), (12, "x"))  # a later switch replaces


def test_simulate_switches_part_through_a_server_from_the_next_phrase(tiny_model_path: Path, tmp_path: Path) -> None:
    """The DAW helper's `--simulate --switch 6=PART`: the PartSwitch goes up the stream before bar 6 and the server's
    live drummer rides from bar 9, the next phrase; before it, the hats."""
    from client import daw_helper
    from seq2drum.midi.io import merged_notes, read_midi
    from seq2drum.live.model_drummer import LIVE_CHECKPOINT
    from server.config import ServerConfig
    from server.live_jobs import LiveModel
    from server.testing import ServerThread
    from server.workers import ModelSource

    song = tmp_path / "song.mid"
    song.write_bytes(band_song(16))
    source = ModelSource(tiny_model_path, live=LiveModel(LIVE_CHECKPOINT))
    with ServerThread("127.0.0.1:0", source, ServerConfig(workers=1)) as server:
        argv = ["--server", f"127.0.0.1:{server.port}", "--simulate", str(song), "--speed", "32", "--seed", "3"]
        assert daw_helper.main([*argv, "--switch", f"6={RIDING}", "-o", str(tmp_path / "ride.mid")]) == 0
        with pytest.raises(SystemExit):
            daw_helper.main([*argv, "--switch", "six=ride", "-o", str(tmp_path / "x.mid")])  # not BAR=PART
    played = read_midi((tmp_path / "ride.mid").read_bytes())
    bars = cymbals(merged_notes(played.drum_parts), 16, played.ticks_per_quarter)
    assert all(ride == 0 for ride, _ in bars[:8]) and all(ride > hats for ride, hats in bars[8:15])
