"""`--parts-from SONG.mid` (issue 101 item 3): another song's drummer's arrangement laid on this song's sections, as a
musician copies the arrangement of a song he likes by its sections' order (the intro's part to the intro, the
chorus's to the chorus).

The other song's drummer is read as `--mode arrange --drummer` reads him (generation.arrange `song_arrangement`). The
letters of the two songs are paired by their order of first appearance (his first letter onto this song's first),
an occurrence onto the occurrence of the same number (past his last, his last); a part of another meter is played as
this meter's part nearest it (`in_meter`). What is paired comes back as `--parts` entries by occurrence, under the
musician's own `--parts` (`combined`: his entries win), and as one line a section saying what was done, letters one
song has and the other lacks included.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from seq2drum.errors import ConfigError, MidiReadError
from seq2drum.generation.arrange import SongArrangement, song_arrangement
from seq2drum.midi.io import MidiSong
from seq2drum.options import PARTS_FROM_SAID, GenerationOptions
from seq2drum.parts.arrangement import Occurrence, parse_parts


SIGNATURE_TRAITS = 4  # a part's level, time-keeper, subdivision and feel: matched in this order across meters


@dataclass(frozen=True)
class Paired:
    """One section of this song and what it was given: the other song's section (None: his song has no such letter),
    the part id it plays here (None: left to the plan) and why, in words."""

    section: Occurrence
    theirs: Occurrence | None
    part: int | None
    words: str

    def line(self) -> str:
        """`A#1 <- A#1: eighths on the hat, backbeat [4]`, as the command line prints the mapping."""
        source = self.theirs.key if self.theirs is not None else "nothing"
        return f"{self.section.key} <- {source}: {self.words}"


def borrowed(generator: Any, midi: bytes | MidiSong, options: GenerationOptions
             ) -> tuple[GenerationOptions, list[str]]:
    """`options` with `parts_from` made into `--parts` entries (the musician's own winning) and the mapping's lines;
    `options` as given where it has no `parts_from`. ConfigError for another song that cannot be read or has no
    drums, or a model with no parts. `generator`: a DrumGenerator (typed Any: the generator calls this module)."""
    if not options.parts_from:
        return options, []
    theirs = drummers_arrangement(generator, options.parts_from, options)
    mine = song_arrangement(generator, midi, dataclasses.replace(options, parts_from=None))
    pairs = paired(mine, theirs, generator.planner)
    entries = [f"{p.section.key}={p.part}" for p in pairs if p.part is not None]
    spec = combined(entries, options.parts)
    lines = [p.line() for p in pairs] + unused_letters(mine, theirs)
    own = ", ".join(key for key, _ in parse_parts(options.parts or ""))
    if own:
        lines.append(f"--parts {own}: as you gave them, over the other song's")
    return dataclasses.replace(options, parts=spec or None, parts_from=None), [PARTS_FROM_SAID + line for line in lines]


def drummers_arrangement(generator: Any, midi: bytes, options: GenerationOptions) -> SongArrangement:
    """The other song's sections and his drummer's part in each (ConfigError, naming --parts-from, for a file that
    is not a song with drums). It is heard as a song of its own: this song's --track does not pick its guitar."""
    other = GenerationOptions(guitar_only=options.guitar_only)
    try:
        return song_arrangement(generator, midi, other, drummer=True)
    except MidiReadError as exc:
        raise ConfigError(f"--parts-from: that song cannot be read: {exc}") from None
    except ConfigError as exc:
        if "has none" in str(exc):  # his drums are what is borrowed
            raise ConfigError("--parts-from takes the arrangement of a song's own drums (channel 10), and that song "
                              "has none; name a song with drums") from None
        raise


def paired(mine: SongArrangement, theirs: SongArrangement, planner: Any) -> list[Paired]:
    """Each of this song's sections with the other song's section of the same place among its letters and
    occurrences, and the part his drummer plays there, in this section's meter."""
    my_letters = list(dict.fromkeys(s.label for s in mine.arrangement.sections))
    their_letters = list(dict.fromkeys(s.label for s in theirs.arrangement.sections))
    by_letter: dict[str, list[Occurrence]] = {}
    for section in theirs.arrangement.sections:
        by_letter.setdefault(section.label, []).append(section)
    parts = planner.vocabulary.parts
    drummer = theirs.drummer or {}
    out = []
    for section in mine.arrangement.sections:
        index = my_letters.index(section.label)
        if index >= len(their_letters):
            out.append(Paired(section, None, None, f"the other song has {len(their_letters)} letters "
                              f"({', '.join(their_letters)}), none for this song's {ordinal(index + 1)}; the plan "
                              "chooses"))
            continue
        held = by_letter[their_letters[index]]
        source = held[min(section.occurrence, len(held)) - 1]
        again = ("" if section.occurrence <= len(held) else
                 f" (the other song has {source.label} {len(held)} {'time' if len(held) == 1 else 'times'}: its last)")
        mine_part = drummer.get(source.key)
        if mine_part is None:
            out.append(Paired(section, source, None, f"his drums there are in another meter than {source.family}, "
                              f"so no part{again}; the plan chooses"))
            continue
        part = in_meter(planner, mine_part.id, section.family)
        if part is None:
            out.append(Paired(section, source, None, f"his {source.family} part {parts[mine_part.id].name!r} has no "
                              f"{section.family} part like it{again}; the plan chooses"))
            continue
        meter = ("" if part == mine_part.id else
                 f" (his {parts[mine_part.id].family} part {parts[mine_part.id].name!r}, played in {section.family})")
        out.append(Paired(section, source, part, f"{parts[part].name} [{part}]{meter}{again}"))
    return out


def unused_letters(mine: SongArrangement, theirs: SongArrangement) -> list[str]:
    """A line for the other song's letters past this song's (their parts play nowhere here), or none."""
    my_count = len(dict.fromkeys(s.label for s in mine.arrangement.sections))
    their_letters = list(dict.fromkeys(s.label for s in theirs.arrangement.sections))
    if len(their_letters) <= my_count:
        return []
    return [f"the other song's {', '.join(their_letters[my_count:])} (past this song's {my_count} letters) play "
            "nowhere here"]


def in_meter(planner: Any, part: int, family: str) -> int | None:
    """Part `part` in meter family `family`: itself where it is of that family; else the part of `family` sharing
    the longest run of its traits (level, time-keeper, subdivision, feel: parts.vocabulary `Part.signature`), its
    level at least, the commonest among equals; None where no part of `family` has its level (no 3/4 sparse part)."""
    parts = planner.vocabulary.parts
    if parts[part].family == family:
        return part
    wanted = parts[part].signature[1:1 + SIGNATURE_TRAITS]

    def shared(k: int) -> int:
        run = 0
        for a, b in zip(parts[k].signature[1:1 + SIGNATURE_TRAITS], wanted):
            if a != b:
                break
            run += 1
        return run

    fits = [k for k, p in enumerate(parts) if p.family == family and shared(k) > 0]
    return max(fits, key=lambda k: (shared(k), parts[k].share, -k)) if fits else None


def combined(entries: list[str], parts: str | None) -> str:
    """The borrowed entries (by occurrence) with the musician's `--parts` after them, his winning: a borrowed entry
    of a label he names whole is left out (his `A=...` is less specific than a borrowed `A#1=...`, which would win),
    as is one of an occurrence he names (a key given twice is refused); a range of his is more specific."""
    own = parse_parts(parts or "")
    keys = {key for key, _ in own}
    kept = [entry for entry in entries if entry.partition("=")[0] not in keys and entry.partition("#")[0] not in keys]
    return "; ".join([*kept, *(f"{key}={value}" for key, value in own)])


def ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"
