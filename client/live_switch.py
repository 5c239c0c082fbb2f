"""`--live --switch-map FILE`: the keys, MIDI program changes and control changes that switch the live drummer's part
while it plays (issue 87 item 6), each played from the next phrase. The file is a JSON object, trigger: part:

    {"key r": "eighths on the ride, backbeat",   # the r key in the helper's terminal (R is another key)
     "key m": "model",                            # the model's own choice again
     "program 1": "half-time",                    # a program change to program 1 (1-128, as DAWs number them)
     "cc 20": "drop-out",                         # controller 20 (0-127) pressed: its value from below 64 to 64+
     "cc 21 0 channel 16": "model"}               # controller 21 sent at value 0, on channel 16 only

A part is named as `--parts` names one: a part's name or id, a style, or "model". The server checks the parts when
the stream starts. A message that switches is not the band's; the band's notes pass as before. Stdlib only.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any, TextIO

from seq2drum.live.api import MAX_PART_CHARS, MODEL_PART
from seq2drum.live.session import MAX_SWITCH_PARTS

from .drum_client import HelperError

PRESSED = 64  # a controller at this value or more is pressed (a footswitch sends 127, then 0)
EXAMPLE = '{"key r": "eighths on the ride, backbeat", "program 1": "half-time", "cc 20": "model"}'
TRIGGERS = ("'key r' (one character), 'program 1' (1-128), 'cc 20' (controller 0-127 pressed) or 'cc 20 127' (at "
            "that value), a program or cc optionally with 'channel 1'-'channel 16'")
_KEY = re.compile(r"key (\S)")
_PROGRAM = re.compile(r"program (\d{1,3})(?: channel (\d{1,2}))?")
_CC = re.compile(r"cc (\d{1,3})(?: (\d{1,3}))?(?: channel (\d{1,2}))?")


class SwitchMapError(HelperError):
    """A switch map the helper cannot read; the message names the file and the fix."""


class SwitchMap:
    """Triggers to parts: `for_key` and `for_message` give the part a key or an input message switches to, or None.
    A trigger on one channel wins over the same on any channel, and a controller at one value over one pressed."""

    def __init__(self, keys: dict[str, str], messages: dict[tuple[str, int, int | None, int | None], str]) -> None:
        self.keys = keys  # a character: its part
        self.messages = messages  # (kind "program" or "cc", number 0-127, value or None, channel 0-15 or None)
        self._levels: dict[tuple[int, int], int] = {}  # (channel, controller): its last value

    @property
    def parts(self) -> list[str]:
        """The parts switched to, each once, in the file's order."""
        return list(dict.fromkeys([*self.keys.values(), *self.messages.values()]))

    def for_key(self, key: str) -> str | None:
        return self.keys.get(key)

    def for_message(self, message: Any) -> str | None:
        """The part a program change or a control change (a mido message) switches to; None for any other."""
        kind, channel = message.type, getattr(message, "channel", None)
        if kind == "program_change":
            return self.messages.get(("program", message.program, None, channel),
                                     self.messages.get(("program", message.program, None, None)))
        if kind != "control_change":
            return None
        control, value = message.control, message.value
        before, self._levels[(channel, control)] = self._levels.get((channel, control), 0), value
        for at_value in (value, None):
            if at_value is None and not before < PRESSED <= value:  # held or released: no new press
                continue
            for on in (channel, None):
                if (part := self.messages.get(("cc", control, at_value, on))) is not None:
                    return part
        return None

    def describe(self) -> str:
        """One line: each trigger and its part."""
        shown = [f"key {key} -> {part!r}" for key, part in self.keys.items()]
        for (kind, number, value, channel), part in self.messages.items():
            trigger = f"program {number + 1}" if kind == "program" else f"cc {number}"
            trigger += "" if value is None else f" {value}"
            shown.append(trigger + ("" if channel is None else f" channel {channel + 1}") + f" -> {part!r}")
        return ", ".join(shown)


def load_switch_map(path: Path) -> SwitchMap:
    """The switch map in `path`; SwitchMapError (one line naming the fix) for a file that is not one."""
    where = f"--switch-map {path}"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SwitchMapError(f"{where}: not found; name a JSON file of trigger: part, e.g. {EXAMPLE}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SwitchMapError(f"{where}: cannot be read ({getattr(exc, 'strerror', None) or exc})") from None
    try:
        entries = json.loads(text, object_pairs_hook=tuple)  # an object: its (trigger, part) pairs, twice kept
    except json.JSONDecodeError as exc:
        raise SwitchMapError(f"{where}: not JSON ({exc.msg} at line {exc.lineno}); write it as {EXAMPLE}") from None
    if not isinstance(entries, tuple) or not entries:
        raise SwitchMapError(f"{where}: must be a JSON object of one or more trigger: part entries, e.g. {EXAMPLE}")
    keys: dict[str, str] = {}
    messages: dict[tuple[str, int, int | None, int | None], str] = {}
    for trigger, part in entries:
        said = " ".join(str(trigger).split())
        if not isinstance(part, str) or not part.strip() or len(part.strip()) > MAX_PART_CHARS:
            raise SwitchMapError(f"{where}: {said[:40]!r} maps to {json.dumps(part)[:40]}; map it to a part's name or "
                                 f"id (a string of at most {MAX_PART_CHARS} characters), a style, or {MODEL_PART!r}")
        key = _trigger(said.lower() if not said.lower().startswith("key ") else "key " + said[4:], where)
        if key in keys or key in messages:
            raise SwitchMapError(f"{where}: {said[:40]!r} is mapped twice; keep one of them")
        (keys if isinstance(key, str) else messages)[key] = part.strip()  # type: ignore[index]
    switch_map = SwitchMap(keys, messages)
    if len(switch_map.parts) > MAX_SWITCH_PARTS:
        raise SwitchMapError(f"{where}: switches to {len(switch_map.parts)} parts; a stream takes at most "
                             f"{MAX_SWITCH_PARTS}")
    return switch_map


def _trigger(said: str, where: str) -> str | tuple[str, int, int | None, int | None]:
    """A key (its character) or a message trigger (kind, number 0-127, value or None, channel 0-15 or None)."""
    if (key := _KEY.fullmatch(said)) is not None:
        return key.group(1)
    if (program := _PROGRAM.fullmatch(said)) is not None:
        number, channel = int(program.group(1)), program.group(2)
        if not 1 <= number <= 128:
            raise SwitchMapError(f"{where}: {said!r}: programs are numbered 1-128 here, as DAWs show them")
        return "program", number - 1, None, _channel(channel, said, where)
    if (cc := _CC.fullmatch(said)) is not None:
        number, value, channel = int(cc.group(1)), cc.group(2), cc.group(3)
        if number > 127 or (value is not None and int(value) > 127):
            raise SwitchMapError(f"{where}: {said!r}: a controller and its value are 0-127")
        return "cc", number, None if value is None else int(value), _channel(channel, said, where)
    raise SwitchMapError(f"{where}: {said[:40]!r} is not a trigger; write {TRIGGERS}")


def _channel(channel: str | None, said: str, where: str) -> int | None:
    if channel is None:
        return None
    if not 1 <= int(channel) <= 16:
        raise SwitchMapError(f"{where}: {said!r}: channels are 1-16")
    return int(channel) - 1


class KeyReader:
    """The terminal's keys as they are pressed (no Enter) while `--live` plays: cbreak mode on a POSIX terminal,
    restored on exit (Ctrl-C still stops), msvcrt on Windows; `active` False when the input is not a terminal. An
    escape sequence (an arrow key) is dropped whole, so its letters switch nothing. Not `wanted`: the terminal is
    left as it is and no key is read."""

    def __init__(self, stream: TextIO | None = None, wanted: bool = True) -> None:
        self.stream = stream or sys.stdin
        self.wanted, self.active = wanted, False
        self._saved: Any = None

    def __enter__(self) -> KeyReader:
        if not self.wanted or not self.stream.isatty():
            return self
        try:
            import termios
            import tty
        except ImportError:  # Windows
            self.active = _msvcrt() is not None
            return self
        fd = self.stream.fileno()
        self._saved = termios.tcgetattr(fd)
        tty.setcbreak(fd)
        self.active = True
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._saved is not None:
            import termios

            termios.tcsetattr(self.stream.fileno(), termios.TCSADRAIN, self._saved)
            self._saved = None

    def pending(self) -> list[str]:
        """The keys pressed since the last call (none when not active)."""
        if not self.active:
            return []
        msvcrt = _msvcrt()
        if msvcrt is not None:
            return [msvcrt.getwch() for _ in iter(msvcrt.kbhit, False)]
        import select

        fd, keys = self.stream.fileno(), []
        while select.select([fd], [], [], 0)[0]:
            chunk = os.read(fd, 64).decode("utf-8", errors="replace")
            if not chunk:
                break
            keys += [] if chunk.startswith("\x1b") else list(chunk)
        return keys


def _msvcrt() -> Any:
    try:
        import msvcrt
    except ImportError:
        return None
    return msvcrt
