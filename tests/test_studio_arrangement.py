"""The studio's arrangement in a real browser (issue 87 item 4), the way a musician meets it: a page of words (the
arrangement first, the other controls behind one fold, labels that are not flags); a dropped song's sections with
their likeliest parts, a part chosen for a section (one of the three up front, another from the list), the takes made
without opening the fold, each showing its parts under its section letters, and the downloaded drums byte for byte
the command line's `--parts` for the same song, seed and options. Skipped, with the reason, where no browser can be
had (as tests/test_studio_browser.py, whose studio, browser and page it uses)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from seq2drum.cli import main as cli
from tests.studio_harness import StudioThread, no_browser_reason
from tests.studio_songs import drum_notes
from tests.test_parts_plan import sectioned_song
from tests.test_studio_browser import Page, browser, studio  # noqa: F401  (the fixtures)

pytestmark = pytest.mark.skipif(bool(no_browser_reason()), reason=no_browser_reason() or "a browser is here")


def cli_drums(tmp_path: Path, model: Path, seed: str, *more: str) -> bytes:
    """The bytes `python main.py --mode infer riff.mid` writes with `more` flags: the studio's generation function."""
    out = tmp_path / f"cli{len(list(tmp_path.glob('cli*.mid')))}.mid"
    assert cli.main(["--mode", "infer", str(tmp_path / "riff.mid"), "--checkpoint", str(model), "--seed", seed,
                     *more, "-o", str(out)]) == 0
    return out.read_bytes()


def test_the_page_is_a_musicians_the_arrangement_first(studio: StudioThread, browser: Any) -> None:  # noqa: F811
    """The page was the command line's flags as a form (`--temperature` labels, a default line under each of 20
    controls) beside the song: now every control is labelled in words, the controls sit in one closed fold, and a
    dropped song's arrangement comes before it, read again when the drums hear the guitar alone (the choice kept),
    whose take plays the chosen section and says the others are bar by bar."""
    page = Page(browser, studio, controls=False)
    assert page.page.get_attribute("#more-controls", "open") is None and page.page.is_hidden("#opt-temperature")
    labels = page.page.locator(".field label").all_text_contents()
    assert len(labels) >= 20 and all(label.strip() and "--" not in label for label in labels), labels
    assert page.page.get_attribute("label[for=opt-temperature]", "title") == "on the command line: --temperature"
    page.drop("riff.mid", sectioned_song())
    page.page.wait_for_selector("#arrangement .section-row button.part")
    arrangement = page.page.locator("#arrangement-section").bounding_box()
    fold = page.page.locator("#more-controls").bounding_box()
    assert arrangement and fold and arrangement["y"] + arrangement["height"] <= fold["y"]
    page.page.click("#arrangement .section-row button.part >> nth=1")
    chosen = page.page.input_value("#opt-parts")
    page.page.click("#more-controls summary")
    shown = page.page.locator(".field .default:visible").count()
    assert shown < 5, "the default is said by its box, its switch or its list, not a line under every control"
    with page.page.expect_response(lambda answer: answer.url.endswith("/arrange")):
        page.page.check("#opt-guitar_only")  # what the drums hear changed: the sections are read again
    page.page.wait_for_function("() => !document.querySelector('#arrangement-words').textContent.startsWith("
                                "'reading')")
    assert page.page.input_value("#opt-parts") == chosen  # the choice kept: the section can still play it
    assert page.page.locator("#arrangement .section-choice.yours").count() == 1
    page.page.click("#generate")  # the guitar alone plays the chosen section, and the others bar by bar
    cells = ".take[data-take='1'] .take-section"
    page.page.wait_for_selector(cells)
    said = page.page.locator(cells).evaluate_all("(cells) => cells.map((c) => [c.dataset.letter, c.innerText])")
    assert said[0][0] == chosen.split("#")[0] and "bar by bar" not in said[0][1], said
    assert all(text.endswith("bar by bar") for _, text in said[1:]) and len(said) > 1, said
    page.close()


def test_a_part_chosen_for_a_section_is_played_as_the_command_lines_parts(studio: StudioThread,  # noqa: F811
                                                                          browser: Any,  # noqa: F811
                                                                          tiny_model_path: Path,
                                                                          tmp_path: Path) -> None:
    song = sectioned_song()  # a band whose riff and bass get busier half way: two sections
    (tmp_path / "riff.mid").write_bytes(song)
    page = Page(browser, studio, controls=False)
    page.drop("riff.mid", song)
    page.page.wait_for_selector("#arrangement .section-row button.part")
    rows = page.page.locator("#arrangement .section-row")
    first, second = rows.nth(0), rows.nth(1)
    key, other = first.get_attribute("data-key"), second.get_attribute("data-key")
    assert first.locator("button.part").count() == 3  # the three likeliest up front, the others in the list
    assert first.locator("select option").count() > 1
    assert first.locator(".section-choice").inner_text() == "the model's choice"
    choice = first.locator("button.part").nth(2)
    part_id, part_name = choice.get_attribute("data-id"), choice.inner_text().split(". ", 1)[1]
    choice.click()
    assert page.page.input_value("#opt-parts") == f"{key}={part_id}"
    assert first.locator(".section-choice").inner_text() == f"yours: {part_name}"
    choice.click()  # again: left to the model
    assert page.page.input_value("#opt-parts") == ""
    choice.click()
    listed = second.locator("select option").nth(2).get_attribute("value")  # the list's second: the 5th likeliest
    second.locator("select").select_option(listed)
    parts = f"{key}={part_id}; {other}={listed}"
    assert page.page.input_value("#opt-parts") == parts
    page.page.click("#generate")  # the fold stays closed: a seed of the studio's own
    card = ".take[data-take='1']"
    page.page.wait_for_selector(card)
    seed = re.search(r"seed (\d+)", page.page.inner_text("#result-words"))
    assert seed, page.page.inner_text("#result-words")
    assert page.page.inner_text(f"{card} .take-plan").startswith("its plan: from the musician")
    letters = page.page.locator(f"{card} .take-section").evaluate_all("(cells) => cells.map((c) => c.dataset.letter)")
    assert letters[:2] == [key.split("#")[0], other.split("#")[0]]  # its parts under its section letters
    assert page.page.locator(f"{card} .take-section").first.locator(".take-part").count() >= 1
    with page.page.expect_download() as download:
        page.page.click(f"{card} a[download$='_drums.take1.mid']")
    drums = Path(download.value.path()).read_bytes()
    assert drums == cli_drums(tmp_path, tiny_model_path, seed[1], "--parts", parts)  # byte for byte
    plain = drum_notes(cli_drums(tmp_path, tiny_model_path, seed[1]))
    assert not np.array_equal(drum_notes(drums), plain)  # the parts were played
    page.close()
