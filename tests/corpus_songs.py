"""Songs built in code for the training-data tests (encode, cache, corpus, batches): a waltz, a song with an
intro before the guitar enters, and a folder with two good songs and one of each kind of skip."""

from __future__ import annotations

from seq2drum.config import DataConfig
from seq2drum.midi.io import read_midi
from seq2drum.midi.write import TrackSpec
from seq2drum.song.encode import EncodedSong, encode_song
from tests.builders import backbeat, format0_song_bytes, notes_from_steps, riff, rock_song_bytes, song_bytes

CONFIG = DataConfig()


def waltz_bytes(bars: int = 8) -> bytes:
    """A format-0 song in 3/4 at 100 BPM: guitar riff and an oom-pah-pah groove."""
    drums = []
    for bar in range(bars):
        base = bar * 12
        drums += [(base, 36, 110), (base + 4, 38, 90), (base + 8, 38, 85)] + [(base + s, 42, 70) for s in (0, 4, 8)]
    return format0_song_bytes(
        notes_from_steps(riff(bars, steps_per_bar=12), length_steps=2),
        notes_from_steps(drums),
        tempos=((0, 600_000),),
        time_signatures=((0, 3, 4),),
    )


def intro_song_bytes(intro_bars: int = 2, bars: int = 8) -> bytes:
    """Drums from bar 0, the guitar only from bar `intro_bars` on."""
    guitar = notes_from_steps(
        [(step + intro_bars * 16, pitch) for step, pitch in riff(bars - intro_bars)], length_steps=2
    )
    return song_bytes(guitar, notes_from_steps(backbeat(bars)))


BASS = notes_from_steps([(s, 28) for s in range(0, 128, 4)], length_steps=4)
PIANO = notes_from_steps([(s, 60) for s in range(0, 128, 8)], length_steps=8)


def folder_songs() -> dict[str, bytes]:
    """Two good songs, and one of each kind of skip."""
    return {
        "rock.mid": rock_song_bytes(8),
        "waltz.MID": waltz_bytes(8),
        "no_guitar.mid": song_bytes(
            drums=notes_from_steps(backbeat(8)), extra=[TrackSpec("Bass", 1, BASS, 33), TrackSpec("Piano", 2, PIANO, 0)]
        ),
        "no_drums.mid": song_bytes(notes_from_steps(riff(8), length_steps=2)),
        "corrupt.mid": b"MThd\x00\x00\x00\x06\x00\x01\x00\x02\x01\xe0MTrk\x00\x00\x10\x00\x00\x90",
        "too_short.mid": rock_song_bytes(2),
    }


def encoded(data: bytes, config: DataConfig = CONFIG, name: str = "song") -> EncodedSong:
    """One song from MIDI bytes, with its drums."""
    return encode_song(read_midi(data), config, name=name)
