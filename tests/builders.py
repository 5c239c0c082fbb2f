"""Test music built in code: guitar and drum parts from small (step, pitch) lists, and tiny models.

No file from any data set is used by the tests that do not say so (those are marked `needs_data`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from seq2drum.model.checkpoint import save_checkpoint
from seq2drum.config import DataConfig, ModelConfig
from seq2drum.song.bars import FeatureSpec
from seq2drum.groove.codebook import GrooveCodebook
from seq2drum.midi.io import DRUM_CHANNEL
from seq2drum.midi.write import TrackSpec, write_midi
from seq2drum.model.network import ARCHITECTURE, build_model

PPQ = 480


def notes_from_steps(
    events: Sequence[tuple[int, int]] | Sequence[tuple[int, int, int]],
    ticks_per_quarter: int = PPQ,
    steps_per_quarter: int = 4,
    length_steps: int = 1,
    offset_ticks: int = 0,
) -> np.ndarray:
    """(step, pitch) or (step, pitch, velocity) triples -> (N, 4) notes [start_tick, end_tick, pitch, velocity]."""
    ticks_per_step = ticks_per_quarter // steps_per_quarter
    rows = []
    for event in events:
        step, pitch = event[0], event[1]
        velocity = event[2] if len(event) > 2 else 100
        start = step * ticks_per_step + offset_ticks
        rows.append([start, start + length_steps * ticks_per_step, pitch, velocity])
    return np.array(rows, dtype=np.int64).reshape(-1, 4)


def riff(bars: int, steps_per_bar: int = 16, root: int = 40) -> list[tuple[int, int]]:
    """A power-chord eighth-note riff: root and fifth on every eighth, the root moving each bar."""
    events = []
    for bar in range(bars):
        for step in range(0, steps_per_bar, 2):
            base = root + (0, 5, 7, 3)[bar % 4]
            events += [(bar * steps_per_bar + step, base), (bar * steps_per_bar + step, base + 7)]
    return events


BLUES_CHANGES = (0, 0, 0, 0, 5, 5, 0, 0, 7, 5, 0, 7)  # a 12-bar blues in E: E7 E7 E7 E7 A7 A7 E7 E7 B7 A7 E7 B7


def blues(choruses: int = 3, root: int = 40) -> list[tuple[int, int]]:
    """A 12-bar blues (I-IV-V: E7 A7 B7 as BLUES_CHANGES), `choruses` times, as power chords: root and fifth on
    every eighth, the same pattern in every bar, on the bar's chord (the guitar's novelty alone finds no chorus)."""
    events = []
    for bar in range(12 * choruses):
        base = root + BLUES_CHANGES[bar % 12]
        events += [(bar * 16 + step, pitch) for step in range(0, 16, 2) for pitch in (base, base + 7)]
    return events


COMPING_RHYTHMS = ((0, 2, 4, 6, 8, 10, 12, 14), (0, 3, 4, 7, 8, 11, 12, 15), (0, 4, 6, 8, 12, 14), (2, 6, 10, 14))


def comped_blues(choruses: int = 4, root: int = 40, seed: int = 7) -> list[tuple[int, int]]:
    """The 12-bar blues of `blues`, `choruses` times, comped freely: each bar's power chord on the bar's change, in a
    rhythm of COMPING_RHYTHMS drawn bar by bar (seeded), so the changes repeat every 12 bars and the rhythm never."""
    events = []
    for bar in range(12 * choruses):
        base = root + BLUES_CHANGES[bar % 12]
        rhythm = COMPING_RHYTHMS[int(np.random.default_rng([seed, bar]).integers(len(COMPING_RHYTHMS)))]
        events += [(bar * 16 + step, pitch) for step in rhythm for pitch in (base, base + 7)]
    return events


def backbeat(bars: int, steps_per_bar: int = 16) -> list[tuple[int, int, int]]:
    """Kick on 1 and 3, snare on 2 and 4, closed hat on eighths (4/4)."""
    events = []
    for bar in range(bars):
        base = bar * steps_per_bar
        for step in range(0, steps_per_bar, 2):
            events.append((base + step, 42, 80))
        events += [(base, 36, 110), (base + 8, 36, 100), (base + 4, 38, 115), (base + 12, 38, 112)]
    return events


def strummed(beat_places: list[float], n_beats: int, strum_ticks: int = 12, jitter_ticks: int = 0,
             seed: int = 0) -> np.ndarray:
    """A guitar striking a three-note chord at each of `beat_places` (share of the quarter) in every beat, each strum
    spread over `strum_ticks`, every strum moved by up to +-`jitter_ticks` (a player, not a sequencer)."""
    rng = np.random.default_rng(seed)
    rows = []
    for beat in range(n_beats):
        for place in beat_places:
            start = int(round((beat + place) * PPQ)) + int(rng.integers(-jitter_ticks, jitter_ticks + 1))
            for index, pitch in enumerate((40, 47, 52)):
                rows.append([max(0, start + index * strum_ticks // 2), start + PPQ // 4, pitch, 90])
    notes = np.array(rows, dtype=np.int64)
    return notes[np.argsort(notes[:, 0], kind="stable")]


def song_bytes(
    guitar: np.ndarray | None = None,
    drums: np.ndarray | None = None,
    ticks_per_quarter: int = PPQ,
    tempos: Sequence[tuple[int, int]] = ((0, 500_000),),
    time_signatures: Sequence[tuple[int, int, int]] = ((0, 4, 4),),
    guitar_program: int = 29,
    guitar_name: str = "Guitar",
    extra: Sequence[TrackSpec] = (),
) -> bytes:
    """A type-1 MIDI file with an optional guitar part (channel 1) and drum part (channel 10)."""
    tracks = []
    if guitar is not None:
        tracks.append(TrackSpec(guitar_name, 0, guitar, guitar_program))
    if drums is not None:
        tracks.append(TrackSpec("Drums", DRUM_CHANNEL, drums))
    tracks.extend(extra)
    return write_midi(ticks_per_quarter, list(tempos), list(time_signatures), tracks)


def rock_song_bytes(bars: int = 8, **kwargs: object) -> bytes:
    """Guitar riff + backbeat drums, 4/4 at 120 BPM."""
    return song_bytes(notes_from_steps(riff(bars), length_steps=2), notes_from_steps(backbeat(bars)), **kwargs)  # type: ignore[arg-type]


TINY_MODEL = ModelConfig(src_proj_dim=16, enc_hidden=8, step_embed_dim=8, dec_hidden=16, dropout=0.0)


def pattern(n_steps: int, hits: Sequence[tuple[int, int]]) -> np.ndarray:
    """(n_steps, 9) bool bar pattern from (step, drum_class) pairs."""
    out = np.zeros((n_steps, 9), dtype=bool)
    for step, drum_class in hits:
        out[step, drum_class] = True
    return out


def rock_bar(n_steps: int = 16) -> np.ndarray:
    """Hat on every eighth, kick on the first half's downbeat, snare halfway (any even bar length)."""
    return pattern(n_steps, [(s, 2) for s in range(0, n_steps, 2)] + [(0, 0), (n_steps // 2, 1)])


def tiny_codebook() -> GrooveCodebook:
    """A hand-made codebook: for 4/4 (16 steps), 3/4 and 6/8 (12), 7/8 (14), 2/4 (8) and 12/8 (24) bars, the
    empty bar, a rock bar and a variation; for 16-step bars also a ride groove and a tom fill."""
    entries = []
    for n_steps in (8, 12, 14, 16, 24):
        variation = rock_bar(n_steps)
        variation[n_steps - 2, 0] = True
        for bar, count in ((np.zeros((n_steps, 9), bool), 5), (rock_bar(n_steps), 50), (variation, 10)):
            entries.append((n_steps, bar, count, bar * 90.0, np.zeros((n_steps, 9))))
    ride = pattern(16, [(s, 8) for s in range(0, 16, 4)] + [(0, 0), (8, 1)])
    fill = pattern(16, [(12, 6), (13, 6), (14, 5), (15, 4), (0, 0), (4, 1), (8, 1)])
    entries += [(16, bar, 5, bar * 90.0, np.zeros((16, 9))) for bar in (ride, fill)]
    return GrooveCodebook.from_entries(entries, 32)


def styled_codebook() -> GrooveCodebook:
    """A codebook with several 4/4 styles (as seq2drum.groove.styles names them), a 2/4, a 3/4 and a 6/8 groove, each
    played often enough to be offered (counts 30), plus the empty bars and a rare 16th-hat bar (count 3)."""
    eighths, sixteenths, beats = range(0, 16, 2), range(16), range(0, 16, 4)
    bars = {
        "straight-8ths": pattern(16, [(s, 2) for s in eighths] + [(0, 0), (8, 0), (4, 1), (12, 1)]),
        "16th-hats": pattern(16, [(s, 2) for s in sixteenths] + [(0, 0), (8, 0), (4, 1), (12, 1)]),
        "half-time": pattern(16, [(s, 2) for s in eighths] + [(0, 0), (8, 1)]),
        "ride-8ths": pattern(16, [(s, 8) for s in eighths] + [(0, 0), (10, 0), (4, 1), (12, 1)]),
        "four-on-the-floor": pattern(16, [(s, 3) for s in range(2, 16, 4)] + [(s, 0) for s in beats]
                                     + [(4, 1), (12, 1)]),
        "quarter-hats": pattern(16, [(s, 2) for s in beats] + [(0, 0), (4, 1), (12, 1)]),
    }
    entries = [(16, np.zeros((16, 9), bool), 5, np.zeros((16, 9)), np.zeros((16, 9)))]
    entries += [(16, bar, 30, bar * 90.0, np.zeros((16, 9))) for bar in bars.values()]
    rare = bars["16th-hats"].copy()
    rare[14, 0] = True
    entries.append((16, rare, 3, rare * 90.0, np.zeros((16, 9))))
    two_four = pattern(8, [(s, 2) for s in range(0, 8, 2)] + [(0, 0), (4, 1)])
    waltz = pattern(12, [(s, 2) for s in range(0, 12, 4)] + [(0, 0), (4, 1), (8, 1)])
    six_eight = pattern(12, [(s, 2) for s in range(0, 12, 2)] + [(0, 0), (6, 1)])
    for n_steps, bar in ((8, two_four), (12, waltz), (12, six_eight)):
        entries.append((n_steps, bar, 30, bar * 90.0, np.zeros((n_steps, 9))))
    entries += [(n, np.zeros((n, 9), bool), 5, np.zeros((n, 9)), np.zeros((n, 9))) for n in (8, 12)]
    return GrooveCodebook.from_entries(entries, 32)


def tiny_checkpoint(path: Path, attention: bool = False, seed: int = 0,
                    codebook: GrooveCodebook | None = None, listen_to_band: bool = True, causal: bool = False,
                    hear_part: bool = False) -> Path:
    """A randomly initialised tiny groove model saved as a real checkpoint (for server, CLI and inference tests);
    `codebook` defaults to `tiny_codebook()`; `listen_to_band=False` makes a model of the guitar alone, as the
    models made before the band issue; `causal` a live model (model/causal.py); `hear_part` one whose decoder hears
    the part each bar is played in (parts/codes.py)."""
    torch.manual_seed(seed)
    codebook = codebook or tiny_codebook()
    data_config = DataConfig(listen_to_band=listen_to_band)
    spec = FeatureSpec.current(data_config.steps_per_quarter)
    config = TINY_MODEL.replace(attention=attention, causal=causal, hear_part=hear_part)
    model = build_model(ARCHITECTURE, config, spec.n_step, spec.n_bar, spec.max_bar_steps,
                        torch.from_numpy(codebook.bar_steps), (spec.step_columns, spec.bar_columns))
    with torch.no_grad():  # mostly silent but for the closed hat, so that decoding writes a sparse, non-empty part
        model.cell_head[-1].bias[:9] = -4.0
        model.cell_head[-1].bias[2] = 1.0
        model.structure_head.bias[:] = -4.0
    save_checkpoint(path, {
        "architecture": ARCHITECTURE,
        "model": model.state_dict(),
        "model_config": config.to_dict(),
        "data_config": data_config.to_dict(),
        "feature_spec": spec.to_dict(),
        "codebook": codebook.to_state(),
        "step": 0,
        "name": "tiny-test-model",
        "training_data": {"songs_used": 0},
    })
    return path


# ---------------------------------------------------------------------------------------------- raw MIDI bytes
# Hand-written Standard MIDI File bytes, for what write_midi never produces: format 0, running status,
# note-on velocity 0 as note-off, tracks mixing channels, odd clocks, and corrupt input.


def vlq(value: int) -> bytes:
    """A MIDI variable-length quantity (7 bits a byte, high bit = more bytes follow)."""
    if value < 0:
        raise ValueError(f"a variable-length quantity cannot be negative, got {value}")
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    return bytes(reversed(out))


def meta_event(kind: int, data: bytes) -> bytes:
    return bytes([0xFF, kind]) + vlq(len(data)) + data


def tempo_event(us_per_quarter: int) -> bytes:
    return meta_event(0x51, us_per_quarter.to_bytes(3, "big"))


def time_signature_event(numerator: int, denominator: int) -> bytes:
    return meta_event(0x58, bytes([numerator, denominator.bit_length() - 1, 24, 8]))


def track_name_event(name: str) -> bytes:
    return meta_event(0x03, name.encode("latin-1"))


def note_on(channel: int, pitch: int, velocity: int) -> bytes:
    """Channel 0-15 (9 = drums)."""
    return bytes([0x90 | channel, pitch, velocity])


def note_off(channel: int, pitch: int, velocity: int = 64) -> bytes:
    return bytes([0x80 | channel, pitch, velocity])


def program_change(channel: int, program: int) -> bytes:
    return bytes([0xC0 | channel, program])


def track_chunk(events: Sequence[tuple[int, bytes]], end_of_track: bool = True) -> bytes:
    """An MTrk chunk from (delta_ticks, event bytes) pairs, written as given (so running status stays)."""
    body = b"".join(vlq(delta) + event for delta, event in events)
    if end_of_track:
        body += vlq(0) + meta_event(0x2F, b"")
    return b"MTrk" + len(body).to_bytes(4, "big") + body


def timed_track(timed: Sequence[tuple[int, bytes]]) -> bytes:
    """An MTrk chunk from (absolute_tick, event bytes) pairs; equal ticks keep their given order."""
    ordered = sorted(enumerate(timed), key=lambda item: (item[1][0], item[0]))
    events, last_tick = [], 0
    for _, (tick, event) in ordered:
        events.append((tick - last_tick, event))
        last_tick = tick
    return track_chunk(events)


def chord_track(n_notes: int, chord_size: int = 8) -> bytes:
    """n_notes as chords on 16ths, the compact way (running status, velocity-0 note-offs)."""
    events = [(0, note_on(0, 40, 0))]
    for first in range(0, n_notes, chord_size):
        pitches = [30 + (first // chord_size + k) % 64 for k in range(min(chord_size, n_notes - first))]
        events += [(0, bytes([p, 100])) for p in pitches]
        events += [(PPQ // 4 if i == 0 else 0, bytes([p, 0])) for i, p in enumerate(pitches)]
    return track_chunk(events)


def smf_bytes(
    tracks: Sequence[bytes], ticks_per_quarter: int = PPQ, midi_format: int = 1, division: int | None = None
) -> bytes:
    """Header + track chunks. `division` overrides the raw 16-bit division word (e.g. SMPTE time)."""
    word = ticks_per_quarter if division is None else division
    header = b"MThd" + (6).to_bytes(4, "big") + midi_format.to_bytes(2, "big") + len(tracks).to_bytes(2, "big")
    return header + word.to_bytes(2, "big") + b"".join(tracks)


def one_step_bars_song(denominator: int) -> bytes:
    """Issue 55's hostile song: a meter of 1/`denominator` (64: bars shorter than a 16th; 16: one 16th each), a
    guitar note at quarter 0 and one at quarter 8,191, at one tick a quarter: 32,766 bars of one step in 51 bytes."""
    events = [(0, time_signature_event(1, denominator)), (0, note_on(0, 40, 100)), (1, note_off(0, 40)),
              (8189, note_on(0, 40, 100)), (1, note_off(0, 40))]
    return smf_bytes([track_chunk(events)], ticks_per_quarter=1)


def note_events(notes: np.ndarray, channel: int, zero_velocity_off: bool = False) -> list[tuple[int, bytes]]:
    """(N, 4) notes -> (absolute_tick, bytes) note-ons and note-offs; offs before ons at equal ticks."""
    offs, ons = [], []
    for start, end, pitch, velocity in np.asarray(notes).tolist():
        ons.append((start, note_on(channel, pitch, velocity)))
        offs.append((end, note_on(channel, pitch, 0) if zero_velocity_off else note_off(channel, pitch)))
    return sorted(offs + ons, key=lambda item: item[0])  # stable: offs stay ahead of ons at one tick


def conductor_events(
    tempos: Sequence[tuple[int, int]], time_signatures: Sequence[tuple[int, int, int]]
) -> list[tuple[int, bytes]]:
    """(absolute_tick, bytes) of a tempo map and a meter map."""
    events = [(tick, time_signature_event(num, den)) for tick, num, den in time_signatures]
    return events + [(tick, tempo_event(us)) for tick, us in tempos]


def format0_song_bytes(
    guitar: np.ndarray,
    drums: np.ndarray,
    ticks_per_quarter: int = PPQ,
    tempos: Sequence[tuple[int, int]] = ((0, 500_000),),
    time_signatures: Sequence[tuple[int, int, int]] = ((0, 4, 4),),
    guitar_program: int = 29,
    track_name: str = "Song",
    zero_velocity_off: bool = False,
) -> bytes:
    """A format-0 file: one track holding the tempo/meter maps, the guitar on channel 1 and the drums on channel 10."""
    timed = [(0, track_name_event(track_name)), (0, program_change(0, guitar_program))]
    timed += conductor_events(tempos, time_signatures)
    timed += sorted(
        note_events(guitar, 0, zero_velocity_off) + note_events(drums, DRUM_CHANNEL, zero_velocity_off),
        key=lambda item: item[0],
    )
    return smf_bytes([timed_track(timed)], ticks_per_quarter, midi_format=0)


def format1_song_bytes(guitar: np.ndarray, drums: np.ndarray, ticks_per_quarter: int = PPQ,
                       tempos: Sequence[tuple[int, int]] = ((0, 500_000),),
                       time_signatures: Sequence[tuple[int, int, int]] = ((0, 4, 4),), guitar_program: int = 29,
                       zero_velocity_off: bool = False) -> bytes:
    """The same music as `format0_song_bytes`, hand-written as format 1: conductor, guitar track, drum track."""
    conductor = timed_track([(0, track_name_event("Conductor")), *conductor_events(tempos, time_signatures)])
    guitar_track = timed_track([
        (0, track_name_event("Guitar")),
        (0, program_change(0, guitar_program)),
        *note_events(guitar, 0, zero_velocity_off),
    ])
    drum_track = timed_track([(0, track_name_event("Drums")), *note_events(drums, DRUM_CHANNEL, zero_velocity_off)])
    return smf_bytes([conductor, guitar_track, drum_track], ticks_per_quarter, midi_format=1)


def write_files(folder: Path, files: dict[str, bytes]) -> Path:
    """Write {file name: bytes} into `folder` (created): a data folder of chosen good and bad files."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


def format0_song_bytes_music21(
    guitar: np.ndarray,
    drums: np.ndarray,
    ticks_per_quarter: int = PPQ,
    us_per_quarter: int = 500_000,
    guitar_program: int = 29,
) -> bytes:
    """`format0_song_bytes` built instead with music21's low-level MidiFile/MidiTrack/MidiEvent/DeltaTime (4/4)."""
    from music21 import midi as m21midi

    track = m21midi.MidiTrack(0)
    timed: list[tuple[int, int, m21midi.MidiEvent]] = []
    tempo = m21midi.MidiEvent(track, type=m21midi.MetaEvents.SET_TEMPO)
    tempo.data = us_per_quarter.to_bytes(3, "big")
    meter = m21midi.MidiEvent(track, type=m21midi.MetaEvents.TIME_SIGNATURE)
    meter.data = bytes([4, 2, 24, 8])
    program = m21midi.MidiEvent(track, type=m21midi.ChannelVoiceMessages.PROGRAM_CHANGE, channel=1)
    program.data = guitar_program
    timed += [(0, 0, tempo), (0, 0, meter), (0, 0, program)]
    for notes, channel in ((guitar, 1), (drums, DRUM_CHANNEL + 1)):  # music21 numbers channels 1-16
        for start, end, pitch, velocity in np.asarray(notes).tolist():
            on = m21midi.MidiEvent(track, type=m21midi.ChannelVoiceMessages.NOTE_ON, channel=channel)
            on.pitch, on.velocity = pitch, velocity
            off = m21midi.MidiEvent(track, type=m21midi.ChannelVoiceMessages.NOTE_OFF, channel=channel)
            off.pitch, off.velocity = pitch, 0
            timed += [(start, 2, on), (end, 1, off)]
    events: list[m21midi.MidiEvent | m21midi.DeltaTime] = []
    last_tick = 0
    for tick, _, event in sorted(timed, key=lambda item: (item[0], item[1])):
        events += [m21midi.DeltaTime(track, time=tick - last_tick), event]
        last_tick = tick
    end_of_track = m21midi.MidiEvent(track, type=m21midi.MetaEvents.END_OF_TRACK)
    end_of_track.data = b""
    events += [m21midi.DeltaTime(track, time=0), end_of_track]
    track.events = events
    track.updateEvents()
    midi_file = m21midi.MidiFile()
    midi_file.format = 0
    midi_file.ticksPerQuarterNote = ticks_per_quarter
    midi_file.tracks.append(track)
    return midi_file.writestr()


# ---------------------------------------------------------------------------------------------- server workers
# Generators for server tests. A server's workers build their generator from a picklable factory, in their own
# process, so these talk to the test through files: `calls` gets a line per generate call, and generation waits
# until the file `gate` exists (a test holds a request in flight, or lets a worker hang until it is killed).


class GatedGenerator:
    """Delegates to a real generator once the file `gate` exists; appends a line to `calls` per call."""

    def __init__(self, inner: object, gate: str, calls: str) -> None:
        self.inner = inner
        self.info = inner.info  # type: ignore[attr-defined]
        self.data_config = inner.data_config  # type: ignore[attr-defined]  # the worker reads the parts it asks for
        self.gate = Path(gate)
        self.calls = Path(calls)

    def generate(self, midi: object, options: object = None) -> object:
        import time

        with self.calls.open("a") as stream:
            stream.write("call\n")
        deadline = time.monotonic() + 60
        while not self.gate.exists():
            assert time.monotonic() < deadline, "the test never opened the gate"
            time.sleep(0.01)
        return self.inner.generate(midi, options)  # type: ignore[attr-defined]


def gated_generator(checkpoint: Path | None, gate: str, calls: str) -> GatedGenerator:
    """A worker factory: `functools.partial(gated_generator, gate=..., calls=...)`."""
    from seq2drum.generation.generator import DrumGenerator

    return GatedGenerator(DrumGenerator.from_checkpoint(checkpoint), gate, calls)


_HELD: list[bytearray] = []  # what BloatingGenerator keeps, as a leak would


class BloatingGenerator:
    """Keeps `mib` MiB of memory (touched, so resident) on every call whose track option is "bloat", then refuses
    the song as a domain error; with track "cycles" it leaves as much behind in a reference cycle (garbage only the
    cyclic collector frees, as music21's events are) and refuses; with track "balloon" it keeps `mib` more every
    10 ms, up to 3 GiB (a song that costs ever more memory, until the server stops it); other calls go to the real
    generator."""

    def __init__(self, inner: object, mib: int) -> None:
        self.inner = inner
        self.info = inner.info  # type: ignore[attr-defined]
        self.data_config = inner.data_config  # type: ignore[attr-defined]
        self.mib = mib

    def generate(self, midi: object, options: object = None) -> object:
        from seq2drum.errors import NoGuitarError

        if getattr(options, "track", None) == "bloat":
            _HELD.append(bytearray(b"\x01" * (self.mib * 1024 * 1024)))
            raise NoGuitarError("refused after growing, as a hostile file would")
        if getattr(options, "track", None) == "cycles":
            garbage: list[object] = [bytearray(b"\x01" * (self.mib * 1024 * 1024))]
            garbage.append(garbage)
            del garbage
            raise NoGuitarError("refused, leaving cyclic garbage behind")
        if getattr(options, "track", None) == "balloon":
            import time

            for _ in range(3072 // self.mib):
                _HELD.append(bytearray(b"\x01" * (self.mib * 1024 * 1024)))
                time.sleep(0.01)
            raise NoGuitarError("grew to 3 GiB and was not stopped")
        return self.inner.generate(midi, options)  # type: ignore[attr-defined]


def bloating_generator(checkpoint: Path | None, mib: int) -> BloatingGenerator:
    """A worker factory: `functools.partial(bloating_generator, mib=...)`."""
    from seq2drum.generation.generator import DrumGenerator

    return BloatingGenerator(DrumGenerator.from_checkpoint(checkpoint), mib)


def jazz_band(numerator: int, denominator: int, bars: int = 16) -> bytes:
    """A swing tune in any meter: a walking bass on every beat, a piano comping swung 8ths (the second 8th of each
    beat at two thirds of it) and a guitar on the beats, as a small band plays it."""
    beat = PPQ * 4 // denominator * (3 if denominator == 8 else 1)
    beats = numerator // 3 if denominator == 8 else numerator
    bass, piano, guitar = [], [], []
    for index in range(bars * beats):
        start = index * beat
        bass.append([start, start + beat - 10, 36 + (0, 3, 5, 7)[index % 4], 90])
        for place, velocity in ((0, 70), (2 * beat // 3, 60)):
            piano += [[start + place, start + place + beat // 3, pitch, velocity] for pitch in (60, 64, 67)]
        guitar += [[start, start + beat // 2, pitch, 80] for pitch in (52, 56, 59)]
    arrays = [np.array(rows, dtype=np.int64) for rows in (bass, piano, guitar)]
    return song_bytes(arrays[2], time_signatures=((0, numerator, denominator),),
                      extra=(TrackSpec("Bass", 1, arrays[0], 33), TrackSpec("Piano", 2, arrays[1], 1)))


def swing_trio(bars: int = 16, swing: float = 2 / 3) -> bytes:
    """A piano trio swinging at 150 BPM, no guitar: a walking bass on every beat, the piano's melody in swung 8ths
    (the second at `swing` of the beat: two thirds) and its chords comping on the swung 8th of 2 and 4."""
    bass, piano = [], []
    late = round(swing * PPQ)
    for index in range(bars * 4):
        start = index * PPQ
        bass.append([start, start + PPQ - 10, 36 + (0, 3, 5, 7)[index % 4], 90])
        if index % 2 == 1:
            piano += [[start + late, start + PPQ, pitch, 70] for pitch in (60, 64, 67, 70)]
        piano += [[start, start + late, 76 + index % 5, 90], [start + late, start + PPQ, 79, 80]]
    arrays = [np.array(sorted(rows), dtype=np.int64) for rows in (bass, piano)]
    return song_bytes(None, tempos=((0, 400_000),), extra=(TrackSpec("Acoustic Bass", 1, arrays[0], 33),
                                                            TrackSpec("Piano", 2, arrays[1], 1)))
