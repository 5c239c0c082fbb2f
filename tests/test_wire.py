"""Option sizes read from a request's raw bytes before parsing (server/wire.py, issue 22's flood)."""

from __future__ import annotations

import pytest

from seq2drum.rpc import seq2drum_pb2 as pb
from server.wire import oversized_option

GENERATE_OPTIONS = (pb.GenerateRequest.DESCRIPTOR.fields_by_name["options"].number,)
STREAM_OPTIONS = (pb.GenerateStreamRequest.DESCRIPTOR.fields_by_name["options"].number,)
PLAY_ALONG_OPTIONS = (1, 1)  # PlayAlongRequest.start.options


def test_an_oversized_text_option_is_named_from_the_raw_bytes() -> None:
    data = pb.GenerateRequest(midi=b"MThd" * 100, options=pb.GenerationOptions(
        seed=3, temperature=0.5, kit_map='{"' + "x" * 40_000 + '": 1}')).SerializeToString()
    assert oversized_option(data, GENERATE_OPTIONS).startswith("kit_map holds 40,007 bytes, more than any valid")


def test_valid_and_malformed_requests_are_left_to_the_parser() -> None:
    valid = pb.GenerateRequest(midi=b"x" * 100_000, options=pb.GenerationOptions(
        style="straight-8ths", kit_map='{"kick": 36}', groove_midi=b"y" * 50_000, takes=4)).SerializeToString()
    assert oversized_option(valid, GENERATE_OPTIONS) is None
    assert oversized_option(b"\xff" * 1000, GENERATE_OPTIONS) is None  # not protobuf: the parser's refusal stands
    assert oversized_option(valid[: len(valid) // 2], GENERATE_OPTIONS) is None  # truncated
    assert oversized_option(b"", GENERATE_OPTIONS) is None


def test_the_stream_opening_and_the_groove_clip_are_checked_too() -> None:
    opening = pb.GenerateStreamRequest(options=pb.GenerationOptions(track="r" * 50_000)).SerializeToString()
    assert oversized_option(opening, STREAM_OPTIONS).startswith("track holds 50,000 bytes")
    clip = pb.GenerateRequest(options=pb.GenerationOptions(groove_midi=b"z" * 2_000_000)).SerializeToString()
    assert oversized_option(clip, GENERATE_OPTIONS).startswith("groove_midi holds 2,000,000 bytes")
    chunk = pb.GenerateStreamRequest(midi_chunk=b"c" * 100_000).SerializeToString()
    assert oversized_option(chunk, STREAM_OPTIONS) is None  # song bytes are not options


def test_the_check_reads_headers_only() -> None:
    """The text's bytes are never decoded: invalid UTF-8 (which the parser would refuse after copying it) gets the
    size refusal, from the field's length alone."""
    good = pb.GenerateRequest(options=pb.GenerationOptions(kit_map="x" * 40_000)).SerializeToString()
    bad = good.replace(b"x" * 40_000, b"\xff" * 40_000)
    assert oversized_option(bad, GENERATE_OPTIONS) == oversized_option(good, GENERATE_OPTIONS) is not None


def test_an_oversized_option_in_a_play_along_start_is_named() -> None:
    """Issue 42, 2: the raw-bytes check covered Generate and GenerateStream only; a PlayAlong start's options sit
    one message deeper (PlayAlongRequest.start.options)."""
    start = pb.PlayAlongRequest(start=pb.PlayAlongStart(options=pb.GenerationOptions(
        kit_map='{"' + "x" * 40_000 + '": 1}'), parts=[pb.LivePart(name="Guitar")])).SerializeToString()
    assert oversized_option(start, PLAY_ALONG_OPTIONS).startswith("kit_map holds 40,007 bytes")
    bar = pb.PlayAlongRequest(bar=pb.PlayedBar(index=1, notes=[pb.LiveNote(pitch=40)] * 10)).SerializeToString()
    assert oversized_option(bar, PLAY_ALONG_OPTIONS) is None


def test_repeated_fields_are_counted_from_the_raw_bytes_up_to_the_limit() -> None:
    """Issue 42, 3 and 5: a start of 400,000 parts took 1.1 s to parse; its parts are counted from the field
    headers, stopping at the first past the limit."""
    from server.wire import too_many

    start = pb.PlayAlongRequest(start=pb.PlayAlongStart(parts=[pb.LivePart()] * 65)).SerializeToString()
    assert too_many(start, (1,), 2, 64) and not too_many(start, (1,), 2, 65)
    bar = pb.PlayAlongRequest(bar=pb.PlayedBar(index=3, notes=[pb.LiveNote(pitch=40)] * 10)).SerializeToString()
    assert not too_many(bar, (1,), 2, 64)  # a bar holds no start
    assert too_many(bar, (2,), 5, 9) and not too_many(bar, (2,), 5, 10)
    assert too_many(b"\x0a\x00" * 200, (1,), 2, 64)  # 200 empty starts: more headers than any valid message
    assert too_many(b"\xff" * 10, (1,), 2, 0) is False  # not protobuf: left to the parser


def test_a_message_too_short_to_hold_more_fields_than_the_limit_is_not_walked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every play-along bar was walked header by header on the event loop (about 530 Python calls for 60 notes); a
    message of at most 2 x limit bytes cannot hold more than the limit (each field takes 2 bytes or more), so it is
    let through unwalked, and the answers stay those of the walk."""
    from server import wire

    note = pb.LiveNote(onset_quarters=0.5, duration_quarters=0.25, pitch=40, velocity=90, part=1)
    bar = pb.PlayAlongRequest(bar=pb.PlayedBar(index=3, numerator=4, denominator=4, tempo_bpm=120,
                                               notes=[note] * 60)).SerializeToString()
    walked = wire.too_many(bar, (2,), 5, 4096)
    monkeypatch.setattr(wire, "_fields", lambda *_: pytest.fail("walked"))
    assert wire.too_many(bar, (2,), 5, 4096) is walked is False
    monkeypatch.undo()
    for size in range(0, 200, 7):  # at the bound and around it, the walk's answers
        data = pb.PlayAlongRequest(bar=pb.PlayedBar(notes=[pb.LiveNote()] * size)).SerializeToString()
        assert wire.too_many(data, (2,), 5, 64) == (size > 64)


def test_a_message_of_a_million_tiny_fields_is_not_walked_whole() -> None:
    """Found by the live flood: the options check walked all 400,000 parts of a start (1 s of Python on the event
    loop) to find its options. Every walk now stops after MAX_HEADERS field headers and refuses the message."""
    from server.wire import MAX_HEADERS

    tiny_fields = b"\x08\x01" * (MAX_HEADERS + 1)  # field 1 (temperature's number, as a varint): 2 bytes each
    assert "more than 4,096 fields" in oversized_option(tiny_fields + b"\x12\x00", GENERATE_OPTIONS)
    start = pb.PlayAlongRequest(start=pb.PlayAlongStart(parts=[pb.LivePart()] * 5000)).SerializeToString()
    assert "more than 4,096 fields" in oversized_option(start, PLAY_ALONG_OPTIONS)


def test_a_repeated_field_is_counted_by_protobufs_parser() -> None:
    from server.wire import RepeatedCount

    notes = RepeatedCount(pb.PlayAlongRequest, "bar", "notes")
    bar = pb.PlayAlongRequest(bar=pb.PlayedBar(index=3, notes=[pb.LiveNote(pitch=40)] * 4097)).SerializeToString()
    assert notes.count(bar) == 4097
    assert notes.count(pb.PlayAlongRequest(start=pb.PlayAlongStart()).SerializeToString()) == 0
    assert notes.count(b"\xff" * 10) is None  # not protobuf: left to the parser
    assert RepeatedCount(pb.PlayAlongRequest, "start", "parts").count(
        pb.PlayAlongRequest(start=pb.PlayAlongStart(parts=[pb.LivePart()] * 3)).SerializeToString()) == 3


def test_a_bar_of_4096_notes_is_checked_without_walking_its_headers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 89 P5: every bar past 128 bytes was walked header by header on the event loop, 8-11 ms for 4,096 notes
    (its parse takes 0.1-0.3 ms), so one player's big bars held every other player's. Now no Python walks a bar's
    notes: protobuf's parser counts them, and the refusals stay as they were."""
    from server import app, wire

    deserialize = app._lenient("PlayAlong", pb.PlayAlongRequest.FromString)
    note = pb.LiveNote(onset_quarters=0.5, duration_quarters=0.25, pitch=40, velocity=90, part=1)
    walked: list[int] = []
    fields = wire._fields
    monkeypatch.setattr(wire, "_fields", lambda *args: walked.append(1) or fields(*args))
    for count, refused in ((4096, False), (4097, True)):
        walked.clear()
        data = pb.PlayAlongRequest(bar=pb.PlayedBar(index=3, numerator=4, denominator=4, tempo_bpm=120,
                                                    notes=[note] * count)).SerializeToString()
        answer = deserialize(data)
        assert isinstance(answer, wire.Unparsed) is not refused
        assert not refused or "the bar holds 4,097 notes; a bar may hold at most 4,096" in answer.error().args[0]
        assert len(walked) <= 4  # the top-level headers of the option checks, none of the notes


def test_a_bar_the_loop_decides_comes_parsed_and_its_notes_uncounted(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 102: every PlayAlong message was parsed on a thread (a hop there and back cost the server about 0.1 ms of
    CPU a bar, for a parse of microseconds) and every bar's notes were counted by a second, C parse first. A bar of
    up to 256 notes now comes parsed, and one too short to hold MAX_BAR_NOTES notes is not counted; a longer message
    still comes unparsed, for a thread, and is counted."""
    from server import app, wire

    counted: list[int] = []
    count = wire.RepeatedCount.count
    monkeypatch.setattr(wire.RepeatedCount, "count", lambda self, data: counted.append(1) or count(self, data))
    deserialize = app._lenient("PlayAlong", pb.PlayAlongRequest.FromString)
    note = pb.LiveNote(onset_quarters=0.5, duration_quarters=0.25, pitch=40, velocity=90, part=1)
    for notes, parsed, checked in ((36, True, 0), (256, True, 0), (400, False, 1)):
        counted.clear()
        answer = deserialize(pb.PlayAlongRequest(bar=pb.PlayedBar(index=3, numerator=4, denominator=4, tempo_bpm=120,
                                                                  notes=[note] * notes)).SerializeToString())
        assert isinstance(answer, wire.Unparsed) is not parsed and len(counted) == checked
        assert len((answer if parsed else answer.parse()).bar.notes) == notes


def test_a_bar_longer_than_any_valid_one_is_refused_by_its_length() -> None:
    """A bar of 4,096 notes takes at most 152 KiB; 500,000 empty notes (1 MB) cost the C count 7 ms, so a message
    past MAX_BAR_MESSAGE_BYTES is refused by its length once its top level shows a bar. A start that long (a groove
    clip) passes."""
    from server import app, wire
    from server.live_stream import MAX_BAR_MESSAGE_BYTES

    deserialize = app._lenient("PlayAlong", pb.PlayAlongRequest.FromString)
    tiny = pb.PlayAlongRequest(bar=pb.PlayedBar(notes=[pb.LiveNote()] * 500_000)).SerializeToString()
    assert len(tiny) > MAX_BAR_MESSAGE_BYTES
    assert "a bar takes at most 262,144" in deserialize(tiny).error().args[0]
    clip = pb.PlayAlongRequest(start=pb.PlayAlongStart(options=pb.GenerationOptions(groove_midi=b"M" * 500_000),
                                                       parts=[pb.LivePart(name="Guitar")])).SerializeToString()
    assert isinstance(deserialize(clip), wire.Unparsed)
