"""What a musician tripped on in the studio (issue 101 item 5), in a real browser (Debian's chromium, headless, driven
by Playwright): the song's own drummer's arrangement as one button that fills the choices (and plays as the command
line's `--parts` of `--mode arrange --drummer`), several sections given one part at once, a take's first play whose
sign follows the file being played as its render moves, and More controls in groups with a box that finds one.
Skipped, with the reason, where no browser can be had (as tests/test_studio_browser.py, whose studio, browser and
page it uses)."""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from seq2drum.cli import main as cli
from seq2drum.midi.write import TrackSpec
from seq2drum.studio import app
from tests.builders import notes_from_steps, song_bytes
from tests.studio_harness import StudioThread, no_browser_reason
from tests.studio_songs import band_song
from tests.test_studio_browser import Page, browser, studio  # noqa: F401  (the fixtures)

pytestmark = pytest.mark.skipif(bool(no_browser_reason()), reason=no_browser_reason() or "a browser is here")
SECTION_BARS = 8
ROWS = "#arrangement .section-row"


def drummer_hits(bars: range, ride: bool) -> list[tuple[int, int, int]]:
    """A drummer's bars: eighths on the closed hat with a backbeat, or (`ride`) eighths on the ride with the snare on
    beat 3."""
    hits = []
    for bar in bars:
        base = bar * 16
        hits += [(base + step, 51 if ride else 42, 80) for step in range(0, 16, 2)]
        hits += [(base, 36, 100), (base + 8, 38, 100)] if ride else [(base, 36, 100), (base + 8, 36, 100),
                                                                       (base + 4, 38, 100), (base + 12, 38, 100)]
    return hits


def verses_and_choruses(drums: bool = True) -> bytes:
    """A B A B, 8 bars each: a riff and bass in quarters (A), both in eighths (B); with `drums`, a drummer on the hat
    in A and on the ride in B."""
    guitar, bass, hits = [], [], []
    for section in range(4):
        chorus = section % 2 == 1
        bars = range(section * SECTION_BARS, (section + 1) * SECTION_BARS)
        every = 2 if chorus else 4
        guitar += [(bar * 16 + step, 40 if chorus else 45) for bar in bars for step in range(0, 16, every)]
        bass += [(bar * 16 + step, 28 if chorus else 33) for bar in bars for step in range(0, 16, every)]
        hits += drummer_hits(bars, ride=chorus)
    return song_bytes(notes_from_steps(guitar), notes_from_steps(hits) if drums else None,
                      extra=[TrackSpec("Bass", 1, notes_from_steps(bass), 33)])


def drummers_parts(tmp_path: Path, model: Path, song: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """The `--parts` value `python main.py --mode arrange --drummer SONG` prints."""
    capsys.readouterr()
    assert cli.main(["--mode", "arrange", "--drummer", str(song), "--checkpoint", str(model)]) == 0
    found = re.search(r'--parts "([^"]+)"', capsys.readouterr().out)
    assert found, "--mode arrange --drummer printed no --parts line"
    return found[1]


def test_the_songs_drummer_fills_the_choices_and_plays_as_the_command_lines_drummer(
        studio: StudioThread, browser: Any, tiny_model_path: Path, tmp_path: Path,  # noqa: F811
        capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 101: the studio could not show the song's own drummer's arrangement (the service's Arrange and
    `--mode arrange --drummer` could). One button sets every section to his part, each row saying it is his, and the
    take is the command line's `--parts` of his arrangement byte for byte; a song without drums has the button
    disabled, saying why."""
    song = verses_and_choruses()
    (tmp_path / "riff.mid").write_bytes(song)
    page = Page(browser, studio, controls=False)
    page.drop("riff.mid", song)
    page.page.wait_for_selector(f"{ROWS} button.part")
    keys = page.page.locator(ROWS).evaluate_all("(rows) => rows.map((row) => row.dataset.key)")
    assert keys == ["A#1", "B#1", "A#2", "B#2"], keys
    assert page.page.is_enabled("#drummer-arrangement")
    assert page.page.inner_text(".drummer-words") == "he plays a part in 4 of the 4 sections"
    page.page.click("#drummer-arrangement")
    chosen = dict(entry.split("=") for entry in page.page.input_value("#opt-parts").split("; "))
    assert list(chosen) == keys and chosen["A#1"] == chosen["A#2"] and chosen["B#1"] == chosen["B#2"]
    said = page.page.locator(f"{ROWS} .section-choice").all_text_contents()
    assert all(line.startswith("yours: ") and line.endswith("(the song's drummer's)") for line in said), said
    page.page.click("#more-controls summary")
    page.page.fill("#opt-seed", "5")
    page.page.click("#generate")
    card = ".take[data-take='1']"
    page.page.wait_for_selector(card)
    assert page.page.inner_text(f"{card} .take-plan").startswith("its plan: from the musician")
    with page.page.expect_download() as download:
        page.page.click(f"{card} a[download$='_drums.take1.mid']")
    drums = Path(download.value.path()).read_bytes()
    his = drummers_parts(tmp_path, tiny_model_path, tmp_path / "riff.mid", capsys)
    out = tmp_path / "cli.mid"
    assert cli.main(["--mode", "infer", str(tmp_path / "riff.mid"), "--checkpoint", str(tiny_model_path), "--seed",
                     "5", "--parts", his, "-o", str(out)]) == 0
    assert drums == out.read_bytes()  # the command line's drummer's arrangement, byte for byte
    page.drop("alone.mid", verses_and_choruses(drums=False))
    page.page.wait_for_function("() => document.querySelector('#drummer-arrangement')?.disabled === true")
    assert "has no drums" in page.page.inner_text(".drummer-words")
    assert page.page.input_value("#opt-parts") == ""
    page.close()


def test_several_sections_are_given_one_part_at_once(studio: StudioThread, browser: Any) -> None:  # noqa: F811
    """Issue 101: a 19-section song was 19 rows of 3 buttons and a list, one section at a time. Ticked rows (every A
    with one click, or all) take one part from a list of the parts they can all play, best over all of them first;
    the model's choice clears them again; a row ticked alone joins them."""
    page = Page(browser, studio, controls=False)
    page.drop("riff.mid", verses_and_choruses(drums=False))
    page.page.wait_for_selector(f"{ROWS} button.part")
    picker = ".pick-part"
    assert page.page.is_disabled(picker)  # nothing ticked yet
    page.page.click(".pick-letter[data-letter='A']")
    ticked = page.page.locator(f"{ROWS} input.pick").evaluate_all("(boxes) => boxes.map((box) => box.checked)")
    assert ticked == [True, False, True, False]
    assert page.page.locator(f"{ROWS}.ticked").count() == 2
    listed = page.page.locator(f"{picker} option").evaluate_all("(options) => options.map((o) => o.value)")
    assert listed[:2] == ["", "model"] and len(listed) > 3
    part = listed[3]  # the second best over both As
    page.page.select_option(picker, part)
    assert page.page.input_value("#opt-parts") == f"A#1={part}; A#2={part}"
    page.page.check(f"{ROWS}[data-key='B#2'] input.pick")
    page.page.select_option(picker, listed[2])
    assert page.page.input_value("#opt-parts") == f"A#1={listed[2]}; A#2={listed[2]}; B#2={listed[2]}"
    said = page.page.locator(f"{ROWS} .section-choice").all_text_contents()
    assert said[1] == "the model's choice" and said[0] == said[2] == said[3] and said[0].startswith("yours: ")
    page.page.click(".pick-all")  # every row ticked
    page.page.select_option(picker, "model")
    assert page.page.input_value("#opt-parts") == ""
    assert page.page.locator(f"{ROWS} .section-choice.yours").count() == 0
    page.page.click(".pick-none")
    assert page.page.locator(f"{ROWS}.ticked").count() == 0 and page.page.is_disabled(picker)
    page.close()


def gated_renders(monkeypatch: pytest.MonkeyPatch) -> tuple[dict[str, threading.Semaphore], dict[str, list[float]],
                                                              Callable[[], None]]:
    """The studio's WAV renders made to wait for the test before each block: ({kind: its gate, one release a block},
    {kind: every share the render told so far}, open: every render runs on freely)."""
    gates = {"mix.wav": threading.Semaphore(0), "drums.wav": threading.Semaphore(0)}
    told: dict[str, list[float]] = {"mix.wav": [], "drums.wav": []}
    opened = threading.Event()
    write_file = app.write_file

    def gated_write(target: Path, kind: str, data: bytes, progress: Any = None, limits: Any = None) -> None:
        if kind not in gates:
            write_file(target, kind, data, progress, limits)
            return

        def step(done: float) -> None:
            if not opened.is_set():
                gates[kind].acquire(timeout=120)
            told[kind].append(done)
            progress(done)

        app.write_wav(target, data, step, limits)

    def open_all() -> None:
        opened.set()
        for gate in gates.values():
            gate.release(1000)

    monkeypatch.setattr(app, "write_file", gated_write)
    return gates, told, open_all


def test_the_first_play_shows_the_played_files_render_moving(studio: StudioThread, browser: Any,  # noqa: F811
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 101: Play said "Preparing, 81% rendered" and it did not move. The renders here go a block at a time as
    the test lets them (work counted, no clock): the sign shows each share the played file's render reaches, rising;
    once "drums alone" is ticked it asks only about the drums' file (the mix's questions went on beside it, and the
    sign showed the mix's share, stopped with its render, in turn with the drums'); then the drums play."""
    gates, told, open_all = gated_renders(monkeypatch)
    page = Page(browser, studio)
    try:
        page.drop("long.mid", band_song(bars=24))
        page.page.wait_for_selector("#song:not([hidden])")
        page.page.click("#generate")
        card = ".take[data-take='1']"
        page.page.wait_for_selector(card)
        page.page.click(f"{card} button.play")
        sign = f"{card} .preparing"

        def shows(share: float) -> int:
            shown = math.floor(round(share, 3) * 100)  # as the studio rounds it and the page floors it
            page.page.wait_for_function("([s, words]) => document.querySelector(s).innerText.includes(words)",
                                        arg=[sign, f"{shown}% rendered"])
            return shown

        gates["mix.wav"].release(12)
        while len(told["mix.wav"]) < 12:
            page.page.wait_for_timeout(50)
        shares = [shows(told["mix.wav"][-1])]
        page.page.check(f"{card} input.solo")  # the drums alone: the mix's render stays where it is
        while not any(url.endswith("drums.wav/progress") for url in page.requests):
            page.page.wait_for_timeout(50)
        switched = len(page.requests)
        for blocks in (8, 16, 24):
            gates["drums.wav"].release(blocks - len(told["drums.wav"]))
            while len(told["drums.wav"]) < blocks:
                page.page.wait_for_timeout(50)
            shares.append(shows(told["drums.wav"][-1]))
        assert shares[1:] == sorted(set(shares[1:])) and shares[1] > 0, shares  # it moves with the render
        asked = [url.rsplit("/", 2)[-2] for url in page.requests[switched:] if url.endswith("/progress")]
        assert asked and set(asked) == {"drums.wav"}, asked  # only the file being played
        assert told["mix.wav"][-1] < 1.0  # still stopped where it was: its share was no longer the one to show
        open_all()
        page.page.wait_for_function("(s) => document.querySelector(s).currentTime > 0.2", arg=f"{card} audio",
                                    timeout=60_000)
        assert page.page.inner_text(f"{card} button.play") == "■ Stop" and page.page.is_hidden(sign)
        page.page.click(f"{card} button.play")
    finally:
        open_all()
        page.close()


def test_more_controls_come_in_groups_and_a_box_finds_one(studio: StudioThread, browser: Any) -> None:  # noqa: F811
    """Issue 101: More controls was one form of about 25 fields. They come in the groups a musician looks in (feel,
    fills and crashes, kit, song), and typing a word ("ride") leaves the controls that speak of it."""
    page = Page(browser, studio)
    groups = {"#feel-fields": ["swing", "density", "humanize", "feel", "style"],
              "#fills-fields": ["fills", "crashes"], "#kit-fields": ["kit_map", "cymbal"],
              "#song-fields": ["takes", "seed", "count_in_bars"], "#listen-fields": ["track", "keep_drums"]}
    for holder, names in groups.items():
        for name in names:
            assert page.page.locator(f"{holder} #opt-{name}").count() == 1, (holder, name)
    every = page.page.locator("#more-controls .field:visible").count()
    page.page.fill("#find-control", "ride")
    found = page.page.locator("#more-controls .field:visible label").all_text_contents()
    assert "Keep time on" in found and len(found) < every // 4, found
    assert page.page.inner_text("#find-words") == f'{len(found)} controls match "ride"'
    assert page.page.is_hidden("#opt-swing") and page.page.is_hidden("#nothing-section")  # nothing there of a ride
    page.page.fill("#find-control", "")
    assert page.page.locator("#more-controls .field:visible").count() == every
    page.close()
