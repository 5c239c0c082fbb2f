"""Where one play-along stream's bar goes, in process and deterministically: a real song's bars taken and decided as
the server's event loop does it (the bar's message read by the session, `server.live_jobs.run_live_job` on the drummer
loaded in the gRPC process, the answer built and serialized), CPU time per stage and call counts, under cProfile or
without it. Runs any checkout's code (the one on PYTHONPATH), so that two commits compare function by function:

    python -m bench.profile_live [--song REAL.mid] [--bars N] [--seed 0] [--top 30] [--no-profile] [--dump X.prof]
    cd OTHER_CHECKOUT && PYTHONPATH=. python /this/bench/profile_live.py ...   # the same bars through another commit
    python -m bench.profile_live --compare A.prof B.prof                        # function by function

Stages (CPU ms per bar, nested as they call each other): `take` (the message read into a call, the event loop's own),
`job` (run_live_job: the drummer's whole bar), inside it `read` (the encoder hears the bar before), `scores` (one step
of the decoder), `calibrated`, `request` (the request builder), `decide` (the chooser and groove.decide), `render`
(the render pipeline), and `answer` (the DrumBar built and serialized): the bar's critical path, from its message to
its answer. Then `after` (`ModelDrummer.after_bar`, run once the answer is built, as the server's hearing thread runs
it after sending it: live/hearing.py's `heard`, a bar kept and every few bars the band read and the plan drawn, for
the bars after), apart: its calls are counted by a profiler of its own. CPU time, not wall time: on a busy machine
the wall clock measures the neighbours. The call counts (cProfile) are the same on every machine.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import gc
import io
import pstats
import sys
import time
from collections import defaultdict
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
STAGES = {  # stage: (module, owner or None, attribute)
    "read": ("seq2drum.live.model_drummer", "ModelDrummer", "read"),
    "scores": ("seq2drum.live.model_drummer", "ModelDrummer", "_scores"),
    "calibrated": ("seq2drum.live.model_drummer", None, "calibrated"),
    "request": ("seq2drum.live.model_drummer", "ModelDrummer", "request"),
    "decide": ("seq2drum.live.model_drummer", None, "played_bar"),
    "render": ("seq2drum.live.model_drummer", None, "render_bar"),
    "heard": ("seq2drum.live.model_drummer", None, "heard"),  # where it runs: in `after`, or a bar's call before
}
ELSEWHERE = {"heard": ("seq2drum.live.hearing", None, "heard")}  # where a later checkout calls it from
CPU_MS: dict[str, float] = defaultdict(float)
PER_BAR: list[float] = []  # each decided bar's CPU ms, taken and decided (the last pass)
AFTER = cProfile.Profile()  # the calls of `after` (the work after a bar's answer), apart from the bar's
COLLECTIONS: list[int] = [0, 0, 0]  # the collector's runs per generation (with --gc)


def first_songs(count: int) -> list[Path]:
    """The first `count` 3-4 minute 4/4 songs of 8+ parts in ../shared/data's manifest (bench_live_stream's
    streams' songs)."""
    songs = []
    with (SHARED / "MANIFEST.tsv").open() as stream:
        for row in csv.DictReader(stream, delimiter="\t"):
            if 180 <= float(row["duration_s"]) <= 240 and int(row["n_tracks"]) >= 8 and row["time_signature"] == "4/4":
                songs.append(SHARED / row["path"])
                if len(songs) == count:
                    return songs
    raise SystemExit(f"fewer than {count} such songs in ../shared/data's manifest")


def timed(name: str, function):
    def wrapper(*args, **kwargs):
        started = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            CPU_MS[name] += (time.process_time() - started) * 1000

    return wrapper


def instrument() -> None:
    import importlib

    for name, place in STAGES.items():
        for module_name, owner, attribute in (place, *([ELSEWHERE[name]] if name in ELSEWHERE else [])):
            module = importlib.import_module(module_name)
            holder = getattr(module, owner) if owner else module
            if hasattr(holder, attribute):
                setattr(holder, attribute, timed(name, getattr(holder, attribute)))
                break


def stream_bars(drummer, song: Path, seed: int, limit: int):
    """The session, and each bar's PlayedBar message as the DAW helper sends it (the band's parts by role)."""
    from seq2drum.generation.prepare import prepare
    from seq2drum.live.api import ROLE_NAMES
    from seq2drum.live.session import LiveSession
    from seq2drum.options import GenerationOptions
    from seq2drum.rpc import seq2drum_pb2

    try:
        from seq2drum.evaluation.playback import played_bars
    except ImportError:  # before issue 99's move
        from seq2drum.live.playback import played_bars
    options = GenerationOptions(seed=seed)
    prepared = prepare(song.read_bytes(), options, drummer.data_config, drummer.spec)
    bars = played_bars(prepared, drummer.lead_quarters)
    roles = list(ROLE_NAMES)
    session = LiveSession(roles, drummer.begin(options, seed))
    messages, previous = [], []
    for clock, _played in bars[: limit or None]:
        notes = [seq2drum_pb2.LiveNote(onset_quarters=n.onset, duration_quarters=n.duration, pitch=n.pitch,
                                         velocity=n.velocity, part=roles.index(n.role)) for n in previous]
        messages.append(seq2drum_pb2.PlayedBar(index=clock.index, numerator=clock.numerator,
                                               denominator=clock.denominator, tempo_bpm=clock.tempo_bpm, notes=notes))
        previous = _played
    return session, messages


def play(drummer, session, messages, profiler: cProfile.Profile | None = None) -> list[str]:
    """The stream's bars as the event loop plays them; each bar's drums, as text (to compare two commits)."""
    from seq2drum.rpc import seq2drum_pb2
    from server.live_jobs import LiveJob, run_live_job

    try:
        from server.live_jobs import take_bar
    except ImportError:
        from server.live_stream import _take_bar as take_bar
    drums, per_bar = [], []
    for bar in messages:
        started = time.process_time()
        call = take_bar(session, bar)
        taken = time.process_time()
        CPU_MS["take"] += (taken - started) * 1000
        if call is None:
            drums.append("rest")
            continue
        result = run_live_job(drummer, LiveJob(state=session.state, call=call))
        session.state = result.state
        done = time.process_time()
        CPU_MS["job"] += (done - taken) * 1000
        per_bar.append((done - started) * 1000)
        hits = [seq2drum_pb2.LiveDrumHit(onset_quarters=h.onset, pitch=h.pitch, velocity=h.velocity,
                                         duration_quarters=h.duration) for h in result.hits]
        answer = seq2drum_pb2.PlayAlongResponse(
            bar=seq2drum_pb2.DrumBar(index=bar.index, hits=hits, decide_ms=1.0)).SerializeToString()
        assert answer
        answered = time.process_time()
        CPU_MS["answer"] += (answered - done) * 1000
        if hasattr(drummer, "after_bar"):  # as the server, once the answer is sent (not in commits before issue 102)
            if profiler is not None:
                profiler.disable()
                AFTER.enable()
            session.state = drummer.after_bar(session.state)
            if profiler is not None:
                AFTER.disable()
                profiler.enable()
            CPU_MS["after"] += (time.process_time() - answered) * 1000
        drums.append(result.hits)
    PER_BAR[:] = per_bar
    return drums


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--song", type=Path, action="append", default=[], help="a song to play (repeatable)")
    parser.add_argument("--songs", type=int, default=4, help="without --song: the first N of bench_live_stream's")
    parser.add_argument("--bars", type=int, default=0, help="the first N bars of each song (0: all)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--top", type=int, default=30, help="cProfile's rows printed")
    parser.add_argument("--no-profile", action="store_true", help="stage CPU times only (no cProfile's overhead)")
    parser.add_argument("--sort", default="tottime", help="cProfile's order: tottime or cumulative")
    parser.add_argument("--drums", type=Path, default=None, help="write each bar's drums here (to compare commits)")
    parser.add_argument("--gc", action="store_true", help="leave the collector on, as the server does (its objects "
                        "frozen after the load): the collections a bar's garbage brings are counted")
    parser.add_argument("--dump", type=Path, default=None, help="write cProfile's stats here (pstats)")
    parser.add_argument("--passes", type=int, default=2, help="passes over the songs; the last is measured")
    parser.add_argument("--compare", type=Path, nargs="+", default=None, metavar="DUMP",
                        help="no run: compare --dump files function by function (calls and CPU us per bar)")
    return parser.parse_args()


def collector(on: bool) -> None:
    """The collector as the server has it (`on`: objects frozen after the load, collections counted), or off."""
    if not on:
        gc.disable()  # a collection is the interpreter's, and moves with the heap
        return
    gc.collect()
    gc.freeze()  # as server/live_stream.py's LocalDrummer
    gc.callbacks.append(lambda phase, info: phase == "start" and COLLECTIONS.__setitem__(
        info["generation"], COLLECTIONS[info["generation"]] + 1))


def played(drummer, songs: list[Path], args: argparse.Namespace, profiler: cProfile.Profile) -> list:
    """Every song's bars, --passes times; the last pass measured (its drums returned)."""
    for number in range(args.passes):
        streams = [stream_bars(drummer, song, args.seed, args.bars) for song in songs]
        CPU_MS.clear()
        COLLECTIONS[:] = [0, 0, 0]
        measured = number == args.passes - 1 and not args.no_profile
        drums, per_bar = [], []
        for session, messages in streams:
            if measured:
                profiler.enable()
            drums += play(drummer, session, messages, profiler if measured else None)
            if measured:
                profiler.disable()
            per_bar += PER_BAR
    PER_BAR[:] = per_bar
    return drums


def report(songs: list[Path], drums: list, args: argparse.Namespace, profiler: cProfile.Profile) -> None:
    decided = sum(d != "rest" for d in drums)
    print(f"{', '.join(song.name for song in songs)}: {len(drums)} bars, {decided} decided (seed {args.seed}), "
          f"{'cProfile on' if not args.no_profile else 'stages timed, no cProfile'}")
    for name in ("take", "job", *STAGES, "answer", "after"):
        if name in CPU_MS:
            print(f"  {name:>10} {CPU_MS[name] / max(1, decided):7.3f} CPU ms per bar")
    ordered = sorted(PER_BAR)
    print(f"  a bar (take + job) CPU ms: p50 {ordered[len(ordered) // 2]:.2f}, "
          f"p90 {ordered[int(len(ordered) * 0.9)]:.2f}, p99 {ordered[int(len(ordered) * 0.99)]:.2f}, "
          f"max {ordered[-1]:.2f}"
          + (f"; collections per generation {COLLECTIONS}" if args.gc else ""))
    if args.drums:
        args.drums.write_text("\n".join(d if d == "rest" else " ".join(f"{h.onset:.4f}:{h.pitch}:{h.velocity}"
                                                                       for h in d) for d in drums) + "\n")
    if args.no_profile:
        return
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    if args.dump:
        stats.dump_stats(args.dump)
        Path(f"{args.dump}.bars").write_text(f"{decided}\n")
    stats.sort_stats(args.sort).print_stats(args.top)
    print(out.getvalue())
    total_calls = sum(value[1] for value in stats.stats.values())  # type: ignore[attr-defined]
    after_calls = sum(value[1] for value in pstats.Stats(AFTER).stats.values()) if AFTER.getstats() else 0
    print(f"function calls per bar: {total_calls / max(1, decided):.0f} from its message to its answer, "
          f"{after_calls / max(1, decided):.0f} after it")


def by_function(dump: Path) -> dict[str, tuple[float, float, float]]:
    """A --dump's functions (file name and function, the checkout's folder left out) with their calls, own CPU us
    and cumulative CPU us, per bar decided."""
    bars = int(Path(f"{dump}.bars").read_text()) if Path(f"{dump}.bars").is_file() else 1
    out: dict[str, list[float]] = {}
    for (file, _line, name), (_, calls, own, cumulative, _) in pstats.Stats(str(dump)).stats.items():  # type: ignore
        row = out.setdefault(f"{Path(file).parent.name}/{Path(file).name}:{name}", [0.0, 0.0, 0.0])
        row[0] += calls / bars
        row[1] += own * 1e6 / bars
        row[2] += cumulative * 1e6 / bars
    return {key: (calls, own, cumulative) for key, (calls, own, cumulative) in out.items()}


def compare(dumps: list[Path], top: int) -> None:
    """The functions whose calls or own CPU time per bar differ most between the first and the last dump."""
    tables = [by_function(dump) for dump in dumps]
    keys = set().union(*tables)
    nothing = (0.0, 0.0, 0.0)
    for title, column in (("calls per bar", 0), ("own CPU us per bar", 1), ("cumulative CPU us per bar", 2)):
        print(f"{title} (largest changes, {' -> '.join(dump.stem for dump in dumps)}):")
        ranked = sorted(keys, key=lambda key: -abs(tables[-1].get(key, nothing)[column]
                                                   - tables[0].get(key, nothing)[column]))
        for key in ranked[:top]:
            print(f"  {key[-70:]:70} " + " ".join(f"{table.get(key, nothing)[column]:9.1f}" for table in tables))


def main() -> None:
    args = arguments()
    if args.compare:
        compare(args.compare, args.top)
        return
    from seq2drum.live.model_drummer import LIVE_CHECKPOINT
    from server.live_jobs import LiveModel

    songs = args.song or first_songs(args.songs)
    drummer = LiveModel(LIVE_CHECKPOINT).load()
    if args.no_profile:
        instrument()
    profiler = cProfile.Profile(time.process_time)  # CPU time: the neighbours' share of the cores left out
    collector(args.gc)
    drums = played(drummer, songs, args, profiler)
    report(songs, drums, args, profiler)


if __name__ == "__main__":
    sys.exit(main())
