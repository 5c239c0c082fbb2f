"""PlayAlong for real (server/live_stream.py, client/live_link.py, client/live_simulate.py): a server on port 0 with
the stand-in loop drummer (and once with a tiny causal model), made-up bars sent over a real channel: tempo and meter
changes, silence, a dropped connection and a restarted server, admission, idle streams, messages out of order, and
the helper's --simulate (the same drums run to run, its usage errors)."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import grpc
import numpy as np
import pytest

from client import daw_helper
from client.drum_client import DrumClient
from client.live_link import LiveLink, LiveLinkError, Note
from seq2drum.midi.io import read_midi
from seq2drum.rpc import seq2drum_pb2 as pb
from seq2drum.rpc import seq2drum_pb2_grpc
from server.config import ServerConfig
from server.live_jobs import LiveModel
from server.testing import ServerThread
from server.workers import ModelSource
from tests.builders import PPQ, backbeat, format1_song_bytes, notes_from_steps, riff, song_bytes, tiny_checkpoint

GUITAR = [("Guitar", 29, 0)]
RIFF = [Note(q / 2, 0.4, 40 + q % 3, 100, 0) for q in range(8)]  # eighths in a 4/4 bar
CONFIG = ServerConfig(workers=2, max_streams=2, live_idle_s=1.0)


@pytest.fixture(scope="module")
def loop_server(tiny_model_path: Path) -> Iterator[ServerThread]:
    with ServerThread("127.0.0.1:0", ModelSource(tiny_model_path, live=LiveModel(None)), CONFIG) as server:
        yield server


def _link(server: ServerThread, seed: int = 5, parts: list | None = None,
          rest_after: int | None = None) -> tuple[grpc.Channel, LiveLink]:
    channel = grpc.insecure_channel(f"127.0.0.1:{server.port}")
    options = pb.GenerationOptions(seed=seed, rest_after=rest_after)
    return channel, LiveLink(channel, options, parts if parts is not None else GUITAR)


def _play(link: LiveLink, bars: list[tuple[tuple[int, int], float, list[Note]]], first: int = 0) -> list[pb.DrumBar]:
    """Send each (meter, tempo, notes of the bar before) and wait for its drums."""
    out = []
    for offset, (meter, tempo, notes) in enumerate(bars):
        link.send(first + offset, meter, tempo, notes)
        bar = link.wait(first + offset, 10.0)
        assert bar is not None
        out.append(bar)
    return out


def _hits_played(server: ServerThread, bars: list[tuple[tuple[int, int], float, list[Note]]]) -> list[list[tuple]]:
    """A stream opened on `server` plays `bars` (as `_play`); each bar's hits as (onset, pitch, velocity)."""
    channel, link = _link(server)
    with channel, link:
        link.open()
        return [[(h.onset_quarters, h.pitch, h.velocity) for h in bar.hits] for bar in _play(link, bars)]


def test_each_bar_is_answered_in_its_own_meter_and_tempo(loop_server: ServerThread) -> None:
    channel, link = _link(loop_server)
    with channel, link:
        ready = link.open()
        assert ready.seed == 5 and ready.lead_quarters == pytest.approx(0.25)
        meters = [((4, 4), 120.0), ((7, 8), 140.0), ((3, 4), 90.0), ((12, 8), 60.0), ((4, 4), 200.0)]
        bars = _play(link, [(meter, tempo, RIFF if n else []) for n, (meter, tempo) in enumerate(meters)])
    for bar, ((numerator, denominator), _) in zip(bars, meters):
        length = numerator * 4 / denominator
        assert bar.hits and not bar.resting
        assert all(0 <= hit.onset_quarters < length for hit in bar.hits)
        assert all(36 <= hit.pitch <= 81 and 1 <= hit.velocity <= 127 for hit in bar.hits)
    assert len([h for h in bars[3].hits if h.pitch == 36]) == 2  # 12/8: kicks on dotted beats 1 and 3


@pytest.mark.parametrize("rest_after, bass", [(None, True), (2, False)], ids=["band", "rest-after"])
def test_the_drums_rest_after_two_silent_bars_and_come_back_with_the_band(loop_server: ServerThread,
                                                                          rest_after: int | None, bass: bool) -> None:
    """With the band heard (a bass part played), or --rest-after 2 with the guitar alone."""
    channel, link = _link(loop_server, parts=[("Guitar", 29, 0), ("Bass", 33, 1)], rest_after=rest_after)
    played = [True, True, False, False, False, True, True]  # whether bar n-1 had notes, for n = 1..
    notes = [*RIFF, Note(0.0, 1.0, 28, 100, 1)] if bass else RIFF
    with channel, link:
        link.open()
        bars = _play(link, [((4, 4), 120.0, [])] + [((4, 4), 120.0, notes if p else []) for p in played])
    resting = [bar.resting for bar in bars]
    # bar 3 follows one silent bar (2), bar 4 two (2, 3): rest until the band's bar 5 is heard, at bar 6
    assert resting == [False, False, False, False, True, True, False, False]
    assert all(not bar.hits for bar in bars if bar.resting)


def test_with_the_guitar_alone_the_drums_play_on_through_its_pauses(loop_server: ServerThread) -> None:
    channel, link = _link(loop_server)
    played = [True, True, False, False, False, True, True]
    with channel, link:
        link.open()
        bars = _play(link, [((4, 4), 120.0, [])] + [((4, 4), 120.0, RIFF if p else []) for p in played])
    assert not any(bar.resting for bar in bars) and all(bar.hits for bar in bars)


def test_a_reconnection_goes_on_from_the_next_bar(loop_server: ServerThread) -> None:
    """A dropped connection: a new stream with the same seed goes on with the next bar's index."""
    channel, link = _link(loop_server)
    with channel:
        link.open()
        _play(link, [((4, 4), 120.0, RIFF)] * 3)
        link.close()
    channel, again = _link(loop_server)
    with channel, again:
        again.open()
        bars = _play(again, [((4, 4), 120.0, RIFF)] * 3, first=3)
    assert [bar.index for bar in bars] == [3, 4, 5] and all(bar.hits for bar in bars)


def test_a_restarted_server_is_played_to_again(tiny_model_path: Path) -> None:
    """The server restarts on the same port: the old stream fails with a status, a new one plays."""
    source = ModelSource(tiny_model_path, live=LiveModel(None))
    first = ServerThread("127.0.0.1:0", source, CONFIG).start()
    port = first.port
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    link = LiveLink(channel, pb.GenerationOptions(seed=1), GUITAR)
    try:
        link.open()
        _play(link, [((4, 4), 120.0, RIFF)])
        first.stop(0)
        with pytest.raises(LiveLinkError) as failed:
            link.send(1, (4, 4), 120.0, RIFF)
            link.wait(1, 10.0)
        assert failed.value.code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED)
        with ServerThread(f"127.0.0.1:{port}", source, CONFIG) as second:
            again = LiveLink(grpc.insecure_channel(f"127.0.0.1:{second.port}"), pb.GenerationOptions(seed=1), GUITAR)
            again.open()
            assert _play(again, [((4, 4), 120.0, RIFF)], first=2)[0].hits
            again.close()
    finally:
        link.close()
        channel.close()
        first.stop(0)


def test_streams_past_max_streams_are_refused(loop_server: ServerThread) -> None:
    links = [_link(loop_server) for _ in range(CONFIG.max_streams + 1)]
    try:
        for _, link in links[:-1]:
            link.open()
        with pytest.raises(LiveLinkError) as refused:
            links[-1][1].open()
        assert refused.value.code == grpc.StatusCode.RESOURCE_EXHAUSTED and "--max-streams" in str(refused.value)
    finally:
        for channel, link in links:
            link.close()
            channel.close()


def test_a_streams_bars_wake_no_memory_watchdog(loop_server: ServerThread, monkeypatch: pytest.MonkeyPatch) -> None:
    """The pool's watchdog reads the memory of workers busy with songs (and a stream's start), not of those deciding
    bars: it read every busy worker 20 times a second, a thread of the gRPC process woken beside every round trip."""
    from server import pool

    closed, looks = loop_server.pool._closed, []

    class Counted:  # the pool's closing event, counting the watchdog's looks (each a wait of MEMORY_WATCH_S)
        def __getattr__(self, name: str) -> Any:
            return getattr(closed, name)

        def wait(self, timeout: float | None = None) -> bool:
            looks.append(timeout)
            return closed.wait(timeout)

    monkeypatch.setattr(loop_server.pool, "_closed", Counted())
    channel, link = _link(loop_server)
    with channel, link:
        link.open()
        time.sleep(3 * pool.MEMORY_WATCH_S)  # the start's watch is over
        looks.clear()
        for index in range(4):
            _play(link, [((4, 4), 120.0, RIFF)], first=index)
            time.sleep(2 * pool.MEMORY_WATCH_S)
    assert looks.count(pool.MEMORY_WATCH_S) == 0


def test_songs_and_starts_are_watched_and_bars_not() -> None:
    from seq2drum.midi.limits import ReadLimits
    from seq2drum.options import GenerationOptions
    from server.live_jobs import LiveJob
    from server.workers import Job, watched_job

    assert watched_job(Job(b"", GenerationOptions(), ReadLimits())) and watched_job(LiveJob())
    assert not watched_job(LiveJob(call=object()))


def test_an_idle_stream_is_closed_after_two_bars_or_the_idle_limit(loop_server: ServerThread) -> None:
    channel, link = _link(loop_server)
    with channel, link:
        link.open()
        _play(link, [((4, 4), 240.0, [])])  # two bars at 240 BPM: 2 s, past the server's 1 s
        started = time.perf_counter()
        with pytest.raises(LiveLinkError) as closed:
            link.wait(1, 10.0)
        assert closed.value.code == grpc.StatusCode.DEADLINE_EXCEEDED
        assert time.perf_counter() - started > 1.5  # not before the two bars (a lower bound: load cannot fail it)


@pytest.mark.parametrize("bad, message", [
    (lambda link: (link.send(0, (4, 4), 120.0, []), link.send(0, (4, 4), 120.0, [])), "came after bar 0"),
    (lambda link: link.send(0, (5, 3), 120.0, []), "denominator"),
    (lambda link: link.send(0, (4, 4), 4000.0, []), "tempo"),
], ids=["bar-twice", "meter", "tempo"])
def test_messages_out_of_place_are_invalid_argument(loop_server: ServerThread, bad, message: str) -> None:  # noqa: ANN001
    channel, link = _link(loop_server)
    with channel, link:
        link.open()
        bad(link)
        with pytest.raises(LiveLinkError) as refused:
            link.wait(1, 10.0)
        assert refused.value.code == grpc.StatusCode.INVALID_ARGUMENT and message in str(refused.value)


def test_the_causal_model_plays_along_through_the_stream(tiny_model_path: Path, tmp_path: Path) -> None:
    live = tiny_checkpoint(tmp_path / "live.pt", causal=True)
    with ServerThread("127.0.0.1:0", ModelSource(tiny_model_path, live=LiveModel(live)), CONFIG) as server:
        channel, link = _link(server, parts=[("Guitar", 29, 0), ("Bass", 33, 1)])
        with channel, link:
            ready = link.open()
            bars = _play(link, [((4, 4), 120.0, RIFF if n else []) for n in range(4)])
    assert ready.model_name and ready.lead_quarters == pytest.approx(0.25)
    assert [bar.index for bar in bars] == [0, 1, 2, 3] and not any(bar.resting for bar in bars)


def _song(tmp_path: Path, bars: int = 6) -> Path:
    path = tmp_path / "song.mid"
    path.write_bytes(format1_song_bytes(notes_from_steps(riff(bars)), notes_from_steps(backbeat(bars))))
    return path


def test_simulate_writes_the_same_drums_run_to_run(loop_server: ServerThread, tmp_path: Path) -> None:
    song = _song(tmp_path)
    argv = ["--server", f"127.0.0.1:{loop_server.port}", "--simulate", str(song), "--speed", "32", "--seed", "2"]
    assert daw_helper.main([*argv, "-o", str(tmp_path / "a.mid"), "--report", str(tmp_path / "a.json")]) == 0
    assert daw_helper.main([*argv, "--speed", "64", "-o", str(tmp_path / "b.mid")]) == 0
    assert (tmp_path / "a.mid").read_bytes() == (tmp_path / "b.mid").read_bytes()
    report = json.loads((tmp_path / "a.json").read_text())
    assert report["bars"] == 7 and 0 <= report["late_bars"] <= 7  # the song's 6 and the one that hears its last
    assert set(report["round_trip_ms"]) == {"p50", "p99", "max"}
    # the server's own share of each bar, as it said (DrumBar.decide_ms): within the round trip
    served = report["server_ms"]
    assert set(served) == {"p50", "p99", "max"} and 0 < served["p50"] <= served["max"] <= report["round_trip_ms"]["max"]
    # each bar's send, round trip and server share, in the order played: the bench tells a slow bar's cause by them
    timing = report["bar_timing"]
    assert len(timing) == 7 and [row[0] for row in timing] == sorted(row[0] for row in timing)
    assert all(0 < served <= trip for _, trip, served in timing)
    assert max(trip for _, trip, _ in timing) == pytest.approx(report["round_trip_ms"]["max"], abs=0.01)
    drums = read_midi((tmp_path / "a.mid").read_bytes())
    assert drums.drum_parts and drums.time_signatures == read_midi(song.read_bytes()).time_signatures


def test_the_bench_tells_a_slow_bar_behind_another_streams_from_one_slow_in_the_server() -> None:
    """bench_live_stream sorts the bars over 10 ms (issue 67's target) by their cause, from the helpers' timing."""
    from bench.bench_live_stream import slow_bars

    first = {"bar_timing": [[1.000, 6.0, 4.0], [1.500, 12.0, 9.0], [2.000, 11.0, 3.0]]}
    second = {"bar_timing": [[1.003, 11.0, 4.0], [2.100, 5.0, 4.0]]}  # sent 3 ms into the first stream's bar
    assert slow_bars([first, second]) == {"bars": 5, "slow": 3, "behind": 1, "server": 1, "outside": 1}
    assert slow_bars([first, {"round_trip_ms": {}}]) is None  # a helper from before the timing: nothing to say


def test_a_sped_up_simulation_says_what_late_meant_at_its_speed(loop_server: ServerThread, tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """`--speed 4` printed "93 bars, 13 late" for a song with no bar late at real time (issue 70): sped up, a bar's
    drums are due within its lead divided by the speed. The line says the speed and the lead it judged by, and how
    many bars were late against the real-time lead."""
    song = _song(tmp_path)
    assert daw_helper.main(["--server", f"127.0.0.1:{loop_server.port}", "--simulate", str(song), "--speed", "32",
                            "-o", str(tmp_path / "a.mid"), "--report", str(tmp_path / "a.json")]) == 0
    line = capsys.readouterr().out.strip().splitlines()[-1]
    report = json.loads((tmp_path / "a.json").read_text())
    lead = report["lead_ms"]
    assert lead["real_time"] == pytest.approx(125.0, abs=0.2)  # the last 16th at 120 BPM
    assert lead["at_speed"] == pytest.approx(lead["real_time"] / 32, abs=0.1)
    assert 0 <= report["late_bars_against_real_time_lead"] <= report["late_bars"]
    assert f"{report['late_bars']} late at 32x real time" in line
    assert f"{lead['at_speed']:g} ms median, not 125 ms as live" in line
    assert f"against the real-time lead {report['late_bars_against_real_time_lead']} late" in line


def test_the_summary_line_names_the_clock_lateness_was_judged_by() -> None:
    from client.live_simulate import summary_line

    report = {"bars": 93, "late_bars": 13, "round_trip_ms": {"p50": 20.5, "p99": 60.0, "max": 70.0},
              "lead_ms": {"at_speed": 31.2, "real_time": 125.0}, "late_bars_against_real_time_lead": 0, "speed": 4.0}
    assert summary_line(report, Path("out.mid")) == (
        "wrote out.mid: 93 bars, 13 late at 4x real time (due within the lead at that speed, 31.2 ms median, not "
        "125 ms as live); against the real-time lead 0 late (--speed 1 plays it as live); round trip p50 20.5 ms, "
        "p99 60.0 ms")
    live = {**report, "speed": 1.0, "late_bars": 0, "lead_ms": {"at_speed": 125.0, "real_time": 125.0}}
    assert summary_line(live, Path("out.mid")) == ("wrote out.mid: 93 bars, 0 late (a bar's drums are due within its "
                                                   "lead, 125 ms median); round trip p50 20.5 ms, p99 60.0 ms")


@pytest.mark.parametrize("argv, message", [
    (["song.mid", "--simulate", "song.mid", "-o", "x.mid"], "leave out the positional song"),
    (["--simulate", "song.mid"], "needs -o"),
    (["--simulate", "song.mid", "-o", "x.mid", "--speed", "100"], "--speed must be 0.25-64"),
], ids=["song-twice", "no-output", "speed"])
def test_simulate_usage_errors_exit_2(loop_server: ServerThread, tmp_path: Path, argv: list[str], message: str,
                                      capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    _song(tmp_path)
    code = None
    try:
        code = daw_helper.main(["--server", f"127.0.0.1:{loop_server.port}", *argv])
    except SystemExit as exit_:
        code = exit_.code
    assert code == 2 and message in capsys.readouterr().err


def test_a_drum_client_opens_a_stream_on_its_channel(loop_server: ServerThread) -> None:
    with DrumClient(f"127.0.0.1:{loop_server.port}") as client:
        link = client.live_link(pb.GenerationOptions(seed=3), GUITAR)
        assert link.open().seed == 3
        link.close()


def test_simulate_starts_with_the_band(loop_server: ServerThread, tmp_path: Path) -> None:
    """A file whose band enters in bar 3 (a drum intro before it): the stream starts there, no drums before; it ends
    with the bar after the band's last (5 bars)."""
    guitar = notes_from_steps(riff(4))
    guitar[:, :2] += 2 * 4 * PPQ  # two bars later
    path = tmp_path / "late.mid"
    path.write_bytes(format1_song_bytes(guitar, notes_from_steps(backbeat(6))))
    out = tmp_path / "late_drums.mid"
    assert daw_helper.main(["--server", f"127.0.0.1:{loop_server.port}", "--simulate", str(path), "--speed", "64",
                            "-o", str(out), "--report", str(tmp_path / "r.json")]) == 0
    drums = read_midi(out.read_bytes()).drum_parts[0].notes
    assert drums[:, 0].min() >= 2 * 4 * PPQ - PPQ // 8 and json.loads((tmp_path / "r.json").read_text())["bars"] == 5


def test_simulate_writes_what_evaluate_live_plays(tiny_model_path: Path, tmp_path: Path) -> None:
    """The helper's --simulate (mido's bars, the stream, the server's session) and --mode evaluate --live's playback
    (generation's bars, the same session in process) decide the same drums for the same song and seed: figures
    measured with one hold for the other."""
    from seq2drum.live.model_drummer import ModelDrummer
    from seq2drum.evaluation.playback import play_file
    from seq2drum.options import GenerationOptions

    live = tiny_checkpoint(tmp_path / "live.pt", causal=True)
    song = _song(tmp_path, bars=8)
    with ServerThread("127.0.0.1:0", ModelSource(tiny_model_path, live=LiveModel(live)), CONFIG) as server:
        assert daw_helper.main(["--server", f"127.0.0.1:{server.port}", "--simulate", str(song), "--speed", "64",
                                "--seed", "4", "-o", str(tmp_path / "sim.mid")]) == 0
    simulated = read_midi((tmp_path / "sim.mid").read_bytes()).drum_parts[0].notes
    played = play_file(ModelDrummer(live), song.read_bytes(), GenerationOptions(seed=4), seed=4).notes
    assert len(played) and {(s, p) for s, _, p, _ in simulated.tolist()} == {(s, p) for s, _, p, _ in played.tolist()}


def test_simulate_with_kept_drums_writes_what_evaluate_live_plays(tiny_model_path: Path, tmp_path: Path) -> None:
    """--keep-drums on a song whose drummer plays its first 3 bars: the helper's --simulate (the song's channel 10 sent
    as a DAW sends it, through the server's session) and --mode evaluate --live's playback write the same drums; the
    given notes are in both exactly and no other note starts in their bars; and the drummer heard each given bar as
    generation's kept drums lay it on the steps (`given.hits`), once, before it decided the next bar. If this fails,
    the live figures of the primed input no longer say what a user playing along with their drums gets."""
    from seq2drum.generation.prepare import prepare
    from seq2drum.live.model_drummer import ModelDrummer
    from seq2drum.evaluation.playback import play_file
    from seq2drum.options import GenerationOptions

    heard: list[np.ndarray] = []

    class Listening(ModelDrummer):
        def hear(self, state: Any, hits: np.ndarray, velocities: Sequence[int] = ()) -> Any:
            heard.append(np.asarray(hits).copy())
            return super().hear(state, hits, velocities)

    live = tiny_checkpoint(tmp_path / "live.pt", causal=True)
    given = notes_from_steps(backbeat(3))
    song = tmp_path / "primed.mid"
    song.write_bytes(format1_song_bytes(notes_from_steps(riff(8)), given))
    with ServerThread("127.0.0.1:0", ModelSource(tiny_model_path, live=LiveModel(live)), CONFIG) as server:
        assert daw_helper.main(["--server", f"127.0.0.1:{server.port}", "--simulate", str(song), "--keep-drums",
                                "--speed", "64", "--seed", "4", "-o", str(tmp_path / "sim.mid")]) == 0
    simulated = read_midi((tmp_path / "sim.mid").read_bytes()).drum_parts[0].notes
    drummer = Listening(live)
    options = GenerationOptions(seed=4, keep_drums=True)
    played = play_file(drummer, song.read_bytes(), options, seed=4).notes
    kept = sorted(map(tuple, given.tolist()))
    for notes in (simulated, played):
        assert [tuple(n) for n in notes.tolist() if tuple(n) in set(kept)] == kept  # every given note, as given
        others = [n for n in notes.tolist() if tuple(n) not in set(kept)]
        assert others and min(start for start, _, _, _ in others) >= 3 * 4 * PPQ  # none in the given bars
    assert sorted((s, p, v) for s, _, p, v in simulated.tolist()) == sorted((s, p, v) for s, _, p, v in played.tolist())
    expected = prepare(song.read_bytes(), options, drummer.data_config, drummer.spec).given.hits[:3]
    assert len(heard) == 3 and all((h == e).all() for h, e in zip(heard, expected))


def test_simulate_with_the_guitar_alone_plays_from_the_files_first_bar(tiny_model_path: Path, tmp_path: Path) -> None:
    """--guitar-only: the stream starts at the file's first bar and the drums keep time before the guitar enters
    (bar 3), as --mode evaluate --live plays the same file (tests/test_from_the_top.py)."""
    from seq2drum.live.model_drummer import ModelDrummer
    from seq2drum.evaluation.playback import play_file
    from seq2drum.options import GenerationOptions

    live = tiny_checkpoint(tmp_path / "live.pt", causal=True)
    guitar = notes_from_steps(riff(4))
    guitar[:, :2] += 2 * 4 * PPQ
    path = tmp_path / "late.mid"
    path.write_bytes(format1_song_bytes(guitar, notes_from_steps([])))
    with ServerThread("127.0.0.1:0", ModelSource(tiny_model_path, live=LiveModel(live)), CONFIG) as server:
        assert daw_helper.main(["--server", f"127.0.0.1:{server.port}", "--simulate", str(path), "--guitar-only",
                                "--speed", "64", "--seed", "4", "-o", str(tmp_path / "sim.mid")]) == 0
    simulated = read_midi((tmp_path / "sim.mid").read_bytes()).drum_parts[0].notes
    assert simulated[:, 0].min() < 2 * 4 * PPQ  # drums before the guitar's entry
    played = play_file(ModelDrummer(live), path.read_bytes(), GenerationOptions(seed=4, guitar_only=True), seed=4)
    assert {(s, p) for s, _, p, _ in simulated.tolist()} == {(s, p) for s, _, p, _ in played.notes.tolist()}


def test_simulate_writes_the_songs_tempo_and_meter_events_as_they_are(tmp_path: Path) -> None:
    """Breaks if the helper's drum file added a tempo or meter at tick 0 that the song does not have, or reordered
    two tempos at one tick (the later one plays), or timed the bars before the first tempo at anything but MIDI's
    120 BPM."""
    from client.live_simulate import drum_file
    from client.song_bars import read_song

    tempos, meters = [(0, 461_538), (0, 600_000), (4 * 4 * PPQ, 444_444)], [(2 * 4 * PPQ, 4, 4)]
    path = tmp_path / "maps.mid"
    path.write_bytes(format1_song_bytes(notes_from_steps(riff(6)), notes_from_steps(backbeat(6)), tempos=tempos,
                                        time_signatures=meters))
    song = read_song(path)
    assert song.seconds(4 * PPQ) == pytest.approx(0.6 * 4)  # the later of the two tempos at tick 0 plays
    kick = pb.LiveDrumHit(onset_quarters=0.0, duration_quarters=0.25, pitch=36, velocity=100)
    written = read_midi(drum_file(song, [pb.DrumBar(index=bar.index, hits=[kick]) for bar in song.bars]))
    assert (written.file_tempos, written.file_meters) == (tempos, [(tick, n, d) for tick, n, d in meters])
    late = tmp_path / "late.mid"
    late.write_bytes(format1_song_bytes(notes_from_steps(riff(6)), notes_from_steps(backbeat(6)),
                                        tempos=[(4 * PPQ, 444_444)]))
    assert read_song(late).seconds(4 * PPQ) == pytest.approx(2.0)  # 120 BPM until the file's first tempo


class _RecordingPipe:
    """A worker's end of the pipe, in process: the jobs to hand out (then None: stop), and what was sent."""

    def __init__(self, jobs: list, events: list) -> None:
        self._jobs, self.events = [*jobs, None], events

    def recv(self) -> object:
        return self._jobs.pop(0)

    def send(self, message: tuple) -> None:
        self.events.append(("sent", message[0]))


def test_a_workers_bar_goes_back_before_its_clean_up(monkeypatch: pytest.MonkeyPatch) -> None:
    """A live bar's drums are sent before the worker collects its garbage and measures itself (about 1 ms a bar
    that the stream waited for); a song's job still cleans up first, as its size decides its worker's recycling."""
    import torch

    from seq2drum.options import GenerationOptions
    from server import workers
    from server.live_jobs import LiveJob

    events: list = []
    monkeypatch.setattr(workers, "release_memory", lambda keep_bytes=0: events.append(("release", keep_bytes)))
    monkeypatch.setattr(workers, "collect_between_jobs", lambda: None)
    source = ModelSource(None, torch.get_num_threads(), factory=lambda _path: SimpleNamespace(info=SimpleNamespace()),
                         live=LiveModel(None))
    start = LiveJob(GenerationOptions(), seed=1, parts=[("Guitar", 29, 0)])
    workers.worker_main(_RecordingPipe([start, start], events), source)
    answers = [i for i, event in enumerate(events) if event == ("sent", "ok")]
    assert events[0] == ("release", 0) and events[1] == ("sent", "ready")  # loaded: cleaned up, then ready
    assert len(answers) == 2
    for at in answers:  # each answer first, its clean-up after
        assert events[at - 1] == ("sent", "taken") and events[at + 1][0] == "release"


def test_the_log_line_counts_a_streams_bytes(loop_server: ServerThread, caplog: pytest.LogCaptureFixture) -> None:
    """Issue 69 N12: PlayAlong's log line said bytes_in=0 bytes_out=0, also for streams of thousands of bars."""
    import logging

    start = pb.PlayAlongRequest(start=pb.PlayAlongStart(options=pb.GenerationOptions(seed=1),
                                                        parts=[pb.LivePart(name="Guitar", program=29, channel=0)]))
    notes = [pb.LiveNote(onset_quarters=note.onset, duration_quarters=note.duration, pitch=note.pitch,
                         velocity=note.velocity, part=0) for note in RIFF]
    requests = [start, *[pb.PlayAlongRequest(bar=pb.PlayedBar(index=index, numerator=4, denominator=4, tempo_bpm=120.0,
                                                             notes=notes if index else []))
                         for index in range(6)]]
    with caplog.at_level(logging.INFO, logger="seq2drum.server"), \
            grpc.insecure_channel(f"127.0.0.1:{loop_server.port}") as channel:
        responses = list(seq2drum_pb2_grpc.Seq2DrumStub(channel).PlayAlong(iter(requests), timeout=30))
        _wait_for(lambda: any(r.getMessage().startswith("PlayAlong ") for r in caplog.records))
    [line] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("PlayAlong ")]
    assert len(responses) == 7 and "status=OK" in line
    assert f"bytes_in={sum(r.ByteSize() for r in requests)} " in line
    assert f"bytes_out={sum(r.ByteSize() for r in responses)} " in line


def _wait_for(condition: Any, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)


@pytest.mark.parametrize("change_tick", [4 * 4 * PPQ, 3 * 4 * PPQ + 2 * PPQ, 3 * 4 * PPQ + 2 * PPQ + 7],
                         ids=["at-a-bar-line", "mid-bar-on-the-grid", "off-the-grid"])
def test_simulate_plays_a_song_that_turns_to_one_sixteenth_through(loop_server: ServerThread, tmp_path: Path,
                                                                   change_tick: int,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 69 N4: a song turning to 1/16 stopped 2 bars after the change (exit 0, no word), where offline plays
    its every bar: a 1/16 bar is no longer than the lead, so no note of it was heard, and the stream ended one bar
    after the last bar that heard one. Now it plays the bars generation's grid makes, and the bar after the last, with
    drums in the last of them, and says in one line which bars the server could not hear."""
    from seq2drum.song.grid import Grid

    song = tmp_path / "sixteenths.mid"
    guitar = notes_from_steps([(step, 40 + step % 5) for step in range(4 * 16 + 40)])  # a 16th each
    song.write_bytes(song_bytes(guitar, time_signatures=[(0, 4, 4), (change_tick, 1, 16)]))
    offline = read_midi(song.read_bytes())
    grid = Grid.build(PPQ, offline.time_signatures, offline.tempos, offline.end_tick)
    argv = ["--server", f"127.0.0.1:{loop_server.port}", "--simulate", str(song), "--speed", "64", "--seed", "1"]
    assert daw_helper.main([*argv, "-o", str(tmp_path / "sim.mid"), "--report", str(tmp_path / "r.json")]) == 0
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["bars"] == grid.n_bars + 1 and report["unheard_bars"] >= 40
    drums = read_midi((tmp_path / "sim.mid").read_bytes()).drum_parts[0].notes
    assert drums[:, 0].max() >= offline.end_tick - PPQ  # the drums reach the song's last beat
    warnings = [line for line in capsys.readouterr().err.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 1 and "heard none of the band's notes" in warnings[0]


def _worker_speaking(reply: Any, memory: str = "") -> tuple[Any, Any]:
    """A `Worker` whose far end is a thread speaking the worker's protocol: it reads the job, then `reply` is
    "dead" (its end closed before it reads), "taken then dead", or a message sent after ("taken",)."""
    import multiprocessing
    import threading

    from server.workers import Worker

    ours, theirs = multiprocessing.Pipe(duplex=True)
    worker = object.__new__(Worker)
    worker.conn, worker.process = ours, SimpleNamespace(exitcode=-9)
    worker.jobs, worker.watched, worker.last_rss, worker.stopped_for_memory = 0, False, 0, memory

    def far_end() -> None:
        if reply == "dead":
            theirs.close()
            return
        theirs.recv()
        theirs.send(("taken",))
        if reply == "unreadable":
            theirs.send_bytes(b"\x00 not a pickle")  # the loop's recv cannot read it
        elif reply != "taken then dead":
            theirs.send(reply)
        theirs.close()

    thread = threading.Thread(target=far_end, daemon=True)
    if reply == "dead":
        far_end()
    else:
        thread.start()
    return worker, thread


@pytest.mark.parametrize(("reply", "memory", "expected"), [
    (("ok", SimpleNamespace(rss_bytes=7, hits=[])), "", None),
    (("error", ValueError("the bar's own error"), 5), "", "the bar's own error"),
    (("crash", "ZeroDivisionError: boom"), "", "failed unexpectedly: ZeroDivisionError"),
    ("taken then dead", "", "stopped"),
    ("taken then dead", "past its memory limit", "past its memory limit"),
    ("dead", "", "gone before it took"),
    ("unreadable", "", "invalid load key"),
], ids=["answered", "refused", "crashed", "died on the bar", "stopped for memory", "gone before", "unreadable"])
def test_a_bar_is_sent_and_answered_on_the_event_loop(reply: Any, memory: str, expected: str | None) -> None:
    """A play-along bar's job goes to its worker and comes back on the event loop, no thread between
    (`Worker.run_on_loop`): its answer, its domain error, an answer that cannot be read, or the worker's end as
    `Worker.run` raises it (lost before it took the bar: the stream tries another worker; died on it: replaced), the
    pipe's reader gone either way."""
    import asyncio
    import pickle

    from server.workers import WorkerCrashedError, WorkerLostError, WorkerMemoryError

    worker, thread = _worker_speaking(reply, memory)

    async def bar() -> Any:
        loop = asyncio.get_running_loop()
        fd = worker.conn.fileno()
        try:
            return await asyncio.wait_for(worker.run_on_loop(SimpleNamespace(call=()), loop), 10)
        finally:
            assert not loop.remove_reader(fd)  # the answer, or the end, took the reader off the loop

    if expected is None:
        assert asyncio.run(bar()) == reply[1] and worker.jobs == 1 and worker.last_rss == 7
        return
    with pytest.raises((ValueError, WorkerCrashedError, pickle.UnpicklingError)) as raised:
        asyncio.run(bar())
    assert expected in str(raised.value)
    kinds = {"dead": WorkerLostError, "taken then dead": WorkerMemoryError if memory else WorkerCrashedError}
    if reply in kinds:
        assert type(raised.value) is kinds[reply] and worker.conn.closed
    if thread.is_alive():
        thread.join(5)


def _counting_worker_jobs(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The play-along jobs sent to workers (`PlayAlongStreams._job`: starts, and bars not decided here), recorded."""
    from server import live_stream

    sent: list[Any] = []
    to_worker = live_stream.PlayAlongStreams._job

    async def counted(self: Any, job: Any, context: Any) -> Any:
        sent.append(job)
        return await to_worker(self, job, context)

    monkeypatch.setattr(live_stream.PlayAlongStreams, "_job", counted)
    return sent


def test_bars_are_decided_in_the_server_process_the_same_as_on_a_worker(tiny_model_path: Path, tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 67: a bar is decided on the gRPC process's event loop by the live drummer it loads, no worker between
    (two process hops and the songs' line), and so is a start without a groove clip. The drums are a worker's, where
    a bar is sent as it came (every bar, with LOCAL_BAR_NOTES at -1)."""
    from server import live_stream

    sent = _counting_worker_jobs(monkeypatch)
    live = tiny_checkpoint(tmp_path / "live.pt", causal=True)
    bars = [((4, 4), 120.0, RIFF if n else []) for n in range(5)] + [((3, 4), 96.0, RIFF[:6])] * 2
    played = {}
    with ServerThread("127.0.0.1:0", ModelSource(tiny_model_path, live=LiveModel(live)), CONFIG) as server:
        for where, limit in (("here", live_stream.LOCAL_BAR_NOTES), ("workers", -1)):
            monkeypatch.setattr(live_stream, "LOCAL_BAR_NOTES", limit)
            sent.clear()
            played[where] = _hits_played(server, bars)
            assert [job.bar is not None for job in sent] == ([] if where == "here" else [True] * len(bars))
    assert any(played["here"]) and played["here"] == played["workers"]


def test_a_bar_of_many_notes_is_read_and_decided_on_a_worker(loop_server: ServerThread,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A bar of more than LOCAL_BAR_NOTES notes (up to MAX_BAR_NOTES come) is neither decided nor read into Python
    objects in the server process, where either would hold every other stream and call (issue 89 P5: 21 ms of the
    GIL to read 4,096 notes, on a thread): it goes to a worker as it came, with the stream's session."""
    from server import live_jobs, live_stream

    sent = _counting_worker_jobs(monkeypatch)
    taken: list[int] = []
    take = live_jobs.take_bar
    monkeypatch.setattr(live_stream, "take_bar",
                        lambda session, bar: taken.append(len(bar.notes)) or take(session, bar))
    crowded = [Note(q / 256, 0.01, 40 + q % 20, 90, 0) for q in range(live_stream.LOCAL_BAR_NOTES + 1)]
    channel, link = _link(loop_server)
    with channel, link:
        link.open()
        answered = _play(link, [((4, 4), 120.0, RIFF), ((4, 4), 120.0, crowded), ((4, 4), 120.0, RIFF)])
        assert _play(link, [((4, 4), 120.0, RIFF)], first=3)[0].hits  # the session came back from the worker
    assert len(answered) == 3 and all(bar.hits for bar in answered)
    assert [len(pb.PlayedBar.FromString(job.bar).notes) for job in sent if job.bar] == [len(crowded)]
    assert taken == [len(RIFF), len(RIFF), len(RIFF)]  # the crowded bar was never read here


def test_a_start_with_a_groove_clip_is_read_on_a_worker(loop_server: ServerThread,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A start that brings a groove clip (a MIDI file from the player) is parsed on a worker under its memory
    watch, as a song is; a start without one runs in the server's own process, so songs in the workers never hold
    a player back from starting."""
    sent = _counting_worker_jobs(monkeypatch)
    clip = song_bytes(drums=notes_from_steps([(step, 36 if step % 8 == 0 else 38 if step % 8 == 4 else 42, 100)
                                              for step in range(0, 32, 2)]))
    for groove in (b"", clip):
        sent.clear()
        channel = grpc.insecure_channel(f"127.0.0.1:{loop_server.port}")
        with channel, LiveLink(channel, pb.GenerationOptions(seed=2, groove_midi=groove), GUITAR) as link:
            assert link.open().model_name
            assert _play(link, [((4, 4), 120.0, RIFF)])[0].hits
        assert [job.groove for job in sent] == ([clip] if groove else [])


def test_simulate_never_writes_over_a_report_or_the_song(loop_server: ServerThread, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 89 P2: --report wrote over an existing file without --force (only -o was checked), and -o or --report
    could name the song itself. Refused before anything is played; exit 2, as main.py's refusals."""
    song = _song(tmp_path)
    report = tmp_path / "mine.json"
    report.write_text("my own notes")
    argv = ["--server", f"127.0.0.1:{loop_server.port}", "--simulate", str(song), "--speed", "64"]
    assert daw_helper.main([*argv, "-o", str(tmp_path / "a.mid"), "--report", str(report)]) == 2
    assert "mine.json exists" in capsys.readouterr().err and report.read_text() == "my own notes"
    assert not (tmp_path / "a.mid").exists()
    for flags in (["-o", str(song), "--force"], ["-o", str(tmp_path / "a.mid"), "--report", str(song), "--force"],
                  ["-o", str(tmp_path / "a.mid"), "--report", str(tmp_path / "a.mid")]):
        assert daw_helper.main([*argv, *flags]) != 0
        assert "Traceback" not in capsys.readouterr().err
    assert song.read_bytes() == format1_song_bytes(notes_from_steps(riff(6)), notes_from_steps(backbeat(6)))
    assert daw_helper.main([*argv, "-o", str(tmp_path / "a.mid"), "--report", str(report), "--force"]) == 0
    assert json.loads(report.read_text())["bars"] == 7


@pytest.mark.parametrize("content", [b"MThd\x00\x00\x00\x06\x00\x01\x00\x02\x01\xe0MTrk\x00\x00\x01\x00\x90",
                                     b"not midi at all"], ids=["truncated", "not-midi"])
def test_simulate_of_a_corrupt_file_is_a_usage_error(loop_server: ServerThread, tmp_path: Path, content: bytes,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 89 (low): --simulate exited 1 on a corrupt file, where the docs (and main.py) say 2 for what the user
    can fix."""
    song = tmp_path / "bad.mid"
    song.write_bytes(content)
    code = daw_helper.main(["--server", f"127.0.0.1:{loop_server.port}", "--simulate", str(song), "-o",
                            str(tmp_path / "out.mid")])
    error = capsys.readouterr().err
    assert code == 2 and "bad.mid" in error and error.count("\n") == 1, error


def test_a_sped_up_run_does_not_count_the_wait_behind_earlier_bars_as_late_live() -> None:
    """Issue 89 (low): at 16x a 1/16 song reported 125 bars late against the real-time lead, 0 at speed 1: its bars
    came every 7.8 ms and each waited behind the ones before, a wait live playing never has. A bar is late live when
    its own time (from when the bar before was answered, or it was sent if later) passes the real-time lead; the
    report says how many bars waited and the summary line why."""
    from client.live_simulate import _report, summary_line

    n, gap_s, decide_s, lead_s = 200, 0.0078, 0.010, 0.125  # 1/16 bars at 120 BPM, 16x; the server 10 ms a bar
    sent = [index * gap_s for index in range(n)]
    received: list[float] = []
    for index in range(n):
        received.append(max(sent[index], received[-1] if received else 0.0) + decide_s)
    bars = [SimpleNamespace(index=index) for index in range(n)]
    link = SimpleNamespace(round_trip_ms=lambda i: 1000 * (received[i] - sent[i]), received_at=lambda i: received[i],
                           sent_at=lambda i: sent[i], answer=lambda i: SimpleNamespace(decide_ms=1000 * decide_s,
                                                                                       resting=False))
    song = SimpleNamespace(bars=bars, notices=[])
    ready = SimpleNamespace(seed=1, model_name="m", lead_quarters=0.25)
    report = _report(song, link, ready, [lead_s] * n, [s + lead_s / 16 for s in sent], 16.0, [])
    assert max(received[i] - sent[i] for i in range(n)) > lead_s  # the queue grew past the real-time lead
    assert report["late_bars_against_real_time_lead"] == 0 and report["queued_bars"] > 100
    assert "waited behind the bars before them" in summary_line(report, Path("out.mid"))


@pytest.mark.parametrize("content", [b"junk", b"", b"PK\x03\x04 truncated"], ids=["not-torch", "empty", "bad-zip"])
def test_a_bad_live_checkpoint_is_named_by_its_own_flag(tmp_path: Path, content: bytes) -> None:
    """Issue 89, low: a --live-checkpoint that is not a checkpoint was answered "pass --checkpoint with RUN/best.pt",
    the offline model's flag and file. The problem is kept; the advice names --live-checkpoint and --live-loop."""
    from seq2drum.errors import CheckpointError

    path = tmp_path / "live.pt"
    path.write_bytes(content)
    with pytest.raises(CheckpointError) as refused:
        LiveModel(path).load()
    message = str(refused.value)
    assert message.startswith("--live-checkpoint: ") and str(path) in message
    assert "--checkpoint" not in message.replace("--live-checkpoint", "")
    assert content == b"PK\x03\x04 truncated" or "or --live-loop for a plain backbeat" in message


def test_a_bad_part_switch_is_refused_and_the_drums_play_on(loop_server: ServerThread,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    """Issue 98, low: one PartSwitch to a part no meter has ended the whole stream INVALID_ARGUMENT at the next bar.
    The switch is refused (the server logs why) and every bar after it is answered."""
    channel, link = _link(loop_server)
    with caplog.at_level(logging.WARNING, logger="seq2drum.live"), channel, link:
        link.open()
        answered = _play(link, [((4, 4), 120.0, RIFF if n else []) for n in range(3)])
        link.switch("cowbell forever")
        answered += _play(link, [((4, 4), 120.0, RIFF)] * 6, first=3)
    assert len(answered) == 9 and all(bar.hits for bar in answered[1:])
    assert "the switch to part 'cowbell forever' before bar 3 was refused" in caplog.text


def test_a_bars_hearing_is_taken_in_after_its_answer_is_sent(tiny_model_path: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 102: what a bar leaves for the live drummer's hearing (every few bars the band read and the plan drawn,
    live/hearing.py `heard`) runs once the bar's answer is sent (server/live_local.py `AfterBars`): a reading or a plan
    on the server's hearing thread, a bar kept alone on the loop; never inside a bar's decision (`LocalDrummer.run`);
    and the drums are those of a server that leaves it to the next bar's call, and of one whose thread is slow (each
    next call waits for it)."""
    import threading

    from seq2drum.live import hearing as hearing_module
    from server import live_local, live_stream

    deciding, where, waited = threading.local(), [], []
    run, heard, ready, after = (live_stream.LocalDrummer.run, hearing_module.heard, live_local.AfterBars.ready,
                                live_local.LocalDrummer.after)

    def decided(self: Any, job: Any) -> Any:
        deciding.inside = True
        try:
            return run(self, job)
        finally:
            deciding.inside = False

    def spied(*args: Any) -> Any:
        name, bar = threading.current_thread().name, args[-1]
        where.append("in a decision" if getattr(deciding, "inside", False) else
                     "on the thread" if name.startswith("seq2drum-hearing") else
                     "read or planned on the loop" if bar.position is not None and hearing_module.due(bar.position)
                     else "kept on the loop")
        return heard(*args)

    async def readied(self: Any, state: Any, index: int) -> Any:
        waited.append(self._job is not None and not self._job.done())
        return await ready(self, state, index)

    def slow(self: Any, state: Any) -> Any:
        time.sleep(0.05)
        return after(self, state)

    monkeypatch.setattr(live_stream.LocalDrummer, "run", decided)
    monkeypatch.setattr(hearing_module, "heard", spied)
    monkeypatch.setattr(live_local.AfterBars, "ready", readied)
    live = tiny_checkpoint(tmp_path / "live.pt", causal=True)
    bars = [((4, 4), 120.0, RIFF)] * 12
    played = {}
    with ServerThread("127.0.0.1:0", ModelSource(tiny_model_path, live=LiveModel(live)), CONFIG) as server:
        for how in ("on the thread", "slow thread", "in the next call"):
            if how == "slow thread":
                monkeypatch.setattr(live_local.LocalDrummer, "after", slow)
            if how == "in the next call":
                monkeypatch.setattr(live_local.AfterBars, "started", lambda self, state: state)
            live_local.HEARING.submit(lambda: None).result()  # the last stream's last work done (one thread)
            where.clear(), waited.clear()
            played[how] = _hits_played(server, bars)
            # a reading or plan on the thread, a bar kept alone on the loop (the last bar's, perhaps after this line);
            # left to the calls, each in the next bar's decision
            if how == "in the next call":
                assert where[:11] == ["in a decision"] * 11
            else:
                assert set(where[:11]) == {"on the thread", "kept on the loop"}
            if how == "slow thread":  # each call after a reading or plan came before it was done, and waited
                assert sum(waited) >= where[:11].count("on the thread") - 1 >= 1
    assert any(played["on the thread"])
    assert played["on the thread"] == played["slow thread"] == played["in the next call"]
