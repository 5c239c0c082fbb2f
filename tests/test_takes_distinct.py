"""Takes are never copies (issue 23): where the grooves run out, fewer takes are written, with a notice, by the
command line, the server and the DAW helper alike."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from seq2drum.groove.takes import take_similarity

from seq2drum.groove.settings import TAKE_MAX_SIMILARITY


def test_the_helper_writes_the_takes_it_got_when_fewer_than_asked(tmp_path: Path) -> None:
    from client.files import _write

    targets = [tmp_path / f"song_drums.take{index}.mid" for index in range(1, 5)]
    written = _write(targets, [b"one", b"two"], "hint")
    assert written == targets[:2] and [path.read_bytes() for path in written] == [b"one", b"two"]
    assert not targets[2].exists() and not targets[3].exists()


def test_a_new_version_with_fewer_takes_is_take1_to_takek(tmp_path: Path) -> None:
    from seq2drum.outputs import write_new_version

    song = tmp_path / "song.mid"
    written = write_new_version(song, False, [b"one", b"two"], 4)
    assert [path.name for path in written] == ["song_drums.take1.mid", "song_drums.take2.mid"]


@pytest.mark.needs_data
def test_an_odd_meter_song_gets_distinct_takes_or_fewer_with_a_notice(data_dir: Path) -> None:
    """reubenson lila_s_dance (14/8) wrote 4 identical takes before."""
    from seq2drum.generation.generator import DrumGenerator
    from seq2drum.options import GenerationOptions

    song = data_dir / "reubenson__midi-archive" / "lila_s_dance.mid"
    result = DrumGenerator.from_checkpoint().generate(song.read_bytes(), GenerationOptions(takes=4, seed=0))
    grids = [take.drums.hits for take in result.takes]
    assert all(take_similarity(a, b) < TAKE_MAX_SIMILARITY for a, b in itertools.combinations(grids, 2))
    assert len(grids) >= 2
    if len(grids) < 4:
        assert any(notice.startswith(f"wrote {len(grids)} of the 4 takes") for notice in result.notices)


def test_the_helpers_stream_accepts_fewer_takes_when_the_server_says_so() -> None:
    """GenerateStream (files past the message limit) with fewer takes than asked: all the server wrote, with its
    notice, is taken; a stream that ends short without that notice is still an error."""
    import pytest

    from client.drum_client import DrumClient, HelperError
    from seq2drum.outputs import fewer_takes_notice
    from seq2drum.rpc import seq2drum_pb2 as pb

    def stream(notices: list[str]):  # noqa: ANN202
        class Stub:
            def GenerateStream(self, requests, timeout, **kwargs):  # noqa: ANN001, ANN202, N802
                list(requests)
                for take in (1, 2):
                    yield pb.GenerateStreamResponse(metadata=pb.GenerationMetadata(take=take, output_bytes=3,
                                                                                   notices=notices))
                    yield pb.GenerateStreamResponse(midi_chunk=b"abc")
        return Stub()

    client = DrumClient("127.0.0.1:1")
    options = pb.GenerationOptions(takes=4)
    client._stub = stream([fewer_takes_notice(2, 4)])
    drums = client._generate_stream(b"MThd", options, 1024)
    assert len(drums.more_takes) == 1
    client._stub = stream([])
    with pytest.raises(HelperError, match="ended early: 2 of 4 takes"):
        client._generate_stream(b"MThd", options, 1024)
    client.close()


CONTROLS = {"density 0.5": {"density": 0.5}, "density 0.7": {"density": 0.7}, "density 1.5": {"density": 1.5},
            "cymbal ride": {"cymbal": "ride"}, "straight-8ths": {"style": "straight-8ths"},
            "fills none": {"fills": "none"}}


@pytest.fixture(scope="module")
def generator():  # noqa: ANN201
    from seq2drum.generation.generator import DrumGenerator

    return DrumGenerator.from_checkpoint()


def _built_song() -> bytes:
    """A 32-bar 4/4 song of two riffs (A, B, A, B), guitar alone."""
    from tests.builders import notes_from_steps, riff, song_bytes

    verse, chorus = riff(8, root=40), [(step, pitch + 5) for step, pitch in riff(8, root=45)]
    steps = [(bar * 128 + step, pitch) for bar, part in enumerate((verse, chorus, verse, chorus))
             for step, pitch in part]
    return song_bytes(notes_from_steps(steps, length_steps=2))


@pytest.mark.parametrize("song", ["shipped example", "built song"])
@pytest.mark.parametrize("control", list(CONTROLS), ids=list(CONTROLS))
def test_takes_and_controls_combine(generator, song: str, control: str) -> None:  # noqa: ANN001
    """--takes 4 with a control writes 4 takes, every pair under TAKE_MAX_SIMILARITY of shared cells, each take as
    the control asks (no hat under --cymbal ride): each take is decided to its control before it is told apart from
    the takes before (--density 0.5 wrote 1 take on the shipped example, --cymbal ride 2 on two real songs)."""
    from seq2drum.midi.drums import CLOSED_HAT, OPEN_HAT
    from seq2drum.options import GenerationOptions

    shipped = Path(__file__).resolve().parent.parent / "examples" / "riff.mid"
    data = shipped.read_bytes() if song == "shipped example" else _built_song()
    result = generator.generate(data, GenerationOptions(takes=4, seed=1, **CONTROLS[control]))
    assert len(result.takes) == 4, result.notices
    for a, b in itertools.combinations(result.takes, 2):
        assert take_similarity(a.drums.hits, b.drums.hits) < TAKE_MAX_SIMILARITY
    if control == "cymbal ride":
        assert not any(take.drums.hits[:, [CLOSED_HAT, OPEN_HAT]].any() for take in result.takes)
