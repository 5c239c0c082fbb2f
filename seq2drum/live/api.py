"""The contract of live play-along: what a bar's notes look like on their way in, what a bar's drums look like on
their way out, and the drummer that turns one into the other, bar by bar.

A live drummer decides the drums of bar n at a lead before bar n (by default at the start of bar n-1's last 16th),
from everything played until then. It is a pure function of a small state so that any worker of the server's shared
pool can decide any stream's next bar: the stream keeps the state between bars and hands it over with the notes.
The same seed gives the same drums whatever the timing of the calls: randomness is drawn from (seed, bar index).

Stdlib only: the server, the session logic, `--simulate` and the tests all speak it; the causal model (`models/live.pt`)
and the stand-in loop drummer both implement `LiveDrummer`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

ROLE_NAMES = ("guitar", "bass", "keys", "melody", "other")  # midi/roles.py's ROLES, repeated to stay stdlib-only
MODEL_PART = "model"  # a part switch back to the model's own choice (live/parts.py)
MAX_PART_CHARS = 200  # a part's name, id or style as a stream carries it: the longest is well under this


class PlayedNote(NamedTuple):
    """One note the band played, timed in quarter notes from the start of the bar it belongs to. A tuple, as
    session.py's IncomingNote: a bar's few dozen are made on the server's event loop every bar, and a frozen
    dataclass's `__init__` cost 3.6 us a note there (five `object.__setattr__`), a tuple's 0.2 us."""

    onset: float  # quarter notes from the bar's start, 0 <= onset < the bar's length
    duration: float  # quarter notes; a note still sounding at the lead has the duration known so far
    pitch: int  # 0-127
    velocity: int  # 1-127
    role: str  # one of ROLE_NAMES


@dataclass(frozen=True)
class BarClock:
    """Where a bar sits in the song and how long it is."""

    index: int  # bars from the start of the stream, 0-based
    numerator: int
    denominator: int
    tempo_bpm: float  # quarter notes per minute at the bar's start

    @property
    def quarters(self) -> float:
        """The bar's length in quarter notes."""
        return self.numerator * 4.0 / self.denominator


class DrumHit(NamedTuple):
    """One drum note of a decided bar (GM drums, played on channel 10). A tuple, as `PlayedNote`: a bar's hits are
    made on the server's event loop every bar."""

    onset: float  # quarter notes from the bar's start; may be a little below 0 when the feel pushes the downbeat
    pitch: int  # GM drum note
    velocity: int  # 1-127
    duration: float = 0.25  # quarter notes


class LiveDrummer(Protocol):
    """Decides one bar at a time. `state` is opaque to callers, small and picklable. A drummer may also have
    `after_bar(state) -> state`: work for the bars after (the model drummer's hearing of the band), which a server runs
    on a thread once a bar's drums are sent and takes in with `merged(state, done) -> state` before the bar it is due
    at (`waits(state, index) -> bool`: whether that bar must wait for it); a caller that does not run it changes no
    drums (the call of the bar it is due at runs it)."""

    def begin(self, options: Any, seed: int, groove: bytes | None = None) -> Any:
        """The state before the first bar: `options` a `seq2drum.options.GenerationOptions`, `groove` a MIDI clip
        whose drums the drummer continues (as `--groove`), or None."""
        ...

    def next_bar(self, state: Any, played: Sequence[PlayedNote], previous: BarClock | None,
                 bar: BarClock) -> tuple[list[DrumHit], Any]:
        """The drums of `bar` and the state after it. `played` holds the notes of the bar before (`previous`; None
        for the first bar) up to the lead, timed from that bar's start; earlier bars came in earlier calls."""
        ...
