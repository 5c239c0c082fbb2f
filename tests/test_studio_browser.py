"""The studio in a real browser (Debian's chromium, headless, driven by Playwright): a song built in code dropped on
the page, its takes made, played, drawn and downloaded, checked against the command line's drums for the same song,
seed and options; errors worded as the command line words them; four pages at once; nothing fetched from anywhere but
the studio; what a musician tripped on in issue 56 (the roll's zoom, its ruler, the notices, a bad file, the form's
hints). Skipped, with the reason, where no browser can be had.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from seq2drum.cli import main as cli
from seq2drum.generation.generator import DrumGenerator
from seq2drum.midi.kit_presets import preset
from seq2drum.studio import app
from seq2drum.studio.__main__ import build_parser, studio_config
from seq2drum.studio.backends import LocalBackend
from tests.studio_harness import BROWSER_ARGS, StudioThread, browser_path, no_browser_reason
from tests.studio_songs import (
    BAR_S,
    band_song,
    drum_notes,
    drums_only_song,
    six_eight_song,
    song_end_s,
    too_many_notes_song,
)

pytestmark = pytest.mark.skipif(bool(no_browser_reason()), reason=no_browser_reason() or "a browser is here")
MAX_UPLOAD_MIB = 1  # the 50,001-note song (~200 KB) fits; the oversized upload (1.5 MiB) does not
# How much of the roll is coloured (notes and hits): grey bar lines and lane stripes do not count.
PAINTED = """(selector) => {
  const canvas = document.querySelector(selector);
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 0; i < data.length; i += 4) {
    const high = Math.max(data[i], data[i + 1], data[i + 2]), low = Math.min(data[i], data[i + 1], data[i + 2]);
    if (high - low > 60) painted++;
  }
  return painted;
}"""
# How many pixels of the roll are drawn in one colour (a role's notes: the guitar's orange, the bass's blue).
COLOURED = """([selector, rgb]) => {
  const canvas = document.querySelector(selector);
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let count = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (Math.abs(data[i] - rgb[0]) + Math.abs(data[i + 1] - rgb[1]) + Math.abs(data[i + 2] - rgb[2]) < 30) count++;
  }
  return count;
}"""
GUITAR_RGB, BASS_RGB = (0xD9, 0x82, 0x2B), (0x2B, 0x6C, 0xB0)
# The ruler's labels of a roll, each with its box on the page: {letters: [[text, left, top, right, bottom]], numbers}.
RULER = """(selector) => {
  const boxes = (kind) => [...document.querySelectorAll(`${selector} .roll-ruler .${kind}`)].map((label) => {
    const box = label.getBoundingClientRect();
    return [label.textContent, box.left, box.top, box.right, box.bottom];
  });
  return {letters: boxes("section-letter"), numbers: boxes("bar-number")};
}"""
# The WAV the take's <audio> plays, fetched and read by the page: its length and RMS level.
WAV_LEVEL = """async (selector) => {
  const answer = await fetch(document.querySelector(selector).src);
  const view = new DataView(await answer.arrayBuffer());
  const rate = view.getUint32(24, true), channels = view.getUint16(22, true);
  let at = 12;
  while (String.fromCharCode(view.getUint8(at), view.getUint8(at + 1), view.getUint8(at + 2),
                             view.getUint8(at + 3)) !== "data") at += 8 + view.getUint32(at + 4, true);
  const samples = view.getUint32(at + 4, true) / 2;
  let squares = 0;
  for (let i = 0; i < samples; i++) squares += (view.getInt16(at + 8 + 2 * i, true) / 32768) ** 2;
  return {seconds: samples / channels / rate, rms: Math.sqrt(squares / Math.max(1, samples))};
}"""


@pytest.fixture(scope="module")
def studio(tiny_model_path: Path) -> Iterator[StudioThread]:
    config = studio_config(build_parser().parse_args(["--workers", "2", "--max-upload-mib", str(MAX_UPLOAD_MIB)]))
    with StudioThread(LocalBackend(tiny_model_path, config), config) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=browser_path(), args=BROWSER_ARGS)
        yield launched
        launched.close()


class Page:
    """One page of the studio in its own browser context, with every request it made; `controls`: its fold of
    controls (More controls) opened, as a musician opens it to set the seed or the takes."""

    def __init__(self, browser: Any, studio: StudioThread, controls: bool = True) -> None:
        self.context = browser.new_context(accept_downloads=True, viewport={"width": 1200, "height": 900})
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.goto(studio.url)
        self.page.wait_for_selector("body[data-ready=true]")
        if controls:
            self.page.click("#more-controls summary")

    def drop(self, name: str, data: bytes) -> None:
        """Choose the file with the page's file button."""
        self.page.set_input_files("#file", files=[{"name": name, "mimeType": "audio/midi", "buffer": data}])

    def drag(self, name: str, data: bytes) -> None:
        """Drop the file on the page's drop zone, as from a file manager."""
        transfer = self.page.evaluate_handle(
            "([name, bytes]) => { const transfer = new DataTransfer(); "
            "transfer.items.add(new File([new Uint8Array(bytes)], name, {type: 'audio/midi'})); return transfer; }",
            [name, list(data)])
        self.page.dispatch_event("#drop", "drop", {"dataTransfer": transfer})

    def error(self) -> str:
        self.page.wait_for_selector("#error:not([hidden])")
        return self.page.inner_text("#error")

    def close(self) -> None:
        self.context.close()


def cli_error(capsys: pytest.CaptureFixture[str], path: Path, tiny_model_path: Path) -> str:
    """The one line `python main.py --mode infer PATH` prints on stderr."""
    capsys.readouterr()
    assert cli.main(["--mode", "infer", str(path), "--checkpoint", str(tiny_model_path), "-o",
                     str(path.with_name("out.mid"))]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_two_takes_play_are_drawn_and_are_the_command_lines_drums(studio: StudioThread, browser: Any,
                                                                   tiny_model_path: Path, tmp_path: Path) -> None:
    """The whole path: drop a song, 2 takes with seed 7; each take plays (its <audio> advances), is not silent and
    ends within a bar of the song's end, its roll is drawn, and its drums download with the channel-10 notes of the
    command line's take for the same song, seed and options. Breaks when any stage of the page or the studio does."""
    song = band_song(bars=4)
    (tmp_path / "riff.mid").write_bytes(song)
    page = Page(browser, studio)
    page.drop("riff.mid", song)
    page.page.wait_for_selector("#song:not([hidden])")
    assert [row.split("\t")[2] for row in page.page.inner_text("#parts tbody").splitlines()] == ["guitar", "bass"]
    page.page.fill("#opt-seed", "7")
    page.page.fill("#opt-takes", "2")
    page.page.click("#generate")
    page.page.wait_for_selector(".take[data-take='2']")
    assert cli.main(["--mode", "infer", str(tmp_path / "riff.mid"), "--checkpoint", str(tiny_model_path), "--seed",
                     "7", "--takes", "2", "-o", str(tmp_path / "cli.mid")]) == 0
    end_s = song_end_s(song)
    for take in (1, 2):
        card = f".take[data-take='{take}']"
        assert page.page.evaluate(PAINTED, f"{card} canvas.roll") > 500, "the piano roll is not drawn"
        page.page.click(f"{card} button.play")
        page.page.wait_for_function("(s) => document.querySelector(s).currentTime > 0.3", arg=f"{card} audio",
                                    timeout=30_000)
        level = page.page.evaluate(WAV_LEVEL, f"{card} audio")
        assert level["rms"] > 1e-3, "the take is silent"
        assert end_s - BAR_S <= level["seconds"] <= end_s + BAR_S, (level, end_s)
        assert abs(page.page.evaluate("(s) => document.querySelector(s).duration", f"{card} audio")
                   - level["seconds"]) < 0.05
        page.page.click(f"{card} button.play")  # stop
        with page.page.expect_download() as download:
            page.page.click(f"{card} a[download$='_drums.take{take}.mid']")
        assert download.value.suggested_filename == f"riff_drums.take{take}.mid"
        drums = Path(download.value.path()).read_bytes()
        expected = drum_notes((tmp_path / f"cli.take{take}.mid").read_bytes())
        assert len(expected) and np.array_equal(drum_notes(drums), expected)
        with page.page.expect_download() as download:
            page.page.click(f"{card} a[download$='_with_drums.take{take}.mid']")
        with_drums = Path(download.value.path()).read_bytes()
        assert np.array_equal(drum_notes(with_drums), expected)
        assert song_end_s(with_drums) >= end_s - 0.01  # the song's own parts are in it
    assert all(url.startswith(studio.url) for url in page.requests), page.requests
    page.close()


def test_errors_are_the_command_lines_one_line(studio: StudioThread, browser: Any, tiny_model_path: Path,
                                               tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A text file named .mid, a file past the reader's note limit and a file of drums alone get on the page the line
    `python main.py --mode infer` prints for them; an upload past the studio's size limit gets one line naming the
    limit. Never a stack trace."""
    page = Page(browser, studio)
    cases = {"lyrics.mid": b"these are my lyrics, not MIDI\n" * 4, "dense.mid": too_many_notes_song()}
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        page.drop(name, data)
        assert page.error() == cli_error(capsys, tmp_path / name, tiny_model_path)
    (tmp_path / "drums.mid").write_bytes(drums_only_song())
    page.drop("drums.mid", drums_only_song())
    page.page.wait_for_selector("#song-name:has-text('drums.mid')")
    page.page.click("#generate")
    assert page.error() == cli_error(capsys, tmp_path / "drums.mid", tiny_model_path)
    oversized = band_song(4) + bytes(int(1.5 * MAX_UPLOAD_MIB * 1024 * 1024))
    page.drop("big.mid", oversized)
    line = page.error()
    assert line.startswith(f"error: big.mid holds {len(oversized):,} bytes, more than the 1,048,576 bytes (1.0 MiB)")
    assert "\n" not in line and "Traceback" not in line
    assert all(url.startswith(studio.url) for url in page.requests), page.requests
    page.close()


def test_four_pages_at_once_each_get_their_own_takes(studio: StudioThread, browser: Any) -> None:
    """Four pages drop (two on the drop zone, two through the file button) four different songs (3 to 6 bars) at once
    and ask for 2 takes each at once: each page shows its own song's takes (its bars, its name), and no page asks
    anything of any address but the studio's."""
    pages = [Page(browser, studio) for _ in range(4)]
    for bars, page in enumerate(pages, start=3):
        (page.drag if bars % 2 else page.drop)(f"song{bars}.mid", band_song(bars=bars, root=38 + bars))
    for page in pages:
        page.page.wait_for_selector("#song:not([hidden])")
        page.page.fill("#opt-takes", "2")
    for page in pages:
        page.page.click("#generate")
    for bars, page in enumerate(pages, start=3):
        page.page.wait_for_selector(".take[data-take='2']", timeout=60_000)
        words = page.page.inner_text("#result-words")
        assert f"{bars} bars" in words and f"(song{bars}.mid)" in words, words
        assert page.page.get_attribute(".take[data-take='1'] a[download$='.take1.mid']", "download") == \
            f"song{bars}_drums.take1.mid"
    for page in pages:
        assert all(url.startswith(studio.url) for url in page.requests), page.requests
        page.close()


def test_closing_the_page_removes_its_files(studio: StudioThread, browser: Any) -> None:
    """The page says goodbye as it goes: its session and its folder of uploads and takes are removed at once."""
    page = Page(browser, studio)
    page.drop("song.mid", band_song(3))
    page.page.wait_for_selector("#song:not([hidden])")
    session = page.page.evaluate("() => state.session")
    folder = studio.store.sessions[session].folder
    assert any(folder.iterdir())
    page.page.goto("about:blank")
    page.page.wait_for_timeout(300)
    assert session not in studio.store.sessions and not folder.exists()
    page.close()


def test_without_the_audio_extra_the_page_says_how_to_install_it(studio: StudioThread, browser: Any) -> None:
    """Drums from nothing (bars, tempo, meter from the form) on a studio whose audio extra is missing: the takes
    come, play is off, and the page gives the install command."""
    assert studio.studio is not None
    studio.studio.audio_problem, before = "tinysoundfont is not installed", studio.studio.audio_problem
    try:
        page = Page(browser, studio)
        page.page.fill("#opt-bars", "4")
        page.page.fill("#opt-tempo_qpm", "90")
        page.page.fill("#opt-meter", "3/4")
        page.page.click("#generate-nothing")
        page.page.wait_for_selector(".take[data-take='1']")
        assert "4 bars" in page.page.inner_text("#result-words")
        assert "python -m pip install --no-deps -r requirements-audio.txt" in page.page.inner_text("#audio-note")
        assert page.page.is_disabled(".take button.play")
        page.close()
    finally:
        studio.studio.audio_problem = before


def shown_bars(page: Any, roll: str) -> tuple[int, int, int]:
    """(first bar, last bar, bars in all) of a roll, as the roll says it shows them (bars from 1)."""
    data = page.evaluate("(s) => ({...document.querySelector(s).dataset})", roll)
    return int(data["firstBar"]), int(data["lastBar"]), int(data["bars"])


def overlapping(boxes: list[list[Any]], others: list[list[Any]]) -> list[tuple[str, str]]:
    """The pairs of labels, one from each list, whose boxes overlap (a label is not compared with itself)."""
    return [(a[0], b[0]) for a in boxes for b in others if a is not b
            and a[1] < b[3] and b[1] < a[3] and a[2] < b[4] and b[2] < a[4]]


def test_the_roll_opens_on_16_bars_and_zooms_and_pages_through_a_long_song(studio: StudioThread,
                                                                            browser: Any) -> None:
    """Issue 56: a 40-bar song was squeezed into one roll (single hits could not be told apart). The roll opens on
    bars 1-16; + and - zoom, the arrows page, "whole song" shows them all, and a press on the overview moves the
    window there; the take's roll draws the guitar and the bass (the parts the drums listened to) beside its drums."""
    page = Page(browser, studio)
    page.drop("long.mid", band_song(bars=40))
    page.page.wait_for_selector("#song:not([hidden])")
    roll = "#song-roll .roll-box"
    assert shown_bars(page.page, roll) == (1, 16, 40)
    page.page.click(f"{roll} .roll-in")
    first, last, _ = shown_bars(page.page, roll)
    assert (first, last) == (5, 12)  # the middle of the window stays where it was
    page.page.click(f"{roll} .roll-forward")
    assert shown_bars(page.page, roll)[:2] == (first + 8, last + 8)
    page.page.click(f"{roll} .roll-whole")
    assert shown_bars(page.page, roll) == (1, 40, 40)
    assert page.page.is_disabled(f"{roll} .roll-whole") and page.page.is_disabled(f"{roll} .roll-out")
    page.page.click(f"{roll} .roll-in")
    page.page.click(f"{roll} .roll-in")  # 32, then 16 bars: zoom steps are powers of two
    box = page.page.locator(f"{roll} canvas.roll-overview").bounding_box()
    assert box is not None
    page.page.mouse.click(box["x"] + box["width"] - 10, box["y"] + box["height"] / 2)  # near the song's end
    first, last, _ = shown_bars(page.page, roll)
    assert (first, last) == (25, 40)
    numbers = [int(label[0]) for label in page.page.evaluate(RULER, roll)["numbers"]]
    assert numbers and first <= min(numbers) and max(numbers) <= last, numbers
    page.page.fill("#opt-seed", "7")
    page.page.click("#generate")
    take = ".take[data-take='1'] .roll-box"
    page.page.wait_for_selector(take)
    assert shown_bars(page.page, take) == (1, 16, 40)
    for colour in (GUITAR_RGB, BASS_RGB):
        assert page.page.evaluate(COLOURED, [f"{take} canvas.roll", list(colour)]) > 200, colour
    page.close()


def test_section_letters_never_overlap_the_bar_numbers(studio: StudioThread, browser: Any) -> None:
    """Issue 56: section letters were drawn over the bar numbers ("2B 2A", "33A37"). On 139 bars of drums from
    nothing (sections every 8 bars, and B@137 D@139 two bars apart), at 16 bars, at 4 and across the whole song, no
    letter's box meets a bar number's, nor another letter's, nor one number another's."""
    page = Page(browser, studio)
    page.page.fill("#opt-bars", "139")
    page.page.fill("#opt-seed", "3")
    page.page.click("#generate-nothing")
    roll = ".take[data-take='1'] .roll-box"
    page.page.wait_for_selector(roll, timeout=60_000)
    assert "D (139)" in page.page.inner_text("#result-words")
    for action in (None, ".roll-in", ".roll-in", ".roll-whole"):
        if action:
            page.page.click(f"{roll} {action}")
        labels = page.page.evaluate(RULER, roll)
        letters, numbers = labels["letters"], labels["numbers"]
        assert letters and numbers, (action, labels)
        assert not overlapping(letters, numbers), (action, overlapping(letters, numbers))
        assert not overlapping(letters, letters) and not overlapping(numbers, numbers), action
    assert shown_bars(page.page, roll) == (1, 139, 139)
    page.close()


def test_fewer_takes_than_asked_is_a_notice_of_its_own(studio: StudioThread, browser: Any) -> None:
    """Issue 56: "wrote 6 of the 8 takes asked" was the last clause of the long line of the result's details. One
    bar of 5/4 from nothing in the jazz-ride style (its takes choose the style's other grooves, few in 5/4), 8 takes
    asked, seed 1: 6 come, and the page says so in a notice of its own."""
    page = Page(browser, studio)
    page.page.fill("#opt-bars", "1")
    page.page.fill("#opt-meter", "5/4")
    page.page.wait_for_selector("#opt-style[data-meter='5/4']")  # the list now holds the styles of 5/4
    page.page.select_option("#opt-style", "jazz-ride")
    page.page.fill("#opt-takes", "8")
    page.page.fill("#opt-seed", "1")
    page.page.click("#generate-nothing")
    page.page.wait_for_selector("#notices .notice")
    assert page.page.locator(".take").count() == 6
    notices = page.page.locator("#notices .notice").all_inner_texts()
    assert len(notices) == 1 and "wrote 6 of the 8 takes asked" in notices[0], notices
    assert "takes asked" not in page.page.inner_text("#result-words")
    assert page.page.is_visible("#notices .notice")
    page.close()


def test_the_first_play_says_it_is_preparing_until_the_sound_starts(studio: StudioThread, browser: Any) -> None:
    """Issue 56: the first ▶ gave seconds of silence while the WAV rendered, with no sign, and the button said
    ■ Stop already. The WAV's answer is held back here: meanwhile the take says it is preparing the audio; once the
    sound comes the sign goes and the button says ■ Stop."""
    page = Page(browser, studio)
    page.drop("riff.mid", band_song(bars=2))
    page.page.wait_for_selector("#song:not([hidden])")
    page.page.click("#generate")
    card = ".take[data-take='1']"
    page.page.wait_for_selector(card)
    held: list[Any] = []

    def hold(route: Any) -> None:
        held.append(route)

    page.page.route("**/mix.wav", hold)
    page.page.click(f"{card} button.play")
    page.page.wait_for_selector(f"{card} .preparing:not([hidden])")
    for _ in range(100):
        if held:
            break
        page.page.wait_for_timeout(50)
    assert held, "the page did not ask for the take's WAV"
    assert "Preparing" in page.page.inner_text(f"{card} button.play")
    assert "preparing the audio" in page.page.inner_text(f"{card} .preparing")
    page.page.wait_for_timeout(300)
    assert page.page.is_visible(f"{card} .preparing")  # still waiting: the answer is held
    for route in held:
        route.continue_()
    page.page.unroute("**/mix.wav")
    page.page.wait_for_function("(s) => document.querySelector(s).currentTime > 0.2", arg=f"{card} audio",
                                timeout=30_000)
    assert page.page.inner_text(f"{card} button.play") == "■ Stop"
    assert page.page.is_hidden(f"{card} .preparing")
    page.page.click(f"{card} button.play")
    page.close()


def test_a_bad_file_clears_the_song_and_drums_from_nothing_replace_it(studio: StudioThread, browser: Any) -> None:
    """Issue 56: after a file that is not MIDI, the song before it and its takes stayed on screen with "Make drums"
    on for it, and the error showed a bytes repr; after drums from nothing the card still showed the last upload.
    Now the bad file's card says it was not read, the takes go, "Make drums for the song" is off and the error is in
    words; drums from nothing put their own card in the song's place."""
    page = Page(browser, studio)
    page.drop("riff.mid", band_song(bars=2))
    page.page.wait_for_selector("#song:not([hidden])")
    page.page.click("#generate")
    page.page.wait_for_selector(".take[data-take='1']")
    page.drop("lyrics.mid", b"this is my song, not MIDI\n")
    assert 'it holds text ("this is my song, not MIDI")' in page.error() and "b'" not in page.error()
    assert page.page.inner_text("#song-name") == "lyrics.mid: not read"
    assert "no song here now" in page.page.inner_text("#guitar-words")
    assert page.page.is_hidden("#parts") and page.page.is_hidden("#song-roll")
    assert page.page.is_disabled("#generate") and page.page.is_hidden("#takes-section")
    assert page.page.locator(".take").count() == 0
    page.drop("riff.mid", band_song(bars=2))
    page.page.wait_for_selector("#song-name:has-text('riff.mid')")
    assert page.page.is_hidden("#error") and not page.page.is_disabled("#generate")
    page.page.fill("#opt-bars", "2")
    page.page.click("#generate-nothing")
    page.page.wait_for_selector("#song-name:has-text('Drums from nothing')")
    page.page.wait_for_selector(".take[data-take='1']")
    assert page.page.is_hidden("#parts") and page.page.is_disabled("#generate")
    assert "2 bars of drums made without a song" in page.page.inner_text("#guitar-words")
    page.close()


def test_live_only_controls_are_hidden_and_every_hint_reads_in_full(studio: StudioThread, browser: Any) -> None:
    """Issue 56: --rest-after (the live drummer's alone) stood among the offline controls, hints were cut off with
    "…", and placeholders ran past their boxes. No field for --rest-after; every hint shows its whole text (nothing
    clipped, no ellipsis), every placeholder fits its box, and the takes box speaks of takes, not of files."""
    page = Page(browser, studio)
    assert page.page.locator("#opt-rest_after").count() == 0
    assert "rest after" not in page.page.inner_text("#more-controls").lower()
    hints = page.page.evaluate("""() => [...document.querySelectorAll('.field .hint')].map((hint) => {
      const style = getComputedStyle(hint);
      return {text: hint.textContent, overflow: style.textOverflow, clipped: hint.scrollWidth > hint.clientWidth
              || hint.scrollHeight > hint.clientHeight, height: hint.clientHeight};
    })""")
    config = {field["help"] for field in page.page.evaluate("async () => (await fetch('/api/config')).json()")[
        "options"]}
    assert len(hints) >= 20
    for hint in hints:
        assert hint["text"] in config and hint["overflow"] != "ellipsis" and not hint["clipped"], hint
    placeholders = page.page.evaluate("""() => [...document.querySelectorAll('.field input[placeholder]')].map(box => {
      const style = getComputedStyle(box), measure = document.createElement('canvas').getContext('2d');
      measure.font = `${style.fontSize} ${style.fontFamily}`;
      const room = box.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
      return {name: box.id, text: box.placeholder, fits: measure.measureText(box.placeholder).width <= room};
    })""")
    assert all(box["fits"] for box in placeholders), [box for box in placeholders if not box["fits"]]
    assert page.page.get_attribute("#opt-takes", "placeholder") == "1 take"
    assert "SONG" not in page.page.inner_text("[data-name=takes]")
    page.close()


@pytest.fixture
def artifacts(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """Where a test's screenshots go: $SEQ2DRUM_TEST_ARTIFACTS/<test name> when set (CI keeps that folder), else the
    test's own temporary folder."""
    root = os.environ.get("SEQ2DRUM_TEST_ARTIFACTS")
    folder = Path(root) / request.node.name if root else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def style_choices(page: Any) -> list[str]:
    return page.evaluate("() => [...document.querySelectorAll('#opt-style option')].map((option) => option.value)")


def shoot_list(page: Any, selector: str, path: Path) -> None:
    """A screenshot of the side with the list `selector` drawn open (a closed <select> shows one entry)."""
    page.evaluate("(s) => { const list = document.querySelector(s); list.size = list.options.length; }", selector)
    page.locator(selector).scroll_into_view_if_needed()
    page.screenshot(path=str(path))
    page.evaluate("(s) => { document.querySelector(s).size = 0; }", selector)


def test_the_style_is_chosen_from_the_styles_of_the_songs_meter(studio: StudioThread, browser: Any,
                                                                 tiny_model_path: Path, artifacts: Path) -> None:
    """Issue 70: the style was a text box pointing to `--mode styles`. It is a list of the model's styles that play in
    the song's meter (6/8: jazz-ride and six-eight of the tiny model's seven), switching when a 4/4 song comes; the one
    chosen makes the takes. Screenshots: style-list-6-8.png, style-list-4-4.png."""
    book = DrumGenerator.from_checkpoint(tiny_model_path).styles
    page = Page(browser, studio)
    page.drop("lilt.mid", six_eight_song(bars=4))
    page.page.wait_for_selector("#opt-style[data-meter='6/8']")
    assert style_choices(page.page) == ["", *book.fitting("6/8")] == ["", "jazz-ride", "six-eight"]
    assert "2 of the model's 11 styles play in 6/8, the meter of lilt.mid" in page.page.inner_text("#style-words")
    assert "--mode styles" not in page.page.inner_text("[data-name=style]")
    page.page.select_option("#opt-style", "six-eight")
    assert page.page.inner_text("#style-words").endswith("six-eight: compound meters: beats of three eighths")
    shoot_list(page.page, "#opt-style", artifacts / "style-list-6-8.png")
    page.page.fill("#opt-seed", "4")
    page.page.click("#generate")
    page.page.wait_for_selector(".take[data-take='1']")
    assert page.page.is_hidden("#error")
    page.drop("riff.mid", band_song(bars=2))
    page.page.wait_for_selector("#opt-style[data-meter='4/4']")
    assert style_choices(page.page) == ["", *book.fitting("4/4")] and "six-eight" not in style_choices(page.page)
    assert page.page.input_value("#opt-style") == ""  # six-eight plays no 4/4: the choice went back to any groove
    shoot_list(page.page, "#opt-style", artifacts / "style-list-4-4.png")
    page.close()


def test_a_kit_map_is_chosen_from_the_shipped_maps_or_a_file(studio: StudioThread, browser: Any,
                                                             tiny_model_path: Path, tmp_path: Path,
                                                             artifacts: Path) -> None:
    """Issue 70: the kit map was a text box asking for a JSON file. It is a list of the maps that ship (General MIDI,
    Addictive Drums 2, Toontrack's) or a file of your own; the chosen map's notes are shown, and the takes download
    on them: the command line's drums with `--kit-map addictive-drums-2`. Screenshot: kit-map-preset.png."""
    song = band_song(bars=2)
    (tmp_path / "riff.mid").write_bytes(song)
    page = Page(browser, studio)
    keys = page.page.evaluate("() => [...document.querySelectorAll('#opt-kit_map option')].map((o) => o.value)")
    assert keys == ["gm", "addictive-drums-2", "toontrack", "a file"]
    page.drop("riff.mid", song)
    page.page.wait_for_selector("#song:not([hidden])")
    page.page.select_option("#opt-kit_map", "addictive-drums-2")
    assert "closed hat 49 (HiHat Closed 1 Tip)" in page.page.inner_text("#opt-kit_map-notes")
    page.page.click(".kit-source summary")
    assert "Addictive Drums 2 keymap" in page.page.inner_text("#opt-kit_map-source")
    page.page.fill("#opt-seed", "6")
    page.page.click("#generate")
    page.page.wait_for_selector(".take[data-take='1']")
    page.page.locator("#opt-kit_map").scroll_into_view_if_needed()
    page.page.screenshot(path=str(artifacts / "kit-map-preset.png"))
    with page.page.expect_download() as download:
        page.page.click(".take[data-take='1'] a[download$='_drums.take1.mid']")
    drums = drum_notes(Path(download.value.path()).read_bytes())
    assert cli.main(["--mode", "infer", str(tmp_path / "riff.mid"), "--checkpoint", str(tiny_model_path), "--seed",
                     "6", "--kit-map", "addictive-drums-2", "-o", str(tmp_path / "cli.mid")]) == 0
    assert np.array_equal(drums, drum_notes((tmp_path / "cli.mid").read_bytes()))
    assert set(drums[:, 2].tolist()) <= set(preset("addictive-drums-2").notes().values())
    page.page.select_option("#opt-kit_map", "a file")
    page.page.set_input_files("#opt-kit_map-file", files=[{"name": "my_kit.json", "mimeType": "application/json",
                                                           "buffer": b'{"snare": 40}'}])
    page.page.wait_for_function("() => document.querySelector('#opt-kit_map-notes').textContent.includes('snare 40')")
    page.page.click("#generate")
    page.page.wait_for_function("() => !document.querySelector('#generate').disabled")
    page.page.wait_for_selector(".take[data-take='1']")
    with page.page.expect_download() as download:
        page.page.click(".take[data-take='1'] a[download$='_drums.take1.mid']")
    own = drum_notes(Path(download.value.path()).read_bytes())
    assert 40 in own[:, 2] and 38 not in own[:, 2]
    page.close()


def test_the_first_play_of_a_long_song_shows_how_much_is_rendered(studio: StudioThread, browser: Any,
                                                                  monkeypatch: pytest.MonkeyPatch,
                                                                  artifacts: Path) -> None:
    """Issue 70: the first ▶ on a 2:20 song said "Preparing" for 20 s with nothing moving. While the WAV renders
    (slowed here, as a long song on a busy machine is) the take says how much is rendered, with a bar, the share
    rising; then it plays. Screenshot: first-play-progress.png."""
    def slow_write(target: Path, kind: str, data: bytes, progress: Any = None, limits: Any = None) -> None:
        app.write_wav(target, data, lambda done: (time.sleep(0.03), progress(done)), limits)

    monkeypatch.setattr(app, "write_file", slow_write)
    page = Page(browser, studio)
    page.drop("long.mid", band_song(bars=24))
    page.page.wait_for_selector("#song:not([hidden])")
    page.page.click("#generate")
    card = ".take[data-take='1']"
    page.page.wait_for_selector(card)
    page.page.click(f"{card} button.play")
    shares = []
    for _ in range(200):
        found = re.search(r"(\d+)% rendered", page.page.inner_text(f"{card} .preparing"))
        if found:
            shares.append(int(found[1]))
            if 20 <= shares[-1] < 100:
                break
        page.page.wait_for_timeout(100)
    assert shares and 0 < shares[-1] < 100, shares
    assert page.page.is_visible(f"{card} .preparing progress") and "Preparing" in page.page.inner_text(
        f"{card} button.play")
    page.page.locator(card).scroll_into_view_if_needed()
    page.page.screenshot(path=str(artifacts / "first-play-progress.png"))
    assert shares == sorted(shares)
    page.page.wait_for_function("(s) => document.querySelector(s).currentTime > 0.2", arg=f"{card} audio",
                                timeout=60_000)
    assert page.page.inner_text(f"{card} button.play") == "■ Stop" and page.page.is_hidden(f"{card} .preparing")
    page.page.click(f"{card} button.play")
    page.close()
