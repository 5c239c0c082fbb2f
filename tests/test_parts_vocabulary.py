"""The parts vocabulary (seq2drum/parts/vocabulary.py) learned from phrases built in code: which signatures become
parts, the names a drummer would use, where a rare phrase goes, what each part carries for the decision (rates,
allowed classes, profile, groove bars, its own fills, a few from each song) and the arrays round trip. If one fails,
the decision plays parts the drummers do not play, or fills that are not the part's."""

from __future__ import annotations

import numpy as np
import pytest

from seq2drum.midi.drums import CLOSED_HAT, CRASH, KICK, LOW_TOM, RIDE, SNARE
from seq2drum.parts import vocabulary as vocab_module
from seq2drum.parts.labels import label_phrase
from seq2drum.parts.vocabulary import (LabelledPhrase, Part, build_vocabulary, part_name, parts_by_family,
                                       vocabulary_arrays, vocabulary_from_arrays)
from tests.test_parts_labels import ROCK, phrase

SIXTEENTHS = [(s, CLOSED_HAT) for s in range(16)] + [(0, KICK), (4, SNARE), (12, SNARE)]
RIDE_HALF_TIME = [(s, RIDE) for s in (0, 4, 8, 12)] + [(0, KICK), (8, SNARE)]


def labelled(hits: list[tuple[int, int]], song: str, fill: list[tuple[int, int]] | None = None,
             source: str = "midi") -> LabelledPhrase:
    drums, offset, steps = phrase(hits, fills={3: fill} if fill else None)
    return LabelledPhrase(label_phrase(drums, offset, steps, np.full(4, 4), 10.0), drums, steps, song, source)


def fill_of(n: int) -> list[tuple[int, int]]:
    """A tom fill, one of several (n tom hits from step 16 - n)."""
    return [(0, KICK), (4, SNARE)] + [(s, LOW_TOM) for s in range(16 - n, 16)]


@pytest.fixture(scope="module")
def corpus() -> list[LabelledPhrase]:
    rock = [labelled(ROCK, f"rock{i % 5}", fill_of(2 + (i // 2) % 6) if i % 2 else None) for i in range(40)]
    busy = [labelled(SIXTEENTHS, f"busy{i % 4}") for i in range(30)]
    rare = [labelled(RIDE_HALF_TIME, "rare")]  # under MIN_SHARE: joins the nearest part
    jazz_ride = [(s, RIDE) for s in range(0, 16, 2)] + [(6, SNARE), (10, KICK)]
    jazz = [labelled(jazz_ride, f"jazz{i % 3}", source="jazz") for i in range(12)]  # a part for jazz/ alone
    return rock + busy + rare + jazz


def part_named(corpus: list[LabelledPhrase], name: str) -> Part:
    return next(part for part in build_vocabulary(corpus)[0].parts if part.name == name)


def test_common_signatures_become_named_parts(corpus: list[LabelledPhrase]) -> None:
    vocabulary, assigned = build_vocabulary(corpus)
    index = {part.name: i for i, part in enumerate(vocabulary.parts)}
    assert sorted(index) == ["16ths on the hat, backbeat", "eighths on the hat, backbeat",
                             "eighths on the ride, comping"]
    assert set(assigned[:40].tolist()) == {index["eighths on the hat, backbeat"]}
    assert set(assigned[40:70].tolist()) == {index["16ths on the hat, backbeat"]}
    jazz = vocabulary.parts[index["eighths on the ride, comping"]]
    assert jazz.sources == {"jazz": 12, "midi": 1}  # jazz/'s own part, and the rare ride phrase joined it


def test_a_rare_signature_joins_the_nearest_part_and_assign_agrees(corpus: list[LabelledPhrase]) -> None:
    vocabulary, assigned = build_vocabulary(corpus)
    rare = corpus[70]
    assert vocabulary.assign(rare.label) == assigned[70]
    assert vocabulary.parts[assigned[70]].keeper == "ride"  # nearer the jazz ride than the hats


def test_the_feels_labelled_as_a_part_follow_assign(corpus: list[LabelledPhrase]) -> None:
    """The feels a phrase keeping a part's time is labelled that part in (what the decision's feel rule plays
    toward): its own first, the rare half-time ride phrase's feel joined to the ride comping part; none where the
    time is another part's (the hat's 16ths are "16ths on the hat, backbeat"'s whatever the snare does)."""
    vocabulary, _ = build_vocabulary(corpus)
    index = {part.name: i for i, part in enumerate(vocabulary.parts)}
    ride = index["eighths on the ride, comping"]
    assert vocabulary.feels_labelled(ride, "ride", "eighths")[0] == "comping"
    assert "half-time" in vocabulary.feels_labelled(ride, "ride", "quarters")
    assert vocabulary.feels_labelled(index["eighths on the hat, backbeat"], "closed_hat", "16ths") == ()
    assert "waltz" not in vocabulary.feels_labelled(ride, "ride", "eighths")  # 4/4: no oom-pa-pa


def test_each_part_carries_what_the_decision_plays(corpus: list[LabelledPhrase]) -> None:
    rock = part_named(corpus, "eighths on the hat, backbeat")
    assert rock.hits_per_bar[CLOSED_HAT] == pytest.approx(8 - 8 * 20 / 160)  # the fill bars play no hat
    assert rock.allowed[[KICK, SNARE, CLOSED_HAT, LOW_TOM]].all() and not rock.allowed[RIDE]
    assert rock.profile_steps == 16 and rock.profile[0, KICK] == 1 and rock.profile[4, SNARE] == 1
    assert rock.grooves[0].sum() == 12  # the rock bar itself, commonest
    assert rock.end_fill_share == 0.5 and rock.fills_per_phrase == 0.5


def test_fills_come_from_the_parts_own_phrase_ends_a_few_from_each_song(corpus: list[LabelledPhrase]) -> None:
    rock = part_named(corpus, "eighths on the hat, backbeat")
    assert len(rock.fills) == 6  # six distinct fills in the 20 filled phrases
    assert all(fill[:, LOW_TOM].any() for fill in rock.fills)
    assert len({fill.tobytes() for fill in rock.fills}) == len(rock.fills)
    one_song = [labelled(ROCK, "same", fill_of(2 + i)) for i in range(6)] * 3
    part = build_vocabulary(one_song)[0].parts[0]
    assert len(part.fills) == vocab_module.MAX_PER_SONG


def test_arrays_round_trip(corpus: list[LabelledPhrase]) -> None:
    vocabulary = build_vocabulary(corpus)[0]
    again = vocabulary_from_arrays(vocabulary_arrays(vocabulary))
    assert again.by_signature == vocabulary.by_signature
    for before, after in zip(vocabulary.parts, again.parts):
        assert (before.name, before.signature, before.n_phrases, before.sources) == \
            (after.name, after.signature, after.n_phrases, after.sources)
        np.testing.assert_array_equal(before.fills, after.fills)
        np.testing.assert_array_equal(before.grooves, after.grooves)
        np.testing.assert_allclose(before.profile, after.profile, atol=1e-3)
    assert list(parts_by_family(again)) == ["4/4"]


@pytest.mark.parametrize("signature, name", [
    (("4/4", "full", "closed_hat", "eighths", "backbeat"), "eighths on the hat, backbeat"),
    (("4/4", "full", "ride", "quarters", "half-time"), "quarters on the ride, half-time"),
    (("4/4", "full", "ride", "swung", "comping"), "jazz ride, comping"),
    (("4/4", "full", "ride", "swung", "four-floor"), "jazz ride, feathered kick"),
    (("4/4", "full", "closed_hat", "swung", "backbeat"), "swung eighths on the hat, backbeat"),
    (("4/4", "full", "none", "none", "backbeat"), "kick and snare, backbeat"),
    (("3/4", "full", "closed_hat", "quarters", "waltz"), "quarters on the hat, waltz"),
    (("4/4", "sparse", "none"), "sparse / intro"), (("4/4", "sparse", "ride"), "sparse / intro, ride"),
    (("other", "drop-out"), "drop-out"),
], ids=lambda value: value if isinstance(value, str) else None)
def test_names_a_drummer_would_use(signature: tuple[str, ...], name: str) -> None:
    assert part_name(signature) == name


def test_riding_the_crash_is_one_part_whose_cells_are_its_drummers() -> None:
    """Issue 100: a part's cells come from its own drummers. Metal choruses ridden on the crash in quarters and in
    eighths (two songs) make one part, "riding the crash", whose groove bars are those drummers' bars: the crash on
    the beats (and between), never the hat the rock songs keep time on."""
    crash_quarters = [(s, CRASH) for s in range(0, 16, 4)] + [(0, KICK), (8, KICK), (4, SNARE), (12, SNARE)]
    crash_eighths = [(s, CRASH) for s in range(0, 16, 2)] + [(0, KICK), (4, SNARE), (12, SNARE)]
    rock = [labelled(ROCK, f"rock{i % 5}") for i in range(40)]
    metal = [labelled(crash_quarters, "metal0") for _ in range(6)] + [labelled(crash_eighths, "metal1")
                                                                       for _ in range(6)]
    riding = part_named(rock + metal, "riding the crash")
    assert riding.keeper == "crash" and riding.n_phrases == 12 and riding.signature == ("4/4", "full", "crash")
    grooves = riding.grooves[:, :16]
    assert len(grooves) and grooves[:, 0:16:4, CRASH].all() and not grooves[..., CLOSED_HAT].any()
    drummers = {tuple(map(tuple, np.argwhere(labelled(h, "x").hits[0, :16]))) for h in (crash_quarters, crash_eighths)}
    assert {tuple(map(tuple, np.argwhere(bar))) for bar in grooves} <= drummers


def test_the_shipped_parts_ride_the_crash_as_their_drummers_did() -> None:
    """models/parts.npz holds "riding the crash" in 4/4, fitted from the drummers of ../shared/data who ride it (32
    songs, most of them Doom and prog): its groove bars keep time on the crash, not on a hat or the ride (some of
    its drummers' bars between go to the open hat: 2 of the 8 kept today)."""
    from pathlib import Path

    from seq2drum.midi.drums import OPEN_HAT
    from seq2drum.parts.model import load_parts

    vocabulary = load_parts(Path(__file__).resolve().parents[1] / "models" / "parts.npz")[0]
    riding = next(part for part in vocabulary.parts if part.name == "riding the crash")
    assert riding.family == "4/4" and riding.n_phrases >= 200
    per_bar = riding.grooves.sum(axis=1)  # (g, 9) hits a groove bar
    assert (per_bar[:, CRASH] > per_bar[:, [CLOSED_HAT, OPEN_HAT, RIDE]].max(axis=1)).mean() >= 0.75


KICK_SNARE = [(0, KICK), (2, KICK), (8, KICK), (10, KICK), (4, SNARE), (12, SNARE), (14, SNARE)]
RIDE_SKIP = [(s, RIDE) for s in (0, 4, 7, 8, 12, 15)] + [(6, SNARE), (10, KICK)]
CRASH_QUARTERS = [(s, CRASH) for s in range(0, 16, 4)] + [(0, KICK), (8, KICK), (4, SNARE), (12, SNARE)]
DRUMMERS = {"eighths on the hat, backbeat": ROCK, "16ths on the hat, backbeat": SIXTEENTHS,
            "quarters on the ride, half-time": RIDE_HALF_TIME, "kick and snare, backbeat": KICK_SNARE,
            "riding the crash": CRASH_QUARTERS, "jazz ride, comping": RIDE_SKIP}


@pytest.fixture(scope="module")
def drummers_corpus() -> dict[str, list[LabelledPhrase]]:
    """Each part's own drummers: 4 songs of 4 phrases a part, kicks and fills varied song by song."""
    out = {}
    for name, bar in DRUMMERS.items():
        out[name] = [labelled(bar + ([(2 + 4 * (i % 3), KICK)] if i % 2 else []), f"{name}{i % 4}",
                              fill_of(2 + i % 5) if i % 3 == 0 else None, source="jazz" if "jazz" in name else "midi")
                     for i in range(16)]
    return out


@pytest.mark.parametrize("name", list(DRUMMERS))
def test_each_parts_groove_bars_and_fills_are_its_own_drummers(name: str,
                                                             drummers_corpus: dict[str, list[LabelledPhrase]]) -> None:
    """Issue 100, "a test per part that its cells are its drummers'": in a corpus of six parts' drummers, each part's
    groove bars and fills are bars its own drummers played, never another part's."""
    parts = {part.name: part for part in build_vocabulary([p for ps in drummers_corpus.values() for p in ps])[0].parts}
    part = parts[name]
    own = {bar[:16].tobytes() for phrase in drummers_corpus[name] for bar in phrase.hits}
    others = {bar[:16].tobytes() for other, phrases in drummers_corpus.items() if other != name
              for phrase in phrases for bar in phrase.hits[:3]}  # their groove bars (the 4th may be a shared fill)
    assert part.n_phrases == len(drummers_corpus[name]) and len(part.grooves) and len(part.fills)
    assert all(bar[:16].tobytes() in own and bar[:16].tobytes() not in others for bar in part.grooves)
    assert all(bar[:16].tobytes() in own for bar in part.fills)
