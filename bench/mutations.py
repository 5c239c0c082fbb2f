"""The hostile inputs both fuzzers send (bench/fuzz.py in process, bench/fuzz_server.py over real channels):
real-shaped MIDI files built in code, mutated the ways a broken export or an attacker would, hostile options and
broken request bytes, each case rebuilt from (seed, index).
"""

from __future__ import annotations

import random
import struct

from seq2drum.rpc import seq2drum_pb2 as pb
from tests.builders import (
    chord_track,
    conductor_events,
    format0_song_bytes,
    notes_from_steps,
    riff,
    rock_song_bytes,
    smf_bytes,
    tempo_event,
    timed_track,
)


def base_files() -> list[bytes]:
    guitar, drums = notes_from_steps(riff(4), length_steps=2), notes_from_steps([(s, 36) for s in range(0, 64, 4)])
    return [
        rock_song_bytes(4),
        rock_song_bytes(8, tempos=[(0, 500_000), (960, 300_000)], time_signatures=[(0, 4, 4), (1920, 7, 8)]),
        format0_song_bytes(guitar, drums, 480, [(0, 500_000)], [(0, 3, 4)]),
        smf_bytes([timed_track(conductor_events([(0, 600_000)], [(0, 6, 8)])), chord_track(400)]),
    ]


class Mutator:
    """Seeded, so a failing case can be rebuilt from (seed, index)."""

    KINDS = ("flip", "cut", "vlq", "meter", "tempo-flood", "splice", "header", "chunk-length", "random", "stack")
    LONG_KINDS = ("long-ff", "long-varint")  # past --max-bytes, up to --max-run-bytes
    REQUEST_KINDS = ("options", "proto")  # the song is fine; the options or the request's bytes are not

    def __init__(self, seed: int, max_bytes: int, max_run_bytes: int = 1 << 20) -> None:
        self.rng = random.Random(seed)
        self.max_bytes = max_bytes
        self.max_run_bytes = max_run_bytes
        self.bases = base_files()

    def case(self, index: int) -> tuple[str, bytes, bytes]:
        """(kind, MIDI bytes, the serialized GenerateRequest carrying them)."""
        kind = self.rng.choice(self.KINDS + self.LONG_KINDS + self.REQUEST_KINDS)
        data = bytearray(self.rng.choice(self.bases))
        options = pb.GenerationOptions(seed=index)
        if kind == "stack":  # several mutations on one file
            for _ in range(self.rng.randint(2, 4)):
                data = self.mutate(self.rng.choice(self.KINDS[:-2]), data)
        elif kind in self.LONG_KINDS:
            data = self.long_run(kind, data)
        elif kind == "options":
            options = self.hostile_options(index)
        elif kind != "proto":
            data = self.mutate(kind, data)
        cap = self.max_run_bytes if kind in self.LONG_KINDS else self.max_bytes
        midi = bytes(data[:cap])
        request = pb.GenerateRequest(midi=midi, options=options).SerializeToString()
        if kind == "proto":
            request = self.hostile_request(request)
        return kind, midi, request

    def long_run(self, kind: str, data: bytearray) -> bytearray:
        """A long run of 0xFF (or of any continuation bytes) where a delta time, an event length or the data ends."""
        rng = self.rng
        length = rng.choice([2100, 5000, 100_000, 400_000, self.max_run_bytes])
        fill = b"\xff" if kind == "long-ff" else bytes([rng.randrange(0x80, 0x100)])
        run = fill * length + (b"" if rng.random() < 0.3 else bytes([rng.randrange(128)]))
        at = rng.choice([len(data), rng.randrange(min(22, len(data)), len(data) + 1)])
        if rng.random() < 0.3:  # as a meta event's length: FF 03 <length>
            run = b"\x00\xff\x03" + run
        data[at:at] = run
        chunk = data.find(b"MTrk")
        if chunk >= 0 and rng.random() < 0.7:  # the chunk's length covering the run, or not
            data[chunk + 4 : chunk + 8] = struct.pack(">I", min(len(data) - chunk - 8, 0xFFFFFFFF))
        return data

    def hostile_options(self, index: int) -> pb.GenerationOptions:
        """Huge numbers in every option that holds a number as text, deep JSON, control characters, huge texts."""
        rng = self.rng
        digits = "9" * rng.choice([20, 4301, 5000, 100_000])
        choices = {
            "track": [digits, "\u00b2", "1,\u0663", f"{digits},1", "\x1b[2J\nGuitar", "\x00" * 100, "x" * 20_000],
            "fills": [f"every:{digits}", "every:-1", "every:\u00b2", "every:1e400"],
            "meter": [f"{digits}/4", f"4/{digits}", "\u00b2/4", "4/4\n"],
            "kit_map": ["[" * rng.choice([1000, 5000, 100_000]), f'{{"kick": {digits}}}', '{"kick": 1e400}',
                        '{"' + "x" * rng.choice([100, 8000, 100_000]) + '": 36}', '{"kick": NaN}',
                        '{"kick": [' * 3000 + "]" * 3000 + "}", '{"\x1b[31mkick": 36}'],
            "style": [digits, "\x1b[31mwaltz", "x" * 50_000],
            "cymbal": [digits, "\n"],
        }
        name = rng.choice(sorted(choices))
        text = rng.choice(choices[name])
        bars = {"bars": rng.choice([1, 4, 2**32 - 1])} if name == "meter" else {}
        return pb.GenerationOptions(seed=index, **bars, **{name: text})

    def hostile_request(self, request: bytes) -> bytes:
        """The request's protobuf bytes broken: invalid UTF-8 in a string, long varints, flips, cuts, garbage."""
        rng = self.rng
        data = bytearray(request)
        how = rng.choice(["utf8", "varint", "flip", "cut", "garbage"])
        if how == "utf8":  # options (field 2) holding track (field 3) as bytes that are not UTF-8
            bad = bytes([rng.choice([0x80, 0xC0, 0xFF, 0xED])]) + bytes(rng.getrandbits(8) for _ in range(3))
            inner = b"\x1a" + bytes([len(bad)]) + bad
            data += b"\x12" + bytes([len(inner)]) + inner
        elif how == "varint":  # a tag or a length that never ends, or ends far out
            at = rng.randrange(len(data) + 1)
            data[at:at] = b"\x0a" + b"\xff" * rng.choice([10, 11, 100, 100_000]) + bytes([rng.randrange(128)])
        elif how == "flip":
            for _ in range(rng.randint(1, 8)):
                data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        elif how == "cut":
            data = data[: rng.randrange(len(data))]
        else:
            data = bytearray(rng.getrandbits(8) for _ in range(rng.randint(1, 4096)))
        return bytes(data)

    def mutate(self, kind: str, data: bytearray) -> bytearray:
        rng = self.rng
        if not data:
            return data
        if kind == "flip":
            for _ in range(rng.randint(1, 12)):
                position = rng.randrange(len(data))
                data[position] ^= 1 << rng.randrange(8)
        elif kind == "cut":
            data = data[: rng.randrange(len(data))]
        elif kind == "vlq":  # a huge variable-length number: a delta time or an event length
            at = rng.randrange(min(22, len(data)), len(data) + 1)
            data[at:at] = b"\xff" * rng.choice([4, 8, 40, 600, 2000]) + bytes([rng.randrange(128)])
        elif kind == "meter":
            at = data.find(b"\xff\x58\x04")
            if at >= 0:
                data[at + 3 : at + 5] = bytes([rng.choice([0, 1, 7, 36, 64, 65, 255, rng.randrange(256)]),
                                               rng.choice([0, 1, 2, 3, 6, 7, 31, 255, rng.randrange(256)])])
        elif kind == "tempo-flood":
            at = data.find(b"MTrk")
            if at >= 0:
                count = rng.choice([10, 1000, 3000])
                flood = b"".join(rng.choice([b"\x00", b"\x01"]) + tempo_event(rng.choice([0, 1, 2**24 - 1, 500_000]))
                                 for _ in range(count))
                data[at + 8 : at + 8] = flood
                length = struct.unpack(">I", data[at + 4 : at + 8])[0] + len(flood)
                data[at + 4 : at + 8] = struct.pack(">I", min(length, 0xFFFFFFFF))
        elif kind == "splice":
            at = rng.randrange(len(data) + 1)
            data[at:at] = bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 256)))
        elif kind == "header":
            field = rng.choice([(4, ">I", [0, 5, 7, 0xFFFFFFFF]), (8, ">H", [0, 1, 2, 3, 0xFFFF]),
                                (10, ">H", [0, 1, 9, 0xFFFF]), (12, ">H", [0, 1, 3, 0x7FFF, 0x8000, 0xE728, 0xFFFF])])
            offset, fmt, values = field
            if len(data) >= offset + struct.calcsize(fmt):
                data[offset : offset + struct.calcsize(fmt)] = struct.pack(fmt, rng.choice(values))
        elif kind == "chunk-length":
            starts = [i for i in range(len(data) - 8) if data[i : i + 4] == b"MTrk"]
            if starts:
                at = rng.choice(starts)
                data[at + 4 : at + 8] = struct.pack(">I", rng.choice([0, 1, 2, 0x7FFFFFFF, 0xFFFFFFFF]))
        elif kind == "random":
            data = bytearray((b"MThd" if rng.random() < 0.5 else b"") + bytes(
                rng.getrandbits(8) for _ in range(rng.randint(0, 2048))))
        return data
