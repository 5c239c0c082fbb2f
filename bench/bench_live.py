"""Decision time per bar of the live drummer, model loaded, in process: the time `ModelDrummer.next_bar` takes (read
the bar just played up to the lead, one step of the causal network, the online decision, the feel and kit map),
p50 / p99 / max over every bar of a real 3-4 minute song and of a 4-minute song built in code (guitar, bass and keys,
120 bars at 120 BPM). Issue 25's target: p99 <= 10 ms on this machine's CPU.

    python -m bench.bench_live [--checkpoint PATH] [--song REAL.mid] [--bars N] [--repeats 3] [--between-ms 0]

Without --checkpoint: models/live.pt, else a STAND-IN (said on stdout): a causal model of the default sizes with
random weights and the shipped model's codebook and decoding policy, which costs what a trained one costs.
`--bars N` measures the first N bars of each song only (a quick check). `--between-ms N` waits N ms between bars, as
a stream does (a bar every 0.5-2 s): the decision then starts from cold caches and takes longer than back to back.
"""

from __future__ import annotations

import argparse
import gc
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.bench_coldstart import built_song, default_real_song
from bench.machine import describe_machine
from seq2drum.live.model_drummer import LIVE_CHECKPOINT, ModelDrummer
from seq2drum.evaluation.playback import played_bars
from seq2drum.generation.prepare import prepare
from seq2drum.options import GenerationOptions


def stand_in_checkpoint(scratch: Path) -> Path:
    """A causal model of the default sizes, random weights, with the shipped model's codebook, spec and policy."""
    import torch

    from seq2drum.config import ModelConfig
    from seq2drum.model.checkpoint import DEFAULT_CHECKPOINT, load_checkpoint, save_checkpoint
    from seq2drum.model.network import ARCHITECTURE, build_model
    from seq2drum.song.bars import FeatureSpec
    from seq2drum.groove import GrooveCodebook

    payload = load_checkpoint(DEFAULT_CHECKPOINT)
    spec = FeatureSpec.from_dict(payload["feature_spec"])
    config = ModelConfig(causal=True)
    torch.manual_seed(0)
    model = build_model(ARCHITECTURE, config, spec.n_step, spec.n_bar, spec.max_bar_steps,
                        torch.from_numpy(GrooveCodebook.from_state(payload["codebook"]).bar_steps),
                        (spec.step_columns, spec.bar_columns))
    path = scratch / "stand-in-live.pt"
    save_checkpoint(path, {**payload, "model": model.state_dict(), "model_config": config.to_dict(),
                           "name": "stand-in-live"})
    print("NOTE: models/live.pt is absent; measuring a STAND-IN causal model of the default sizes (random weights)")
    return path


def decision_times(drummer: ModelDrummer, data: bytes, bars: int, between_s: float = 0.0) -> list[tuple[float, float]]:
    """Wall and CPU seconds of each `next_bar` call over the song's bars (the first `bars` when > 0): on a shared
    machine the wall time's tail is mostly waiting for a core, which the CPU time leaves out. `between_s`: a wait
    before each bar, as between a stream's bars."""
    options = GenerationOptions()
    prepared = prepare(data, options, drummer.data_config, drummer.spec)
    song = played_bars(prepared, drummer.lead_quarters)
    song = song[:bars] if bars > 0 else song
    state = drummer.begin(options, seed=0)
    times, previous = [], None
    gc.disable()  # a collection is the interpreter's, not the decision's; the server's workers collect between jobs
    try:
        for clock, played in song:
            if between_s:
                time.sleep(between_s)
            started, cpu = time.perf_counter(), time.process_time()
            _, state = drummer.next_bar(state, previous[1] if previous else (), previous[0] if previous else None,
                                        clock)
            times.append((time.perf_counter() - started, time.process_time() - cpu))
            previous = (clock, played)
    finally:
        gc.enable()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", type=Path, default=None, help="default: models/live.pt, else a stand-in")
    parser.add_argument("--song", type=Path, default=None, help="a real song (default: one from ../shared/data)")
    parser.add_argument("--bars", type=int, default=0, help="measure the first N bars of each song (0 = all)")
    parser.add_argument("--repeats", type=int, default=3, help="passes over each song; the figures pool them")
    parser.add_argument("--between-ms", type=float, default=0.0, help="wait between bars, as a stream does (0: back "
                        "to back)")
    args = parser.parse_args()
    print(describe_machine())
    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        checkpoint = args.checkpoint or (LIVE_CHECKPOINT if LIVE_CHECKPOINT.is_file() else stand_in_checkpoint(scratch))
        started = time.perf_counter()
        drummer = ModelDrummer(checkpoint)
        config = drummer.network.config
        print(f"model {checkpoint} (enc {config.enc_hidden}, dec {config.dec_hidden}, "
              f"{drummer.network.net.n_parameters} parameters), loaded in {time.perf_counter() - started:.2f} s")
        real = args.song or default_real_song()
        songs = {"built in code: guitar, bass, keys, 120 bars": built_song(scratch / "built.mid")}
        if real is not None:
            songs[f"real: {real.name} ({real.parent.name})"] = real
        else:
            print("NOTE: no real song found (../shared/data is absent); only the built one is measured")
        decision_times(drummer, songs[next(iter(songs))].read_bytes(), 8)  # warm caches (grids, feel tables)
        wait = f", {args.between_ms:g} ms between bars" if args.between_ms else ", bars back to back"
        print(f"decision time per bar (ModelDrummer.next_bar, in process{wait}):")
        for label, path in songs.items():
            times = np.array([t for _ in range(args.repeats)
                              for t in decision_times(drummer, path.read_bytes(), args.bars,
                                                     args.between_ms / 1000)]) * 1000
            wall, cpu = times[:, 0], times[:, 1]
            print(f"  {label}: {len(wall)} bars, p50 {np.percentile(wall, 50):.2f} ms, "
                  f"p99 {np.percentile(wall, 99):.2f} ms, max {wall.max():.2f} ms "
                  f"(CPU time: p50 {np.percentile(cpu, 50):.2f} ms, p99 {np.percentile(cpu, 99):.2f} ms)")


if __name__ == "__main__":
    main()
