"""Hostile files built in code that stay within the offline reader's limits, so a reader has to play them, not refuse
them (issue 55 L7): many meter or tempo events, many tracks, many short bars densely filled. Used by
tests/test_song_bars.py and bench/bench_simulate_read.py.
"""

from __future__ import annotations

from tests.builders import (
    PPQ,
    note_off,
    note_on,
    program_change,
    smf_bytes,
    tempo_event,
    time_signature_event,
    timed_track,
    track_chunk,
    track_name_event,
    vlq,
)

OVERLONG_BYTES = 268_435_455  # the largest 4-byte variable-length number
# where the overlong event starts: 14 header bytes, 8 of MTrk, the track name (10 with its delta), the program (3),
# the event's delta (1)
OVERLONG_OFFSET = 14 + 8 + 10 + 3 + 1


def many_meter_events(bars: int = 2000, per_bar: int = 5) -> bytes:
    """`bars` bars of 4/4, each starting with `per_bar` meter events at its first tick (the last, 4/4, plays)."""
    timed = [(bar * 4 * PPQ, time_signature_event(3 if k < per_bar - 1 else 4, 4))
             for bar in range(bars) for k in range(per_bar)]
    timed += [(bar * 4 * PPQ + 1, note_on(0, 40, 100)) for bar in range(bars)]
    timed += [(bar * 4 * PPQ + PPQ, note_off(0, 40)) for bar in range(bars)]
    return smf_bytes([timed_track(timed)])


def many_tempo_events(n_events: int = 10_000) -> bytes:
    """A tempo event every 16th (a note on each) for `n_events` 16ths."""
    timed = [(i * PPQ // 4, tempo_event(500_000 + i % 7)) for i in range(n_events)]
    timed += [(i * PPQ // 4, note_on(0, 40 + i % 12, 100)) for i in range(n_events)]
    timed += [(i * PPQ // 4 + PPQ // 8, note_off(0, 40 + i % 12)) for i in range(n_events)]
    return smf_bytes([timed_track(timed)])


def many_tracks(n_tracks: int = 20_000) -> bytes:
    """`n_tracks` tracks of one guitar note each, on 64 16ths."""
    return smf_bytes([track_chunk([(0, program_change(0, 29)), ((i % 64) * PPQ // 4, note_on(0, 40 + i % 24, 100)),
                                   (PPQ // 4, note_off(0, 40 + i % 24))]) for i in range(n_tracks)])


def dense_sixty_fourths(bars: int = 2048, per_bar: int = 24) -> bytes:
    """A 1/64 meter (a bar of PPQ / 16 ticks) for `bars` bars, `per_bar` notes starting in each."""
    bar_ticks = PPQ // 16
    timed = [(0, time_signature_event(1, 64))]
    for bar in range(bars):
        for k in range(per_bar):
            start = bar * bar_ticks + k * bar_ticks // per_bar
            timed += [(start, note_on(0, 30 + k, 100)), (start + 1, note_off(0, 30 + k))]
    return smf_bytes([timed_track(timed)])


def overlong_event_song(kind: str) -> bytes:
    """Issue 69 N5: a guitar track whose third event, a system-exclusive event (`kind` "sysex") or a text meta event
    ("meta"), declares OVERLONG_BYTES bytes, followed by 32 notes: music21 reads the rest of the track as its data."""
    event = (b"\xf0" if kind == "sysex" else b"\xff\x01") + vlq(OVERLONG_BYTES) + b"\x01\x02\xf7"
    notes = [timed for i in range(32) for timed in ((0, note_on(0, 40 + i % 5, 100)),
                                                    (PPQ // 4, note_off(0, 40 + i % 5)))]
    return smf_bytes([track_chunk([(0, track_name_event("Guitar")), (0, program_change(0, 29)), (0, event), *notes])])
