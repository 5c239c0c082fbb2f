"""What the studio's page is shown of a song and a take, and the files made from them (seq2drum/studio/songs.py)."""

from __future__ import annotations

import numpy as np

from seq2drum.midi.io import read_midi
from seq2drum.midi.write import TrackSpec, write_midi
from seq2drum.studio.songs import DRUM_LANES, drums_alone, song_view, song_with_drums, take_view, upload_label
from tests.studio_songs import BAR_S, band_song, drum_notes, drums_only_song


def test_a_songs_parts_are_listed_with_their_roles_and_its_guitar() -> None:
    view = song_view(read_midi(band_song(bars=2, with_drums=True)))
    assert [(p["number"], p["name"], p["role"], p["guitar"]) for p in view["parts"]] == [
        (1, "Guitar", "guitar", True), (2, "Drums", "drums", False), (3, "Bass", "bass", False)]
    assert view["guitar_problem"] == "" and view["lanes"] == list(DRUM_LANES)
    assert view["bars"] == [round(bar * BAR_S, 4) for bar in range(3)]  # seconds through the tempo map
    assert view["notes"][0][:2] == [0.0, round(BAR_S / 8, 4)]  # an eighth note at 100 BPM
    assert {hit[1] for hit in view["drums"]} == {0, 1, 2}  # kick, snare, closed hat


def test_a_song_without_a_guitar_is_listed_and_says_why() -> None:
    view = song_view(read_midi(drums_only_song()))
    assert [p["role"] for p in view["parts"]] == ["drums"]
    assert view["guitar_problem"].startswith("the file holds only drums")


def test_the_song_with_a_takes_drums_and_the_drums_alone() -> None:
    """The song's parts (not its own drums) at the take's clock beside the take's drums; a take that holds parts
    (--merge) gives its drums alone for solo play."""
    song = read_midi(band_song(bars=2, with_drums=True))
    drums = read_midi(drums_only_song(2))
    take = write_midi(960, [(0, 600_000)], [(0, 4, 4)], [TrackSpec("Drums", 9, drums.parts[0].notes * [2, 2, 1, 1])])
    merged = read_midi(song_with_drums(song, read_midi(take), take))
    assert merged.ticks_per_quarter == 960
    assert [p.name for p in merged.parts] == ["Drums", "Guitar", "Bass"]
    assert np.array_equal(merged.parts[1].notes[:, :2], song.parts[0].notes[:, :2] * 2)
    assert np.array_equal(drum_notes(song_with_drums(song, read_midi(take), take)), drum_notes(take))
    both = song_with_drums(song, read_midi(take), take)
    alone = drums_alone(read_midi(both), both)
    assert [p.name for p in read_midi(alone).parts] == ["Drums"] and drums_alone(read_midi(take), take) == take
    assert song_with_drums(None, read_midi(take), take) == take
    assert take_view(read_midi(take))["bars"][-1] == round(2 * BAR_S, 4)


def test_an_uploads_name_is_its_own_file_name_in_one_short_line() -> None:
    assert upload_label("C:\\songs\\riff.mid") == "riff.mid" == upload_label("/home/me/riff.mid")
    assert upload_label("bad\x1b[31m.mid") == "bad\\x1b[31m.mid"
    assert len(upload_label("x" * 500 + ".mid")) == 80 and upload_label("") == "the upload"


def test_a_pitch_past_127_in_a_broken_file_is_drawn_in_the_other_lane() -> None:
    """The fuzz found a flipped file read with a drum pitch of 170: its view was a 500 (IndexError)."""
    song = read_midi(drums_only_song())
    song.drum_parts[0].notes[0, 2] = 170
    view = song_view(song)
    assert any(hit[1] == len(DRUM_LANES) - 1 for hit in view["drums"])


def test_track_names_with_invalid_utf8_and_control_bytes_come_back_byte_for_byte_in_the_downloads() -> None:
    """The song download (and the drums alone) wrote `part.name`, the escaped display text: a name holding an invalid
    UTF-8 byte and a control byte came back as 'Riff \\xff\\x07'-like text, not as the file's own bytes."""
    guitar_name, drums_name = b"Riff \xff\x07 take", b"Kit \x1b[31m\xc3"
    riff_notes = read_midi(band_song(bars=2)).parts[0].notes
    song_data = write_midi(480, [(0, 600_000)], [(0, 4, 4)], [TrackSpec(guitar_name, 0, riff_notes, 29)])
    take = write_midi(960, [(0, 600_000)], [(0, 4, 4)],
                      [TrackSpec(drums_name, 9, read_midi(drums_only_song(2)).parts[0].notes * [2, 2, 1, 1])])
    song = read_midi(song_data)
    assert song.parts[0].name != guitar_name.decode("latin-1")  # the display text is escaped: not what to write
    both = song_with_drums(song, read_midi(take), take)
    assert [part.name_bytes for part in read_midi(both).parts] == [drums_name, guitar_name]
    assert guitar_name in both and drums_name in both
    alone = drums_alone(read_midi(both), both)
    assert [part.name_bytes for part in read_midi(alone).parts] == [drums_name]
