"""The studio's arrangement in a real browser (issue 87 item 4): a dropped song's sections with their likeliest parts,
a part chosen for a section written into the form's parts, the takes made with it, and the downloaded drums those of
the command line's `--parts` for the same song, seed and options. Skipped, with the reason, where no browser can be
had (as tests/test_studio_browser.py, whose studio, browser and page it uses)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from seq2drum.cli import main as cli
from tests.studio_harness import StudioThread, no_browser_reason
from tests.studio_songs import band_song, drum_notes
from tests.test_studio_browser import Page, browser, studio  # noqa: F401  (the fixtures)

pytestmark = pytest.mark.skipif(bool(no_browser_reason()), reason=no_browser_reason() or "a browser is here")


def test_a_part_chosen_for_a_section_is_played_as_the_command_lines_parts(studio: StudioThread,  # noqa: F811
                                                                          browser: Any,  # noqa: F811
                                                                          tiny_model_path: Path,
                                                                          tmp_path: Path) -> None:
    song = band_song(bars=16)
    (tmp_path / "riff.mid").write_bytes(song)
    page = Page(browser, studio)
    page.drop("riff.mid", song)
    page.page.wait_for_selector("#arrangement .section-row button.part")
    row = page.page.locator("#arrangement .section-row").first
    key = row.get_attribute("data-key")
    assert row.locator("button.part").count() == 3  # the three likeliest up front, the others in the list
    assert row.locator("select option").count() > 1
    choice = row.locator("button.part").nth(2)
    part_id = choice.get_attribute("data-id")
    choice.click()
    assert page.page.input_value("#opt-parts") == f"{key}={part_id}"
    choice.click()  # again: left to the model
    assert page.page.input_value("#opt-parts") == ""
    choice.click()
    page.page.fill("#opt-seed", "5")
    page.page.click("#generate")
    page.page.wait_for_selector(".take[data-take='1']")
    said = page.page.inner_text(".take[data-take='1'] .take-parts")  # the take says what it plays
    assert said.startswith("plan: from the musician") and "as played (bar: part): 1: " in said
    with page.page.expect_download() as download:
        page.page.click(".take[data-take='1'] a[download$='_drums.take1.mid']")
    drums = Path(download.value.path()).read_bytes()
    assert cli.main(["--mode", "infer", str(tmp_path / "riff.mid"), "--checkpoint", str(tiny_model_path), "--seed",
                     "5", "--parts", f"{key}={part_id}", "-o", str(tmp_path / "cli.mid")]) == 0
    expected = drum_notes((tmp_path / "cli.mid").read_bytes())
    assert len(expected) and np.array_equal(drum_notes(drums), expected)
    assert cli.main(["--mode", "infer", str(tmp_path / "riff.mid"), "--checkpoint", str(tiny_model_path), "--seed",
                     "5", "-o", str(tmp_path / "plain.mid")]) == 0
    assert not np.array_equal(drum_notes((tmp_path / "plain.mid").read_bytes()), expected)  # the part was played
    page.close()
