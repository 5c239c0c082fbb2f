"""Generation's first stage: the song the drums are made for, read and on its grid, with the parts they listen to
chosen once (the guitar, and with a model that listens to the band, every other part by role) and the drums the user
gave (generation/given.py).

`prepare` reads the file (or builds drums from nothing's stand-in), chooses the guitar parts (none, when a band
model plays to a file without a guitar), makes room for a count-in (moving the song later, parts with it, when asked
to), and turns the song into the bars the network reads. Drums from nothing also set the sections and the structure
they force (a `Steering`) here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from seq2drum.band import BandDescription, HeardBand, band_bars, counted_form, hear, summarize
from seq2drum.config import DataConfig
from seq2drum.errors import ConfigError, MidiReadError, NoGuitarError
from seq2drum.generation.given import GivenDrums, first_kept_bar, given_drums
from seq2drum.options import DEFAULT_METER, DEFAULT_TEMPO_QPM, GenerationOptions
from seq2drum.generation import from_nothing
from seq2drum.groove import Steering
from seq2drum.midi.io import GuitarChoice, MidiSong, Part, choose_guitar, merged_notes, read_midi
from seq2drum.midi.roles import BASS, GUITAR, OTHER, ROLES, band_listing, part_role, parts_by_role
from seq2drum.song.band import role_onsets_per_bar
from seq2drum.song.bars import BarSong, FeatureSpec, bar_song
from seq2drum.song.encode import EncodedSong, encode_song
from seq2drum.song.grid import BAR_START
from seq2drum.song.move import make_room


@dataclass
class PreparedSong:
    """A song ready to score: the parsed song (moved later for a count-in when `moved_bars`), its guitar and the
    other parts listened to (swing is read off them, part by part), its grid and bars, the structure drums from
    nothing force (None: the model decides), and the drums the user gave (None: none)."""

    song: MidiSong
    choice: GuitarChoice
    encoded: EncodedSong
    bars: BarSong
    moved_bars: int
    steering: Steering | None = None
    band_parts: list[Part] | None = None  # the parts listened to beside the guitar; None: the guitar alone
    given: GivenDrums | None = None
    from_the_top: bool = False  # the guitar alone: the drums start at the file's first bar (`plays_from_the_top`)
    # what the drums heard of the band (seq2drum.band): the genre (the musician's --genre where given: the plan
    # will read it here), the time and the form; None for drums from nothing
    heard: HeardBand | None = None
    described: BandDescription | None = None  # what the band is (seq2drum.band), read once: the touch reads it too

    @property
    def listened_parts(self) -> list[Part]:
        """Every part the drums listened to, in the song's order (what --merge copies)."""
        chosen = {id(part) for part in [*self.choice.parts, *(self.band_parts or [])]}
        return [part for part in self.song.parts if id(part) in chosen]

    def heard_by_role(self) -> list[tuple[str, np.ndarray]]:
        """What the drums listened to, a role at a time in the band's order (the guitar first): "role: the parts'
        names" and the role's notes merged, (N, 4) in the song's ticks; roles with no notes left out (--plot)."""
        by_role: dict[str, list[Part]] = {GUITAR: [part for part in self.choice.parts if len(part.notes)]}
        for part in self.band_parts or []:
            role = part_role(part)
            by_role.setdefault(OTHER if role == GUITAR else role, []).append(part)  # as parts_by_role sorts them
        return [(f"{role}: {', '.join(part.name.strip() or '(unnamed)' for part in parts)}", merged_notes(parts))
                for role in ROLES if (parts := [part for part in by_role.get(role, []) if len(part.notes)])]

    @property
    def guitar_notes_per_part(self) -> list[np.ndarray]:
        """The notes of each guitar part that holds any (swing is read part by part, the guitar first:
        feel/swing.py)."""
        return [part.notes for part in self.choice.parts if len(part.notes)]

    @property
    def band_notes_per_part(self) -> list[np.ndarray]:
        """The notes of each other part listened to that holds any (none with the guitar alone)."""
        return [part.notes for part in self.band_parts or [] if len(part.notes)]

    @property
    def bass_notes_per_part(self) -> list[np.ndarray]:
        """The notes of each bass part listened to that holds any (the swing's second reading: feel/swing.py)."""
        return [part.notes for part in self.band_parts or [] if len(part.notes) and part_role(part) == BASS]


def listens_to_band(options: GenerationOptions, data_config: DataConfig) -> bool:
    """Whether the drums listen to every part: a model that listens to the band, unless --guitar-only."""
    return data_config.listen_to_band and not options.guitar_only


def reads_guitar_only(options: GenerationOptions, data_config: DataConfig) -> bool:
    """Whether the guitar's notes are all generation reads of a file (`read_midi(only_guitar=...)`): not when the
    drums listen to the band, nor when the input's drums are kept."""
    return not (listens_to_band(options, data_config) or options.keep_drums)


def song_to_play(midi: bytes | MidiSong | None, options: GenerationOptions, only_guitar: bool = True) -> MidiSong:
    """The song the drums are made for: the one given (parsed here from bytes: the guitar's notes alone when
    `only_guitar`, every part's for a model that listens to the band), or for drums from nothing (`options.bars`)
    the stand-in, its count-in bars left empty before it. ConfigError for both, MidiReadError for neither."""
    given = isinstance(midi, MidiSong) or bool(midi)
    if options.bars is None:
        if not given:
            raise MidiReadError("the MIDI data is empty (0 bytes): send a guitar part exported from your DAW, or set "
                                "bars (with tempo and meter) for drums from nothing")
        if isinstance(midi, MidiSong):
            return midi
        return read_midi(midi, only_guitar=only_guitar, track=options.track)  # type: ignore[arg-type]
    if given:
        raise ConfigError("bars (with tempo and meter) makes drums from nothing: send no MIDI file with it, or leave "
                          "bars, tempo and meter unset to make drums for the song")
    meter = from_nothing.Meter.parse(options.meter or DEFAULT_METER)
    tempo_qpm = options.tempo_qpm or DEFAULT_TEMPO_QPM
    return from_nothing.stand_in_song(options.bars, tempo_qpm, meter, options.count_in_bars)


def prepare(midi: bytes | MidiSong | None, options: GenerationOptions, data_config: DataConfig,
            spec: FeatureSpec) -> PreparedSong:
    """Read the song (or make drums from nothing's stand-in), choose the parts listened to once, make room for the
    count-in, put it on the grid as the network's bars, and gather the drums the user gave. Raises `MidiReadError`,
    `NoGuitarError`, `CountInError`, `GrooveClipError`."""
    band = listens_to_band(options, data_config) and not options.from_nothing
    song = song_to_play(midi, options, only_guitar=reads_guitar_only(options, data_config))
    choice = listened_choice(song, options, band)
    others = band_parts(song, choice) if band else []
    moved_song, moved_bars = make_room(song, merged_notes(choice.parts or others), options.count_in_bars,
                                                options.merge, data_config.steps_per_quarter)
    if moved_bars:
        choice = same_parts(choice, song, moved_song)
        others = same_parts(GuitarChoice(others, [], ""), song, moved_song).parts
    config = data_config if band else replace(data_config, listen_to_band=False)
    band_read = None if options.from_nothing else band_bars(moved_song)
    band_described = None if band_read is None else summarize(band_read, moved_song.parts)
    encoded = encode_song(moved_song, config, track=options.track, with_drums=False, guitar_parts=choice.parts,
                          described=band_described.to_json() if band_described else None)
    if not band:
        encoded.band = None  # --guitar-only: the band's columns stay silent whatever was read
    encoded.first_bar = first_kept_bar(moved_song, encoded.grid, encoded.first_bar, options.keep_drums)
    top = plays_from_the_top(options, bool(others))
    if top:
        encoded.first_bar = 0
    heard = hear(band_described, options.genre) if band_described else None  # the genre: the musician's or heard
    bars = bar_song(encoded, spec, counted_form(band_described, band_read.chroma) if band_described else None,
                    heard.genre if heard else options.genre)
    if not choice.parts:  # no guitar: a bar "plays" where any part listened to does (rests, floors, sections' bars)
        onsets = role_onsets_per_bar(encoded.guitar, encoded.band_features(), encoded.grid)
        bars.guitar_plays = onsets[encoded.first_bar : encoded.end_bar].sum(axis=1) > 0
    steering = None
    if options.from_nothing:
        from_nothing.shape_bars(bars)
        steering = from_nothing.steering(bars.n_bars)
    band_end_bar = int(np.searchsorted(encoded.grid.bars[:, BAR_START], encoded.last_onset_step, side="right"))
    given = None if options.from_nothing else given_drums(
        moved_song, encoded.grid, encoded.first_bar, bars.n_bars, spec.max_bar_steps, options.keep_drums,
        options.groove_midi, data_config.steps_per_quarter, band_end_bar, options.fill_breaks)
    return PreparedSong(moved_song, choice, encoded, bars, moved_bars, steering, others if band else None,
                        given, top, heard, band_described)


def plays_from_the_top(options: GenerationOptions, band_heard: bool) -> bool:
    """Whether the drums start at the file's first bar rather than where the guitar enters: the guitar alone
    (--guitar-only, or a file with no other part to hear), no count-in asked for, no drums of the user's kept. A guitar
    part handed over alone keeps its song's timeline, and the parts not handed over play before it enters; drummers
    play in 64% of those bars (5-fold: the 468 of 624 songs whose guitar enters after their first bar), where
    starting with the guitar left every one silent."""
    return not band_heard and not options.from_nothing and not options.keep_drums and not options.count_in_bars


def listened_choice(song: MidiSong, options: GenerationOptions, band: bool) -> GuitarChoice:
    """The guitar parts (see `choose_guitar`; the reader's choice when it made one for the same track). A file with
    no guitar but other parts, played by a model that listens to the band without --track: no guitar part (rather
    than several parts guessed to be the guitar), and a notice saying whom the drums follow. NoGuitarError
    otherwise, as `choose_guitar` raises it."""
    if song.guitar_choice and song.guitar_track == options.track:
        return song.guitar_choice
    try:
        choice = choose_guitar(song, options.track)
        # no part says guitar: a lone part is still taken as one, several are a band heard by their roles
        if not band or choice.reason != "whole file" or len(choice.parts) == 1:
            return choice
    except NoGuitarError:
        chosen_track = options.track is not None and str(options.track).strip()
        if not band or chosen_track or not any(part.note_count for part in song.melodic_parts):
            raise
    listing = band_listing(song, [])
    return GuitarChoice([], [], "no guitar", notice=f"no guitar part: the drums follow {'; '.join(listing)}")


def band_parts(song: MidiSong, choice: GuitarChoice) -> list[Part]:
    """The parts listened to beside the guitar (their notes read), in the song's order."""
    chosen = {id(part) for role, parts in parts_by_role(song, choice.parts).items() if role != GUITAR
              for part in parts if part.notes_read}
    return [part for part in song.parts if id(part) in chosen]


def same_parts(choice: GuitarChoice, song: MidiSong, moved: MidiSong) -> GuitarChoice:
    """The choice made on `song` (or any list of its parts), as the same parts of `moved` (song.move.moved keeps the
    parts in order)."""
    indices = [next(i for i, part in enumerate(song.parts) if part is chosen) for chosen in choice.parts]
    return replace(choice, parts=[moved.parts[i] for i in indices])
