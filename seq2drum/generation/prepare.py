"""Generation's first stage: the song the drums are made for, read and on its grid, with its guitar chosen once.

`prepare` reads the file (or builds drums from nothing's stand-in), chooses the guitar parts, makes room for a
count-in (moving the song later, guitar with it, when asked to), and turns the song into the bars the network reads.
Drums from nothing also set the sections and the structure they force (a `Steering`) here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from seq2drum.config import DataConfig
from seq2drum.options import GenerationOptions
from seq2drum.groove import count_in, from_nothing
from seq2drum.groove.policy import Steering
from seq2drum.midi.io import GuitarChoice, MidiSong, choose_guitar, merged_notes
from seq2drum.midi.roles import parts_by_role
from seq2drum.song.bars import BarSong, FeatureSpec, bar_song
from seq2drum.song.encode import EncodedSong, encode_song, listened_notes


@dataclass
class PreparedSong:
    """A song ready to score: the parsed song (moved later for a count-in when `moved_bars`), its guitar, its grid
    and bars, the notes the drums listen to (the guitar alone, or every listened part with a band model; swing is
    read off them), and the structure drums from nothing force (None: the model decides)."""

    song: MidiSong
    choice: GuitarChoice
    encoded: EncodedSong
    bars: BarSong
    moved_bars: int
    listened: np.ndarray  # (n, 4) start/end/pitch/velocity ticks, sorted by start
    steering: Steering | None = None


def prepare(midi: bytes | MidiSong | None, options: GenerationOptions, data_config: DataConfig,
            spec: FeatureSpec) -> PreparedSong:
    """Read the song (or make drums from nothing's stand-in), choose its guitar once, make room for the count-in,
    and put it on the grid as the network's bars. Raises `MidiReadError`, `NoGuitarError`, `CountInError`."""
    song = from_nothing.song_to_play(midi, options, only_guitar=not data_config.listen_to_band)
    choice = song.guitar_choice if song.guitar_choice and song.guitar_track == options.track else None
    choice = choice or choose_guitar(song, options.track)  # the reader chose it when it read only the guitar
    moved_song, moved_bars = count_in.make_room(song, merged_notes(choice.parts), options.count_in_bars,
                                                options.merge, data_config.steps_per_quarter)
    if moved_bars:
        choice = same_parts(choice, song, moved_song)
    encoded = encode_song(moved_song, data_config, track=options.track, with_drums=False, guitar_parts=choice.parts)
    bars = bar_song(encoded, spec)
    steering = None
    if options.from_nothing:
        from_nothing.shape_bars(bars)
        steering = from_nothing.steering(bars.n_bars)
    listened = merged_notes(choice.parts)
    if data_config.listen_to_band:
        listened = listened_notes(parts_by_role(moved_song, choice.parts))
    return PreparedSong(moved_song, choice, encoded, bars, moved_bars, listened, steering)


def same_parts(choice: GuitarChoice, song: MidiSong, moved: MidiSong) -> GuitarChoice:
    """The choice made on `song`, as the same parts of `moved` (count_in.moved keeps the parts in order)."""
    indices = [next(i for i, part in enumerate(song.parts) if part is chosen) for chosen in choice.parts]
    return replace(choice, parts=[moved.parts[i] for i in indices])
