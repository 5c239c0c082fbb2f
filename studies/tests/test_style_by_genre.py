"""studies.style_by_genre: style_touch's figures pooled per genre of the table, the hat under the ride on 2 and 4
counted as either note, and the songs a pooled share rests on."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from types import SimpleNamespace

from studies.style_by_genre import StyleCounts, by_genre, genre_of_names, hat_on_backbeats, report

RIDE, CLOSED, PEDAL, SNARE = 51, 42, 44, 38


def bar(**notes: set[int]) -> defaultdict:
    """One bar of style_touch's grid: note -> the 16ths it strikes."""
    grid = defaultdict(set)
    for name, steps in notes.items():
        grid[{"ride": RIDE, "closed": CLOSED, "pedal": PEDAL, "snare": SNARE}[name]] = set(steps)
    return grid


def test_the_hat_on_the_backbeats_counts_either_note_under_a_ride() -> None:
    quarters = {0, 4, 8, 12}
    grid = {0: bar(ride=quarters, closed={4, 12}),  # the foot written as a closed hat: counted
            1: bar(ride=quarters, pedal={4, 12}),  # as the pedal: counted
            2: bar(ride=quarters, closed={4}, pedal={12}),  # one of each: counted
            3: bar(ride=quarters, closed={4}),  # beat 2 alone: not
            4: bar(ride={0, 8}, closed={4, 12})}  # a ride on 2 16ths keeps no time: not a ridden bar
    assert hat_on_backbeats(grid) == 3


def test_the_shares_are_over_played_and_ridden_bars() -> None:
    counts = StyleCounts(played=10, backbeat=5, ridden=4, skip=1, foot=2, hat_on_backbeats=3)
    assert counts.shares() == {"backbeat": 0.5, "skip": 0.25, "foot": 0.5, "hat_on_backbeats": 0.75}
    assert StyleCounts().shares()["skip"] == 0.0  # no ridden bar: 0, not a division by zero


def _folders(tmp_path: Path, names: list[str]) -> tuple[Path, Path]:
    refs, gen = tmp_path / "refs", tmp_path / "gen"
    for folder in (refs, gen):
        folder.mkdir()
        for name in names:
            (folder / f"{name}.drums.mid").write_bytes(b"")
    return refs, gen


def test_songs_pool_by_the_tables_genre_and_the_touch_is_judged_per_song(tmp_path: Path) -> None:
    table = tmp_path / "genres.tsv"
    table.write_text("path\tgenre\nmidi/src__a/one.mid\trock/pop\nmidi/src__a/two.mid\trock/pop\n"
                     "jazz/src__b/three.mid\tjazz\n", encoding="utf-8")
    names = ["src__a__one", "src__a__two", "src__b__three", "src__c__unknown"]
    refs, gen = _folders(tmp_path, names)
    (refs / "src__c__unknown.drums.mid").unlink()  # a take with no drummer's part is left out
    ridden = {0: bar(ride={0, 4, 8, 12}, pedal={4, 12})}
    plain = {0: bar(snare={4, 12})}
    parts = {("gen", "src__a__one"): (ridden, [100, 126]), ("refs", "src__a__one"): (plain, [90, 110]),
             ("gen", "src__a__two"): (plain, [40]), ("refs", "src__a__two"): (plain, [100]),
             ("gen", "src__b__three"): (ridden, [60]), ("refs", "src__b__three"): (ridden, [70])}

    def read(path: Path) -> tuple[dict, list[int]]:
        return parts[(path.parent.name, path.name[: -len(".drums.mid")])]

    def figures(grid: dict) -> tuple[int, int, int, int, int]:  # played, backbeat, ridden, skip, foot
        notes = grid[0]
        ridden_bar = len(notes[RIDE]) >= 4
        return 1, int({4, 12} <= notes[SNARE]), int(ridden_bar), 0, int(ridden_bar and {4, 12} <= notes[PEDAL])

    figures_of = by_genre(refs, gen, genre_of_names(table), SimpleNamespace(read=read, figures=figures))
    assert set(figures_of) == {"rock/pop", "jazz"}
    rock = figures_of["rock/pop"]
    assert rock.songs == 2 and rock.take.ridden == 1 and rock.take.foot == 1 and rock.take.hat_on_backbeats == 1
    assert rock.drummers.backbeat == 2 and rock.drummers.ridden == 0
    assert rock.within_12 == 0  # medians 113 against 100, 40 against 100
    assert (rock.loud_hits, rock.hits_judged) == (1, 3)  # the 126 where the drummer plays under 125
    assert figures_of["jazz"].within_12 == 1
    lines = report(figures_of, songs=1)
    assert lines[1].startswith("rock/pop: 2 | 0.50 (1.00) | 1 (0)")
    assert "src__a__one: ridden 1 of 1" in lines[2]
