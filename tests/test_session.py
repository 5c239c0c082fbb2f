"""seq2drum/live/session.py: a play-along stream's bars without a transport: order, clocks, silence, skipped bars,
the band's parts by role, notes that cannot be in their bar."""

from __future__ import annotations

import pytest

from seq2drum.live.api import PlayedNote
from seq2drum.live.session import IncomingNote, LiveSession, LiveStreamError, roles_of

NOTE = IncomingNote(0.0, 0.5, 40, 100, 0)


def test_silence_counts_the_bars_the_band_left_empty() -> None:
    session = LiveSession(["guitar"], None, rest_after=2)
    heard = {1, 2, 6}  # the messages that carry notes (of the bar before)
    decided = [session.take(n, 4, 4, 120.0, [NOTE] if n in heard else []) is not None for n in range(9)]
    assert decided == [True, True, True, True, False, False, True, True, False]
    assert session.rested == 3 and session.decided == 6


def test_a_skipped_bar_counts_as_silent_and_keeps_the_clock() -> None:
    session = LiveSession(["guitar"], None, rest_after=2)
    session.take(0, 7, 8, 140.0, [])
    call = session.take(3, 7, 8, 140.0, [NOTE])  # bars 1 and 2 never came
    assert call is not None and call.previous is not None and call.previous.index == 2
    assert call.previous.numerator == 7 and call.played[0].role == "guitar"
    assert session.take(5, 4, 4, 120.0, []) is None  # bar 4 silent, and bar 3 not heard: 2 silent bars


def test_the_drums_rest_when_the_band_stops_and_play_on_through_the_guitars_pauses() -> None:
    """Issue 40: with a part besides the guitar heard, 2 silent bars rest the drums; with the guitar alone they play
    on (a drummer does), until the stream ends; --rest-after N rests after N silent bars either way."""
    heard = {1, 2, 6}
    bass = IncomingNote(0.0, 0.5, 28, 100, 1)
    band = LiveSession(["guitar", "bass"], None)
    assert [band.take(n, 4, 4, 120.0, [NOTE, bass] if n in heard else []) is not None for n in range(9)] == [
        True, True, True, True, False, False, True, True, False]
    alone = LiveSession(["guitar", "bass"], None)
    assert all(alone.take(n, 4, 4, 120.0, [NOTE] if n in heard else []) is not None for n in range(9))
    assert alone.rested == 0 and alone.silent_limit() is None
    asked = LiveSession(["guitar"], None, rest_after=1)
    assert [asked.take(n, 4, 4, 120.0, [NOTE] if n in heard else []) is not None for n in range(9)] == [
        True, True, True, False, False, False, True, False, False]


def test_a_stream_that_starts_past_bar_zero_is_a_reconnection() -> None:
    call = LiveSession(["bass"], None).take(12, 4, 4, 100.0, [NOTE])
    assert call is not None and call.previous.index == 11 and call.played[0].role == "bass"


@pytest.mark.parametrize("index, meter, tempo, message", [
    (0, (4, 4), 120.0, "came after"), (1, (0, 4), 120.0, "numerator"), (1, (4, 6), 120.0, "denominator"),
    (1, (4, 4), 5.0, "tempo"),
], ids=["back", "numerator", "denominator", "tempo"])
def test_bad_bars_are_refused(index: int, meter: tuple[int, int], tempo: float, message: str) -> None:
    session = LiveSession(["guitar"], None)
    session.take(0, 4, 4, 120.0, [])
    with pytest.raises(LiveStreamError, match=message):
        session.take(index, *meter, tempo, [])


def test_notes_that_cannot_be_in_their_bar_are_left_out() -> None:
    session = LiveSession(["guitar"], None)
    session.take(0, 3, 4, 120.0, [])
    notes = [NOTE, IncomingNote(3.0, 0.5, 40, 100, 0), IncomingNote(1.0, 0.5, 40, 0, 0),
             IncomingNote(1.0, 0.5, 40, 100, 4), IncomingNote(-0.1, 0.5, 40, 100, 0)]
    call = session.take(1, 3, 4, 120.0, notes)
    assert call is not None and [note.onset for note in call.played] == [0.0]


def test_the_idle_limit_is_two_bars_at_a_slow_tempo() -> None:
    session = LiveSession(["guitar"], None, idle_s=10.0)
    assert session.idle_limit_s() == 10.0
    session.take(0, 4, 4, 30.0, [])  # a bar of 8 s
    assert session.idle_limit_s() == pytest.approx(16.0)


def test_parts_get_their_roles_as_a_files_parts_do() -> None:
    parts = [("Bass", 33, 1), ("Lead Gtr", 29, 2), ("", -1, 9), ("Vocals", 25, 3), ("", 0, 4), ("", -1, 5)]
    assert roles_of(parts) == ["bass", "guitar", "other", "melody", "keys", "other"]
    assert roles_of(parts, keep_drums=True)[2] == "drums"  # channel 10, kept: the user's drums


def test_the_drums_end_less_than_two_bars_after_the_bands_last_note() -> None:
    """A bar's rest in the band is played through; in the second bar after the band's last note the drums stop where
    that note fell in its bar, then they rest (../shared/scoring's validity: within 2 bars of the last onset)."""
    from seq2drum.live.api import DrumHit
    from seq2drum.live.session import ending_bar

    session = LiveSession(["guitar", "bass"], None)
    late = IncomingNote(2.5, 0.5, 40, 100, 1)
    calls = [session.take(n, 4, 4, 120.0, [NOTE, late] if n in (1, 2) else []) for n in range(5)]
    assert [None if call is None else call.end_quarters for call in calls] == [None, None, None, 2.5, None]
    groove = [DrumHit(0.0, 36, 100), DrumHit(1.0, 38, 110), DrumHit(2.5, 42, 70), DrumHit(3.5, 42, 70)]
    assert [hit.onset for hit in ending_bar(groove, 2.5)] == [0.0, 1.0]


def test_bars_the_users_drums_play_are_not_silent_and_are_heard_not_played() -> None:
    """With keep_drums the channel-10 part's notes are the user's drums: they keep the bar from silence, come to the
    drummer as the bar's kept drums (`LiveCall.kept`, heard before the next bar) and never as the band's notes."""
    from seq2drum.live.session import DRUMS

    session = LiveSession(["guitar", DRUMS], None, rest_after=2)
    kick = IncomingNote(0.0, 0.25, 36, 100, 1)
    calls = [session.take(n, 4, 4, 120.0, [kick] if n in (1, 2) else []) for n in range(6)]  # bars 0 and 1 kept
    decided = [call is not None for call in calls]
    assert [call.kept for call in calls[1:3]] == [(PlayedNote(0.0, 0.25, 36, 100, DRUMS),)] * 2
    assert not any(call.played for call in calls if call is not None) and session.heard_roles == set()
    assert decided == [True, True, True, True, False, False]  # 2 silent bars after the kept ones, then rest
