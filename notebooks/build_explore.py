"""Write notebooks/explore.ipynb from the cells below, without outputs (the stored notebook stays small and diffable).

    python -m notebooks.build_explore

Edit the cells here, not in Jupyter; tests/test_notebook.py checks the stored notebook matches this script and runs
it end to end on songs made in code.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

NOTEBOOK = Path(__file__).resolve().parent / "explore.ipynb"

CELLS = [
    ("markdown", """\
# seq2drum: explore the data, the model and its evaluation

Everything here calls the library (`seq2drum.song.corpus`, `seq2drum.generation.generator`,
`seq2drum.evaluation.plots`, `seq2drum.evaluation.evaluate`, `seq2drum.evaluation.report`);
the notebook holds no logic of its own. It imports the installed package: `pip install -e .` once in the repository
(or start Jupyter with PYTHONPATH set to the repository root). Set these environment variables before starting
Jupyter to point it elsewhere:

- `SEQ2DRUM_DATA`: folder of MIDI songs with guitar and drums (default `../shared/data/midi` from the repository)
- `SEQ2DRUM_CHECKPOINT`: model file (default: the shipped `models/default.pt`)
- `SEQ2DRUM_CACHE`: cache of encoded songs (default: `~/.cache/seq2drum`)
- `SEQ2DRUM_LIMIT`: songs to evaluate (default 5), `SEQ2DRUM_SPLIT`: `val` or `all` (default `val`)
- `SEQ2DRUM_REPORT`: folder for the evaluation report (default: a new temporary folder)"""),
    ("code", """\
%matplotlib inline
import os
import tempfile
from pathlib import Path

REPO = Path.cwd().parent if Path.cwd().name == "notebooks" else Path.cwd()
DATA = Path(os.environ.get("SEQ2DRUM_DATA") or REPO.parent / "shared" / "data" / "midi")
CHECKPOINT = os.environ.get("SEQ2DRUM_CHECKPOINT") or None
CACHE = os.environ.get("SEQ2DRUM_CACHE") or None
LIMIT = int(os.environ.get("SEQ2DRUM_LIMIT") or 5)
SPLIT = os.environ.get("SEQ2DRUM_SPLIT") or "val"
REPORT = Path(os.environ.get("SEQ2DRUM_REPORT") or tempfile.mkdtemp(prefix="seq2drum-eval-"))"""),
    ("markdown", "## The data set\n\nBuilt (or read from the cache) with the model's own data config."),
    ("code", """\
from seq2drum.options import GenerationOptions
from seq2drum.song.corpus import build_corpus
from seq2drum.generation.generator import DrumGenerator

generator = DrumGenerator.from_checkpoint(CHECKPOINT)
corpus = build_corpus(DATA, generator.data_config, CACHE, progress=False)
report = corpus.report
for key in ("files", "songs_used", "songs_skipped", "train_songs", "validation_songs", "bars", "hours"):
    print(f"{key:>18}: {report[key]}")
print("skipped by reason:", report["skipped_by_reason"])
print("hits per class:", report["hits_per_class"])"""),
    ("markdown", "## One song: the guitar and the real drums"),
    ("code", """\
from seq2drum.evaluation import plots

song = corpus.songs[0]
print(song)
plots.song_figure(song)"""),
    ("markdown", "## The sections the model hears\n\nFrom the repetition structure of the guitar bars (and the file's "
                 "markers): where the drums hold a groove, and where they may change it, crash or fill."),
    ("code", """\
from seq2drum.song.bars import bar_song

bars = bar_song(song, generator.spec)
for section in bars.sections:
    print(section)"""),
    ("markdown", "## The model's drums beside the real ones\n\nGenerated from the guitar alone, take 1 and take 2, "
                 "with a fixed seed."),
    ("code", """\
options = GenerationOptions(seed=0, takes=2)
takes = generator.takes_to_grids(song, generator.generate_takes(song, options, seed=0), options, seed=0)
plots.song_figure(song, takes[0], title="take 1")"""),
    ("code", """\
plots.song_figure(song, takes[1], title="take 2")"""),
    ("markdown", "## Evaluation against the real drummers\n\nThe same stage as `python main.py --mode evaluate`."),
    ("code", """\
from seq2drum.evaluation.evaluate import EvaluationSettings, evaluate
from seq2drum.evaluation.report import format_tables, make_figures, verdict

evaluation = evaluate(DATA, CHECKPOINT, REPORT, EvaluationSettings(split=SPLIT, limit=LIMIT, plots_songs=1),
                      CACHE, progress=False)
print(format_tables(evaluation.summary))
print("\\n".join(verdict(evaluation.summary)))
print(f"report in {REPORT}")"""),
    ("code", """\
for figure in make_figures(evaluation).values():
    display(figure)"""),
]


def build() -> nbformat.NotebookNode:
    notebook = new_notebook()
    notebook.cells = [new_markdown_cell(text) if kind == "markdown" else new_code_cell(text) for kind, text in CELLS]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.metadata["language_info"] = {"name": "python"}
    for index, cell in enumerate(notebook.cells):
        cell["id"] = f"cell-{index:02d}"  # stable ids, so rebuilding gives the same file
    return notebook


def main() -> int:
    nbformat.write(build(), NOTEBOOK)
    print(f"wrote {NOTEBOOK}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
