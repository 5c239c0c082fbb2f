"""The live drummer hears what the band is (issue 102, live/hearing.py and band/running.py): the band heard so far is
described as offline describes a song cut there (a whole song heard: the offline description, but for the
instruments a stream does not carry), its genre gates the jazz ride, and the part model's plan is re-drawn every
PLAN_BARS bars from the bars already heard: a bar's reading and plan never change when later bars change. Played
bar by bar with the shipped live model, on bands built in code."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest

from seq2drum import band
from seq2drum.band import HeardBar, RunningBand, describe_band
from seq2drum.evaluation.playback import play_file, played_bars
from seq2drum.feel.swing import SWUNG_RIDE_RATIO, HeardSwing
from seq2drum.generation.prepare import prepare
from seq2drum.live import hearing
from seq2drum.live.model_drummer import ModelDrummer
from seq2drum.midi.io import START, merged_notes, read_midi
from seq2drum.midi.roles import part_role
from seq2drum.options import GenerationOptions
from seq2drum.parts import choice
from seq2drum.parts.plan_value import PlanSource
from seq2drum.song.grid import BAR_DENOMINATOR, BAR_NUMERATOR, BAR_START, BAR_STEPS
from tests import band_songs
from tests.band_songs import A, B, E, bass_line, chords_on_beats, notes

UNHEARD = {"family_shares", "jazz_program_share", "distorted_share", "named", "n_parts"}  # what a stream lacks


@pytest.fixture(scope="module")
def drummer() -> ModelDrummer:
    return ModelDrummer()


def heard_bars(song_bytes: bytes) -> tuple[list[HeardBar], HeardSwing]:
    """A file's bars as a stream hears them, every note whole (each role one part), and the swing heard in them."""
    song = read_midi(song_bytes)
    grid = band.reading.band_grid(song)
    by_role: dict[str, list] = {}
    for part in song.parts:
        if not part.is_drums and part.note_count:
            by_role.setdefault(part_role(part), []).append(part)
    merged = {role: merged_notes(parts) for role, parts in by_role.items()}
    bars, swing, tempo = [], HeardSwing(), grid.tempo_bpm()
    for row in grid.bars.tolist():
        start, end = row[BAR_START] * grid.ticks_per_step, (row[BAR_START] + row[BAR_STEPS]) * grid.ticks_per_step
        per_role = []
        for role, notes_ in merged.items():
            inside = notes_[(notes_[:, START] >= start) & (notes_[:, START] < end)].copy()
            inside[:, :2] = np.rint((inside[:, :2] - start) * band.running.TICKS_PER_QUARTER / song.ticks_per_quarter)
            per_role.append((role, inside))
        bars.append(HeardBar(row[BAR_NUMERATOR], row[BAR_DENOMINATOR], float(tempo[row[BAR_START]]), tuple(per_role)))
        onsets = {role: (notes_[:, 0] / band.running.TICKS_PER_QUARTER).tolist() for role, notes_ in per_role}
        swing = swing.after(onsets, row[BAR_NUMERATOR], row[BAR_DENOMINATOR])
    return bars, swing


def read_in_chunks(bars: list[HeardBar], every: int = hearing.PLAN_BARS) -> RunningBand:
    running = RunningBand()
    for first in range(0, len(bars), every):
        running = running.read(bars[first : first + every], bars[first - 1] if first else None)
    return running


@pytest.mark.parametrize("song", [band_songs.walking_jazz(4), band_songs.shuffle_blues(3), band_songs.rock(24),
                                  band_songs.boogie_blues(3)], ids=["walking jazz", "shuffle blues", "rock", "boogie"])
def test_a_whole_song_heard_is_described_as_offline_describes_it(song: bytes) -> None:
    bars, swing = heard_bars(song)
    live = read_in_chunks(bars).description(swing.reading([role for role, *_ in swing.roles])).to_json()
    offline = describe_band(read_midi(song)).to_json()
    assert live.keys() == offline.keys()
    for name in sorted(set(offline) - UNHEARD):
        assert live[name] == pytest.approx(offline[name], abs=1e-9), name
    assert all(math.isnan(share) for share in live["family_shares"]) and math.isnan(live["jazz_program_share"])


def test_the_band_is_read_once_per_bar_and_the_reading_is_the_same_in_any_chunks(monkeypatch: pytest.MonkeyPatch
                                                                                 ) -> None:
    bars, _ = heard_bars(band_songs.shuffle_blues(3))
    rows_read: list[int] = []
    reading = band.running.band_rows

    def counted(harmony, bass, grid):  # noqa: ANN001, ANN202
        rows_read.append(grid.n_bars)
        return reading(harmony, bass, grid)

    monkeypatch.setattr(band.running, "band_rows", counted)
    by_eights = read_in_chunks(bars)
    assert sum(rows_read) == len(bars) + math.ceil(len(bars) / 8) - 1  # each bar once, and the bar before a chunk
    assert json.dumps(by_eights.description().to_json()) == json.dumps(read_in_chunks(bars, 5).description().to_json())


def rock_then(later: str, bars: int = 32, change: int = 16) -> bytes:
    """A rock band (driving bass, triads held) for `change` bars, then a rock band on other roots or a walking jazz
    band with sevenths."""
    roots = [(E, E, A, B)[bar % 4] for bar in range(bars)]
    bass = [[(beat / 2, r) for beat in range(8)] for r in roots]
    chords = [(r + 24, r + 28, r + 31) for r in roots]
    for bar in range(change, bars):
        if later == "jazz":
            bass[bar] = [(float(beat), p) for beat, p in enumerate(band_songs.WALK_II_V_I[bar % 4])]
            chords[bar] = band_songs.SEVENTHS[("Dm7", "G7", "Cmaj7", "Cmaj7")[bar % 4]]
        else:
            bass[bar] = [(beat / 2, roots[bar] + 2) for beat in range(8)]
    guitar = notes([(bar * 4 + beat / 2, 0.45, pitch) for bar, r in enumerate(roots[:change]) for beat in range(8)
                    for pitch in (r + 12, r + 19)])
    return band_songs.band(bass_line(bass), chords_on_beats(chords, comp=False), guitar=guitar)


def heard_as_played(drummer: ModelDrummer, song: bytes, options: GenerationOptions | None = None
                    ) -> list[hearing.Hearing]:
    """The hearing each bar of the song was decided with, played bar by bar as the server plays it (the bar's hearing
    taken in after its drums, `after_bar`)."""
    options = options or GenerationOptions()
    bars = played_bars(prepare(song, options, drummer.data_config, drummer.spec), drummer.lead_quarters)
    state, kept = drummer.begin(options, 0), []
    for index, (clock, _) in enumerate(bars):
        previous, played = bars[index - 1] if index else (None, [])
        _, state = drummer.next_bar(state, played, previous, clock)
        kept.append(state.hearing)
        state = drummer.after_bar(state)
    return kept


def test_a_bars_reading_and_plan_do_not_change_when_later_bars_change(drummer: ModelDrummer) -> None:
    rock, jazz = heard_as_played(drummer, rock_then("rock")), heard_as_played(drummer, rock_then("jazz"))
    same = [(json.dumps(h.described), h.genre, h.part) for h in rock[:17]]
    assert same == [(json.dumps(h.described), h.genre, h.part) for h in jazz[:17]]  # bar 17 decided from bars 1-16
    assert rock[16].part >= 0 and rock[16].genre == "rock"
    assert json.dumps(rock[-1].described) != json.dumps(jazz[-1].described)  # the bars after bar 16 were heard


def test_the_plan_is_told_from_phrase_boundaries_and_the_band_read_between(drummer: ModelDrummer,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    replanned = hearing.replanned

    def counted(hearing_, *args):  # noqa: ANN001, ANN202
        calls.append(len(hearing_.unread))
        return replanned(hearing_, *args)

    monkeypatch.setattr(hearing, "replanned", counted)
    heard = heard_as_played(drummer, rock_then("rock", bars=33))
    # plans after bars 9, 17, 25 and 33 are sent (the band's first is the stream's), each told from the bar after;
    # the band read half a plan after each
    assert calls == [4, 4, 8, 4, 8, 4, 8, 4] and heard[-1].band.n_bars == 28
    assert [h.part >= 0 for h in heard[:10]] == [False] * 9 + [True]
    plan = hearing.told_plan(heard[9], drummer.planner, 16, 4, 4)
    assert plan.played and plan.source is PlanSource.MODEL and plan.parts.tolist() == [heard[9].part]
    assert not hearing.told_plan(heard[9], drummer.planner, 12, 4, 4).played  # a 3/4 bar: not that part's meter


@pytest.mark.parametrize("options", [GenerationOptions(guitar_only=True), GenerationOptions(plan="bars"),
                                     GenerationOptions(style="half-time")], ids=["guitar alone", "plan bars", "style"])
def test_no_plan_is_told_where_offline_plays_none(drummer: ModelDrummer, options: GenerationOptions) -> None:
    assert all(h.part < 0 for h in heard_as_played(drummer, rock_then("rock", bars=20), options))


def test_the_genre_heard_is_the_bands_unless_the_musician_said_one(drummer: ModelDrummer) -> None:
    jazz = band_songs.walking_jazz(6)
    assert heard_as_played(drummer, jazz)[-1].genre == "jazz"
    said = heard_as_played(drummer, jazz, GenerationOptions(genre="rock"))[-1]
    assert said.genre == "rock" and said.options.genre == "rock"
    assert heard_as_played(drummer, band_songs.rock(24))[-1].genre == "rock"


def test_with_the_guitar_alone_only_the_guitar_is_read(drummer: ModelDrummer) -> None:
    """--guitar-only: offline describes the guitar's notes alone, and so does live, whatever else the stream sends."""
    bars = played_bars(prepare(rock_then("rock", bars=20), GenerationOptions(), drummer.data_config, drummer.spec),
                       drummer.lead_quarters)  # the band's notes sent
    state = drummer.begin(GenerationOptions(guitar_only=True), 0)
    for index, (clock, _) in enumerate(bars):
        previous, played = bars[index - 1] if index else (None, [])
        _, state = drummer.next_bar(state, played, previous, clock)
    assert state.hearing.band.roles == ("guitar",) and state.hearing.band.n_bars >= 12


def test_played_live_the_bars_read_are_described_as_offline_describes_them(drummer: ModelDrummer) -> None:
    """Through the live drummer itself: a band whose every note ends before its bar's lead (live hears a note up to
    the lead) is described after the last reading as offline describes the song cut at the bars read."""
    roots = [(E, A, B, E)[bar % 4] for bar in range(28)]
    bass = notes([(bar * 4 + beat, 0.5, r) for bar, r in enumerate(roots) for beat in range(4)])
    keys = notes([(bar * 4 + half, 1.5, r + 24 + step) for bar, r in enumerate(roots) for half in (0, 2)
                  for step in (0, 4, 7, 10)])
    guitar = notes([(bar * 4 + beat, 0.5, r + 12) for bar, r in enumerate(roots) for beat in range(4)])
    song = band_songs.band(bass, keys, guitar=guitar)
    heard = heard_as_played(drummer, song)[-1]
    offline = describe_band(read_midi(song), heard.band.n_bars).to_json()
    assert heard.band.n_bars == 20  # read before bars 5, 13 and 21: bars 1-20
    for name in sorted(set(offline) - UNHEARD):
        assert heard.described[name] == pytest.approx(offline[name], abs=1e-9), name


def played_through(drummer: ModelDrummer, song: bytes, after: Any, seed: int = 0,
                   options: GenerationOptions | None = None) -> tuple[list[list], list]:
    """Each bar's drums and the hearing it was decided with, `after(index)` saying where the bar's hearing work is
    worked out: after its drums (True: `after_bar`, as a server's thread that is done before the next call), left to
    the call it is due at (False), or "thread": `after_bar` on the state of then, taken in (`merged`) only before a
    call 1-3 bars on, as a server's thread done at any time (where it is later than the due bar, that call works it
    out itself; one job at a time, as the server's `AfterBars`)."""
    bars = played_bars(prepare(song, GenerationOptions(), drummer.data_config, drummer.spec), drummer.lead_quarters)
    state, drums, kept = drummer.begin(options or GenerationOptions(), 0), [], []
    rng, job = np.random.default_rng(seed), None
    for index, (clock, _) in enumerate(bars):
        if job is not None and job[0] <= index:
            state, job = drummer.merged(state, job[1]), None
        previous, played = bars[index - 1] if index else (None, [])
        hits, state = drummer.next_bar(state, played, previous, clock)
        drums.append(hits)
        kept.append((json.dumps(state.hearing.described), state.hearing.genre, state.hearing.part))
        how = after(index)
        if how == "thread" and job is None:
            job = (index + int(rng.integers(1, 4)), drummer.after_bar(state))
        elif how is True:
            state = drummer.after_bar(state)
    return drums, kept


@pytest.mark.parametrize("later_bars", [1, 2])
def test_the_drums_are_the_same_whenever_the_hearing_is_taken_in(drummer: ModelDrummer, later_bars: int,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A server works a bar's hearing out on a thread after its drums are sent; a caller that does not (a worker,
    --simulate, evaluate --live) has it worked out in the call it is due at; the drums never depend on which, or on
    when the work got done: a plan due at a bar plays from LATER_BARS bars after it, always (tried at 1, as shipped,
    and 2: there, every reading and plan a bar later)."""
    from seq2drum.live import model_drummer

    song, coin = rock_then("jazz", bars=33), np.random.default_rng(5).random(40) < 0.5
    shipped = played_through(drummer, song, lambda _: True)
    monkeypatch.setattr(model_drummer, "LATER_BARS", later_bars)
    server, calls = played_through(drummer, song, lambda _: True), played_through(drummer, song, lambda _: False)
    mixed = played_through(drummer, song, lambda index: bool(coin[index]))
    threads = [played_through(drummer, song, lambda _: "thread", seed) for seed in range(3)]
    assert server == calls == mixed == threads[0] == threads[1] == threads[2]
    assert any(part >= 0 for *_, part in server[1]) and server[1][-1][1] == "rock"  # a plan told, the genre heard
    told = [next(n for n, (*_, part) in enumerate(kept) if part >= 0) for kept in (shipped[1], server[1])]
    assert told[1] == told[0] + later_bars - hearing.LATER_BARS  # the first plan told from its due bar


def test_a_bars_call_never_reads_the_band_or_draws_a_plan(drummer: ModelDrummer, monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    """Issue 102: the band's reading (band.running, live/hearing.py `read_band`) and the plan (the part model's
    forward pass, `part_probabilities`) run in `after_bar`, after a bar's drums are sent, never inside a bar's call
    (`next_bar`, the bar's critical path), where the server runs `after_bar` between calls."""
    where: list[tuple[str, str]] = []
    inside = ["none"]

    def spied(name: str, original: Any) -> Any:
        def spy(*args: Any) -> Any:
            where.append((inside[0], name))
            return original(*args)
        return spy

    def timed(method: str, original: Any) -> Any:
        def run(*args: Any) -> Any:
            inside[0] = method
            try:
                return original(*args)
            finally:
                inside[0] = "none"
        return run

    for name in ("read_band", "part_probabilities", "replanned", "with_bar"):
        monkeypatch.setattr(hearing, name, spied(name, getattr(hearing, name)))
    for method in ("next_bar", "after_bar"):
        monkeypatch.setattr(drummer, method, timed(method, getattr(drummer, method)))
    played_through(drummer, rock_then("rock", bars=33), lambda _: True)
    assert {call for call, _ in where} == {"after_bar"}
    counts = {name: sum(n == name for _, n in where) for name in ("read_band", "part_probabilities", "replanned")}
    assert counts == {"read_band": 4, "part_probabilities": 4, "replanned": 8}



def test_a_told_parts_conditioning_and_steering_are_made_once_a_plan(drummer: ModelDrummer,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 102: a told part holds for 8 bars; what the decision makes of its plan (the part's conditioning tables,
    parts.condition `part_table`; its steering's binding, groove.feels `plan_parts`) is made once per plan, kept with
    the plan in the stream's state (`Plan.made`), not again in each bar's call; a part the musician names, once per
    part (`ModelDrummer.told_parts`)."""
    from seq2drum.groove import feels
    from seq2drum.live import told
    from seq2drum.parts import condition

    made: dict[str, int] = {"part_table": 0, "plan_parts": 0}
    plans: dict[int, Any] = {}

    def counting(module: Any, name: str) -> None:
        original = getattr(module, name)

        def counted(*args: Any) -> Any:
            made[name] += 1
            return original(*args)
        monkeypatch.setattr(module, name, counted)

    counting(condition, "part_table"), counting(feels, "plan_parts")
    told_plan = told.told_plan

    def kept(*args: Any) -> Any:
        plan = told_plan(*args)
        if plan.played:
            plans[id(plan)] = plan
        return plan

    monkeypatch.setattr(told, "told_plan", kept)
    heard = played_through(drummer, rock_then("rock", bars=33), lambda _: True)[1]
    told_bars = sum(part >= 0 for *_, part in heard)
    assert told_bars >= 16 and 2 <= len(plans) <= 4 and made == {"part_table": len(plans), "plan_parts": len(plans)}
    named = drummer.planner.vocabulary.parts[next(part for *_, part in heard if part >= 0)].name
    made.update(part_table=0, plan_parts=0)
    drummer.told_parts.clear()
    bars = played_through(drummer, rock_then("rock", bars=20), lambda _: True,
                          options=GenerationOptions(parts=f"1-20={named}"))[0]
    assert any(bars) and made == {"part_table": 1, "plan_parts": 1} and len(drummer.told_parts) == 1


@pytest.mark.parametrize("song, options, heard_as", [
    (band_songs.walking_jazz(6), None, "jazz"), (band_songs.walking_jazz(6), GenerationOptions(genre="rock"), "rock"),
    (band_songs.rock(24), None, "straight")], ids=["swung jazz", "swung, said rock", "straight rock"])
def test_a_swung_jazz_bands_plan_plays_the_ride_and_feel_the_network_heard(
        drummer: ModelDrummer, monkeypatch: pytest.MonkeyPatch, song: bytes, options: Any, heard_as: str) -> None:
    """Issues 100 and 102, with HEARD_CHOICES on: live's plan runs offline take 1's two heard choices (parts.choice
    `heard_ride`, then `heard_feel`) on the part it picked for the last phrase heard, over the network's probabilities
    of that phrase's bars as they were decided: a swung band heard as jazz plays what they choose (here the jazz ride
    where the part model said a swung hat); a straight band, or a swung one the musician calls rock, the part model's
    part. Shipped (off), every band plays the part model's part."""
    planner, decided, calls = drummer.planner, [], []
    choices, take = planner.heard_choices, drummer._take

    def taking(*args: Any) -> Any:
        out = take(*args)
        decided.append(out[2][0].copy())
        return out

    def choosing(parts: np.ndarray, p: np.ndarray, phrases: list, features: np.ndarray) -> np.ndarray:
        calls.append((parts.copy(), p.copy(), phrases, choices(parts, p, phrases, features)))
        assert np.array_equal(p, np.stack(decided[-1 - len(p): -1]))  # the window's bars, as they were decided
        return calls[-1][-1]

    monkeypatch.setattr(drummer, "_take", taking)
    monkeypatch.setattr(planner, "heard_choices", choosing)
    shipped = [h.part for h in heard_as_played(drummer, song, options)]
    assert not calls and any(part >= 0 for part in shipped)
    monkeypatch.setattr(hearing, "HEARD_CHOICES", 1)
    heard = [h.part for h in heard_as_played(drummer, song, options)]
    assert len(calls) >= 2 and {part for part in heard if part >= 0} == {int(out[0]) for *_, out in calls}
    for parts, p, phrases, out in calls:
        expected = choice.heard_feel(choice.heard_ride(parts, p, phrases, planner.vocabulary, planner.jazz_family,
                                                       SWUNG_RIDE_RATIO), p, phrases, planner.vocabulary, planner.rates)
        assert out.tolist() == (expected if heard_as == "jazz" else parts).tolist()
    keepers = {planner.vocabulary.parts[part].keeper for part in heard if part >= 0}
    assert keepers == {"ride"} if heard_as == "jazz" else ("ride" not in keepers and heard == shipped)


def test_a_12_bar_blues_heard_live_is_counted_in_its_choruses(drummer: ModelDrummer) -> None:
    """Offline counts a 12-bar blues in 12-bar choruses (band.counted_form); live counted 8-bar phrases from the band's
    first bar whatever it heard. A blues after a 2-bar intro (choruses open on bars 2, 14, 26, 38, 50), --crashes
    every:8: before the blues is heard (24 bars on its changes) the crashes fall every 8 bars from bar 0; once it is
    heard they open each chorus and its 9th bar (38, 46, 50, 58), where before they fell on 40, 48, 56."""
    options = GenerationOptions(crashes="every:8", humanize=0.0)
    play = play_file(drummer, band_songs.rock_blues(5, intro_bars=2), options, seed=0)
    song = read_midi(play.midi_bytes, only_guitar=False)
    drums = song.drum_parts[0].notes
    crash_bars = sorted({int(start) // (4 * song.ticks_per_quarter) for start, _, pitch, _ in drums if pitch == 49})
    assert crash_bars[:4] == [0, 8, 16, 24]
    assert {38, 46, 50, 58} <= set(crash_bars) and not {40, 48, 56} & set(crash_bars)


def test_a_chorus_once_heard_is_counted_on_until_another_is_heard() -> None:
    """`hearing.counted`: the stream's bar a chorus opens on is the reading's first bar plus the blues's phase; a
    later reading that hears no blues (a song cut mid-chorus) keeps it; `chorus_position` counts the bars from it,
    and before it (or with none heard) from the band's first bar."""
    blues = describe_band(read_midi(band_songs.rock_blues(3, intro_bars=4)))
    rock = describe_band(read_midi(band_songs.rock(32)))
    assert hearing.counted(blues, 2) == 6 and hearing.counted(rock, 2, before=6) == 6
    assert hearing.counted(rock, 2) is None and hearing.counted(blues, None) is None
    heard = hearing.Hearing(chorus_first=6)
    assert [hearing.chorus_position(heard, index, index - 1) for index in (3, 6, 17, 18, 31)] == [2, 0, 11, 0, 1]
    assert hearing.chorus_position(hearing.Hearing(), 18, 17) == 17
