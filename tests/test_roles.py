"""Band roles from track names and GM programs: what the drums listen to each part as. A wrong role puts a bass line
in the melody's columns (the kicks stop following it) or a vocal line in the guitar's."""

from __future__ import annotations

import numpy as np
import pytest

from seq2drum.midi.io import Part, read_midi
from seq2drum.midi.roles import (BASS, GUITAR, KEYS, MELODY, OTHER, band_listing, part_role, parts_by_role,
                                 program_role)
from seq2drum.midi.write import TrackSpec
from tests.builders import notes_from_steps, riff, song_bytes

NOTES = np.array([[0, 120, 40, 90]], dtype=np.int64)


def part(name: str, program: int, channel: int = 1, name_shared: bool = False) -> Part:
    return Part(track_index=1, channel=channel, name=name, program=program, notes=NOTES, name_shared=name_shared)


@pytest.mark.parametrize(("name", "program", "role"), [
    ("Bass", 0, BASS),  # the name outweighs a piano program
    ("Fretless", 35, BASS),  # a GM bass program, a name that says nothing
    ("Bass Guitar", 29, BASS),  # a bass exported on a guitar patch (Part.is_guitar says no)
    ("Lead Vocal", 29, MELODY),  # old GM files sing on a guitar patch
    ("Rhythm Gtr", 0, GUITAR),
    ("Piano", 29, KEYS), ("E-Piano", 25, KEYS), ("Rhodes", 26, KEYS), ("Organ", 24, KEYS),  # keys on a guitar patch
    ("Synth", 30, KEYS), ("Keys", 27, KEYS), ("Guitar Synth", 30, GUITAR),  # the name says guitar: a guitar
    ("Piano", 0, KEYS), ("", 19, KEYS), ("Strings", 48, KEYS), ("Warm pad", 89, KEYS),
    ("Flute", 73, MELODY), ("", 65, MELODY), ("Synth Lead", 80, MELODY), ("Choir", 52, MELODY),
    ("", 47, OTHER), ("", 118, OTHER), ("", -1, OTHER),
], ids=lambda value: str(value))
def test_roles_from_names_and_programs(name: str, program: int, role: str) -> None:
    assert part_role(part(name, program)) == role


def test_a_shared_track_name_says_nothing_about_one_channel() -> None:
    """A format-0 file titled "Bass Heroes" names the song: each channel's role comes from its program."""
    assert part_role(part("Bass Heroes", 0, name_shared=True)) == KEYS
    assert part_role(part("Bass Heroes", 33, name_shared=True)) == BASS


def test_drum_parts_have_no_role() -> None:
    with pytest.raises(ValueError, match="drum part"):
        part_role(part("Drums", 0, channel=9))


def test_program_families_cover_every_program() -> None:
    """Every GM program has a role; the guitars are 25-32 as musicians count them."""
    roles = [program_role(program) for program in range(128)]
    assert set(roles) == {GUITAR, BASS, KEYS, MELODY, OTHER}
    assert [p for p, role in enumerate(roles) if role == GUITAR] == list(range(24, 32))


def test_parts_by_role_keeps_the_chosen_guitar_and_sorts_the_band() -> None:
    """The parts chosen as the guitar are the guitar; a second guitar the user did not pick plays as 'other'; empty
    parts are left out."""
    guitar = notes_from_steps(riff(2), length_steps=2)
    data = song_bytes(guitar, extra=[
        TrackSpec("Bass", 1, notes_from_steps([(0, 28), (8, 31)]), 33),
        TrackSpec("Organ", 2, notes_from_steps([(0, 52)]), 16),
        TrackSpec("Lead Gtr", 3, notes_from_steps([(4, 64)]), 29),
        TrackSpec("Vocals", 4, notes_from_steps([(2, 67)]), 52),
    ])
    song = read_midi(data)
    chosen = [song.parts[0]]  # as --track 1 would
    roles = parts_by_role(song, chosen)
    assert [p.name for p in roles[GUITAR]] == ["Guitar"]
    assert [p.name for p in roles[BASS]] == ["Bass"] and [p.name for p in roles[KEYS]] == ["Organ"]
    assert [p.name for p in roles[MELODY]] == ["Vocals"] and [p.name for p in roles[OTHER]] == ["Lead Gtr"]
    assert [line.split(" (")[0] for line in band_listing(song, chosen)] == [
        "bass: 2 'Bass'", "keys: 3 'Organ'", "melody: 5 'Vocals'", "other: 4 'Lead Gtr'"]


def test_a_piano_on_a_guitar_program_is_never_taken_as_the_guitar() -> None:
    """A track named "Piano" on a guitar patch was merged into the guitar, and listed as "other" under --track: it
    plays the harmony, so it is keys, and the guitar is the part that says guitar."""
    from seq2drum.midi.io import choose_guitar

    guitar = notes_from_steps(riff(2), length_steps=2)
    data = song_bytes(guitar, extra=[TrackSpec("Piano", 1, notes_from_steps([(0, 52), (8, 55)]), 29),
                                     TrackSpec("Guitar Synth", 2, notes_from_steps([(0, 64)]), 30)])
    song = read_midi(data)
    names = {part.name: part for part in song.melodic_parts}
    assert not names["Piano"].is_guitar and names["Guitar Synth"].is_guitar
    choice = choose_guitar(song)
    assert "Piano" not in [part.name for part in choice.parts]
    assert "Guitar Synth" in [part.name for part in choice.parts]
    assert [line for line in band_listing(song, choice.parts) if "'Piano'" in line][0].startswith("keys: ")
    chosen = choose_guitar(song, "Guitar Synth")  # --track: the piano is listed as keys, not "other"
    assert any(line.startswith("keys: ") and "'Piano'" in line for line in band_listing(song, chosen.parts))
