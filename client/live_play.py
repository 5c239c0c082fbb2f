"""`--live`: the helper as a drummer in the room. It reads the band from a MIDI input port, sends each bar to the
server's PlayAlong stream at its lead, and plays each bar's drums to a MIDI output port on channel 10, in time with
the DAW's MIDI clock (start, stop, continue, song position) when the DAW sends one, else with its own clock from
--tempo and --meter. When a bar's drums are late or the server is gone, it plays the last bar's groove again rather
than falling silent, and says so once.

Everything here is driven by `step(now)` and `on_message(message, now)`, with the time passed in, so the tests run
it with clock messages made in code (no ports: these machines have none); `run_ports` is the loop around them.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .live_link import LiveLink, LiveLinkError, Note

PULSES_PER_QUARTER = 24  # MIDI clock
DRUM_CHANNEL = 9
STICKS = 37  # GM side stick: the count-in
PARTS = [(f"channel {channel + 1}", -1, channel) for channel in range(16)]  # a port's parts: its channels


class OwnClock:
    """The helper's own clock: a steady tempo from `start_s` (a count-in starts it that many bars earlier)."""

    def __init__(self, tempo_bpm: float, start_s: float) -> None:
        self.tempo_bpm, self.start_s, self.running = float(tempo_bpm), start_s, True

    def quarters(self, now: float) -> float:
        return (now - self.start_s) * self.tempo_bpm / 60.0

    def on_message(self, message: Any, now: float) -> bool:
        return False


class FollowedClock:
    """The DAW's MIDI clock: 24 pulses a quarter note, start / continue / stop, song position (in 16ths). The tempo
    is measured from the pulses; between pulses the position runs on at that tempo."""

    def __init__(self, tempo_bpm: float = 120.0) -> None:
        self.tempo_bpm, self.running = float(tempo_bpm), False
        self.pulses, self.origin, self.last_pulse_s = 0, 0.0, None

    def on_message(self, message: Any, now: float) -> bool:
        """Take a clock message; True when it was one."""
        kind = message.type
        if kind == "clock":
            if self.last_pulse_s is not None and self.running:
                measured = 60.0 / (PULSES_PER_QUARTER * max(1e-4, now - self.last_pulse_s))
                self.tempo_bpm += 0.2 * (min(max(measured, 10.0), 400.0) - self.tempo_bpm)  # smoothed over pulses
            if self.running:
                self.pulses += 1
            self.last_pulse_s = now
        elif kind == "start":
            self.running, self.pulses, self.origin, self.last_pulse_s = True, 0, 0.0, now
        elif kind == "continue":
            self.running, self.last_pulse_s = True, now
        elif kind == "stop":
            self.running = False
        elif kind == "songpos":
            self.origin, self.pulses = message.pos / 4.0, 0
        else:
            return False
        return True

    def quarters(self, now: float) -> float:
        position = self.origin + self.pulses / PULSES_PER_QUARTER
        if self.running and self.last_pulse_s is not None:  # between pulses, at most one pulse on
            position += min(1.0 / PULSES_PER_QUARTER, (now - self.last_pulse_s) * self.tempo_bpm / 60.0)
        return position


class AutoClock:
    """The helper's own clock until the DAW sends its MIDI clock (a start, a pulse or a song position), then the
    DAW's: the DAW's transport leads, as in any synced setup."""

    def __init__(self, own: OwnClock, followed: FollowedClock) -> None:
        self.own, self.followed, self.following = own, followed, False

    @property
    def running(self) -> bool:
        return self.followed.running if self.following else self.own.running

    @property
    def tempo_bpm(self) -> float:
        return self.followed.tempo_bpm if self.following else self.own.tempo_bpm

    def on_message(self, message: Any, now: float) -> bool:
        taken = self.followed.on_message(message, now)
        self.following |= taken
        return taken

    def quarters(self, now: float) -> float:
        return self.followed.quarters(now) if self.following else self.own.quarters(now)


@dataclass
class _Scheduled:
    quarter: float  # when, in the clock's quarter notes
    message: Any


@dataclass
class LivePlayer:
    """The band in, the drums out, bar by bar. `emit` sends a MIDI message to the output port; `say` one line to
    the player."""

    link: LiveLink
    clock: Any  # OwnClock or FollowedClock
    meter: tuple[int, int]
    emit: Callable[[Any], None]
    say: Callable[[str], None] = print
    lead_quarters: float = 0.25
    count_in_bars: int = 0
    keep_drums: bool = False  # the DAW's channel 10 is the user's drums: sent as their part, for the drummer to hear
    sent: int = -1  # the last bar sent
    played: int = -1 - 10**9  # the last bar whose drums were scheduled
    last_hits: list[Any] = field(default_factory=list)  # the last bar's drums heard from the server
    late_said: bool = False
    offset: int = 0  # stream index - bar: the stream's bars only go forward, the DAW may move back
    notes: list[tuple[float, float, int, int, int]] = field(default_factory=list)  # start, end (q), pitch, vel, part
    sounding: dict[tuple[int, int], tuple[float, int]] = field(default_factory=dict)
    queue: list[_Scheduled] = field(default_factory=list)
    switch_map: Any = None  # live_switch.SwitchMap: the keys and input messages that switch the drummer's part
    part: str | None = None  # the last part switched to (asked again on a new stream after a reconnection)

    @property
    def bar_quarters(self) -> float:
        return self.meter[0] * 4.0 / self.meter[1]

    @property
    def count_in_quarters(self) -> float:
        """The helper's count-in, on its own clock (following the DAW, the DAW counts in)."""
        return 0.0 if getattr(self.clock, "following", False) else self.count_in_bars * self.bar_quarters

    def on_message(self, message: Any, now: float) -> None:
        """A message from the input port: the clock's, or a note of the band, or with `keep_drums` of the user's drums
        (channel 10, the part "channel 10": the server hears it as the drums of its bar, as a file's kept drums)."""
        if self.clock.on_message(message, now) or not hasattr(message, "channel") or (
                message.channel == DRUM_CHANNEL and not self.keep_drums):
            return
        if self.switch_map is not None and (part := self.switch_map.for_message(message)) is not None:
            self.switch(part)
            return
        at = self.clock.quarters(now) - self.count_in_quarters
        key = (message.channel, getattr(message, "note", -1))
        if message.type == "note_on" and message.velocity > 0:
            self.sounding[key] = (at, message.velocity)
        elif message.type in ("note_on", "note_off") and key in self.sounding:
            start, velocity = self.sounding.pop(key)
            self.notes.append((start, max(at, start + 1e-3), message.note, velocity, message.channel))

    def on_key(self, key: str) -> None:
        """A key pressed in the helper's terminal: a part switch where the switch map maps it."""
        part = self.switch_map.for_key(key) if self.switch_map is not None else None
        if part is not None:
            self.switch(part)

    def switch(self, part: str) -> None:
        """Switch the drummer's part: asked with the next bar sent, played from the next phrase (4 bars from the
        band's first bar), as the stream's PartSwitch says."""
        self.part = part
        self.link.switch(part)
        self.say(f"switching to {part!r} from the next phrase")

    def step(self, now: float) -> None:
        """Send what is due (a bar at its lead), schedule the drums of the bar starting, emit what is due."""
        if not self.clock.running:
            return
        position = self.clock.quarters(now) - self.count_in_quarters  # 0 = the band's first bar
        length = self.bar_quarters
        due = math.floor((position + self.lead_quarters) / length + 1e-9)  # the bar whose lead has come
        current = math.floor(position / length + 1e-9)
        if current < self.played or due > self.sent + 1:  # the DAW moved (song position): a new run of bars
            self.offset += self.sent - due + 1
            self.sent, self.played, self.queue = due - 1, current - 1, []
        while self.sent < due:
            self.sent += 1
            if self.sent >= 0:
                self._send(self.sent, now)
        if current > self.played:
            self.played = current
            self._schedule(current)
        self._emit_due(position)

    def _send(self, index: int, now: float) -> None:
        start, lead = (index - 1) * self.bar_quarters, index * self.bar_quarters - self.lead_quarters
        played = [Note(s - start, min(e, lead) - s, pitch, velocity, part)
                  for s, e, pitch, velocity, part in self.notes if start <= s < lead]
        played += [Note(s - start, lead - s, pitch, velocity, part)
                   for (part, pitch), (s, velocity) in self.sounding.items() if start <= s < lead]
        self.notes = [note for note in self.notes if note[0] >= start]
        try:
            self.link.send(index + self.offset, self.meter, float(self.clock.tempo_bpm), played if index else [])
        except LiveLinkError:
            pass  # the stream is gone: the fallback plays on, said once when a bar finds no drums

    def _schedule(self, bar: int) -> None:
        """The bar's drums (the count-in's sticks before the band's first bar), or the last bar's when late."""
        import mido

        origin = bar * self.bar_quarters
        if bar < 0:
            beats = [origin + beat * 4.0 / self.meter[1] for beat in range(self.meter[0])]
            hits = [(q, STICKS, 100 if q == origin else 80, 0.1) for q in beats]
        else:
            problem = ""
            try:
                answer = self.link.wait(bar + self.offset, 0.0)
            except LiveLinkError as error:
                answer, problem = None, f" ({error})"
            if answer is not None:
                self.last_hits = list(answer.hits)
            elif not self.late_said and (self.last_hits or problem):
                self.late_said = True
                self.say(f"the server is late or gone{problem}: keeping the last bar's groove until its drums "
                         "come back")
            hits = [(origin + h.onset_quarters, h.pitch, h.velocity, h.duration_quarters) for h in self.last_hits]
        for quarter, pitch, velocity, duration in hits:
            self.queue.append(_Scheduled(quarter, mido.Message("note_on", channel=DRUM_CHANNEL, note=pitch,
                                                               velocity=velocity)))
            self.queue.append(_Scheduled(quarter + duration, mido.Message("note_off", channel=DRUM_CHANNEL,
                                                                          note=pitch, velocity=0)))
        self.queue.sort(key=lambda item: item.quarter)

    def _emit_due(self, position: float) -> None:
        while self.queue and self.queue[0].quarter <= position:
            self.emit(self.queue.pop(0).message)


class Reconnector:
    """Opens a new stream when the player's has failed (the server restarted, the network dropped), every
    `retry_s`, on a thread so the port loop keeps playing the fallback meanwhile; the player goes on with the new
    stream from its next bar (the server's drummer starts over there)."""

    def __init__(self, open_link: Callable[[], LiveLink], retry_s: float = 2.0) -> None:
        self.open_link, self.retry_s = open_link, retry_s
        self._last_try = -1e9
        self._opened: LiveLink | None = None
        self._trying: threading.Thread | None = None

    def check(self, player: LivePlayer, now: float) -> None:
        if self._opened is not None:
            old, player.link, self._opened = player.link, self._opened, None
            old.close()
            player.late_said = False
            if player.part is not None:  # the new stream's drummer starts over: the musician's part again
                player.link.switch(player.part)
            player.say("the server is back: playing its drums again from the next bar")
            return
        if player.link.error is None or (self._trying is not None and self._trying.is_alive()):
            return
        if now - self._last_try >= self.retry_s:
            self._last_try = now
            self._trying = threading.Thread(target=self._try, daemon=True, name="seq2drum-live-reconnect")
            self._trying.start()

    def _try(self) -> None:
        try:
            link = self.open_link()
            link.open(timeout_s=5.0)
        except LiveLinkError:
            return
        self._opened = link


def run_ports(player: LivePlayer, inport: Any, outport: Any, reconnector: Reconnector | None = None,
              tick_s: float = 0.001, keys: Any = None) -> None:
    """The loop for real ports until Ctrl-C: input messages in as they come, the terminal's keys (`keys`, a
    live_switch.KeyReader) too, `step` every `tick_s`."""
    while True:
        now = time.perf_counter()
        for message in inport.iter_pending():
            player.on_message(message, now)
        for key in keys.pending() if keys is not None else ():
            player.on_key(key)
        if reconnector is not None:
            reconnector.check(player, now)
        player.step(now)
        time.sleep(tick_s)
