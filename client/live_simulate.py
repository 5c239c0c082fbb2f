"""`--simulate SONG.mid`: a file's band played to the server through the same PlayAlong stream as `--live`, in
scaled real time and without ports, and the drums the server decided for every bar written to a file, with how
late they came. The file's drums are the server's decisions whatever their lateness (the live fallback, which keeps
the last bar's groove when the server is late, is for the port only), so the same seed writes the same file. With
--keep-drums the song's own drums (channel 10) are sent as a DAW sends them, heard by the server's drummer, and written
exactly; a bar in which one starts gets none of the server's (as --mode evaluate --live writes it).

    report = simulate(client, Path("song.mid"), options, speed=4.0, output=Path("out.mid"))
    # {"bars": N, "late_bars": N, "round_trip_ms": {"p50": x, "p99": x, "max": x}, "server_ms": {the same, of the
    #  server's own time a bar}, "lead_ms": {"at_speed": x,
    #  "real_time": x}, "late_bars_against_real_time_lead": N, "bar_timing": [[sent s, round trip ms, server ms],
    #  ...], ...}
"""

from __future__ import annotations

import io
import json
import time
from pathlib import Path
from typing import Any

from seq2drum.atomic import write_atomic
from seq2drum.rpc import seq2drum_pb2

from .drum_client import DrumClient, HelperError, OutputExistsError, UnreadableSongError
from .song_bars import DRUM_CHANNEL, ENDING_SLACK_Q, SongBars, read_song

SPEED_RANGE = (0.25, 64.0)
QUEUED_MS = 1.0  # a bar that waited longer than this behind the bars before it is counted as queued
ANSWER_WAIT_S = 10.0  # after the last bar's lead, how long the last drums may take to come back


def simulate(client: DrumClient, song_path: Path, options: seq2drum_pb2.GenerationOptions, speed: float,
             output: Path, report_path: Path | None = None, force: bool = False,
             switches: dict[int, str] | None = None) -> dict[str, Any]:
    """Play `song_path` to the server at `speed` times real time; write the drums to `output` and the report (also
    returned) to `report_path`; `switches` {bar from 1: part}: the part switched to as that bar is sent (played from
    the next phrase). HelperError for a file that cannot be read or written, a speed out of range."""
    low, high = SPEED_RANGE
    if not low <= speed <= high:
        raise HelperError(f"--speed must be {low:g}-{high:g}, got {speed:g}")
    check_outputs(song_path, output, report_path, force)
    try:
        # the guitar alone: drums from the first bar; keep_drums: the song's drums sent as the user's
        song = read_song(song_path, from_start=options.guitar_only, keep_drums=options.keep_drums)
    except (OSError, EOFError, ValueError, KeyError, IndexError) as exc:
        raise UnreadableSongError(f"cannot read {song_path} as MIDI ({exc}); export it again as a Standard MIDI "
                                  "File") from None
    if all(song.is_drums(part) for part in range(len(song.parts))):
        raise UnreadableSongError(f"{song_path} holds no notes outside channel 10: nothing to play along to")
    link = client.live_link(options, song.parts)
    ready = link.open()
    lead_ticks = round(ready.lead_quarters * song.ticks_per_quarter)
    ending = song.end_stream()
    unheard = song.unheard(lead_ticks)
    origin = song.seconds(song.bars[0].start_tick) if song.bars else 0.0  # the band's first bar starts the clock
    # each bar's lead in seconds (before the file's first tick, at the first bar's tempo)
    leads = [song.seconds(bar.start_tick) - song.seconds(bar.start_tick - lead_ticks) if bar.start_tick >= lead_ticks
             else ready.lead_quarters * 60.0 / bar.tempo_bpm for bar in song.bars]
    started = time.perf_counter() + 0.05 + (leads[0] / speed if leads else 0.0)  # bar 0's lead is 50 ms away
    due = [started + (song.seconds(bar.start_tick) - origin) / speed for bar in song.bars]
    try:
        for bar in song.bars:
            send_at = due[bar.index] - leads[bar.index] / speed
            time.sleep(max(0.0, send_at - time.perf_counter()))
            notes = song.played(song.bars[bar.index - 1], lead_ticks) if bar.index else []
            if switches and bar.index + 1 in switches:
                link.switch(switches[bar.index + 1])
            link.send(bar.index, (bar.numerator, bar.denominator), bar.tempo_bpm, notes)
        answers = [link.wait(bar.index, max(0.0, due[-1] + ANSWER_WAIT_S - time.perf_counter()))
                   for bar in song.bars]
    finally:
        link.close()
    if any(answer is None for answer in answers):
        missing = sum(answer is None for answer in answers)
        raise HelperError(f"{missing} bars got no drums from the server; nothing was written")
    report = _report(song, link, ready, leads, due, speed, unheard)
    try:
        write_atomic(output, drum_file(song, answers, ending))
        if report_path is not None:
            write_atomic(report_path, (json.dumps(report, indent=1) + "\n").encode())
    except OSError as exc:
        raise HelperError(f"cannot write {exc.filename or output}: {exc.strerror or exc}") from None
    return report


def check_outputs(song_path: Path, output: Path, report_path: Path | None, force: bool) -> None:
    """Before anything is played: the drums (-o) and the report (--report) are two files, neither the song, and
    neither over an existing file without `force` (OutputExistsError; the report was written over without a word)."""
    targets = [output] if report_path is None else [output, report_path]
    if report_path is not None and report_path.resolve() == output.resolve():
        raise HelperError(f"-o and --report both name {output}; give the report another name")
    for target in targets:
        if target.resolve() == song_path.resolve():
            raise HelperError(f"{target} is the song played; pick another -o or --report")
    existing = [str(target) for target in targets if target.exists()]
    if existing and not force:
        raise OutputExistsError(f"{', '.join(existing)} {'exists' if len(existing) == 1 else 'exist'}; pass --force "
                                "to overwrite, or name other files with -o and --report")


def _report(song: Any, link: Any, ready: Any, leads: list[float], due: list[float], speed: float,
            unheard: list[int]) -> dict[str, Any]:
    """The run's report: bars, late bars (on the sped-up clock and against the real-time lead), round trips, leads,
    and the notices for the bars the server could not hear."""
    trips = sorted(link.round_trip_ms(bar.index) or 0.0 for bar in song.bars)
    # the server's own share of each round trip (from the bar's message to its drums: the decision, and for a bar
    # sent to a worker the line and the worker), as it says in DrumBar.decide_ms; the rest is the way there and back
    # (gRPC, both processes' threads)
    served = sorted(answer.decide_ms for bar in song.bars if (answer := link.answer(bar.index)) is not None
                    and not answer.resting)
    late = sum((link.received_at(bar.index) or 0.0) > due[bar.index] for bar in song.bars)
    late_indices = [bar.index for bar in song.bars if (link.received_at(bar.index) or 0.0) > due[bar.index]]
    # what late means at this speed: a bar's drums are due within its lead on the sped-up clock (the lead / speed);
    # the bars whose round trip was longer than their lead at real time would have been late live as well
    # and a bar's own time, not the wait behind the bars before it: sped up, bars can come faster than the server
    # decides them (at 16x a 1/16 bar every 7.8 ms) and queue, which they never do live
    own, waited = own_round_trips(song, link)
    late_live = sum(own[bar.index] > 1000.0 * leads[bar.index] for bar in song.bars)
    lead_ms = sorted(1000.0 * lead for lead in leads)
    return {"bars": len(song.bars), "late_bars": int(late), "late_bar_indices": late_indices[:20],
              "round_trip_ms": {"p50": round(_quantile(trips, 0.50), 2), "p99": round(_quantile(trips, 0.99), 2),
                                "max": round(trips[-1], 2)},
              "server_ms": ({"p50": round(_quantile(served, 0.50), 2), "p99": round(_quantile(served, 0.99), 2),
                             "max": round(served[-1], 2)} if served else None),
              "lead_ms": {"at_speed": round(_quantile(lead_ms, 0.50) / speed, 1),
                          "real_time": round(_quantile(lead_ms, 0.50), 1)},
              "late_bars_against_real_time_lead": int(late_live),
              "queued_bars": int(sum(wait > QUEUED_MS for wait in waited)),
              "seed": ready.seed, "speed": speed, "model": ready.model_name,
              "unheard_bars": len(unheard),
              "bar_timing": _bar_timing(song, link),
              "notices": [*song.notices, *[unheard_notice(unheard, ready.lead_quarters)] * bool(unheard)]}


def own_round_trips(song: Any, link: Any) -> tuple[list[float], list[float]]:
    """Each bar's own round trip (ms: from when it was sent, or when the bar before it was answered if that came
    later, to its answer) and how long it waited behind the bars before it (ms). One stream's bars are answered in
    order; live they come a bar apart and never wait, so the first is what a bar's time would be live."""
    own, waited, previous = [], [], None
    for bar in song.bars:
        sent, received = link.sent_at(bar.index), link.received_at(bar.index)
        if sent is None or received is None:
            own.append(link.round_trip_ms(bar.index) or 0.0)
            waited.append(0.0)
            continue
        wait_s = max(0.0, previous - sent) if previous is not None else 0.0
        own.append(1000.0 * (received - sent - wait_s))
        waited.append(1000.0 * wait_s)
        previous = received
    return own, waited


def _bar_timing(song: Any, link: Any) -> list[list[float]]:
    """[sent, round trip ms, server ms] of each bar answered: when it was sent (time.perf_counter(), seconds: the
    machine's monotonic clock, so the reports of helpers run on one machine line up), so that a slow bar can be told
    from another stream's bar in flight (bench/bench_live_stream.py)."""
    timing = []
    for bar in song.bars:
        sent, trip, answer = link.sent_at(bar.index), link.round_trip_ms(bar.index), link.answer(bar.index)
        if sent is not None and trip is not None and answer is not None:
            timing.append([round(sent, 6), round(trip, 3), round(answer.decide_ms, 3)])
    return timing


def summary_line(report: dict[str, Any], output: Path) -> str:
    """The line --simulate prints: the bars, how many were late and against what clock. Sped up, a bar's drums are
    due within its lead divided by the speed (a few tens of ms at 4 times), so a run that is on time live can print
    late bars: the line says the lead it was judged by, how many bars' own round trips (less any wait behind the
    bars before them) were over the real-time lead (those would be late live too), and how many bars queued."""
    trips, lead = report["round_trip_ms"], report["lead_ms"]
    if report["speed"] == 1:
        judged = f"{report['late_bars']} late (a bar's drums are due within its lead, {lead['real_time']:g} ms median)"
    else:
        judged = (f"{report['late_bars']} late at {report['speed']:g}x real time (due within the lead at that speed, "
                  f"{lead['at_speed']:g} ms median, not {lead['real_time']:g} ms as live); against the real-time lead "
                  f"{report['late_bars_against_real_time_lead']} late (--speed 1 plays it as live)")
    if report.get("queued_bars") and report["speed"] != 1:
        judged += (f"; {report['queued_bars']} bars waited behind the bars before them (sped up, they came faster than "
                   "the server decides them; live they come a bar apart), which the real-time count leaves out")
    return (f"wrote {output}: {report['bars']} bars, {judged}; round trip p50 {trips['p50']} ms, "
            f"p99 {trips['p99']} ms")


def drum_file(song: SongBars, answers: list[seq2drum_pb2.DrumBar], ending: tuple[int, float] = (-1, 0.0)) -> bytes:
    """A type-1 MIDI file: the song's tempo and meter maps, the decided drums on channel 10; the drums of bar
    `ending[0]`, where the stream ends, up to `ending[1]` quarter notes into it (`SongBars.end_stream`). The song's
    kept drums (`SongBars.kept_notes`) are written as they are, and a bar in which one starts gets no decided drums;
    nor does a decided note that starts while a kept note of its pitch sounds (generation.given's `clear_of_kept`)."""
    import mido

    tpq = song.ticks_per_quarter
    events: list[tuple[int, int, Any]] = []
    for tick, tempo in song.file_tempos:  # the song's own events, none added
        events.append((tick, 0, mido.MetaMessage("set_tempo", tempo=tempo)))
    for tick, numerator, denominator in song.file_meters:
        events.append((tick, 0, mido.MetaMessage("time_signature", numerator=numerator, denominator=denominator)))
    kept = song.kept_notes()
    notes: list[tuple[int, int, int, int]] = []
    for bar, answer in zip(song.bars, answers):
        if any(bar.start_tick <= start < bar.end_tick for start, _, _, _ in kept):  # the user's bar
            continue
        for hit in answer.hits:
            if bar.index == ending[0] and hit.onset_quarters >= ending[1] + ENDING_SLACK_Q:
                continue
            start = max(0, bar.start_tick + round(hit.onset_quarters * tpq))
            notes.append((start, max(start + 1, start + round(hit.duration_quarters * tpq)), hit.pitch, hit.velocity))
    kept_by_pitch: dict[int, list[tuple[int, int]]] = {}
    for start, end, pitch, _ in kept:
        kept_by_pitch.setdefault(pitch, []).append((start, end))
    notes = [note for note in notes if not any(start <= note[0] < end for start, end in kept_by_pitch.get(note[2], ()))]
    notes += kept
    drums: list[tuple[int, int, Any]] = []
    for start, end, pitch, velocity in notes:
        drums.append((start, 1, mido.Message("note_on", channel=DRUM_CHANNEL, note=pitch, velocity=velocity)))
        drums.append((end, 0, mido.Message("note_off", channel=DRUM_CHANNEL, note=pitch, velocity=0)))
    midi = mido.MidiFile(type=1, ticks_per_beat=tpq)
    for timed, name in ((events, "Conductor"), (drums, "Drums")):
        track = mido.MidiTrack([mido.MetaMessage("track_name", name=name)])
        tick = 0
        for at, _, message in sorted(timed, key=lambda item: (item[0], item[1])):
            track.append(message.copy(time=at - tick))
            tick = at
        midi.tracks.append(track)
    buffer = io.BytesIO()
    midi.save(file=buffer)
    return buffer.getvalue()


def unheard_notice(unheard: list[int], lead_quarters: float) -> str:
    """Why the drummer heard nothing of some bars (and may rest in them, with the band heard)."""
    shown = ", ".join(str(index + 1) for index in unheard[:5]) + (", ..." if len(unheard) > 5 else "")
    return (f"the server heard none of the band's notes in {len(unheard)} bar(s) (bar {shown} of the stream): each "
            f"note starts within the last {lead_quarters:g} quarter notes of its bar, the server's lead, which a bar "
            "that short never passes; the drums play on through them as through the band's silence (and rest in "
            "them, after 2, where the band is heard); --mode infer makes the drums offline from every note")


def _quantile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return 0.0
    return sorted_values[min(len(sorted_values) - 1, int(round(q * (len(sorted_values) - 1))))]
