"""`--live` on real MIDI ports (mido with python-rtmidi, the helper's "live" extra): open the ports, open the stream,
run the player (client/live_play.py) until Ctrl-C. --tempo and --meter set only the helper's own clock here, never
options sent to the server; --count-in is the helper's own sticks before the band's first bar.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from seq2drum.errors import ConfigError
from seq2drum.live.session import clock_problem
from seq2drum.midi.limits import parse_meter

from .connection import connect
from .drum_client import HelperError
from .live_link import LiveLinkError
from .live_play import PARTS, AutoClock, FollowedClock, LivePlayer, OwnClock, Reconnector, run_ports
from .live_switch import KeyReader, load_switch_map

EXIT_FAILED, EXIT_USAGE = 1, 2
INSTALL = "pip install 'seq2drum[live]' (or: pip install mido python-rtmidi)"


def run_live(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    """main() for --live: 0 after Ctrl-C, 1 when the ports or the server fail, 2 for a usage error or no extra."""
    if args.song is not None or args.watch is not None or args.bars is not None:
        parser.error("--live plays along with the ports: leave out SONG.mid, --watch and --bars")
    if args.switch:
        parser.error("--switch scripts a switch in --simulate; while --live plays, switch with the keys and MIDI "
                     "messages of --switch-map FILE")
    try:
        import mido
    except ImportError:
        print(f"error: --live needs the live extra: {INSTALL}", file=sys.stderr)
        return EXIT_USAGE
    tempo = args.tempo_qpm or 120.0
    count_in = args.count_in_bars or 0
    try:
        meter = parse_meter(args.meter or "4/4")
        problem = clock_problem(*meter, tempo)  # the stream's own rule, before connecting (issue 69 N8)
        if problem:
            raise HelperError(f"--live cannot play {problem}")
        switch_map = load_switch_map(args.switch_map) if args.switch_map is not None else None
        args.tempo_qpm = args.meter = args.count_in_bars = None  # the helper's clock, not drums-from-nothing options
        options, client = connect(args)
    except (HelperError, ConfigError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    try:
        inport, outport = open_ports(mido, args.in_port, args.out_port)
    except (OSError, IOError, RuntimeError, SystemError) as error:
        print(f"error: cannot open MIDI ports ({error}); check the MIDI system and the names "
              "(--in, --out)", file=sys.stderr)
        return EXIT_FAILED
    with client, inport, outport:
        switch_parts = switch_map.parts if switch_map is not None else []
        link = client.live_link(options, PARTS, switch_parts)
        try:
            ready = link.open()
        except LiveLinkError as error:
            print(f"error: {error}", file=sys.stderr)
            return EXIT_USAGE if error.code.name == "INVALID_ARGUMENT" else EXIT_FAILED
        for notice in ready.notices:
            print(f"notice: {notice}", flush=True)
        clock = AutoClock(OwnClock(tempo, time.perf_counter()), FollowedClock(tempo))
        player = LivePlayer(link, clock, meter, outport.send, lambda line: print(line, flush=True),
                            ready.lead_quarters, count_in, keep_drums=options.keep_drums, switch_map=switch_map)
        print(f"playing along: band from '{inport.name}', drums to '{outport.name}' ({ready.model_name}); "
              f"{tempo:g} BPM in {meter[0]}/{meter[1]} until the DAW's MIDI clock leads; Ctrl-C stops", flush=True)
        try:
            with KeyReader(wanted=switch_map is not None and bool(switch_map.keys)) as keys:
                if switch_map is not None:
                    print(f"switching parts from the next phrase: {switch_map.describe()}"
                          + ("" if keys.active or not switch_map.keys else "; keys are not read (the input is not a "
                             "terminal)"), flush=True)
                run_ports(player, inport, outport, Reconnector(lambda: client.live_link(options, PARTS, switch_parts)),
                          keys=keys)
        except KeyboardInterrupt:
            outport.reset()  # every note off
            print("stopped", flush=True)
        finally:
            player.link.close()
    return 0


def open_ports(mido: Any, in_name: str | None, out_name: str | None) -> tuple[Any, Any]:
    """The named ports, else virtual ones where the backend makes them (macOS, Linux), else the first of each."""
    def one(opener: Any, names: list[str], name: str | None, virtual: str) -> Any:
        if name is not None:
            return opener(name)
        try:
            return opener(virtual, virtual=True)
        except (NotImplementedError, OSError, IOError, RuntimeError):
            if not names:
                raise OSError("no MIDI port found") from None
            return opener(names[0])

    inport = one(mido.open_input, mido.get_input_names(), in_name, "seq2drum band")
    try:
        outport = one(mido.open_output, mido.get_output_names(), out_name, "seq2drum drums")
    except BaseException:
        inport.close()
        raise
    return inport, outport
