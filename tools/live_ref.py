"""The live drummer's drums on a fixed set of runs, one digest per run: to check that a restructuring changed no drums.

    python -m tools.live_ref record runs/live-ref.json   # play the set with this checkout's code, write the digests
    python -m tools.live_ref check runs/live-ref.json    # play it again and compare; exit 1 on any difference

The live twin of ../shared/scoring/same_drums.py: 9 songs of ../shared/data/midi (4/4, 3/4, 6/8, 7/8, 5/4, 14/8 and
20/8 among them) x 7 ways of playing them = 63 runs, each a file played bar by bar to the shipped live model
(`--mode evaluate --live`'s path, evaluation/playback.py) from the whole band, the guitar alone and the primed input
(the drummer's first bars kept), and with controls. A digest covers every drum note (onset and end in ticks at 960
per quarter, note, velocity).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

DATA = Path("..") / "shared" / "data" / "midi"
SONGS = ("dtmrules__same-doom-different-hell-megawad/D_COUNTD", "freedoom__freedoom/d_e2m6",
         "reubenson__midi-archive/Four_Green_Fields_GA", "reubenson__midi-archive/ringxmasbells",
         "reubenson__midi-archive/hope", "freedoom__freedoom/d_e2m2", "freedoom__freedoom/d_e2m4",
         "reubenson__midi-archive/lila_s_dance", "reubenson__midi-archive/discip")
# (input kind, options beyond the kind's, seed)
RUNS = (("band", {}, 0), ("guitar", {}, 1), ("primed", {}, 2), ("band", {"density": 0.5}, 3),
        ("band", {"cymbal": "ride", "dynamics": 1.2}, 4), ("band", {"fills": "every:4", "crashes": "every:4"}, 5),
        ("band", {"temperature": 0.7, "crashes": "none"}, 6))


def digest(notes: np.ndarray, ticks_per_quarter: int) -> str:
    """The notes (N, 4) start, end, pitch, velocity as one short digest, their ticks at 960 per quarter."""
    h = hashlib.sha256()
    for start, end, pitch, velocity in notes.tolist():
        h.update(f"{round(start * 960 / ticks_per_quarter)},{round(end * 960 / ticks_per_quarter)},"
                 f"{pitch},{velocity};".encode())
    return h.hexdigest()[:16]


def run_all(data: Path) -> dict[str, str]:
    """Every run's digest (or why it failed), by a name that says the song, the input and the options."""
    from seq2drum.evaluation.inputs import build_input
    from seq2drum.live.model_drummer import ModelDrummer
    from seq2drum.evaluation.playback import play_file
    from seq2drum.midi.io import read_midi
    from seq2drum.options import GenerationOptions

    drummer = ModelDrummer()
    out = {}
    for song in SONGS:
        raw = (data / f"{song}.mid").read_bytes()
        for kind, changes, seed in RUNS:
            made = build_input(kind, raw, GenerationOptions(seed=seed))
            options = replace(made.options, **changes)
            name = f"{song} {kind} {' '.join(f'{k}={v}' for k, v in changes.items())}".strip()
            try:
                played = play_file(drummer, made.midi_bytes, options, seed)
            except Exception as error:  # noqa: BLE001  a run that fails is recorded as such, and compared
                out[name] = f"error {type(error).__name__}: {error}"
                continue
            out[name] = digest(played.notes, read_midi(made.midi_bytes).ticks_per_quarter)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=("record", "check"))
    parser.add_argument("path", type=Path)
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        print(f"error: {args.data} not found: the runs play songs of ../shared/data/midi (--data DIR)", file=sys.stderr)
        return 2
    digests = run_all(args.data)
    if args.mode == "record":
        args.path.parent.mkdir(parents=True, exist_ok=True)
        args.path.write_text(json.dumps(digests, indent=1) + "\n")
        print(f"recorded {len(digests)} runs to {args.path}")
        return 0
    reference = json.loads(args.path.read_text())
    different = sorted(name for name in reference if digests.get(name) != reference[name])
    for name in different:
        print(f"different: {name}: {reference[name]} -> {digests.get(name)}")
    print(f"{len(different)} different of {len(reference)} runs")
    return 1 if different else 0


if __name__ == "__main__":
    sys.exit(main())
