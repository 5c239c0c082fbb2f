"""Option sizes read from a request's raw bytes, before protobuf parses it: a flood of messages carrying megabytes of
option text (a 15 MB kit map, issue 22) is refused for the price of reading a few field headers, instead of
parsing and copying each message on the event loop that also answers health checks and admits real songs.

Only the protobuf wire format's field headers are read (varint keys and lengths); a message that is not well formed
is left to the parser, whose refusal stays as it was. A long repeated field (a bar's notes) is counted by protobuf's own
C parser over a skeleton of the message instead (`RepeatedCount`): walking 4,096 notes' headers in Python took 8-11 ms
of the event loop, a bar's whole parse 0.1-0.3 ms (issue 89 P5).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.message import DecodeError

from seq2drum.options import LONG_TEXT_CHARS, MAX_FILE_BYTES, OPTIONS

from .convert import MAX_OPTION_CHARS

_LENGTH_DELIMITED, _VARINT, _FIXED64, _FIXED32 = 2, 0, 1, 5
# GenerationOptions field number -> (option name, the most bytes a valid value can hold): text options at most
# MAX_OPTION_CHARS characters (UTF-8 holds one in at most 4 bytes; parts LONG_TEXT_CHARS), a file (the groove clip,
# the --parts-from song) at most its byte limit
_OPTION_LIMITS = {option.number: (option.name, 4 * LONG_TEXT_CHARS.get(option.name, MAX_OPTION_CHARS)
                                  if option.kind is str else MAX_FILE_BYTES[option.name])
                  for option in OPTIONS if option.kind in (str, bytes)}
SMALLEST_LIMIT = min(limit for _, limit in _OPTION_LIMITS.values())  # a shorter message cannot hold an oversized one


def _varint(data: memoryview, position: int) -> tuple[int, int]:
    """The varint at `position` and the position after it; ValueError past the end or after 10 bytes."""
    value = shift = 0
    for index in range(position, min(position + 10, len(data))):
        byte = data[index]
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, index + 1
        shift += 7
    raise ValueError("truncated varint")


def _fields(data: memoryview, start: int, end: int) -> Iterator[tuple[int, int, int, int]]:
    """(field number, wire type, value start, value end) of each field in data[start:end]; ValueError when the
    bytes are not well formed (the parser then refuses them as before)."""
    position = start
    while position < end:
        key, position = _varint(data, position)
        number, wire_type = key >> 3, key & 7
        if wire_type == _VARINT:
            _, after = _varint(data, position)
        elif wire_type == _LENGTH_DELIMITED:
            length, position = _varint(data, position)
            after = position + length
        elif wire_type in (_FIXED64, _FIXED32):
            after = position + (8 if wire_type == _FIXED64 else 4)
        else:
            raise ValueError(f"wire type {wire_type}")
        if after > end:
            raise ValueError("field past the end")
        yield number, wire_type, position, after
        position = after


MAX_HEADERS = 4096  # field headers read from one message: no valid request has as many outside its notes


class _TooMany(Exception):
    """More field headers than the walk may read."""


class _Walk:
    """Field headers of one message's bytes, read lazily along a path of field numbers, at most `budget` of them
    (a message of a million 2-byte fields would otherwise cost seconds of Python on the event loop)."""

    def __init__(self, data: bytes, budget: int) -> None:
        self.view = memoryview(data)
        self.budget = budget

    def headers(self, start: int, end: int) -> Iterator[tuple[int, int, int, int]]:
        for header in _fields(self.view, start, end):
            self.budget -= 1
            if self.budget < 0:
                raise _TooMany
            yield header

    def spans(self, path: tuple[int, ...], start: int = 0, end: int | None = None) -> Iterator[tuple[int, int]]:
        """The spans of the messages at `path` (field numbers, outermost first)."""
        end = len(self.view) if end is None else end
        if not path:
            yield start, end
            return
        for number, wire_type, value_start, value_end in self.headers(start, end):
            if number == path[0] and wire_type == _LENGTH_DELIMITED:
                yield from self.spans(path[1:], value_start, value_end)


def oversized_option(data: bytes, options_path: tuple[int, ...]) -> str | None:
    """What is wrong when the GenerationOptions at `options_path` (field numbers, outermost first: (2,) for
    GenerateRequest.options, (1, 1) for PlayAlongRequest.start.options) of this message's bytes holds a text or
    bytes option longer than any valid value, or when finding out takes more than MAX_HEADERS field headers; None
    when nothing is (or the bytes do not parse: left to protobuf)."""
    walk = _Walk(data, MAX_HEADERS)
    try:
        for start, end in walk.spans(options_path):
            for field, kind, value_start, value_end in walk.headers(start, end):
                name, limit = _OPTION_LIMITS.get(field, ("", 0))
                if name and kind == _LENGTH_DELIMITED and value_end - value_start > limit:
                    most = (f"{limit:,} bytes in a groove clip" if name == "groove_midi" else
                            f"{limit:,} bytes in a --parts-from song" if name == "parts_from" else
                            f"{limit // 4:,} characters in {name}")
                    return (f"{name} holds {value_end - value_start:,} bytes, more than any valid value (this server "
                            f"takes at most {most})")
    except _TooMany:
        return f"the message holds more than {MAX_HEADERS:,} fields on the way to its options; no valid one does"
    except ValueError:
        return None
    return None


def too_many(data: bytes, path: tuple[int, ...], field: int, limit: int, slack: int = 64) -> bool:
    """Whether the message at `path` in these bytes holds field `field` more than `limit` times, or whether more than
    `limit + slack` field headers (at any depth on the way) must be read to tell; reads headers only up to that point
    (a PlayAlong start of 400,000 parts costs 65, where parsing it took 1.1 s holding the GIL). False when the bytes
    do not parse (left to protobuf). A message too short to hold either is not walked: every field takes 2 bytes or
    more of its level (a key and at least a byte of value), so `path` holds at most len(data) / 2 headers a level
    (a bar of 60 notes was walked header by header on the event loop, about 530 Python calls a bar, 20 now)."""
    if len(data) <= 2 * limit and (len(path) + 1) * len(data) <= 2 * (limit + slack):
        return False
    walk = _Walk(data, limit + slack)
    counted = 0
    try:
        for start, end in walk.spans(path):
            for number, _, _, _ in walk.headers(start, end):
                counted += number == field
                if counted > limit:
                    return True
    except _TooMany:
        return True
    except ValueError:
        return False
    return False


class RepeatedCount:
    """How many entries a repeated field holds in a message's raw bytes, read by protobuf's C parser over a skeleton of
    the message: each level holds only the field on the way, and the counted field's entries are kept as bytes, not
    parsed (a bar of 4,096 notes: 0.06 ms, where walking their headers in Python took 8-11 ms). Its cost grows with the
    fields in the message (about 14 ns each), so the caller bounds the message's length first."""

    def __init__(self, message_type: Any, *names: str) -> None:
        file = descriptor_pb2.FileDescriptorProto(name="seq2drum_skeleton.proto", package="skeleton", syntax="proto3")
        descriptor = message_type.DESCRIPTOR
        for depth, name in enumerate(names):
            field = descriptor.fields_by_name[name]
            level = file.message_type.add(name=f"Level{depth}")
            last = depth == len(names) - 1
            kind = descriptor_pb2.FieldDescriptorProto
            if last:  # the entries, as bytes
                level.field.add(name=name, number=field.number, label=kind.LABEL_REPEATED, type=kind.TYPE_BYTES)
            else:
                level.field.add(name=name, number=field.number, label=kind.LABEL_OPTIONAL, type=kind.TYPE_MESSAGE,
                                type_name=f".skeleton.Level{depth + 1}")
            descriptor = field.message_type
        pool = descriptor_pool.DescriptorPool()
        pool.Add(file)
        self._skeleton = message_factory.GetMessageClass(pool.FindMessageTypeByName("skeleton.Level0"))
        self._names = names

    def count(self, data: bytes) -> int | None:
        """The entries of the field in `data`; None when the bytes do not parse (left to protobuf's real parse)."""
        try:
            message = self._skeleton.FromString(data)
        except DecodeError:
            return None
        for name in self._names:
            message = getattr(message, name)
        return len(message)


@dataclass(frozen=True)
class Unparsed:
    """A long request message's bytes, parsed when its handler calls `parse` on a thread: gRPC runs deserializers on
    the event loop, where a PlayAlong start of 400,000 parts took 1.1 s to parse while health checks waited."""

    data: bytes
    parser: Callable[[bytes], Any]

    def parse(self) -> Any:
        return self.parser(self.data)
