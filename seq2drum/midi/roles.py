"""What each part of a song plays in the band: guitar, bass, keys (harmony), melody (a voice or a lead line), or
other, from its track name and its General MIDI program.

The drums listen to the band by role: the bass's onsets say where a drummer's kicks go far better than the guitar's
(F1 0.60 against 0.41 on ../shared), keys and pads hold the harmony's rhythm, a melody says where a section sings.
A track name outweighs a program (old GM files play a vocal line on a guitar patch, a bass on a piano), but only
when the track holds this one melodic channel (see `Part.name_shared`). The guitar is as `Part.is_guitar` says, so
the part the drums were always made for keeps its role.
"""

from __future__ import annotations

import re

from seq2drum.midi.io import MidiSong, Part

GUITAR, BASS, KEYS, MELODY, OTHER = "guitar", "bass", "keys", "melody", "other"
ROLES = (GUITAR, BASS, KEYS, MELODY, OTHER)
BAND_ROLES = (BASS, KEYS, MELODY, OTHER)  # the parts beside the guitar

_NAME_ROLES = (  # the first name pattern that matches decides; guitar names are Part.is_guitar's
    (BASS, re.compile(r"bass|bajo|basse|contrabass", re.IGNORECASE)),
    (MELODY, re.compile(r"vocal|voice|vox|melod|choir|sing|lead|solo|flute|sax|trumpet|clarinet|violin|whistle",
                        re.IGNORECASE)),
    (KEYS, re.compile(r"piano|keys|keyb|organ|rhodes|synth|pad\b|strings?\b|harpsi|clav|accomp|chord", re.IGNORECASE)),
)


def program_role(program: int) -> str:
    """The role of a GM program (0-based, -1 for none) when the name says nothing: the families of the GM table."""
    if program < 0:
        return OTHER
    if 24 <= program <= 31:
        return GUITAR
    if 32 <= program <= 39 or program == 43:  # the basses, and the contrabass
        return BASS
    if program <= 23 or 44 <= program <= 46 or 48 <= program <= 51 or 88 <= program <= 95:  # keys, strings, pads
        return KEYS
    if 40 <= program <= 42 or 52 <= program <= 54 or 56 <= program <= 87:  # solo strings, voices, winds, leads
        return MELODY
    return OTHER  # timpani, orchestra hits, effects, ethnic and percussive instruments


def part_role(part: Part) -> str:
    """The role of one melodic part (drum parts have none: ValueError)."""
    if part.is_drums:
        raise ValueError(f"{part!r} is a drum part; drum parts have no band role")
    if part.is_guitar:
        return GUITAR
    if not part.name_shared:
        for role, pattern in _NAME_ROLES:
            if pattern.search(part.name):
                return role
    role = program_role(part.program)
    return OTHER if role == GUITAR else role  # a guitar program whose name says otherwise (is_guitar said no)


def parts_by_role(song: MidiSong, guitar_parts: list[Part]) -> dict[str, list[Part]]:
    """Every melodic part that holds notes, by role; the parts chosen as the guitar (by the user's --track or by
    `choose_guitar`) are the guitar whatever their own role, and no other part is."""
    chosen = {id(part) for part in guitar_parts}
    roles: dict[str, list[Part]] = {role: [] for role in ROLES}
    roles[GUITAR] = list(guitar_parts)
    for part in song.melodic_parts:
        if id(part) in chosen or not part.note_count:
            continue
        role = part_role(part)
        roles[OTHER if role == GUITAR else role].append(part)  # a guitar the user did not pick plays with the band
    return roles


def band_listing(song: MidiSong, guitar_parts: list[Part]) -> list[str]:
    """'bass: 3 'Bass' (channel 2, program 34, 412 notes)' for each part beside the guitar, numbered as in the part
    listing (as --track takes them), roles in order."""
    numbers = {id(part): number for number, part in enumerate(song.parts, start=1)}
    roles = parts_by_role(song, guitar_parts)
    return [f"{role}: {numbers[id(part)]} {part.describe()}" for role in BAND_ROLES for part in roles[role]]
