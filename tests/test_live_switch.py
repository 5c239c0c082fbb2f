"""Switching part while `--live` plays (issue 87 item 6, the helper's side): the switch map (client/live_switch.py)
read and refused with one line naming the fix; a program change, a control change or a key switches the part, sent
up the stream before the next bar; and through a real server with the shipped live model, a program change in bar 6
rides from bar 9, the next phrase, and not before. The terminal's keys are read from a pseudo-terminal."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

import grpc
import mido
import pytest

from client import daw_helper
from client.live_link import LiveLink, LiveLinkError
from client.live_play import PARTS, LivePlayer, OwnClock
from client.live_switch import KeyReader, SwitchMap, SwitchMapError, load_switch_map
from seq2drum.rpc import seq2drum_pb2 as pb
from tests.test_live_play import FakeLink
from tests.test_parts_plan import band_song

RIDING = "eighths on the ride, backbeat"
RIDE, HATS = 51, (42, 44, 46)


def a_map(tmp_path: Path, text: str) -> SwitchMap:
    path = tmp_path / "switches.json"
    path.write_text(text)
    return load_switch_map(path)


def test_a_switch_map_reads_keys_programs_and_controllers(tmp_path: Path) -> None:
    switches = a_map(tmp_path, '{"key r": "ride-8ths", "KEY R": "model", "Program 1": "half-time", '
                               '"program 1 channel 16": "drop-out", "cc 20": "ride-8ths", "cc 21 0": "model"}')
    assert switches.parts == ["ride-8ths", "model", "half-time", "drop-out"]
    assert (switches.for_key("r"), switches.for_key("R"), switches.for_key("x")) == ("ride-8ths", "model", None)
    assert switches.for_message(mido.Message("program_change", program=0, channel=3)) == "half-time"
    assert switches.for_message(mido.Message("program_change", program=0, channel=15)) == "drop-out"  # its channel
    assert switches.for_message(mido.Message("program_change", program=1)) is None
    pedal = [switches.for_message(mido.Message("control_change", control=20, value=value))
             for value in (127, 127, 0, 100)]
    assert pedal == ["ride-8ths", None, None, "ride-8ths"]  # a press switches, held or released it does not
    assert switches.for_message(mido.Message("control_change", control=21, value=0)) == "model"
    assert switches.for_message(mido.Message("note_on", note=40)) is None
    assert "program 1 channel 16 -> 'drop-out'" in switches.describe()


@pytest.mark.parametrize(("text", "said"), [
    (None, "not found; name a JSON file"),
    ('{"key r": "ride-8ths",}', "not JSON"),
    ('["key r"]', "must be a JSON object"),
    ("{}", "must be a JSON object of one or more"),
    ('{"pedal": "ride-8ths"}', "'pedal' is not a trigger; write 'key r'"),
    ('{"program 0": "ride-8ths"}', "programs are numbered 1-128"),
    ('{"cc 128": "ride-8ths"}', "a controller and its value are 0-127"),
    ('{"cc 20 127 channel 17": "ride-8ths"}', "channels are 1-16"),
    ('{"key r": 19}', "map it to a part's name or id"),
    ('{"key r": " "}', "map it to a part's name or id"),
    ('{"program 1": "ride-8ths", "program  1": "model"}', "'program 1' is mapped twice"),
    ("{" + ", ".join(f'"cc 1 {value}": "part {value}"' for value in range(128))
     + ', "key x": "one more"}', "a stream takes at most 128"),
], ids=["missing", "not-json", "a-list", "empty", "bad-trigger", "program-0", "cc-128", "channel-17", "a-number",
        "blank-part", "twice", "too-many"])
def test_a_switch_map_that_is_not_one_is_refused_with_one_line(tmp_path: Path, text: str | None, said: str) -> None:
    path = tmp_path / "switches.json"
    if text is not None:
        path.write_text(text)
    with pytest.raises(SwitchMapError, match=said) as refused:
        load_switch_map(path)
    assert "\n" not in str(refused.value) and str(refused.value).startswith(f"--switch-map {path}: ")


class SwitchingLink(FakeLink):
    """FakeLink that also records the switches, in order with the bars sent."""

    def __init__(self) -> None:
        super().__init__()
        self.order: list[object] = []

    def send(self, index: int, meter: tuple[int, int], tempo: float, notes: list) -> None:
        super().send(index, meter, tempo, notes)
        self.order.append(index)

    def switch(self, part: str) -> None:
        self.order.append(part)


def test_a_program_change_or_a_key_switches_before_the_next_bar(tmp_path: Path) -> None:
    link, said = SwitchingLink(), []
    player = LivePlayer(link, OwnClock(120.0, 0.0), (4, 4), lambda message: None, said.append,
                        switch_map=a_map(tmp_path, '{"program 5": "half-time", "key m": "model"}'))
    now = 0.0
    for step in range(int(8.2 / 0.005)):  # four bars of 4/4 at 120 BPM
        now = step * 0.005
        if step == int(3.0 / 0.005):  # in bar 1 (index 1): the DAW's program change, then its own (not mapped)
            player.on_message(mido.Message("program_change", program=4, channel=15), now)
            player.on_message(mido.Message("program_change", program=29, channel=0), now)
        if step == int(5.0 / 0.005):  # in bar 2
            player.on_key("m")
            player.on_key("q")
        player.step(now)
    assert link.order == [0, 1, "half-time", 2, "model", 3, 4]
    assert said == ["switching to 'half-time' from the next phrase", "switching to 'model' from the next phrase"]
    assert player.part == "model" and not player.notes  # no program change was taken as the band's


def test_a_new_stream_after_a_reconnection_is_asked_for_the_last_part_again() -> None:
    from client.live_play import Reconnector

    old, new = SwitchingLink(), SwitchingLink()
    old.close = new.close = lambda: None  # type: ignore[method-assign]
    player = LivePlayer(old, OwnClock(120.0, 0.0), (4, 4), lambda message: None, lambda line: None)
    player.switch("half-time")
    reconnector = Reconnector(lambda: new)
    reconnector._opened = new  # the thread's work: the new stream is open
    reconnector.check(player, 1.0)
    assert player.link is new and new.order == ["half-time"]


def test_keys_are_read_from_a_terminal_and_an_arrow_switches_nothing() -> None:
    master, follower = os.openpty()
    with open(follower, closefd=True) as terminal, KeyReader(terminal) as keys:
        assert keys.active
        os.write(master, b"r")
        time.sleep(0.05)
        assert keys.pending() == ["r"]
        os.write(master, b"\x1b[A")
        time.sleep(0.05)
        assert keys.pending() == []
    os.close(master)
    assert not KeyReader(io.StringIO()).__enter__().active  # not a terminal: no key read


def test_the_helper_refuses_a_bad_map_and_mixed_flags(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "map.json"
    bad.write_text('{"pedal 3": "ride-8ths"}')
    assert daw_helper.main(["--live", "--switch-map", str(bad), "--server", "127.0.0.1:9"]) == 2
    assert capsys.readouterr().err.startswith(f"error: --switch-map {bad}: 'pedal 3' is not a trigger")
    with pytest.raises(SystemExit):
        daw_helper.main(["--live", "--switch", "9=ride-8ths"])
    with pytest.raises(SystemExit):
        daw_helper.main(["--simulate", str(tmp_path / "song.mid"), "-o", str(tmp_path / "out.mid"),
                         "--switch-map", str(bad)])


def band_messages(song: bytes) -> list[tuple[float, mido.Message]]:
    """The file's messages, each with its time in seconds from the start, as a DAW plays them into the port."""
    timed, now = [], 0.0
    for message in mido.MidiFile(file=io.BytesIO(song)):
        now += message.time
        if not message.is_meta:
            timed.append((now, message))
    return timed


def test_a_program_change_through_a_server_rides_from_the_next_phrase(tiny_model_path: Path) -> None:
    """The player on the shipped live model, the band of a 16-bar song played into it (4/4 at 120 BPM, on simulated
    time), a program change mapped in bar 6: the server's drums ride from bar 9 and keep the hats before. A map
    naming a part no meter has is refused as the stream starts."""
    from seq2drum.live.model_drummer import LIVE_CHECKPOINT
    from server.config import ServerConfig
    from server.live_jobs import LiveModel
    from server.testing import ServerThread
    from server.workers import ModelSource

    switches = SwitchMap({}, {("program", 0, None, 15): RIDING})
    events = band_messages(band_song(16)) + [(10.5, mido.Message("program_change", program=0, channel=15))]
    events.sort(key=lambda event: event[0])
    source = ModelSource(tiny_model_path, live=LiveModel(LIVE_CHECKPOINT))
    with ServerThread("127.0.0.1:0", source, ServerConfig(workers=1)) as server:
        channel = grpc.insecure_channel(f"127.0.0.1:{server.port}")
        with pytest.raises(LiveLinkError, match="switch map: part 'cowbell forever' is neither") as refused:
            LiveLink(channel, pb.GenerationOptions(seed=3), PARTS, switch_parts=[RIDING, "cowbell forever"]).open()
        assert refused.value.code == grpc.StatusCode.INVALID_ARGUMENT
        link = LiveLink(channel, pb.GenerationOptions(seed=3), PARTS, switch_parts=switches.parts)
        link.open()
        player = LivePlayer(link, OwnClock(120.0, 0.0), (4, 4), lambda message: None, lambda line: None,
                            switch_map=switches)
        for step in range(int(32.2 / 0.005)):
            now = step * 0.005
            while events and events[0][0] <= now:
                player.on_message(events.pop(0)[1], now)
            player.step(now)
        answers = [link.wait(index, 30.0) for index in range(16)]
        link.close()
        channel.close()
    bars = [(sum(hit.pitch == RIDE for hit in bar.hits), sum(hit.pitch in HATS for hit in bar.hits))
            for bar in answers]
    assert all(ride == 0 and hats > 0 for ride, hats in bars[:8]), bars  # asked in bar 6: not before bar 9
    assert all(ride >= 4 and ride > hats for ride, hats in bars[8:15]), bars


class FakePort:
    """A port for run_live: the input gives `messages` on its first look, then Ctrl-C after `looks` looks."""

    def __init__(self, name: str, messages: list[mido.Message] = (), looks: int = 50) -> None:
        self.name, self.messages, self.looks, self.sent = name, list(messages), looks, []

    def iter_pending(self) -> list[mido.Message]:
        self.looks -= 1
        if self.looks < 0:
            raise KeyboardInterrupt
        pending, self.messages = self.messages, []
        return pending

    def send(self, message: mido.Message) -> None:
        self.sent.append(message)

    def reset(self) -> None:
        pass

    def __enter__(self) -> FakePort:
        return self

    def __exit__(self, *exc_info: object) -> None:
        pass


def test_live_sends_the_maps_parts_and_switches_on_the_port(tiny_model_path: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    """`--live --switch-map` on ports made in code (none can be opened here): the map is said as it starts and a
    program change on the input port switches; a map naming a part no meter has is refused as the stream starts."""
    from client import live_ports
    from seq2drum.live.model_drummer import LIVE_CHECKPOINT
    from server.config import ServerConfig
    from server.live_jobs import LiveModel
    from server.testing import ServerThread
    from server.workers import ModelSource

    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text('{"program 1": "model", "key r": "ride-8ths"}')
    bad.write_text('{"program 1": "cowbell forever"}')
    ports = lambda mido_, in_name, out_name: (FakePort("band", [mido.Message("program_change", program=0)]),
                                              FakePort("drums"))
    monkeypatch.setattr(live_ports, "open_ports", ports)
    source = ModelSource(tiny_model_path, live=LiveModel(LIVE_CHECKPOINT))
    with ServerThread("127.0.0.1:0", source, ServerConfig(workers=1)) as server:
        argv = ["--live", "--server", f"127.0.0.1:{server.port}", "--switch-map"]
        assert daw_helper.main([*argv, str(good)]) == 0
        out = capsys.readouterr().out
        assert "switching parts from the next phrase: key r -> 'ride-8ths', program 1 -> 'model'" in out
        assert "switching to 'model' from the next phrase" in out and out.rstrip().endswith("stopped")
        assert daw_helper.main([*argv, str(bad)]) == 2
        assert "switch map: part 'cowbell forever' is neither" in capsys.readouterr().err
