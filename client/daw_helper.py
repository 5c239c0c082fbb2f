"""DAW helper: send a guitar MIDI file to a seq2drum server and write the drums next to it.

    seq2drum-helper SONG.mid [-o OUT.mid] [--server HOST:PORT]     # writes SONG_drums.mid
    seq2drum-helper --watch DIR [--interval 1.0] [--settle 2.0]     # every guitar .mid exported to DIR
    seq2drum-helper --bars 16 --tempo 96 --meter 6/8                 # drums from nothing: drums_16bars.mid
    seq2drum-helper --simulate SONG.mid --speed 4 -o OUT.mid --report R.json   # play along, as live, from a file
    seq2drum-helper SONG.mid --arrange [--drummer] [--json]           # its sections and the parts each can play

From a checkout, `python -m client.daw_helper` is the same command. Needs grpcio and protobuf only: of seq2drum it
imports the stdlib-only modules it shares with main.py (options, outputs, atomic) and the stubs, never torch, numpy
or music21, so it runs on the machine with the DAW while the model runs elsewhere. The server's limits come from its
GetModelInfo: files past its message limit go through GenerateStream, files past its upload limit are refused here.
UNAVAILABLE (busy, starting, unreachable) is retried with backoff for up to --wait seconds, each attempt with its own
--timeout; any other failure prints its status and message and exits 1 (2 for INVALID_ARGUMENT, as main.py).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import grpc

from seq2drum.credentials import TOKEN_ENV
from seq2drum.errors import ConfigError, escape_controls
from seq2drum.options import DefaultsHelpFormatter, add_option_flags, ascii_number, invoked_as
from seq2drum.rpc import seq2drum_pb2

from .arrangement import print_arrangement
from .connection import connect
from .drum_client import DEFAULT_SERVER, DrumClient, HelperError, OutputExistsError, UnreadableSongError
from .files import process_file, process_nothing
from .live_ports import run_live
from .watch import watch

EXIT_FAILED, EXIT_USAGE = 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=invoked_as("python -m client.daw_helper"), formatter_class=DefaultsHelpFormatter,
        description="Drums for a guitar MIDI file, from a seq2drum server",
    )
    parser.add_argument("song", nargs="?", type=Path, help="guitar MIDI file exported from the DAW")
    parser.add_argument("-o", "--output", type=Path, default=None,
                        help="output file (default: SONG_drums.mid beside the song, or SONG_drums-2.mid, -3 ... when "
                        "earlier takes are there)")
    parser.add_argument("--force", action="store_true", help="let -o overwrite an existing file")
    parser.add_argument("--server", action="append", default=None, metavar="HOST:PORT",
                        help="the server; several: repeat --server or separate with commas, or one DNS name with "
                        "several addresses: songs go round robin to the servers that are up (default: env "
                        f"SEQ2DRUM_SERVER, else {DEFAULT_SERVER})")
    parser.add_argument("--watch", type=Path, default=None, metavar="DIR",
                        help="process every guitar .mid exported to DIR (default: off, one SONG only)")
    parser.add_argument("--interval", type=float, default=1.0, help="--watch: seconds between looks at the folder")
    parser.add_argument("--settle", type=float, default=2.0,
                        help="--watch: seconds a file must stay unchanged before it is taken")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds the server gets per attempt")
    parser.add_argument("--wait", type=float, default=60.0,
                        help="seconds to keep retrying while the server is busy or unreachable (0 = no retry)")
    parser.add_argument("--tls-ca", type=Path, default=None, metavar="PEM",
                        help="talk TLS, trusting the server whose certificate (or CA) this file holds (default: "
                        "plain text, for a server on this machine)")
    parser.add_argument("--token-file", type=Path, default=None,
                        help=f"file whose first line is the server's shared token, or set {TOKEN_ENV} (default: none)")
    arrange = parser.add_argument_group("your arrangement")
    arrange.add_argument("--arrange", action="store_true",
                         help="list SONG's sections and the parts each can play, best first, with their [ids] for "
                         "--parts; write no drums (default: off)")
    arrange.add_argument("--drummer", action="store_true",
                         help="--arrange: also the part the song's own drummer plays in each, and the --parts value "
                         "that plays his arrangement")
    arrange.add_argument("--json", action="store_true", help="--arrange: print JSON")
    live = parser.add_argument_group("playing along (needs the live extra: pip install 'seq2drum[live]')")
    live.add_argument("--live", action="store_true",
                      help="play along now: the band from a MIDI input port, the drums to an output port, in time "
                      "with the DAW's MIDI clock when it sends one, else with --tempo and --meter (default: off)")
    live.add_argument("--in", dest="in_port", default=None, metavar="PORT",
                      help="--live: the input port's name (default: a virtual port 'seq2drum band' where the system "
                      "has them, else the first input)")
    live.add_argument("--out", dest="out_port", default=None, metavar="PORT",
                      help="--live: the output port's name (default: a virtual port 'seq2drum drums', else the first)")
    live.add_argument("--switch-map", type=Path, default=None, metavar="FILE",
                      help="--live: a JSON file of the keys, MIDI program changes and CCs on the input port that "
                      "switch the drummer's part, from the next phrase, e.g. {\"key r\": \"half-time\", "
                      "\"program 1\": \"model\"}, see docs/daw.md (default: none)")
    live.add_argument("--simulate", type=Path, default=None, metavar="SONG.mid",
                      help="play the file's band to the server bar by bar, as --live would, in scaled real time "
                      "without ports; -o OUT.mid (required) gets the drums the server decided (default: off)")
    live.add_argument("--speed", type=float, default=1.0, help="--simulate: times real time, 0.25-64")
    live.add_argument("--switch", action="append", default=None, metavar="BAR=PART",
                      help="--simulate: switch part as bar BAR is sent (a part's name or id, a style, or model), "
                      "played from the next phrase; repeat for more (default: none)")
    live.add_argument("--report", type=Path, default=None, metavar="R.json",
                      help="--simulate: write bars, late bars and round-trip times (ms) as JSON (default: none)")
    # the generation options; the server checks the values (INVALID_ARGUMENT names the range)
    add_option_flags(parser.add_argument_group("generation (left out: the server decides)"), server_decides=True)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.simulate is not None:
        return run_simulate(parser, args)
    if args.live:
        return run_live(parser, args)
    if args.bars is not None and (args.song is not None or args.watch is not None):
        parser.error("--bars makes drums from nothing: leave out SONG.mid and --watch")
    if args.bars is None and (args.song is None) == (args.watch is None):
        parser.error("give either SONG.mid, --watch DIR or --bars N")
    if (args.drummer or args.json) and not args.arrange:
        parser.error("--drummer and --json go with --arrange (the song's arrangement)")
    if args.arrange and args.song is None:
        parser.error("--arrange lists one song's arrangement: name SONG.mid (not --watch or --bars)")
    try:
        options, client = connect(args)
    except (HelperError, ConfigError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    with client:
        if args.watch is not None:
            if not args.watch.is_dir():
                print(f"error: {args.watch} is not a folder", file=sys.stderr)
                return EXIT_USAGE
            if args.interval <= 0 or args.settle < 0:
                print(f"error: --interval must be > 0 and --settle >= 0 seconds, got {args.interval} and "
                      f"{args.settle}", file=sys.stderr)
                return EXIT_USAGE
            print(f"watching {args.watch} for guitar .mid files (Ctrl-C stops)", flush=True)
            try:
                watch(client, args.watch, options, args.interval, settle_s=args.settle)
            except KeyboardInterrupt:
                print(f"stopped watching {args.watch}", flush=True)
            return 0
        if args.bars is not None:
            return run_nothing(client, options, args.output, args.force)
        if not args.song.is_file():
            what = ("is a folder; name a .mid file in it" if args.song.is_dir()
                    else "not found; name an existing .mid file")
            print(f"error: {args.song} {what}", file=sys.stderr)
            return EXIT_USAGE
        if args.arrange:
            return guarded(lambda: print_arrangement(client, args.song, options, args.drummer, args.json), client)
        if args.output is not None and args.output.is_dir():
            print(f"error: -o {args.output} is a folder; name a file in it, e.g. "
                  f"{args.output / (args.song.stem + '_drums.mid')}", file=sys.stderr)
            return EXIT_USAGE
        return guarded(lambda: process_file(client, args.song, options, args.output, args.force), client)
    return 0


def guarded(action: Callable[[], object], client: DrumClient | None = None) -> int:
    """Run one request's work: exit 0; 2 when the output exists or the server finds a value out of range
    (INVALID_ARGUMENT: what main.py exits 2 for); 1 when the server refuses otherwise or a file cannot be written;
    130 on Ctrl-C. Each failure is one line on stderr (a TLS mistake named with its fix by `client`)."""
    try:
        action()
    except (OutputExistsError, UnreadableSongError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except grpc.RpcError as error:
        shown = client.explain(error) if client else f"{error.code().name}: {escape_controls(error.details() or '')}"
        print(f"error: {shown}", file=sys.stderr)
        return EXIT_USAGE if error.code() == grpc.StatusCode.INVALID_ARGUMENT else EXIT_FAILED
    except HelperError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 0


def run_simulate(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    """main() for --simulate: exit 0 with the report printed, 1 when the server refuses or fails, 2 for a usage
    error (a song given twice, no -o, the live extra missing)."""
    if args.song is not None or args.watch is not None or args.bars is not None:
        parser.error("--simulate SONG.mid plays that song: leave out the positional song, --watch and --bars")
    if args.output is None:
        parser.error("--simulate needs -o OUT.mid for the drums it decides")
    if args.switch_map is not None:
        parser.error("--switch-map is for --live (keys and MIDI on the input port); --simulate scripts a switch with "
                     "--switch BAR=PART")
    if not 0.25 <= args.speed <= 64:
        parser.error(f"--speed must be 0.25-64 (times real time), got {args.speed:g}")
    switches = {}
    for entry in args.switch or ():
        bar, sep, part = entry.partition("=")
        number = ascii_number(bar)
        if not sep or number is None or number < 1 or not part.strip():
            parser.error(f"--switch {entry[:40]!r}: write BAR=PART, e.g. --switch 9=\"eighths on the ride, backbeat\"")
        switches[number] = part.strip()
    try:
        import mido  # noqa: F401  the live extra
    except ImportError:
        print("error: --simulate needs mido: pip install 'seq2drum[live]' (or: pip install mido)", file=sys.stderr)
        return EXIT_USAGE
    from .live_simulate import simulate, summary_line

    if not args.simulate.is_file():
        print(f"error: {args.simulate} not found; name an existing .mid file", file=sys.stderr)
        return EXIT_USAGE
    try:
        options, client = connect(args)
    except (HelperError, ConfigError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    with client:
        def play() -> None:
            report = simulate(client, args.simulate, options, args.speed, args.output, args.report, args.force,
                              switches)
            print(summary_line(report, args.output), flush=True)
            for notice in report["notices"]:
                print(f"warning: {notice}", file=sys.stderr, flush=True)

        return guarded_live(play, client)


def guarded_live(action: Callable[[], object], client: DrumClient | None = None) -> int:
    """`guarded` for a stream: its failures come as LiveLinkError (status and message)."""
    from .live_link import LiveLinkError

    try:
        return guarded(action, client)
    except LiveLinkError as error:
        print(f"error: {escape_controls(str(error))}", file=sys.stderr)
        return EXIT_USAGE if error.code == grpc.StatusCode.INVALID_ARGUMENT else EXIT_FAILED


def run_nothing(client: DrumClient, options: seq2drum_pb2.GenerationOptions, output: Path | None, force: bool) -> int:
    """main() for --bars: exit 0, 1 when the server refuses or a file cannot be written, 2 for a usage error."""
    if output is not None and output.is_dir():
        print(f"error: -o {output} is a folder; name a file in it, e.g. {output / f'drums_{options.bars}bars.mid'}",
              file=sys.stderr)
        return EXIT_USAGE
    return guarded(lambda: process_nothing(client, options, output, force), client)


if __name__ == "__main__":
    sys.exit(main())
