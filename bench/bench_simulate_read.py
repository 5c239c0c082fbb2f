"""Issue 55 L7: how long the helper's `--simulate` takes to turn hostile files into bars before its first bar is
sent (client/song_bars.py: `read_song`, `end_stream`, and every bar's `played`), against mido's own read of the same
bytes, the linear floor:

    python -m bench.bench_simulate_read          # this checkout
    (cd /tmp/old && python -m bench.bench_simulate_read)    # an older tree unpacked with `git archive`

Each file is within the offline reader's limits (so it is played, not refused): 10,000 meter events on 2,000 bars,
10,000 tempo events, 20,000 one-note tracks, and a dense 1/64 song (49,152 notes in 2,048 bars).
"""

from __future__ import annotations

import io
import sys
import tempfile
import time
from pathlib import Path

from bench.machine import describe_machine
from tests.hostile_songs import dense_sixty_fourths, many_meter_events, many_tempo_events, many_tracks

LEAD_TICKS = 1  # a tick: every note is heard, even in bars shorter than a live lead


def seconds_to_bars(path: Path) -> tuple[float, int]:
    from client.song_bars import read_song

    started = time.perf_counter()
    song = read_song(path)
    song.end_stream()
    notes = sum(len(song.played(bar, LEAD_TICKS)) for bar in song.bars)
    return time.perf_counter() - started, notes


def main() -> int:
    import mido

    print(describe_machine())
    import client
    from client.drum_client import HelperError

    print(f"client.song_bars from {Path(client.__file__).parent}")
    files = {"10,000 meter events": many_meter_events(), "10,000 tempo events": many_tempo_events(),
             "20,000 tracks": many_tracks(), "dense 1/64 (49,152 notes)": dense_sixty_fourths()}
    with tempfile.TemporaryDirectory() as scratch:
        for name, data in files.items():
            path = Path(scratch) / "song.mid"
            path.write_bytes(data)
            started = time.perf_counter()
            mido.MidiFile(file=io.BytesIO(data))
            floor_s = time.perf_counter() - started
            try:
                took_s, notes = seconds_to_bars(path)
                print(f"{name:28s} {took_s:7.2f} s to bars ({notes} notes played; mido's read alone {floor_s:.2f} s)")
            except (ArithmeticError, LookupError, OSError, ValueError, HelperError) as exc:  # a figure too
                print(f"{name:28s} failed: {type(exc).__name__}: {exc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
