"""The musician's arrangement (issue 87): `--mode arrange` lists a song's sections with the parts each can play,
ranked; `--drummer` reads the song's own drummer's parts and the `--parts` value that plays them; `--parts` makes the
named sections play their parts (labelled back from the take), and a bad value gets one line, exit 2, nothing
written. Songs built in code (tests/test_parts_plan.py's band song: a riff in quarters over a bass, then in eighths).
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from seq2drum.errors import ConfigError
from seq2drum.generation.arrange import described, song_arrangement
from seq2drum.generation.generator import DrumGenerator
from seq2drum.groove.policy import Steering
from seq2drum.groove.feels import plan_parts, plan_steering
from seq2drum.options import GenerationOptions
from seq2drum.parts.arrangement import (MAX_ENTRIES, Occurrence, chosen_parts, letter_of, network_fit, occurrences,
                                       parse_parts, ranked, same_label_phrases)
from seq2drum.parts.labels import Phrase, song_labels
from seq2drum.parts.plan_value import Held, Plan
from tests.builders import backbeat, notes_from_steps
from tests.test_parts_plan import band_song, sectioned_song


@pytest.fixture(scope="module")
def generator() -> DrumGenerator:
    return DrumGenerator.from_checkpoint()


def test_parse_parts_splits_entries_and_refuses_what_is_not_key_equals_part() -> None:
    assert parse_parts(" A=ride-8ths ; B#2 = 12;33-40=drop-out; ") == [("A", "ride-8ths"), ("B#2", "12"),
                                                                      ("33-40", "drop-out")]
    for bad in ("A", "=4", "A="):
        with pytest.raises(ConfigError, match="KEY=PART"):
            parse_parts(bad)
    with pytest.raises(ConfigError, match=f"at most {MAX_ENTRIES:,}"):
        parse_parts(";".join(["A=1"] * 10_000))
    assert [letter_of(k) for k in (0, 1, 25, 26)] == ["A", "B", "Z", "A2"]


def test_the_arrangement_lists_each_section_with_the_parts_of_its_meter_best_first(generator: DrumGenerator) -> None:
    result = song_arrangement(generator, sectioned_song(), GenerationOptions())
    arrangement = result.arrangement
    assert [s.key for s in arrangement.sections] and arrangement.heard_band
    assert arrangement.sections[0].first_bar == 1
    parts = generator.planner.vocabulary.parts
    for section in arrangement.sections:
        ranking = arrangement.ranking[section.key]
        assert {r.id for r in ranking} == {k for k, p in enumerate(parts) if p.family == section.family}
        assert [r.score for r in ranking] == sorted((r.score for r in ranking), reverse=True)
    listed = json.loads(result.to_json())
    assert listed[0]["key"] == arrangement.sections[0].key and {"name", "id", "score"} <= set(listed[0]["parts"][0])


def drummed_song() -> bytes:
    """The band song with a drummer playing eighths on the hat and a backbeat throughout."""
    return band_song(32, busier_from=16, drums=notes_from_steps(backbeat(32)))


def test_the_drummers_arrangement_names_his_part_and_plays_back(generator: DrumGenerator, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """--drummer: his part in every section, the --parts line that plays it; played, each named phrase plays it."""
    from seq2drum.cli import main

    result = song_arrangement(generator, drummed_song(), GenerationOptions(), drummer=True)
    assert result.drummer is not None
    assert {part.name for part in result.drummer.values()} == {"eighths on the hat, backbeat"}
    spec = result.parts_value()  # a label whose every occurrence plays one part is named once
    labels = list(dict.fromkeys(section.label for section in result.arrangement.sections))
    assert spec == "; ".join(f"{label}=eighths on the hat, backbeat" for label in labels)
    song = tmp_path / "song.mid"
    song.write_bytes(drummed_song())
    assert main.main(["--mode", "arrange", str(song), "--drummer"]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == f'--parts "{spec}"'
    assert main.main(["--mode", "arrange", str(song), "--drummer", "--json"]) == 0
    assert set(json.loads(capsys.readouterr().out).values()) == {"eighths on the hat, backbeat"}
    made = generator.generate(sectioned_song(), GenerationOptions(seed=1, parts=spec))
    assert made.takes[0].plan == "from the musician"
    assert played_parts(generator, made, result) == ["eighths on the hat, backbeat"] * len(result.arrangement.phrases)


def played_parts(generator: DrumGenerator, made, result) -> list[str]:
    """The part each phrase of take 1 plays, labelled back as the plan labels a drummer's phrase."""
    import dataclasses

    from seq2drum.generation.prepare import prepare
    from seq2drum.song.drum_part import per_bar

    prepared = prepare(sectioned_song(), GenerationOptions(), generator.data_config, generator.spec)
    bars = prepared.bars
    rows = prepared.encoded.grid.bars[bars.first_bar: bars.first_bar + bars.n_bars]
    width = bars.step_features.shape[1]
    take = dataclasses.replace(bars, hits=per_bar(made.drums.hits, rows, width).astype(bool),
                               offset=per_bar(made.drums.offset, rows, width))
    _, labels = song_labels(take, list(result.arrangement.phrases))
    parts = generator.planner.vocabulary.parts
    return [parts[generator.planner.vocabulary.assign(label)].name for label in labels]


def test_a_more_specific_key_wins_and_a_drop_out_rests(generator: DrumGenerator) -> None:
    """Range over occurrence over label; a drop-out the musician asks for is one (the bars rest)."""
    arrangement = song_arrangement(generator, sectioned_song(), GenerationOptions()).arrangement
    first = arrangement.sections[0]
    planner = generator.planner
    spec = f"{first.label}=eighths on the hat, backbeat; {first.key}=16ths on the hat, backbeat; 1-4=drop-out"
    chosen = arrangement.chosen(spec, planner)
    names = [planner.vocabulary.parts[k].name if k >= 0 else None for k in chosen.tolist()]
    held = list(first.phrases)
    assert names[held[0]] == "drop-out" and all(n == "16ths on the hat, backbeat" for n in names[held[0] + 1:
                                                                                                 held[-1] + 1])
    made = generator.generate(sectioned_song(), GenerationOptions(seed=2, parts=spec))
    assert not made.drums.hits[: int(made.song.grid.bars[4, 0])].any()  # bars 1-4 rest


@pytest.mark.parametrize("spec, words", [
    ("Q=4", "not a section of this song"),
    ("A=quarters on the hat, waltz", "not a part of this section's meter (4/4)"),
    ("A=31", "not one of the 4/4 parts"),
    ("A=waltz", "no 4/4 part plays the style waltz"),
    ("90-99=drop-out", "the song's bars are 1-32"),
    (";".join(["A=4"] * 20_000), "characters; at most 65,536"),
    (";".join(["A=4"] * 10_000), "10,000 entries; at most 1,024"),
    ("A", "is not KEY=PART"),
    ("A=ride-8ths; a=drop-out", "gives A twice (A=ride-8ths, then A=drop-out)"),
    ("A=kick and snare, comping [14]", "part 14 is 'kick and snare, backbeat', not 'kick and snare, comping'"),
], ids=["unknown key", "a part of another meter", "an id of another meter", "a style of another meter",
        "a range past the end", "20,000 entries", "10,000 entries", "no part",
        "a key given twice", "a name and an id that disagree"])
def test_a_bad_parts_value_is_one_line_exit_2_and_nothing_written(tmp_path: Path, spec: str, words: str,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    from seq2drum.cli import main

    song = tmp_path / "song.mid"
    song.write_bytes(sectioned_song())
    assert main.main(["--mode", "infer", str(song), "--parts", spec]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and words in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["song.mid"]


def test_every_form_the_menu_the_readme_and_the_studio_print_names_the_same_part(generator: DrumGenerator) -> None:
    """Issue 101 item 1: `--mode arrange` prints `1. kick and snare, backbeat [13]` and `--parts "C=[13]"` was "not a
    part of this section's meter"; `a=4` was "not a section"; `16ths-hats` was refused where the style is
    `16th-hats`. The id in every form the menu prints, names and keys in any letter case, a style's and a
    time-keeper's obvious spellings: each names what its plain form names."""
    arrangement = song_arrangement(generator, sectioned_song(), GenerationOptions()).arrangement
    planner = generator.planner
    first = arrangement.sections[0]
    label, key = first.label, first.key

    def chosen(spec: str) -> list[int]:
        return arrangement.chosen(spec, planner).tolist()

    plain = chosen(f"{label}=14")
    assert {plain[j] for j in first.phrases} == {14}
    for spec in (f"{label}=[14]", f"{label}=[ 14 ]", f"{label}=kick and snare, backbeat [14]",
                 f"{label}=1. kick and snare, backbeat [14]", f"{label.lower()}=14",
                 f"{label}=KICK AND SNARE, BACKBEAT", f"{label}=Kick and snare backbeat", f"{key.lower()}=14"):
        assert chosen(spec) == plain, spec
    for typed, style in (("16ths-hats", "16th-hats"), ("16th hats", "16th-hats"),
                         ("Straight Eighths", "straight-8ths"), ("ride 8ths", "ride-8ths"), ("HALF TIME", "half-time"),
                         ("quarter hi-hats", "quarter-hats")):
        assert chosen(f"{label}={typed}") == chosen(f"{label}={style}"), typed
    riding = chosen(f"{label}=eighths on the ride")  # a time-keeper without its feel: the likeliest of its parts
    riders = {planner.vocabulary.parts[riding[j]].name.partition(",")[0] for j in first.phrases}
    assert riders == {"eighths on the ride"}
    assert chosen(f"{label}=14; {label.lower()}=14") == plain  # the same part twice says nothing new
    assert parse_parts("b # 2 = 4; 33 - 40=drop-out") == [("B#2", "4"), ("33-40", "drop-out")]


def test_parts_need_a_plan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from seq2drum.cli import main

    song = tmp_path / "song.mid"
    song.write_bytes(sectioned_song())
    assert main.main(["--mode", "infer", str(song), "--parts", "A=4", "--plan", "bars"]) == 2
    assert "leave out --plan bars" in capsys.readouterr().err


def test_the_guitar_alone_plays_the_musicians_parts(generator: DrumGenerator) -> None:
    """The guitar alone plays no plan of the model's (the part model reads a band), but the musician's parts play
    over it: the named phrases planned, the others bar by bar; its sections ranked by the network's fit."""
    arrangement = song_arrangement(generator, sectioned_song(), GenerationOptions(guitar_only=True)).arrangement
    assert not arrangement.heard_band and arrangement.sections
    first = arrangement.sections[0]
    made = generator.generate(sectioned_song(), GenerationOptions(seed=3, guitar_only=True,
                                                                  parts=f"{first.key}=drop-out"))
    assert made.takes[0].plan == "from the musician"
    assert made.takes[0].planned[0][1] == "drop-out"  # as asked, and as played: a phrase of no drums is one
    assert made.takes[0].parts[0][1] == "drop-out"


def test_phrases_of_a_range_are_those_that_start_in_it() -> None:
    from seq2drum.parts.arrangement import Occurrence, chosen_parts

    class Planner:  # the vocabulary's names and families are all `chosen_parts` reads
        class vocabulary:  # noqa: N801
            parts = [type("Part", (), {"family": "4/4", "name": n, "level": "full", "keeper": "closed_hat",
                                       "subdivision": "eighths", "feel": "backbeat"})() for n in ("a", "b")]

    phrases = [Phrase(0, 4, 0, 0, 0), Phrase(4, 8, 0, 0, 1), Phrase(8, 12, 1, 1, 0)]
    sections = [Occurrence("A#1", "A", 1, 1, 8, "4/4", (0, 1)), Occurrence("B#1", "B", 1, 9, 4, "4/4", (2,))]
    chosen = chosen_parts("5-9=b; A=a", Planner, phrases, ["4/4"] * 3, sections, {}, 0, 12)
    assert chosen.tolist() == [0, 1, 1]
    assert np.array_equal(chosen_parts("B#1=a", Planner, phrases, ["4/4"] * 3, sections, {}, 0, 12), [-1, -1, 0])


def test_a_sections_other_occurrences_pool_into_its_ranking(generator: DrumGenerator) -> None:
    """A#2's own phrases lean to eighths on the hat; A#1's drummer (the same label) plays sixteenths throughout:
    pooled, A#2 ranks the sixteenths first, as a drummer keeps his part through a song's verses."""
    planner = generator.planner
    parts = planner.vocabulary.parts
    eighths, sixteenths = (next(k for k, p in enumerate(parts) if p.family == "4/4" and p.name == name)
                           for name in ("eighths on the hat, backbeat", "16ths on the hat, backbeat"))
    phrases = [Phrase(4 * j, 4 * j + 4, section, letter, j % 2)
               for j, (section, letter) in enumerate([(0, 0), (0, 0), (1, 1), (1, 1), (2, 0), (2, 0)])]
    sections = occurrences(phrases, ["4/4"] * 6, 0)
    assert [s.key for s in sections] == ["A#1", "B#1", "A#2"]
    posterior = np.full((6, len(parts)), 0.01)
    posterior[[0, 1], sixteenths], posterior[[0, 1], eighths] = 0.8, 0.1
    posterior[[4, 5], eighths], posterior[[4, 5], sixteenths] = 0.45, 0.35
    fit = np.zeros_like(posterior)
    again = sections[2]
    alone = ranked(planner, again, posterior, fit, label_rows=same_label_phrases(sections, again), label_weight=0.0)
    pooled = ranked(planner, again, posterior, fit, label_rows=same_label_phrases(sections, again))
    assert same_label_phrases(sections, again) == (0, 1, 4, 5)
    assert [alone[0].id, pooled[0].id] == [eighths, sixteenths]
    posterior[[2, 3], eighths] = 0.3  # B, alone of its label: its own phrases, however weighted
    assert ranked(planner, sections[1], posterior, fit, label_rows=(2, 3))[0].id == eighths


def test_a_part_of_another_bar_length_is_fitted_repeated_over_the_bar() -> None:
    """A two-beat part (8 steps, the hat on every other step) over 16-step bars fits as the same part written out
    over the whole bar does; a part without the hat fits worse; none is left unscored."""
    rates = np.full((3, 16, 9), 0.02)
    rates[0, 0:8:2, 2] = 0.98  # 8 steps: hat eighths
    rates[1, 0:16:2, 2] = 0.98  # 16 steps: the same, written out
    planner = SimpleNamespace(rates=rates, steps=np.array([8, 16, 16]))
    p = np.full((4, 16, 9), 0.02)
    p[:, 0:16:2, 2] = 0.9
    fit = network_fit(planner, p, np.full(4, 16), [Phrase(0, 4, 0, 0, 0)])
    assert np.isfinite(fit).all()
    assert fit[0, 0] == pytest.approx(fit[0, 1]) and fit[0, 2] < fit[0, 1] - 10


def test_a_plans_full_parts_mark_their_bars_with_the_feels_labelled_as_them(generator: DrumGenerator) -> None:
    """Each bar of a phrase of a played plan's full part, the musician's or the model's, carries that part and the
    feels a phrase keeping its time is labelled it in (groove.feels `plan_parts`), for the decision's plan rules
    (issue 99: the plan binds every take); a drop-out carries none (it rests), and a held plan steers nothing."""
    planner = generator.planner
    parts = planner.vocabulary.parts
    waltz, time_only, rock, drop = (next(k for k, p in enumerate(parts) if p.family == family and p.name == name)
                                    for family, name in (("3/4", "quarters on the hat, waltz"),
                                                         ("4/4", "eighths on the hat, no backbeat"),
                                                         ("4/4", "eighths on the hat, backbeat"),
                                                         ("4/4", "drop-out")))
    phrases = tuple(Phrase(4 * j, 4 * j + 4, j, j, 0) for j in range(5))
    plan = Plan(phrases, np.array([waltz, time_only, rock, drop, time_only]), np.zeros(5, dtype=bool),
                chosen=np.array([True, True, True, True, False]),
                levels=("full", "full", "full", "drop-out", "full"))
    chosen = plan_parts(plan, planner, 20)
    assert chosen.parts.tolist() == [waltz] * 4 + [time_only] * 4 + [rock] * 4 + [-1] * 4 + [time_only] * 4
    assert chosen.phrases.tolist() == [j for j in range(5) for _ in range(4)]
    assert chosen.chosen_parts[waltz].feels("closed_hat", "quarters")[0] == "waltz"
    assert chosen.chosen_parts[time_only].feels("closed_hat", "eighths")[0] == "time-only"
    assert chosen.chosen_parts[rock].feels("closed_hat", "eighths")[0] == "backbeat"
    bound = plan_steering(Steering(), plan, planner, 20)
    # the drop-out rests, the full parts the musician named play (issue 100: "riding the crash" named over a silent
    # band read back "drop-out"), the model's own full part is decided
    assert bound.rests.tolist() == [False] * 12 + [True] * 4 + [None] * 4
    assert plan_steering(Steering(), Plan.held_for(Held.BARS), planner, 20) == Steering()


@pytest.mark.needs_data
def test_a_section_whose_phrases_change_meter_gets_the_drummers_part_of_its_own_meter(
        generator: DrumGenerator) -> None:
    """geIntro's first section is 3/4 for its first bars and 4/4 after: its drummer's commonest part there was his
    4/4 ride, and `--parts "A#1=27"` from `--mode arrange --drummer` was then refused by `--parts` itself (found
    scoring the 5-fold CV's songs). His part is chosen among the section's meter's parts, and the line plays."""
    from tests.conftest import DATA_DIR

    song = (DATA_DIR / "reubenson__midi-archive" / "geIntro.mid").read_bytes()
    result = song_arrangement(generator, song, GenerationOptions(), drummer=True)
    parts = generator.planner.vocabulary.parts
    sections = {s.key: s for s in result.arrangement.sections}
    assert result.drummer and sections["A#1"].family == "3/4"
    assert all(parts[part.id].family == sections[key].family for key, part in result.drummer.items())
    made = generator.generate(song, GenerationOptions(seed=0, parts=result.parts_value()))
    assert made.takes[0].plan == "from the musician"


class _TwoParts:  # the vocabulary's names and families are all `chosen_parts` reads
    class vocabulary:  # noqa: N801
        parts = [type("Part", (), {"family": "4/4", "name": n, "level": "full", "keeper": "closed_hat",
                                   "subdivision": "eighths", "feel": "backbeat"})() for n in ("a", "b")]


@pytest.mark.parametrize("value", ["²", "٣", "1²", "9" * 5000, "0" * 7 + "1"], ids=["superscript", "arabic-indic",
                                                                                  "mixed", "5000-digits", "8-digits"])
def test_a_part_value_only_python_calls_a_digit_is_a_one_line_refusal(value: str) -> None:
    """Issue 98 Q1: str.isdigit() is true of "²" and of 5,000 digits, int() raises on both: exit 1 with a traceback
    on the command line, INTERNAL and a lost worker on the server. Refused as any unknown part is."""
    phrases = [Phrase(0, 4, 0, 0, 0)]
    sections = [Occurrence("A#1", "A", 1, 1, 4, "4/4", (0,))]
    with pytest.raises(ConfigError, match="the parts that fit: 0 a; 1 b"):
        chosen_parts(f"A={value}", _TwoParts, phrases, ["4/4"], sections, {}, 0, 4)


def test_resolving_parts_costs_entries_plus_phrases_not_their_product(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 98 Q2: each entry looked up each phrase's section and resolved its part per phrase (65,280 resolutions
    for 128 entries); a 2,040-bar song given "1-2040=b" 1,024 times took 13 s more. A plain part is resolved once
    per value and meter, a style once per value and section, however many entries name them."""
    import seq2drum.parts.arrangement as arrangement

    calls = []
    real = arrangement.part_of
    monkeypatch.setattr(arrangement, "part_of", lambda *args: calls.append(args[0]) or real(*args))
    phrases = [Phrase(4 * j, 4 * j + 4, j // 4, (j // 4) % 3, j % 4) for j in range(510)]  # 2,040 bars
    sections = occurrences(phrases, ["4/4"] * 510, 0)
    spec = "; ".join(["1-2040=b"] * 1023 + ["A=a"])
    chosen = chosen_parts(spec, _TwoParts, phrases, ["4/4"] * 510, sections, {}, 0, 2040)
    assert len(calls) == 2  # "b" and "a", each once for the song's one meter
    assert chosen.tolist() == [1] * 510  # a range is more specific than a label
    calls.clear()
    ranking = {s.key: [arrangement.RankedPart(1, "b", 0.0), arrangement.RankedPart(0, "a", -1.0)] for s in sections}
    chosen = chosen_parts("; ".join(["1-2040=straight-8ths"] * 1024), _TwoParts, phrases, ["4/4"] * 510, sections,
                          ranking, 0, 2040)
    assert len(calls) == len(sections)  # a style: its likeliest part in each section, once each
    assert set(chosen.tolist()) == {1}


def test_a_refused_part_names_a_few_parts_that_fit_not_all_of_them(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 98, low: a bad part value printed one line of 1,200 characters, all 30 parts of the meter. The first
    few are named, and where the rest are listed."""
    from seq2drum.cli import main

    song = tmp_path / "song.mid"
    song.write_bytes(sectioned_song())
    assert main.main(["--mode", "infer", str(song), "--parts", "A=cowbell forever"]) == 2
    err = capsys.readouterr().err.strip()
    listed = err.split("the parts that fit: ")[1]
    assert listed.count(";") == 6 and "more (--mode arrange SONG.mid lists them all)" in listed, err
    assert len(err) < 500 and "\n" not in err


def test_arrange_shows_the_songs_name_escaped_and_quotes_the_command_to_copy(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 98, low: --mode arrange printed the song's path raw (an ESC byte colours the terminal) and suggested
    `--mode infer my song;touch X;$(id).mid` unquoted, a command that runs `touch X` when pasted."""
    import shlex

    from seq2drum.cli import main

    song = tmp_path / "my song;touch X;$(id)\x1b[31m.mid"
    song.write_bytes(sectioned_song())
    assert main.main(["--mode", "arrange", str(song)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and out.startswith("my song;touch X;$(id)\\x1b[31m.mid: its sections")
    command = out.strip().splitlines()[-1]
    shown = str(song).replace("\x1b", "\\x1b")
    assert f"--mode infer {shlex.quote(shown)} --parts" in command, command
    assert shlex.split(command.split("--mode infer ")[1])[0] == shown  # one word to the shell, as the file is


def test_the_menu_marks_the_part_a_run_without_parts_plays(generator: DrumGenerator,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 99: `--mode arrange`'s first part was not what a plain run plays where a section is left alone (3 songs
    of 3). The menu now says, per section, the part take 1 of a run without --parts plays there, and that is the
    part the run's take 1 prints as played in most of the section's phrases."""
    from collections import Counter

    song = band_song(32, busier_from=16)
    menu = song_arrangement(generator, song, GenerationOptions())
    made = generator.generate(song, GenerationOptions(seed=3))
    played = dict(made.takes[0].parts)
    first_bar, phrases = menu.arrangement.first_bar, menu.arrangement.phrases
    assert menu.plain and set(menu.plain) == {s.key for s in menu.arrangement.sections}
    for section in menu.arrangement.sections:
        names = Counter(played[first_bar + phrases[j].start_row + 1] for j in section.phrases)
        assert names.most_common(1)[0][0] == menu.plain[section.key].name
    lines = described(menu, 3)
    assert sum("left to the plan, it plays: " in line for line in lines) == len(menu.arrangement.sections)
    assert json.loads(menu.to_json())[0]["plays"]["id"] == menu.plain[menu.arrangement.sections[0].key].id


def test_the_menu_marks_a_part_of_another_meter_the_plan_thinned_a_section_to() -> None:
    """Breaks if a section whose plain run plays another family's part (a 3/4 song's intro thinned to the 4/4
    "sparse / intro": d_bunny's B#1, bars 3-8) lost its "left to the plan, it plays" line: the musician could not
    see what a choice there changes. Its own meter's part still wins where one plays."""
    from types import SimpleNamespace

    from seq2drum.generation.arrange import commonest_parts

    parts = [SimpleNamespace(family="4/4", name="sparse / intro"), SimpleNamespace(family="3/4", name="waltz")]
    planner = SimpleNamespace(vocabulary=SimpleNamespace(parts=parts), full=np.array([False, True]))
    sections = [SimpleNamespace(key="B#1", family="3/4", phrases=[0, 1]),
                SimpleNamespace(key="C#1", family="3/4", phrases=[2, 3]),
                SimpleNamespace(key="D#1", family="3/4", phrases=[4])]
    arrangement = SimpleNamespace(sections=sections, ranking={"B#1": [], "C#1": [], "D#1": []})
    marked = commonest_parts(planner, arrangement, [0, 0, 0, 1, -1])
    assert marked["B#1"].name == "sparse / intro" and marked["C#1"].name == "waltz" and "D#1" not in marked


def test_the_menu_marks_a_tied_section_by_the_part_it_plays_first() -> None:
    """Issue 99: a section of two phrases, one each of two parts, is heard as the part it opens with; the menu's mark
    (a plain run's part, `first_on_tie`) names it, where the drummer's commonest part keeps preferring the full part
    he keeps (3 of 210 sections had been marked by their second phrase's part: the mark did not say what plays)."""
    from types import SimpleNamespace

    from seq2drum.generation.arrange import commonest_parts

    parts = [SimpleNamespace(family="4/4", name=name)
             for name in ("eighths on the ride, backbeat", "kick and snare, backbeat", "sparse")]
    planner = SimpleNamespace(vocabulary=SimpleNamespace(parts=parts), full=np.array([True, True, False]))
    sections = [SimpleNamespace(key="D#4", family="4/4", phrases=[0, 1]),
                SimpleNamespace(key="E#1", family="4/4", phrases=[2, 3])]
    arrangement = SimpleNamespace(sections=sections, ranking={"D#4": [], "E#1": []})
    plain = commonest_parts(planner, arrangement, [1, 0, 2, 0], first_on_tie=True)
    assert plain["D#4"].name == "kick and snare, backbeat" and plain["E#1"].name == "sparse"
    drummer = commonest_parts(planner, arrangement, [1, 0, 2, 0])
    assert drummer["D#4"].name == "eighths on the ride, backbeat"  # the lower id of two full parts, as before
    assert drummer["E#1"].name == "eighths on the ride, backbeat"  # the full part over the sparse one


def test_the_menu_lists_the_parts_a_sections_bars_hold_first(generator: DrumGenerator) -> None:
    """Issue 100: a 7/8 section's menu listed "eighths on the hat, no backbeat" second (d_e2m2), which its bars play
    as "quarters on the hat" (the eighth is the beat); the parts its bars hold (parts.plan `Planner.held_parts`, as
    the plan keeps to) come first, the others after them, still there to name."""
    from tests.builders import jazz_band

    menu = song_arrangement(generator, jazz_band(7, 8, 16), GenerationOptions()).arrangement
    parts = generator.planner.vocabulary.parts
    odd = [s for s in menu.sections if s.family == "other"]
    assert odd and menu.held is not None
    for section in odd:
        order = [r.id for r in menu.ranking[section.key]]
        fits = menu.held[list(section.phrases)].all(axis=0)
        assert not any(fits[k] for k in order if parts[k].subdivision in ("eighths", "swung"))  # 2-step beats
        last_held = max(i for i, k in enumerate(order) if fits[k])
        assert last_held < min(i for i, k in enumerate(order) if not fits[k]), [parts[k].name for k in order]
