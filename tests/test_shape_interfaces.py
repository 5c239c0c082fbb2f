"""--kit-map, --count-in and --bars/--tempo/--meter through every door a user has: main.py (exit code 2 and one line
for each range error), the gRPC options (fields 13-17, each refusal with its status) and the DAW helper.

Kept apart from test_cli.py, test_server.py and test_client.py so that branches adding other controls merge cleanly.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest

from seq2drum.cli import main
from client import daw_helper
from seq2drum.rpc import seq2drum_pb2 as pb
from seq2drum.rpc import seq2drum_pb2_grpc
from seq2drum.midi.io import DRUM_CHANNEL, read_midi
from server.config import ServerConfig
from server.testing import ServerThread
from server.workers import ModelSource
from tests.builders import notes_from_steps, riff, rock_song_bytes, song_bytes

KiB = 1024
SERVER_CONFIG = ServerConfig(workers=1, max_message_bytes=64 * KiB, max_stream_bytes=64 * KiB,
                             stream_chunk_bytes=4 * KiB, max_song_quarters=512)
KIT = {"kick": 24, "snare": 26, "closed_hat": 54, "side_stick": 25}


@pytest.fixture(scope="module")
def address(tiny_model_path: Path) -> Iterator[str]:
    with ServerThread("127.0.0.1:0", ModelSource(tiny_model_path), SERVER_CONFIG) as server:
        yield f"127.0.0.1:{server.port}"


@pytest.fixture()
def stub(address: str) -> Iterator[seq2drum_pb2_grpc.Seq2DrumStub]:
    with grpc.insecure_channel(address) as channel:
        yield seq2drum_pb2_grpc.Seq2DrumStub(channel)


@pytest.fixture()
def kit_file(tmp_path: Path) -> Path:
    path = tmp_path / "my kit.json"
    path.write_text(json.dumps(KIT))
    return path


def late_song(entry_bar: int) -> bytes:
    return song_bytes(notes_from_steps([(step + 16 * entry_bar, pitch) for step, pitch in riff(4)], length_steps=2))


def cli(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    code = main.main(["--mode", "infer", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def drum_pitches(path: Path) -> set[int]:
    return set(next(p for p in read_midi(path).parts if p.channel == DRUM_CHANNEL).notes[:, 2].tolist())


# ---------------------------------------------------------------------------------------------- main.py


def test_cli_drums_from_nothing_write_drums_nbars_here_never_over_a_file(
        tiny_model_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = cli(capsys, "--bars", "10", "--tempo", "90", "--meter", "7/8", "--checkpoint", tiny_model_path)
    assert code == 0, err
    written = tmp_path / "drums_10bars.mid"
    assert f"wrote {written}: 10 bars" in out and "sections (letter@bar): A@1 B@10" in out and "guitar:" not in out
    song = read_midi(written)
    assert song.time_signatures == [(0, 7, 8)] and song.tempos == [(0, 666_667)]
    code, _, err = cli(capsys, "--bars", "10", "--checkpoint", tiny_model_path)
    assert code == 2 and f"{written} exists; pass --force" in err
    assert cli(capsys, "--bars", "10", "--force", "--checkpoint", tiny_model_path)[0] == 0
    code, _, err = cli(capsys, "--bars", "4", "--takes", "2", "-o", tmp_path / "beat.mid", "--checkpoint",
                       tiny_model_path)
    assert code == 0 and (tmp_path / "beat.take2.mid").exists() and not (tmp_path / "beat.mid").exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (("--bars", "0"), "error: bars must be 1-512, got 0"),
        (("--bars", "600"), "error: bars must be 1-512, got 600"),
        (("--bars", "4", "--tempo", "10"), "error: tempo must be 20-300 quarter notes per minute, got 10.0"),
        (("--bars", "4", "--meter", "7/9"), "error: meter 7/9 is not one a song can have: the denominator"),
        (("--bars", "4", "--merge"), "error: merge copies a song's guitar"),
        (("--bars", "4", "--count-in", "9"), "error: count-in must be 0-8 bars, got 9"),
        (("--tempo", "100"), "error: name the guitar MIDI file"),
        (("--bars", "4", "--kit-map", "nowhere.json"), "error: --kit-map nowhere.json not found"),
        (("--bars", "4", "--kit-map", "{bad}"), "error: --kit-map {bad} not found"),
    ],
    ids=["bars-0", "bars-600", "tempo-10", "meter-7/9", "merge", "count-in-9", "tempo-without-bars", "kit-missing",
         "kit-inline"],
)
def test_cli_range_errors_are_one_line_and_exit_2(args: tuple[str, ...], message: str, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = cli(capsys, *args)
    assert code == 2 and err.startswith(message) and err.count("\n") == 1, err
    assert not list(tmp_path.iterdir())


def test_cli_song_flags_kit_map_count_in_and_bars_with_a_song(
        tiny_model_path: Path, tmp_path: Path, kit_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    song = tmp_path / "riff.mid"
    song.write_bytes(late_song(2))
    code, _, err = cli(capsys, song, "--count-in", "2", "--kit-map", kit_file, "--checkpoint", tiny_model_path)
    assert code == 0, err
    pitches = drum_pitches(tmp_path / "riff_drums.mid")
    assert 25 in pitches and not pitches & {36, 38, 42, 37}
    early = tmp_path / "early.mid"
    early.write_bytes(late_song(1))
    code, _, err = cli(capsys, early, "--count-in", "2", "--checkpoint", tiny_model_path)
    assert code == 2 and "the guitar enters in bar 2" in err and "--merge" in err and err.count("\n") == 1
    code, _, err = cli(capsys, early, "--count-in", "2", "--merge", "--checkpoint", tiny_model_path)
    assert code == 0 and "start 1 bar later in this file" in err
    bad_kit = tmp_path / "bad.json"
    bad_kit.write_text('{"snare": 200}')
    code, _, err = cli(capsys, song, "--kit-map", bad_kit, "--checkpoint", tiny_model_path)
    assert code == 2 and f"error: kit map {bad_kit}: 'snare' must be a MIDI note number 0-127, got 200" in err
    code, _, err = cli(capsys, song, "--bars", "4", "--checkpoint", tiny_model_path)
    assert code == 2 and "make drums from nothing, without a song; leave out" in err
    code, _, err = cli(capsys, song, "--meter", "3/4", "--checkpoint", tiny_model_path)
    assert code == 2 and "tempo and meter go with bars" in err


# ---------------------------------------------------------------------------------------------- gRPC


def generate(stub: seq2drum_pb2_grpc.Seq2DrumStub, midi: bytes, **options: Any) -> pb.GenerateResponse:
    return stub.Generate(pb.GenerateRequest(midi=midi, options=pb.GenerationOptions(**options)), timeout=30)


def test_grpc_drums_from_nothing_by_generate_and_by_stream(stub: seq2drum_pb2_grpc.Seq2DrumStub) -> None:
    response = generate(stub, b"", bars=9, tempo_qpm=75.0, meter="6/8", seed=1, count_in_bars=1)
    song = read_midi(response.midi)
    assert song.time_signatures == [(0, 6, 8)] and song.tempos == [(0, 800_000)]
    assert response.metadata.bars == 9 and list(response.metadata.sections) == ["A@2", "B@10"]
    assert not response.metadata.guitar_parts
    options = pb.GenerationOptions(bars=9, tempo_qpm=75.0, meter="6/8", seed=1, count_in_bars=1)
    responses = list(stub.GenerateStream(iter([pb.GenerateStreamRequest(options=options)]), timeout=30))
    assert b"".join(r.midi_chunk for r in responses[1:]) == response.midi


@pytest.mark.parametrize(
    "midi, options, code, message",
    [
        (b"", {}, grpc.StatusCode.INVALID_ARGUMENT, "empty .* or set bars"),
        ("song", {"bars": 4}, grpc.StatusCode.INVALID_ARGUMENT, "send no MIDI file with it"),
        (b"", {"bars": 0}, grpc.StatusCode.INVALID_ARGUMENT, "bars must be 1-512, got 0"),
        (b"", {"bars": 4, "tempo_qpm": 301.0}, grpc.StatusCode.INVALID_ARGUMENT, "tempo must be 20-300"),
        (b"", {"bars": 4, "meter": "4/3"}, grpc.StatusCode.INVALID_ARGUMENT, "meter 4/3 is not one a song can have"),
        (b"", {"bars": 200}, grpc.StatusCode.INVALID_ARGUMENT, "800 quarter notes; this server takes at most 512"),
        ("song", {"tempo_qpm": 100.0}, grpc.StatusCode.INVALID_ARGUMENT, "tempo and meter go with bars"),
        ("song", {"kit_map": '{"hihat": 42}'}, grpc.StatusCode.INVALID_ARGUMENT, "unknown drum class 'hihat'"),
        ("song", {"kit_map": "{"}, grpc.StatusCode.INVALID_ARGUMENT, "kit map is not valid JSON"),
        ("song", {"count_in_bars": 9}, grpc.StatusCode.INVALID_ARGUMENT, "count-in must be 0-8 bars, got 9"),
        ("song", {"count_in_bars": 1}, grpc.StatusCode.FAILED_PRECONDITION, "guitar enters in bar 1, .*--merge"),
    ],
    ids=["empty-no-bars", "song-and-bars", "bars-0", "tempo-301", "meter-4/3", "past-server-length", "tempo-alone",
         "kit-class", "kit-json", "count-in-9", "count-in-too-early"],
)
def test_grpc_refusals(stub: seq2drum_pb2_grpc.Seq2DrumStub, midi: bytes | str, options: dict[str, Any],
                       code: grpc.StatusCode, message: str) -> None:
    data = rock_song_bytes(2) if midi == "song" else midi
    with pytest.raises(grpc.RpcError) as caught:
        generate(stub, data, **options)  # type: ignore[arg-type]
    assert caught.value.code() == code
    assert re.search(message, caught.value.details()), caught.value.details()


def test_grpc_kit_map_and_count_in_with_merge(stub: seq2drum_pb2_grpc.Seq2DrumStub) -> None:
    response = generate(stub, rock_song_bytes(4), seed=2, merge=True, count_in_bars=2, kit_map=json.dumps(KIT))
    song = read_midi(response.midi)
    drums = next(p for p in song.parts if p.channel == DRUM_CHANNEL).notes
    assert drums[:8, 2].tolist() == [25] * 8 and not set(drums[:, 2].tolist()) & {36, 38, 42, 37}
    guitar = next(p for p in song.parts if p.channel != DRUM_CHANNEL)
    assert guitar.notes[0, 0] == 2 * 4 * song.ticks_per_quarter
    assert any("start 2 bars later" in notice for notice in response.metadata.notices)


# ---------------------------------------------------------------------------------------------- DAW helper


def test_helper_drums_from_nothing_and_song_flags(address: str, tmp_path: Path, kit_file: Path,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert daw_helper.main(["--bars", "6", "--tempo", "100", "--meter", "3/4", "--server", address]) == 0
    song = read_midi(tmp_path / "drums_6bars.mid")
    assert song.time_signatures == [(0, 3, 4)] and song.tempos == [(0, 600_000)]
    assert daw_helper.main(["--bars", "6", "--server", address]) == 2
    assert "drums_6bars.mid exists; pass --force" in capsys.readouterr().err
    assert daw_helper.main(["--bars", "6", "--meter", "5/3", "--force", "--server", address]) == 2
    assert "INVALID_ARGUMENT: meter 5/3" in capsys.readouterr().err
    riff_file = tmp_path / "riff.mid"
    riff_file.write_bytes(late_song(1))
    assert daw_helper.main([str(riff_file), "--count-in", "1", "--kit-map", str(kit_file), "--server", address]) == 0
    assert 25 in drum_pitches(tmp_path / "riff_drums.mid")
    assert daw_helper.main([str(riff_file), "--count-in", "3", "--server", address]) == 1
    assert "FAILED_PRECONDITION: the guitar enters in bar 2" in capsys.readouterr().err
    assert daw_helper.main([str(riff_file), "--kit-map", str(tmp_path / "none.json"), "--server", address]) == 2
    assert "cannot read --kit-map" in capsys.readouterr().err
    with pytest.raises(SystemExit) as caught:
        daw_helper.main([str(riff_file), "--bars", "4"])
    assert caught.value.code == 2 and "--bars makes drums from nothing" in capsys.readouterr().err
