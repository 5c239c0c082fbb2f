"""The ride live against offline on swung songs: does the live drummer play the jazz ride where offline does?

    python -m studies.live_ride [--data ../shared/data/jazz] [--live-checkpoint PT] [--json OUT]

For every song of the folder played from the whole arrangement (the drums removed, as evaluation's band input):
offline take 1 with the shipped default model, and the song played bar by bar to the shipped live model
(`--mode evaluate --live`'s path, evaluation/playback.py), both seed 0. Of the songs that swing by their own reading and
whose offline take rides, it prints per song the ride hits (GM 51, 53, 59) and the hi-hat foot and closed hats, and
pooled the live / offline ratio of ride hits (issue 67: 0.8-1.25).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

RIDES = (51, 53, 59)
HATS = (42, 44)


def counts(notes: np.ndarray) -> dict[str, int]:
    """Ride and hi-hat hits of drum notes (N, 4) start, end, pitch, velocity."""
    pitch = notes[:, 2] if len(notes) else np.zeros(0, dtype=np.int64)
    return {"ride": int(np.isin(pitch, RIDES).sum()), "hats": int(np.isin(pitch, HATS).sum())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("..") / "shared" / "data" / "jazz")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--live-checkpoint", type=Path, default=None, metavar="PT",
                        help="the live model to play (default: the shipped models/live.pt)")
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        print(f"error: {args.data} not found (--data DIR)", file=sys.stderr)
        return 2
    from seq2drum.evaluation.inputs import build_input
    from seq2drum.generation.generator import DrumGenerator
    from seq2drum.generation.prepare import prepare
    from seq2drum.generation.render import song_swing
    from seq2drum.live.model_drummer import ModelDrummer
    from seq2drum.evaluation.playback import play_file
    from seq2drum.midi.io import DRUM_CHANNEL, read_midi
    from seq2drum.options import GenerationOptions

    offline, drummer = DrumGenerator.from_checkpoint(), ModelDrummer(args.live_checkpoint)
    rows, pooled = [], {"offline": 0, "live": 0}
    for path in sorted(args.data.rglob("*.mid")):
        try:
            made = build_input("band", path.read_bytes(), GenerationOptions(seed=0))
            prepared = prepare(made.midi_bytes, made.options, offline.data_config, offline.spec)
            if song_swing(prepared, made.options)[0] is None:
                continue
            result = offline.generate(made.midi_bytes, made.options)
            written = read_midi(result.midi_bytes)
            notes = np.concatenate([np.zeros((0, 4), dtype=np.int64),
                                    *(part.notes for part in written.parts if part.channel == DRUM_CHANNEL)])
            played = play_file(drummer, made.midi_bytes, made.options, 0)
        except Exception as error:  # noqa: BLE001  a song that cannot be played is named and skipped
            print(f"{path.name}: skipped ({type(error).__name__}: {error})")
            continue
        off, live = counts(notes), counts(played.notes)
        if not off["ride"]:
            continue
        rows.append({"song": path.stem, "offline": off, "live": live})
        pooled["offline"] += off["ride"]
        pooled["live"] += live["ride"]
        print(f"{path.stem:40s} ride offline {off['ride']:5d} live {live['ride']:5d}   "
              f"hats offline {off['hats']:5d} live {live['hats']:5d}")
    ratio = pooled["live"] / max(1, pooled["offline"])
    print(f"{len(rows)} swung songs whose offline take rides: ride hits live / offline {ratio:.2f} "
          f"({pooled['live']} / {pooled['offline']})")
    if args.json:
        args.json.write_text(json.dumps({"songs": rows, "pooled": pooled, "ratio": ratio}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
