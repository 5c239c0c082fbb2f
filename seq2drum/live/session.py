"""One play-along stream's bars, transport-free: what the server's PlayAlong keeps between bars and decides without a
model (the order of bars, each bar's clock, silence, the band's parts by role), and the one job a worker runs.

The stream sends, at the lead before bar n, bar n's clock and the notes of bar n-1 played up to the lead. With
`keep_drums` a channel-10 part is the user's own drums (role DRUMS): its notes are not the band's, the drummer hears
them as the drums of their bar instead of its own (`run_call`, before it decides the next bar), as a file's kept drums
are heard. `--mode evaluate --live` (evaluation/playback.py) plays a file through this same session. The session checks
them, and either answers at once (the band has left the last 2 bars silent: the drums rest) or hands the drummer a
`LiveCall` (a short job on the server's shared pool: the stream holds no worker between bars). The drummer's state
comes back with the bar's drums and is kept here, so any worker can decide the stream's next bar.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

from seq2drum.errors import ConfigError
from seq2drum.live.api import MAX_PART_CHARS, ROLE_NAMES, BarClock, DrumHit, PlayedNote
from seq2drum.midi.limits import MAX_BAR_QUARTERS, MAX_SONG_PARTS

log = logging.getLogger("seq2drum.live")

SILENT_BARS = 2  # after this many bars without a note from the band, the drums rest until it plays again
IDLE_BARS = 2  # a stream may send nothing for this many bars (or the server's idle limit, whichever is longer)
STREAM_DENOMINATORS = (1, 2, 4, 8, 16, 32)
MAX_NUMERATOR = 64
TEMPO_RANGE_BPM = (10.0, 400.0)
MAX_BAR_NOTES = 4096  # notes in one bar's message (a bar of 16th-note chords of 6 strings in 32/4 is 768)
MAX_PARTS = MAX_SONG_PARTS  # parts a stream may name: as many as a song may hold (seq2drum.midi.limits)
MAX_SWITCH_PARTS = 128  # parts a stream may name to switch to: as many as a MIDI program change reaches
DRUMS = "drums"  # the role of a stream's channel-10 part with keep_drums: the user's drums, kept and heard, not band


class LiveStreamError(ConfigError):
    """A play-along message the stream cannot take: a bad clock, or a bar out of order (INVALID_ARGUMENT)."""


class IncomingNote(NamedTuple):
    """A note as the stream sends it: timed from the start of its bar, its part an index into the stream's parts (a
    tuple: a bar's notes are made on the server's event loop, where a frozen dataclass cost 5 calls more a note)."""

    onset: float
    duration: float
    pitch: int
    velocity: int
    part: int


@dataclass(frozen=True)
class LiveCall:
    """What the drummer is asked for one bar (`api.LiveDrummer.next_bar`'s arguments, the state apart)."""

    played: tuple[PlayedNote, ...]
    previous: BarClock | None
    bar: BarClock
    # the band left the bar before silent: the drums of this bar stop at this many quarter notes (where the band's
    # last note fell in its bar, 2 bars before), as a drummer carries a groove on a little after the band stops
    end_quarters: float | None = None
    kept: tuple[PlayedNote, ...] = ()  # the user's drums (role DRUMS) in `previous` up to the lead: heard, not band
    part: str | None = None  # the musician switched part before this bar (live/parts.py): from the next phrase


@dataclass
class LiveSession:
    """A stream between bars: the drummer's state, the last bar's clock, the run of silent bars."""

    roles: Sequence[str]  # the role of each part the stream named (api.ROLE_NAMES)
    state: Any  # the drummer's, opaque here
    idle_s: float = 10.0  # the server's idle limit; two bars at a slow tempo may be longer
    last_index: int = -1
    last_clock: BarClock | None = None
    silent_run: int = 0  # bars before the next one in which the band played nothing
    last_onset: float = 0.0  # where the band's last note fell in its bar, in quarter notes from its start
    decided: int = 0  # bars handed to the drummer
    rested: int = 0  # bars answered with rest
    rest_after: int | None = None  # --rest-after: rest after this many silent bars (None: `silent_limit`'s rule)
    heard_roles: set[str] = field(default_factory=set)  # the roles of every part heard so far
    switch: str | None = None  # a part switch asked since the last bar was handed over, for the next call

    def switch_part(self, part: str) -> None:
        """The musician switches part (a name or id, a style, "model"): the drummer hears it with the next bar's
        call and plays it from the next phrase; a later switch before that call replaces it."""
        self.switch = part.strip()[:MAX_PART_CHARS]

    def take(self, index: int, numerator: int, denominator: int, tempo_bpm: float,
             notes: Sequence[IncomingNote]) -> LiveCall | None:
        """Check one bar's message and return the drummer's call for it, or None when the drums rest. Raises
        LiveStreamError for a clock out of range or an index that does not go forward."""
        if len(notes) > MAX_BAR_NOTES:
            raise LiveStreamError(f"PlayAlong: bar {index} brings {len(notes):,} notes; a bar may bring at most "
                                  f"{MAX_BAR_NOTES:,}")
        if index <= self.last_index:
            raise LiveStreamError(f"PlayAlong: bar {index} came after bar {self.last_index}; send each bar once, in "
                                  "order (a new stream after a dropped connection goes on with the next bar's index)")
        bar = BarClock(index, *_meter(numerator, denominator), _tempo(tempo_bpm))
        skipped = self.last_index >= 0 and index > self.last_index + 1
        previous = BarClock(index - 1, bar.numerator, bar.denominator, bar.tempo_bpm) if skipped else self.last_clock
        if index > 0 and previous is None:  # a stream that starts past bar 0 (a reconnection): the same clock before
            previous = BarClock(index - 1, bar.numerator, bar.denominator, bar.tempo_bpm)
        played, kept = self._played(notes, previous), ()
        if DRUMS in self.roles:
            kept = tuple([note for note in played if note.role == DRUMS])
            played = [note for note in played if note.role != DRUMS]
        self.heard_roles.update({note.role for note in played})
        if played or kept:  # the user's own drums sounded in the bar too: it was not silent
            self.silent_run = 0
            self.last_onset = max((note.onset for note in played), default=previous.quarters if previous else 0.0)
        elif previous is not None:  # the bar before was silent, and so were any skipped (not heard) before it
            self.silent_run += 1 + (index - self.last_index - 1 if skipped else 0)
        self.last_index, self.last_clock = index, bar
        limit = self.silent_limit()
        if limit is not None and self.silent_run >= limit:
            self.rested += 1
            return None
        self.decided += 1
        ending = limit is not None and self.silent_run == limit - 1 and index > 0
        part, self.switch = self.switch, None
        return LiveCall(tuple(played), previous, bar, end_quarters=self.last_onset if ending else None, kept=kept,
                        part=part)

    def silent_limit(self) -> int | None:
        """After how many silent bars the drums rest: `rest_after` when given; else SILENT_BARS where a part other
        than the guitar has played (the whole band is heard, and it stopped), and never with the guitar alone (a
        drummer plays on through the guitar's pauses, until the stream ends)."""
        if self.rest_after is not None:
            return self.rest_after
        return SILENT_BARS if self.heard_roles - {"guitar"} else None

    def idle_limit_s(self) -> float:
        """How long the stream may send nothing: the server's limit, or IDLE_BARS bars at the last tempo."""
        if self.last_clock is None:
            return self.idle_s
        bar_s = self.last_clock.quarters * 60.0 / self.last_clock.tempo_bpm
        return max(self.idle_s, IDLE_BARS * bar_s)

    def _played(self, notes: Sequence[IncomingNote], previous: BarClock | None) -> list[PlayedNote]:
        """The notes as the drummer reads them (roles from the parts), those that cannot be in the bar left out: a
        live client's clock may put a note a hair past the barline. A duration that is not a finite number leaves
        the note out too; a longer one than the bar is cut to it (nothing past the bar is heard in it)."""
        if previous is None:
            return []
        length, roles = previous.quarters, self.roles
        parts, isfinite, new = len(roles), math.isfinite, tuple.__new__  # a PlayedNote without its Python __new__
        out = []
        for onset, duration, pitch, velocity, part in notes:
            if not (0 <= part < parts and 0 <= pitch <= 127 and 1 <= velocity <= 127 and 0.0 <= onset < length
                    and isfinite(duration)):
                continue
            duration = float(duration)
            out.append(new(PlayedNote, (float(onset), length if duration > length else duration if duration > 0.0
                                        else 0.0, int(pitch), int(velocity), roles[part])))
        return out


def run_call(drummer: Any, state: Any, call: LiveCall) -> tuple[list[DrumHit], Any]:
    """The job a worker runs for one bar: the user's drums of the bar before heard (a drummer that hears none, the
    stand-in loop, plays on), then the drummer's bar, cut where the drums end after the band stopped."""
    if call.kept and call.previous is not None and hasattr(drummer, "hear"):
        from seq2drum.live.features import kept_bar_hits

        state = drummer.hear(state, kept_bar_hits(call.kept, call.previous, drummer.steps_per_quarter,
                                                  drummer.width), [note.velocity for note in call.kept])
    if call.part is not None:
        state = _switched(drummer, state, call)
    hits, state = drummer.next_bar(state, list(call.played), call.previous, call.bar)
    return (ending_bar(hits, call.end_quarters) if call.end_quarters is not None else hits), state


def _switched(drummer: Any, state: Any, call: LiveCall) -> Any:
    """The state with the musician's part switch, or as it was for a part the drummer cannot play: that switch is
    refused (logged, with the reason) and the drums play on. One bad switch ended the whole stream INVALID_ARGUMENT
    (issue 98, low); the parts a musician may switch to are checked at the start (`check_switches`)."""
    try:
        if not hasattr(drummer, "switched"):
            raise ConfigError("this live drummer (the stand-in loop) plays no part you name")
        return drummer.switched(state, call.part, call.bar)
    except ConfigError as error:
        log.warning("PlayAlong: the switch to part %r before bar %d was refused, the drums play on: %s",
                    (call.part or "")[:80], call.bar.index, error)
        return state


def ending_bar(hits: Sequence[DrumHit], end_quarters: float) -> list[DrumHit]:
    """The second bar after the band's last note: the hits before `end_quarters` (where that note fell in its bar),
    none after. A drummer plays on through a bar's rest in the band (the bar after its last is played whole), and
    stops with it: the drums end less than 2 bars after the band's last note (../shared/scoring's validity), and if
    the band comes back, the groove was only cut short."""
    return [hit for hit in hits if hit.onset < end_quarters]


def roles_of(parts: Sequence[tuple[str, int, int]], keep_drums: bool = False) -> list[str]:
    """The role of each (name, GM program or -1, channel) part, as a file's parts get theirs (midi/roles.py); a part
    on channel 10 is the user's drums: DRUMS with `keep_drums` (kept and heard, as a file's), else "other"."""
    import numpy as np

    from seq2drum.midi.io import Part
    from seq2drum.midi.roles import part_role

    roles = []
    for number, (name, program, channel) in enumerate(parts):
        part = Part(number, int(channel), str(name), int(program), np.zeros((0, 4), dtype=np.int64))
        roles.append((DRUMS if keep_drums else "other") if part.is_drums else part_role(part))
    assert all(role in (*ROLE_NAMES, DRUMS) for role in roles)
    return roles


def played_as(options: Any, roles: Sequence[str]) -> Any:
    """The options a stream is played with: a stream that names guitar parts only, and keeps no drums of the user's,
    is the guitar alone (as --guitar-only), whose drums keep time from its first bar, as generation's do
    (generation/prepare.py `plays_from_the_top`)."""
    alone = bool(roles) and all(role == "guitar" for role in roles) and not options.keep_drums
    return replace(options, guitar_only=True) if alone and not options.guitar_only else options


def check_parts(parts: Sequence[object], switch_parts: Sequence[str] = ()) -> None:
    """LiveStreamError when a stream names more than MAX_PARTS parts, or more than MAX_SWITCH_PARTS parts to switch
    to, or one longer than MAX_PART_CHARS."""
    if len(parts) > MAX_PARTS:
        raise LiveStreamError(f"PlayAlong: the start names {len(parts):,} parts; a stream may name at most "
                              f"{MAX_PARTS}")
    if len(switch_parts) > MAX_SWITCH_PARTS or any(len(part) > MAX_PART_CHARS for part in switch_parts):
        raise LiveStreamError(f"PlayAlong: the start names {len(switch_parts):,} parts to switch to; a stream may "
                              f"name at most {MAX_SWITCH_PARTS}, each of at most {MAX_PART_CHARS} characters")


def check_switches(drummer: Any, switch_parts: Sequence[str]) -> None:
    """ConfigError when a part the musician may switch to (the helper's switch map) is one the drummer cannot play:
    said at the stream's start, before the band plays, not at the bar it is asked in."""
    if not switch_parts:
        return
    if not hasattr(drummer, "switched"):
        raise ConfigError("switch map: this live drummer (the stand-in loop) plays no part you name; leave the map out")
    from seq2drum.live.parts import checked

    for part in switch_parts:
        try:
            checked(part, drummer.planner)
        except ConfigError as error:
            raise ConfigError(f"switch map: {error}") from None


def clock_problem(numerator: int, denominator: int, tempo_bpm: float) -> str:
    """Why a stream cannot play a bar of this meter and tempo ("" when it can): the rule the server checks every bar
    against, and the helper's --simulate every bar of a file before it connects (a 1/64 meter or 60,000,000 BPM, read
    offline, was refused after connecting, issue 69 N8). A bar holds at most MAX_BAR_QUARTERS quarter notes, as a
    file's does: a 64/1 bar (256 quarters) was decided on the server's event loop for about 20 ms (issue 89 P5)."""
    if not 1 <= numerator <= MAX_NUMERATOR or denominator not in STREAM_DENOMINATORS:
        return (f"a meter of {numerator}/{denominator}; the numerator must be 1-{MAX_NUMERATOR} and the denominator "
                f"one of {', '.join(map(str, STREAM_DENOMINATORS))}")
    if numerator * 4 / denominator > MAX_BAR_QUARTERS:
        return (f"a meter of {numerator}/{denominator}; a bar holds at most {MAX_BAR_QUARTERS} quarter notes, as in a "
                f"file, and {numerator}/{denominator} holds {numerator * 4 / denominator:g}")
    low, high = TEMPO_RANGE_BPM
    if not low <= tempo_bpm <= high:
        return f"a tempo of {tempo_bpm:g} BPM; it must be {low:g}-{high:g} quarter notes per minute"
    return ""


def _meter(numerator: int, denominator: int) -> tuple[int, int]:
    problem = clock_problem(numerator, denominator, TEMPO_RANGE_BPM[0])
    if problem:
        raise LiveStreamError(f"PlayAlong: {problem}")
    return int(numerator), int(denominator)


def _tempo(tempo_bpm: float) -> float:
    problem = clock_problem(1, 4, tempo_bpm)
    if problem:
        raise LiveStreamError(f"PlayAlong: {problem}")
    return float(tempo_bpm)
