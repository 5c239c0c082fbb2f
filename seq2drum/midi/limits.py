"""What a song may be, before anything reads it: the limits on its length, bars, meters and parts, a meter asked
for by name (`parse_meter`), what `read_midi` takes (`ReadLimits`; a scan that only counts, `UNCOUNTED`), what the
readers say of the tempo events of 0 they leave out and of tempos no song plays at, and how a track's name or marker
is shown (`meta_text`). Standard library only: the DAW helper checks a file against these before sending it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from seq2drum.errors import ConfigError, MidiLimitError, MidiReadError, echoed, escape_controls

# The one song-length limit, in quarter notes (the unit the gRPC API advertises): 2048 bars of 4/4, 68 minutes at
# 120 BPM. A longer song is almost always a stray event far past the end.
MAX_SONG_QUARTERS = 8192
# The one bar-count limit, the same 2048 bars: a song's sections are found on a bars x bars similarity matrix, so
# 8192 quarters of 1/16 (32,768 bars of one step each) asked for 8 GiB. At this many, the matrix is 32 MiB.
MAX_SONG_BARS = 2048
# Meters a song can have: 1-64 beats (a real song has 36/32), a beat of a whole note down to a 64th, at most 32
# quarter notes to the bar.
MAX_METER_NUMERATOR = 64
MAX_METER_DENOMINATOR_POWER = 6  # 2**6 = 64
MAX_BAR_QUARTERS = 32
# The one part limit: a part is one channel of one track that plays notes. A real arrangement has a few dozen (the
# 1,848 songs of ../shared/data: at most 29); a play-along stream names at most as many (seq2drum.live.session).
MAX_SONG_PARTS = 64
# tempos a song plays at (quarter notes per minute): outside them a file's tempo is said (kept as written), as a
# tempo event of 0 is; live plays 10-400 (seq2drum.live.session)
SONG_TEMPO_RANGE_BPM = (5.0, 1000.0)
MAX_NAME_CHARS = 200  # of a track name or marker as shown (the file's own bytes are written back whole)
# Chunks that play no notes: chunks that are not tracks (SMF 1.0 tells a reader to skip them; none in the 1,848 songs
# of ../shared/data, a few in a Yamaha XF file) and tracks without notes (at most 34 tracks in all there). A header
# followed by zeros is millions of empty 8-byte chunks, each walked in Python: 60 MiB froze the studio's event loop
# 9 s (issue 98 Q3); past this many the file is refused, its scan having walked no further.
MAX_EMPTY_CHUNKS = 1024
# The largest MIDI file the command line reads, as the server's upload limit (ServerConfig.max_stream_bytes): the
# largest song of ../shared/data is 206 KB; 200 MB of zeros took 54 s and 676 MB before its error (issue 98 Q4).
MAX_SONG_FILE_BYTES = 64 * 1024 * 1024


def meter_problem(numerator: int, denominator: int) -> str:
    """Why no song has this meter ("" when a song can have it): the rule every input file's time signatures pass,
    and every meter asked for by name (drums from nothing)."""
    powers = [2**power for power in range(MAX_METER_DENOMINATOR_POWER + 1)]
    if denominator not in powers:
        return f"the denominator must be one of {', '.join(map(str, powers))}, got {denominator}"
    if not 1 <= numerator <= MAX_METER_NUMERATOR:
        return f"the numerator must be 1-{MAX_METER_NUMERATOR} beats, got {numerator}"
    if numerator * 4 / denominator > MAX_BAR_QUARTERS:
        return (f"a bar holds at most {MAX_BAR_QUARTERS} quarter notes, {numerator}/{denominator} holds "
                f"{numerator * 4 / denominator:g}")
    return ""


def parse_meter(text: str) -> tuple[int, int]:
    """"7/8" -> (7, 8), for a meter asked for by name; ConfigError unless it is NUM/DEN and passes `meter_problem`."""
    match = re.fullmatch(r"\s*(\d{1,4})\s*/\s*(\d{1,4})\s*", text or "")
    if not match:
        raise ConfigError(f"meter must be NUM/DEN like 4/4, 6/8 or 7/8, got {echoed(text)}")
    numerator, denominator = int(match[1]), int(match[2])
    problem = meter_problem(numerator, denominator)
    if problem:
        raise ConfigError(f"meter {numerator}/{denominator} is not one a song can have: {problem}")
    return numerator, denominator


def zero_tempo_notice(ticks: list[int], ticks_per_quarter: int) -> str:
    """What the readers say of the tempo events of 0 they leave out (at `ticks`; "" for none): the offline reader
    and the helper's --simulate alike (the output played at 120 BPM without a word, issue 69 N8)."""
    if not ticks:
        return ""
    where = f"at quarter note {min(ticks) // ticks_per_quarter:,}"
    what = f"a tempo event of 0 {where} is" if len(ticks) == 1 else \
        f"{len(ticks):,} tempo events of 0 (the first {where}) are"
    return (f"{what} left out (no music plays at 0 beats per minute): the tempo before goes on, MIDI's 120 BPM where "
            "none came before; set the tempo in your DAW and export again if that is not the song's")


def unplayable_tempo_notice(tempos: list[tuple[int, int]], ticks_per_quarter: int) -> str:
    """What the readers say of a tempo outside SONG_TEMPO_RANGE_BPM ("" for none): kept as written, but a song at
    60,000,000 BPM (1 microsecond a quarter) lasted "0 s of music" without a word."""
    low, high = SONG_TEMPO_RANGE_BPM
    odd = [(tick, 60_000_000 / us) for tick, us in tempos if us > 0 and not low <= 60_000_000 / us <= high]
    if not odd:
        return ""
    tick, bpm = odd[0]
    more = f" (and {len(odd) - 1:,} more)" if len(odd) > 1 else ""
    return (f"the file sets a tempo of {bpm:,.0f} BPM at quarter note {tick // ticks_per_quarter:,}{more}, outside the "
            f"{low:g}-{high:,g} quarter notes per minute songs play at; the drums follow it as written: set the tempo "
            "in your DAW and export again if that is not the song's")


@dataclass(frozen=True)
class ReadLimits:
    """What `read_midi` takes. Past these, a file is refused (MidiLimitError / SongTooLongError) before parsing.

    The defaults keep the slowest read near 3 s on a 2-core machine and leave room for any real song: a dense
    10-part, 10-minute arrangement holds about 20,000 notes.
    """

    max_notes: int = 50_000  # note-ons with a velocity, all tracks together
    max_events: int = 200_000  # every event: notes, controllers, meta and system-exclusive events
    max_tempo_changes: int = 10_000
    max_time_signature_changes: int = 10_000
    max_song_quarters: int = MAX_SONG_QUARTERS  # the last event's position, in quarter notes
    max_parts: int = MAX_SONG_PARTS  # channels that play notes, counted track by track

    def __post_init__(self) -> None:
        for name in ("max_notes", "max_events", "max_tempo_changes", "max_time_signature_changes",
                     "max_song_quarters", "max_parts"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"ReadLimits.{name} must be an int >= 1, got {value!r}")


UNCOUNTED = ReadLimits(max_notes=1 << 30, max_events=1 << 30, max_tempo_changes=1 << 30,
                       max_time_signature_changes=1 << 30)  # a scan that counts, never refuses


def meta_text(data: bytes) -> str:
    """The text of a track-name, instrument-name, marker or cue-point event, for display, as `midi_io` keeps it:
    UTF-8 where the bytes are valid UTF-8 (what DAWs write today), else Latin-1 (the older files), at most
    MAX_NAME_CHARS characters, and control characters escaped (\\xNN), since names go into every listing, message
    and log line (a name of 1 MB was printed whole, issue 69 N9). Display text only: a file
    written from a song writes the event's bytes back (`Part.written_name`), never this text."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    text = text.strip().strip("\x00")
    return escape_controls(text if len(text) <= MAX_NAME_CHARS else text[: MAX_NAME_CHARS - 3] + "...")


def too_large_file(label: str, size: int) -> MidiLimitError:
    """The one line for a song file past MAX_SONG_FILE_BYTES, refused by its size before it is read."""
    mib = 1024 * 1024
    return MidiLimitError(f"{label} is {size / mib:,.1f} MiB, more than the {MAX_SONG_FILE_BYTES / mib:g} MiB a "
                          "song's MIDI file may be (a long, dense song is under 1 MiB); export only the song's MIDI "
                          "parts from your DAW")


_AUDIO = "(audio, not notes)"
_KNOWN_STARTS = ((b"RIFF", f"it is a WAV or other RIFF file {_AUDIO}"), (b"ID3", f"it is an MP3 {_AUDIO}"),
                 (b"\xff\xfb", f"it is an MP3 {_AUDIO}"), (b"fLaC", f"it is a FLAC file {_AUDIO}"),
                 (b"OggS", f"it is an Ogg file {_AUDIO}"), (b"%PDF", "it is a PDF"),
                 (b"PK", "it is a zip archive (a compressed MusicXML .mxl, perhaps)"),
                 (b"<?xml", "it is an XML file (MusicXML, perhaps)"))


def what_it_is(data: bytes) -> str:
    """What a file that is not MIDI seems to be, in words: empty, a known kind by its first bytes, text (its first
    words), or none of these. Never a bytes repr: a musician reads it."""
    if not data:
        return "the file is empty"
    for start, words in _KNOWN_STARTS:
        if data.startswith(start):
            return words
    head = data[:40].decode("utf-8", errors="replace").rstrip("\ufffd")  # a character cut at byte 40 is dropped
    if head and "\ufffd" not in head and all(char.isprintable() or char in "\t\r\n" for char in head):
        words = " ".join(head.split())
        shown = words if len(words) <= 32 and len(data) <= 40 else words[:33].rsplit(" ", 1)[0][:32] + "..."
        return f'it holds text ("{shown}")' if words else "it holds only blank space"
    return "its first bytes are not a MIDI file's ('MThd')"


def too_many_empty_chunks(label: str, first_empty: int, zeros: bool) -> MidiReadError:
    """The one line for a file past MAX_EMPTY_CHUNKS chunks that play no notes (a header followed by zeros)."""
    return MidiReadError(
        f"{label} is corrupt: it holds more than {MAX_EMPTY_CHUNKS:,} chunks that play no notes (tracks without notes, "
        f"or chunks that are not tracks; from byte {first_empty:,}{', zeros read as empty chunks' if zeros else ''}), "
        "where a song holds a few; export the file again from your DAW")
