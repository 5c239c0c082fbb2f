"""The project's own exceptions: one per kind of failure a user can act on.

Third-party failures (music21, torch.load, the file system) are converted to these at exactly one place each,
so callers (CLI, server, notebooks) only ever catch `Seq2DrumError` and show its message.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# C0, DEL and C1 (terminal escapes, line breaks, NULs); the bidirectional overrides and isolates, and the line and
# paragraph separators (U+202E shows "evil\u202Egnp.mid" as "evilmid.png")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")


def escape_controls(text: str) -> str:
    """`text` with every control character written as \\xNN (\\uNNNN past U+00FF), for text from a file or a client
    that goes into a message, a printed line or a log line: a track or file name cannot colour a terminal, forge a
    log line or turn the rest of a line around. Escaping twice changes nothing more."""
    return _CONTROL.sub(lambda found: (f"\\x{ord(found.group()):02x}" if ord(found.group()) < 0x100
                                       else f"\\u{ord(found.group()):04x}"), text)


# The longest line a message may be, wherever it is shown (the server's status details, the command line, the helper,
# the studio), and how much of a value a message repeats back: a 6,000-character --fills gave a 6,073-byte line
MAX_MESSAGE_CHARS = 2000
ECHO_CHARS = 80


def echoed(value: object, max_chars: int = ECHO_CHARS) -> str:
    """A value as a message repeats it back: its repr, cut to `max_chars` with its length said past that."""
    text = repr(value)
    if len(text) <= max_chars:
        return text
    length = f" ({len(value):,} characters)" if isinstance(value, str) else ""
    return f"{text[: max_chars - 3]}...{length}"


def cut_line(text: str, max_chars: int = MAX_MESSAGE_CHARS) -> str:
    """A message cut to `max_chars`, saying so: any line the project shows, however long what it names."""
    return text if len(text) <= max_chars else text[: max_chars - 20] + " ... (message cut)"


class Seq2DrumError(Exception):
    """Base class: the message says what went wrong and what to do about it."""


class MidiReadError(Seq2DrumError):
    """The bytes are not a MIDI file we can read (corrupt, truncated, empty, or holding no notes)."""


class SongTooLongError(MidiReadError):
    """The song runs past the length we generate for (often a stray event far past the end)."""


class MidiLimitError(MidiReadError):
    """The file holds more notes, events, tempo or meter changes than the reader takes (see midi_scan.ReadLimits)."""


class GrooveClipError(MidiReadError):
    """A `--groove` clip we cannot play from: not MIDI, no drums on channel 10, or in another meter than the song."""


class NoGuitarError(Seq2DrumError):
    """The file has no part we can take as the guitar; the message lists the parts to choose from."""

    def __init__(self, message: str, parts: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.parts = list(parts)


class CountInError(Seq2DrumError):
    """The guitar enters too early for the count-in asked for, and the song may not be moved (no merge)."""


class NoDrumsError(Seq2DrumError):
    """A training song has no drum part on channel 10."""


class SongTooShortError(Seq2DrumError):
    """A training song has fewer bars than DataConfig.min_song_bars."""


class DataFolderError(Seq2DrumError):
    """The training folder is missing, empty, or yields no usable song."""


class CheckpointError(Seq2DrumError):
    """A checkpoint is missing, corrupt, or written by an incompatible version."""


class DeviceError(Seq2DrumError):
    """The device asked for cannot be had: --device cuda without a GPU, or more processes on a machine than GPUs."""


class ConfigError(Seq2DrumError, ValueError):
    """A configuration value is out of range."""


class AudioExtraMissingError(Seq2DrumError):
    """`--audio` was asked for, but the audio extra (synthesiser and SoundFont) is not installed."""
