"""The service's Arrange call and the DAW helper's --arrange (issue 87 item 4), against a real server on port 0 with
the shipped model (it has parts): the same sections and ranked parts as `main.py --mode arrange`, the drummer's
arrangement, a choice sent back as --parts (the helper's file byte for byte main.py's), and the refusals (a song
without drums asked for its drummer, unreadable bytes) as INVALID_ARGUMENT with a message naming the fix."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from client import daw_helper
from client.drum_client import DrumClient
from seq2drum.cli import main as main_py
from seq2drum.generation.arrange import song_arrangement
from seq2drum.generation.generator import DrumGenerator
from seq2drum.options import MAX_PARTS_CHARS, GenerationOptions
from seq2drum.rpc import seq2drum_pb2 as pb
from server.config import ServerConfig
from server.testing import ServerThread
from server.workers import ModelSource
from tests.builders import backbeat, notes_from_steps
from tests.test_parts_plan import band_song

pytestmark = pytest.mark.slow  # a server with the shipped model: a few seconds to start


@pytest.fixture(scope="module")
def address() -> Iterator[str]:
    with ServerThread("127.0.0.1:0", ModelSource(None), ServerConfig(workers=1)) as server:
        yield f"127.0.0.1:{server.port}"


@pytest.fixture(scope="module")
def generator() -> DrumGenerator:
    return DrumGenerator.from_checkpoint()


def with_drums() -> bytes:
    """32 bars of a band (a riff over a bass, busier from bar 17) with a drummer playing a backbeat."""
    return band_song(32, busier_from=16, drums=notes_from_steps(backbeat(32)))


def test_the_service_lists_the_arrangement_main_py_lists(address: str, generator: DrumGenerator) -> None:
    song = band_song(32, busier_from=16)
    with DrumClient(address, timeout_s=60, wait_s=10) as client:
        response = client.arrange(song)
    local = song_arrangement(generator, song, GenerationOptions())
    assert [s.key for s in response.sections] == [s.key for s in local.arrangement.sections]
    for section, mine in zip(response.sections, local.arrangement.sections):
        assert (section.first_bar, section.bars, section.meter_family) == (mine.first_bar, mine.n_bars, mine.family)
        assert [p.id for p in section.parts] == [r.id for r in local.arrangement.ranking[mine.key]]
        assert not section.HasField("drummer")
    assert response.heard_band and response.model_version


def test_the_drummers_arrangement_comes_back_as_a_parts_value_that_plays(address: str) -> None:
    song = with_drums()
    with DrumClient(address, timeout_s=60, wait_s=10) as client:
        response = client.arrange(song, drummer=True)
        assert all(section.HasField("drummer") for section in response.sections)
        assert response.drummer_parts.startswith(f"{response.sections[0].label}=")  # every A plays his one part
        drums = client.generate(song, pb.GenerationOptions(parts=response.drummer_parts, seed=1))
    assert drums.metadata.plan.startswith("from the musician")


def test_a_drummers_arrangement_longer_than_8192_characters_is_taken_back(address: str) -> None:
    """Issue 98 Q6: Arrange{drummer} of a 350-section song returned a 9,863-character drummer_parts that Generate
    refused (options capped at 8,192 characters; the command line takes 65,536). What one call returns, the next
    accepts: the drummer's value given again and again past 8,192 characters plays as it does once."""
    song = with_drums()
    with DrumClient(address, timeout_s=60, wait_s=10) as client:
        value = client.arrange(song, drummer=True).drummer_parts
        long_value = "; ".join([value] * (9_000 // len(value) + 1))
        assert 9_000 < len(long_value) <= MAX_PARTS_CHARS and long_value.count(";") < 1024
        once = client.generate(song, pb.GenerationOptions(parts=value, seed=1))
        again = client.generate(song, pb.GenerationOptions(parts=long_value, seed=1))
    assert again.metadata.plan == once.metadata.plan and again.metadata.plan.startswith("from the musician")


def test_refusals_name_the_fix(address: str, tmp_path: Path) -> None:
    with DrumClient(address, timeout_s=60, wait_s=10) as client:
        with pytest.raises(grpc.RpcError) as error:
            client.arrange(band_song(16), drummer=True)  # no drums to read
        assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "has none" in error.value.details() and "leave out --drummer" in error.value.details()
        with pytest.raises(grpc.RpcError) as error:
            client.arrange(b"MThd not a song")
        assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        with pytest.raises(grpc.RpcError) as error:
            client.arrange(b"")
        assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "export the part again from your DAW" in error.value.details()


def test_a_part_id_only_python_calls_a_digit_is_invalid_not_internal(address: str) -> None:
    """Issue 98 Q1: Generate with parts "A=²" was INTERNAL and its worker thrown away; now INVALID_ARGUMENT naming
    the parts that fit, and the same worker serves the next song."""
    song = band_song(16)
    with DrumClient(address, timeout_s=60, wait_s=10) as client:
        label = client.arrange(song).sections[0].label
        for value in ("²", "9" * 5000):
            with pytest.raises(grpc.RpcError) as error:
                client.generate(song, pb.GenerationOptions(parts=f"{label}={value}", seed=1))
            assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert "the parts that fit" in error.value.details()
        assert client.generate(song, pb.GenerationOptions(seed=1))


def test_the_helper_prints_the_arrangement_and_takes_the_parts(address: str, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    song = tmp_path / "Verse riff.mid"
    song.write_bytes(with_drums())
    assert daw_helper.main([str(song), "--server", address, "--arrange"]) == 0
    printed = capsys.readouterr().out
    assert "A#1    bars 1-" in printed and "1. " in printed and 'choose with: ' in printed
    assert daw_helper.main([str(song), "--server", address, "--arrange", "--drummer", "--json"]) == 0
    chosen = json.loads(capsys.readouterr().out)
    assert set(chosen) and all(isinstance(name, str) for name in chosen.values())
    key, name = next(iter(chosen.items()))
    assert daw_helper.main([str(song), "--server", address, "--parts", f"{key}={name}", "--seed", "2"]) == 0
    assert "its plan, from the musician" in capsys.readouterr().out  # the server played the parts sent
    assert main_py.main(["--mode", "infer", str(song), "--parts", f"{key}={name}", "--seed", "2", "-o",
                         str(tmp_path / "cli.mid")]) == 0
    assert (tmp_path / "Verse riff_drums.mid").read_bytes() == (tmp_path / "cli.mid").read_bytes()
    assert [path.name for path in tmp_path.glob("*_drums*.mid")] == ["Verse riff_drums.mid"]  # --arrange wrote none
    with pytest.raises(SystemExit):
        daw_helper.main([str(song), "--server", address, "--drummer"])  # --drummer without --arrange
