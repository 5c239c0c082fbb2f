"""The README is for a musician (docs/development.md and docs/how-it-works.md hold the developer's material): short,
readable in a terminal, free of the repository's internals, and still holding the two commands a fresh machine needs."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")
SETUP = ("python -m pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu && "
         "python -m pip install -r requirements.txt && python main.py --mode infer examples/riff.mid")
TESTS = ("python -m pip install -r requirements-dev.txt && "
         "python -m pip install --no-deps -r requirements-audio.txt && python -m pytest -q -m \"not slow\" -n auto")


def test_the_readme_is_short_and_fits_a_terminal() -> None:
    lines = README.split("\n")
    assert len(lines) <= 200
    assert [number for number, line in enumerate(lines, 1) if len(line) > 120] == []


def test_the_readme_speaks_of_no_internals() -> None:
    """No ../shared data folder, no CI script, no module path: they were half the README, and a musician needs none."""
    developers = README.find("## For developers")
    text = README if developers < 0 else README[:developers]
    found = re.findall(r"\.\./shared|\.ci\b|\b(?:seq2drum|server|client|tests|tools|bench)/[\w/]*\.py\b", text)
    assert found == []
    assert "## Where is it decided?" not in README and "## Project layout" not in README


def test_the_readme_holds_the_setup_and_the_test_command() -> None:
    joined = re.sub(r" \\\n\s*", " ", README)  # commands continued on the next line
    assert SETUP in joined and TESTS in joined


def test_the_readme_shows_the_plot_and_names_the_licence() -> None:
    assert "](docs/plot-example.png)" in README and (REPO / "docs" / "plot-example.png").is_file()
    assert "](LICENSE)" in README and "MIT License" in (REPO / "LICENSE").read_text()


def test_the_readme_leaves_the_developers_words_to_docs() -> None:
    """The studio's guards (Origin checks, MiB limits) and the model's figures in F1 are for docs/server.md and
    docs/evaluation.md (issue 70); the README keeps a musician's summary and links there."""
    assert not re.findall(r"\bF1\b|Origin|MiB", README)
    assert "](docs/server.md#what-the-studio-refuses)" in README
    assert "](docs/evaluation.md#how-good-is-the-shipped-model)" in README


def test_the_quick_start_says_how_to_step_into_the_environment_on_windows_too() -> None:
    assert "python -m venv .venv && . .venv/bin/activate            # Windows: .venv\\Scripts\\activate" in README


def test_the_readme_says_how_long_the_tests_take_and_what_the_browser_tests_need() -> None:
    """A musician running the tests learns what to expect: how long on 2 cores, and that the studio's browser tests
    need Chromium (they skip without it)."""
    tests = README[:README.index("python -m pytest -q")]
    said = tests[tests.rindex("run the tests"):]
    assert re.search(r"about \d+ minutes on 2 cores", said) and "Chromium" in said
