"""A stand-in live drummer: a plain backbeat in each bar's meter, for a server without a live model (`python -m
server --live-loop`, or when `models/live.pt` is missing) and for tests of the stream that need no model.

It keeps the `api.LiveDrummer` contract (a small picklable state, drums from (seed, bar) only), so everything that
plays along (the stream, the helper's `--simulate`) runs the same with it as with the causal model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from seq2drum.live.api import BarClock, DrumHit, PlayedNote
from seq2drum.midi.drums import CLOSED_HAT, KICK, SNARE, class_to_pitch

KICK_PITCH, SNARE_PITCH, HAT_PITCH = (class_to_pitch(c) for c in (KICK, SNARE, CLOSED_HAT))  # GM notes
ACCENT, BEAT, OFFBEAT = 110, 96, 72  # velocities: downbeat, other beats, hats between them


@dataclass(frozen=True)
class LoopState:
    seed: int


class LoopDrummer:
    """`api.LiveDrummer`: kick on the odd beats and snare on the even ones (an odd number of beats: kick on the first,
    snare on the middle one), closed hat on every eighth note, as the evaluation's loop baseline plays."""

    name = "backbeat-loop"
    lead_quarters = 0.25  # the start of the last 16th of the bar before

    def begin(self, options: Any, seed: int, groove: bytes | None = None) -> LoopState:
        return LoopState(int(seed))

    def next_bar(self, state: LoopState, played: Sequence[PlayedNote], previous: BarClock | None,
                 bar: BarClock) -> tuple[list[DrumHit], LoopState]:
        beat_quarters = 4.0 / bar.denominator * (3 if _compound(bar) else 1)
        beats = max(1, round(bar.quarters / beat_quarters))
        hits = []
        for beat in range(beats):
            onset = beat * beat_quarters
            if beats % 2 == 0:
                pitch = KICK_PITCH if beat % 2 == 0 else SNARE_PITCH
            else:
                pitch = KICK_PITCH if beat == 0 else SNARE_PITCH if beat == beats // 2 else None
            if pitch is not None:
                hits.append(DrumHit(onset, pitch, ACCENT if beat == 0 else BEAT))
        eighth = 0.5
        steps = int(round(bar.quarters / eighth))
        hits += [DrumHit(n * eighth, HAT_PITCH, BEAT if n % 2 == 0 else OFFBEAT) for n in range(steps)]
        return sorted(hits, key=lambda hit: (hit.onset, hit.pitch)), state


def _compound(bar: BarClock) -> bool:
    """6/8, 9/8, 12/8 (and /16): counted in dotted beats of three eighths."""
    return bar.denominator >= 8 and bar.numerator % 3 == 0 and bar.numerator > 3
