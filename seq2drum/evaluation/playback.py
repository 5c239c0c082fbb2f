"""A file played to a live drummer bar by bar, as a band would play it: `--mode evaluate --live` and the tests.

The file is read through generation's first stage (generation/prepare.py: the parts listened to by role, or the guitar
alone with `guitar_only`; the drums given with `keep_drums`), then from the bar where the music starts each bar's
drums are asked for at the lead with the notes of the bar before played until then (`api.LiveDrummer.next_bar`).
Bars go through the stream's session (live/session.py) as the server's PlayAlong sends them: the drums play through
a bar the band leaves silent, stop in the next one where the band's last note fell in its bar, and rest after.
Drums given in the file (`keep_drums`, the primed input) go to the session as the stream's channel-10 part does
(role DRUMS, each bar's notes up to its lead with the next bar's message): the drummer hears them as it hears them
live. They are written exactly, and a bar in which one starts gets none of the drummer's (`holds_kept`), as the DAW
helper's --simulate writes it. The drums come back as notes on the file's clock and as MIDI bytes, as generation
writes them. A harness, not the live drummer: it reads the file through generation's stage and plays it to live/, so
it sits above both (live/ imports nothing of generation).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from seq2drum.generation.given import clear_of_kept
from seq2drum.generation.prepare import PreparedSong, prepare
from seq2drum.live.api import ROLE_NAMES, BarClock, DrumHit, PlayedNote
from seq2drum.live.session import DRUMS, IncomingNote, LiveSession, ending_bar, run_call
from seq2drum.midi.io import DRUM_CHANNEL, END, PITCH, START, VELOCITY, merged_notes
from seq2drum.midi.roles import GUITAR, parts_by_role
from seq2drum.midi.write import TrackSpec, write_midi
from seq2drum.options import GenerationOptions
from seq2drum.song.drum_part import DrumGrid, drums_to_grid
from seq2drum.song.grid import BAR_DENOMINATOR, BAR_NUMERATOR, BAR_START, BAR_STEPS


# the last bar's drums play up to where the band's last onset fell in its bar, a 32nd after (as the DAW helper's
# --simulate, client/song_bars.py, which imports no seq2drum model code)
ENDING_SLACK_Q = 0.125


@dataclass
class LivePlay:
    """The drums a live drummer played to a file: notes (N, 4) on the file's clock, on its grid, and as MIDI."""

    notes: np.ndarray
    drums: DrumGrid
    midi_bytes: bytes
    bars: int


ROLES = (*ROLE_NAMES, DRUMS)  # the parts of a file played live: one per role, the kept drums last


def played_bars(prepared: PreparedSong, lead_quarters: float) -> list[tuple[BarClock, list[PlayedNote]]]:
    """Each bar of the span (from the first entry) with the band's notes played in it up to its lead, then the kept
    drums' (role DRUMS), to the bar after the last one in which a band's note starts (`band_ending`): the stream ends
    there (with the guitar alone the drums play on through its pauses, so they stop with the stream, `play_file`
    cutting that bar where the last note fell)."""
    return _span_bars(prepared, lead_quarters)[0]


def band_ending(prepared: PreparedSong) -> tuple[int, float]:
    """The last bar of the span in which a band's note starts, heard before the lead or not (a bar of 1/16 is no
    longer than a 16th's lead: none of its notes is heard, and the stream ended one bar after the last bar that heard
    one, 2 bars into a 180-bar song, issue 69 N4), and where in it, in quarter notes, its last such note starts;
    (-1, 0.0) when no band note starts in the span."""
    return _span_bars(prepared, 0.0)[1]


def _span_bars(prepared: PreparedSong, lead_quarters: float
               ) -> tuple[list[tuple[BarClock, list[PlayedNote]]], tuple[int, float]]:
    """`played_bars` and `band_ending`, from one walk of the span."""
    song, grid, encoded = prepared.song, prepared.encoded.grid, prepared.encoded
    tpq = song.ticks_per_quarter
    roles = parts_by_role(song, prepared.choice.parts)
    band = {id(part) for part in prepared.band_parts or []}
    notes_by_role = {role: merged_notes([p for p in parts if role == GUITAR or id(p) in band])
                     for role, parts in roles.items()}
    kept = prepared.given.notes if prepared.given is not None else np.zeros((0, 4), dtype=np.int64)
    band_starts = np.sort(np.concatenate([notes[:, START] for notes in notes_by_role.values()] or [np.zeros(0)]))
    tempo = grid.tempo_bpm()
    bars, ending = [], (-1, 0.0)
    for row in range(encoded.first_bar, encoded.end_bar):
        start_step, n_steps = int(grid.bars[row, BAR_START]), int(grid.bars[row, BAR_STEPS])
        start, end = float(grid.step_to_tick(start_step)), float(grid.step_to_tick(start_step + n_steps))
        lead = end - lead_quarters * tpq
        clock = BarClock(row - encoded.first_bar, int(grid.bars[row, BAR_NUMERATOR]),
                         int(grid.bars[row, BAR_DENOMINATOR]), float(tempo[start_step]))
        played = [PlayedNote((note[START] - start) / tpq, (min(note[END], lead) - note[START]) / tpq,
                             int(note[PITCH]), int(note[VELOCITY]), role)
                  for role, notes in notes_by_role.items()
                  for note in notes[(notes[:, START] >= start) & (notes[:, START] < lead)].tolist()]
        drums = [PlayedNote((note[START] - start) / tpq, (min(note[END], lead) - note[START]) / tpq,
                            int(note[PITCH]), int(note[VELOCITY]), DRUMS)
                 for note in kept[(kept[:, START] >= start) & (kept[:, START] < lead)].tolist()]
        starting = band_starts[(band_starts >= start) & (band_starts < end)]
        if len(starting):
            ending = (len(bars), float((starting[-1] - start) / tpq))
        bars.append((clock, played + drums))
    # the stream ends with the bar after the last one in which the band plays (its notes come with that bar)
    return (bars[: ending[0] + 2] if ending[0] >= 0 else bars), ending


def play_file(drummer: Any, midi_bytes: bytes, options: GenerationOptions, seed: int,
              groove: bytes | None = None, switches: dict[int, str] | None = None) -> LivePlay:
    """Play a file to `drummer` (a `ModelDrummer`) bar by bar and gather its drums. The stream ends one bar after the
    band's last onset (`band_ending`): the bar after the one it starts in (a bar past the file's end, in its last
    meter and tempo, where the music ends in its last bar) plays up to where that onset fell in its bar
    (`ENDING_SLACK_Q`). `switches` {bar index: part}: the musician switches part as that bar is sent."""
    prepared = prepare(midi_bytes, options, drummer.data_config, drummer.spec)
    song, grid = prepared.song, prepared.encoded.grid
    tpq = song.ticks_per_quarter
    given = prepared.given
    alone = replace(options, guitar_only=True) if prepared.from_the_top else options  # keeps time from bar 1
    session = LiveSession(ROLES, drummer.begin(alone, seed, groove), rest_after=options.rest_after)
    previous: tuple[BarClock, list[PlayedNote]] | None = None
    bars, (last, last_onset) = _span_bars(prepared, drummer.lead_quarters)
    if bars and last == len(bars) - 1:  # the music's last bar is the file's: one bar more hears it
        bars.append((replace(bars[-1][0], index=bars[-1][0].index + 1), []))
    ending = (last + 1, last_onset) if last >= 0 else (-1, 0.0)
    kept = given.notes if given is not None else np.zeros((0, 4), dtype=np.int64)
    written, start = [], 0
    for index, (clock, played) in enumerate(bars):
        incoming = [IncomingNote(n.onset, n.duration, n.pitch, n.velocity, ROLES.index(n.role))
                    for n in (previous[1] if previous else ())]
        if switches and clock.index in switches:
            session.switch_part(switches[clock.index])
        call = session.take(clock.index, clock.numerator, clock.denominator, clock.tempo_bpm, incoming)
        hits = []  # the band has left 2 bars silent: the drums rest, as the server's stream does
        if call is not None:
            hits, session.state = run_call(drummer, session.state, call)
        if index == ending[0]:
            hits = ending_bar(hits, ending[1] + ENDING_SLACK_Q)
        row = prepared.encoded.first_bar + clock.index
        start = int(grid.step_to_tick(int(grid.bars[row, BAR_START]))) if row < len(grid.bars) else start
        end = start + round(clock.quarters * tpq)  # where a bar past the file's end starts
        if not holds_kept(kept, start, end):  # a bar the user's drums play in is theirs alone
            written.append(_ticks(hits, start, tpq))
        start = end
        previous = (clock, played)
    notes = np.concatenate(written) if written else np.zeros((0, 4), dtype=np.int64)
    if given is not None:
        notes = np.concatenate([clear_of_kept(notes, given.notes), given.notes])
    notes = notes[np.lexsort((notes[:, PITCH], notes[:, START]))] if len(notes) else notes
    data = write_midi(tpq, *song.written_maps, [TrackSpec("Drums", DRUM_CHANNEL, notes)])
    return LivePlay(notes, drums_to_grid(notes, grid), data, prepared.encoded.end_bar - prepared.encoded.first_bar)


def holds_kept(kept: np.ndarray, start_tick: int, end_tick: int) -> bool:
    """Whether a kept drum note (N, 4) starts in [start_tick, end_tick): the bar is the user's, the drummer's is not
    written (client/live_simulate.py's `drum_file` applies the same rule)."""
    return bool(((kept[:, START] >= start_tick) & (kept[:, START] < end_tick)).any()) if len(kept) else False


def _ticks(hits: Sequence[DrumHit], bar_start: int, tpq: int) -> np.ndarray:
    """A bar's drum hits as notes (N, 4) on the file's clock."""
    if not hits:
        return np.zeros((0, 4), dtype=np.int64)
    out = np.array([(bar_start + round(h.onset * tpq), bar_start + round((h.onset + h.duration) * tpq), h.pitch,
                     h.velocity) for h in hits], dtype=np.int64)
    out[:, START] = np.maximum(out[:, START], 0)
    out[:, END] = np.maximum(out[:, END], out[:, START] + 1)
    return out
