"""`--parts-from SONG.mid` (issue 101 item 3): another song's drummer's arrangement laid on this song's sections by
their letters' order and occurrence, the mapping printed one line a section, the musician's own --parts winning; on the
command line, through the server and the DAW helper. Songs built in code (tests/test_parts_plan.py's band song: a riff
in quarters over a bass for 16 bars, then in eighths), the other song's drummer riding the first section and on the
hats in the second."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from seq2drum.errors import ConfigError
from seq2drum.generation.generator import DrumGenerator
from seq2drum.generation.parts_from import combined, in_meter, paired
from seq2drum.options import PARTS_FROM_SAID, GenerationOptions
from seq2drum.parts.arrangement import Occurrence, RankedPart
from tests.builders import backbeat, notes_from_steps
from tests.test_parts_plan import band_song, sectioned_song

RIDE, HATS = "eighths on the ride, backbeat", "eighths on the hat, backbeat"


@pytest.fixture(scope="module")
def generator() -> DrumGenerator:
    return DrumGenerator.from_checkpoint()


def ride_then_hats() -> bytes:
    """The band song with a drummer on the ride (eighths, a backbeat) for 16 bars, then on the hats."""
    ride = [(bar * 16 + step, pitch, 90) for bar in range(16)
            for step, pitch in [*((s, 51) for s in range(0, 16, 2)), (0, 36), (8, 36), (4, 38), (12, 38)]]
    hats = [(step + 16 * 16, pitch, velocity) for step, pitch, velocity in backbeat(16)]
    return band_song(32, busier_from=16, drums=notes_from_steps(ride + hats))


def section(key: str, family: str = "4/4") -> Occurrence:
    label, _, n = key.partition("#")
    return Occurrence(key, label, int(n), 1, 8, family, ())


def arranged(keys: list[str], drummer: dict[str, int] | None = None, families: dict[str, str] | None = None,
             names: list[str] | None = None) -> SimpleNamespace:
    """A SongArrangement as `paired` reads it: its sections (meter families by key, 4/4 else) and his part ids."""
    sections = [section(key, (families or {}).get(key, "4/4")) for key in keys]
    mine = None if drummer is None else {key: RankedPart(k, (names or [""] * 99)[k], 0.0) for key, k in drummer.items()}
    return SimpleNamespace(arrangement=SimpleNamespace(sections=sections), drummer=mine)


def test_sections_pair_by_letter_order_and_occurrence_and_say_what_is_missing(generator: DrumGenerator) -> None:
    """His intro's part to the intro, his second B's to the second B, a third B his last B's; a letter he lacks and
    a letter this song lacks said; a part of his 4/4 played in 3/4 as its nearest, said."""
    planner = generator.planner
    parts = planner.vocabulary.parts
    by_name = {(p.family, p.name): k for k, p in enumerate(parts)}
    sparse, hats, sixteenths, ride = (by_name["4/4", name] for name in (
        "sparse / intro", HATS, "16ths on the hat, backbeat", RIDE))
    theirs = arranged(["A#1", "B#1", "C#1", "B#2", "D#1"], {"A#1": sparse, "B#1": hats, "C#1": hats,
                                                             "B#2": sixteenths, "D#1": ride})
    mine = arranged(["A#1", "B#1", "B#2", "B#3", "C#1"], families={"C#1": "3/4"})
    pairs = paired(mine, theirs, planner)
    assert [(p.section.key, p.theirs.key if p.theirs else None, p.part) for p in pairs] == [
        ("A#1", "A#1", sparse), ("B#1", "B#1", hats), ("B#2", "B#2", sixteenths), ("B#3", "B#2", sixteenths),
        ("C#1", "C#1", by_name["3/4", HATS])]
    assert pairs[0].line() == f"A#1 <- A#1: sparse / intro [{sparse}]"
    assert "has B 2 times: its last" in pairs[3].line()
    assert f"his 4/4 part '{HATS}', played in 3/4" in pairs[4].line()
    fewer = paired(arranged(["A#1", "B#1", "C#1"]), arranged(["A#1", "B#1"], {"A#1": sparse, "B#1": hats}), planner)
    assert fewer[2].part is None and fewer[2].line() == ("C#1 <- nothing: the other song has 2 letters (A, B), none "
                                                         "for this song's 3rd; the plan chooses")
    assert in_meter(planner, sparse, "3/4") is None  # no 3/4 part is sparse: the plan chooses there


def test_the_musicians_own_parts_win() -> None:
    assert combined(["A#1=4", "A#2=4", "B#1=19"], "a=drop-out") == "B#1=19; A=drop-out"
    assert combined(["A#1=4", "B#1=19"], "B#1=16ths-hats; 1-4=29") == "A#1=4; B#1=16ths-hats; 1-4=29"


def test_parts_from_plays_the_other_drummers_arrangement_and_prints_the_mapping(
        generator: DrumGenerator, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The song without drums plays his ride in its first section and his hats in its second, as planned; the
    mapping is printed one line a section; --parts given too wins where it names a section."""
    from seq2drum.cli import main

    made = generator.generate(sectioned_song(), GenerationOptions(seed=1, parts_from=ride_then_hats()))
    assert made.takes[0].plan == "from the musician"
    planned = made.takes[0].planned  # (first bar, part) of each phrase
    assert {name for bar, name in planned if bar <= 16} == {RIDE}
    assert {name for bar, name in planned if bar > 16} == {HATS}
    said = [line for line in made.information if line.startswith(PARTS_FROM_SAID)]
    ids = {p.name: k for k, p in enumerate(generator.planner.vocabulary.parts) if p.family == "4/4"}
    assert said == [f"{PARTS_FROM_SAID}A#1 <- A#1: {RIDE} [{ids[RIDE]}]",
                    f"{PARTS_FROM_SAID}B#1 <- B#1: {HATS} [{ids[HATS]}]"]
    song, other = tmp_path / "song.mid", tmp_path / "other.mid"
    song.write_bytes(sectioned_song())
    other.write_bytes(ride_then_hats())
    assert main.main(["--mode", "infer", str(song), "--parts-from", str(other), "--parts", "b=drop-out", "--seed", "1",
                      "-o", str(tmp_path / "out.mid")]) == 0
    out = capsys.readouterr().out
    assert f"A#1 <- A#1: {RIDE}" in out and "--parts B: as you gave them" in out
    assert "17: drop-out" in out or "17: no drums" in out


@pytest.mark.parametrize("other, words", [
    (sectioned_song(), "that song has none; name a song with drums"),
    (b"MThd not a song", "--parts-from: that song cannot be read"),
], ids=["no drums", "not midi"])
def test_a_song_without_drums_or_not_a_song_is_one_line(generator: DrumGenerator, other: bytes, words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        generator.generate(sectioned_song(), GenerationOptions(seed=1, parts_from=other))


def test_parts_from_goes_through_the_server_and_the_helper(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The helper reads the second file and sends its bytes; the server plays it and says the mapping, which the
    helper prints as what was done (not a warning); the same drums as main.py's. Arrange with it gives each section
    the part the studio fills its choice with."""
    from client import daw_helper
    from client.drum_client import DrumClient
    from seq2drum.cli import main as main_py
    from seq2drum.rpc import seq2drum_pb2 as pb
    from server.config import ServerConfig
    from server.testing import ServerThread
    from server.workers import ModelSource

    song, other = tmp_path / "song.mid", tmp_path / "other.mid"
    song.write_bytes(sectioned_song())
    other.write_bytes(ride_then_hats())
    with ServerThread("127.0.0.1:0", ModelSource(None), ServerConfig(workers=1)) as server:
        assert daw_helper.main([str(song), "--server", f"127.0.0.1:{server.port}", "--parts-from", str(other),
                                "--seed", "2"]) == 0
        with DrumClient(f"127.0.0.1:{server.port}", timeout_s=60, wait_s=10) as client:  # the studio's choices
            sections = client.arrange(song.read_bytes(), pb.GenerationOptions(parts_from=other.read_bytes())).sections
        assert [(s.key, s.borrowed.name) for s in sections] == [("A#1", RIDE), ("B#1", HATS)]
        assert sections[0].borrowed_words.startswith("A#1 <- A#1: ")
    printed = capsys.readouterr()
    assert f"{PARTS_FROM_SAID}A#1 <- A#1: {RIDE}" in printed.out and "parts-from" not in printed.err
    assert main_py.main(["--mode", "infer", str(song), "--parts-from", str(other), "--seed", "2", "-o",
                         str(tmp_path / "cli.mid")]) == 0
    assert (tmp_path / "song_drums.mid").read_bytes() == (tmp_path / "cli.mid").read_bytes()
