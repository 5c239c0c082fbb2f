"""Every command in a ```bash block of README.md and docs/ is either run here or skipped for a reason in SKIPPED
(issue 43), so the docs stay true: a renamed flag, a removed mode or a file name that changed breaks a test.

Commands run in a fresh folder holding songs built in code (`song.mid` and its copies under the names the docs use,
a drum clip, a kit map, the example riff) with the shipped model, or a tiny one where the docs name a run folder.
`python main.py` (and `seq2drum`) run in this process, as the console script does; the DAW helper runs as a
subprocess against a server in a thread; `python -m server` is started for real, waited for, and stopped with
SIGTERM. The summary test prints how many commands ran and how many were skipped.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from seq2drum.midi.io import DRUM_CHANNEL
from seq2drum.midi.write import TrackSpec
from server.config import ServerConfig
from server.testing import ServerThread
from server.workers import ModelSource
from tests.builders import backbeat, notes_from_steps, riff, song_bytes

REPO = Path(__file__).resolve().parents[1]
DOC_FILES = [REPO / "README.md", *sorted((REPO / "docs").rglob("*.md"))]

# (pattern searched in the command, why it is not run here). The first that matches decides; order matters.
SKIPPED: list[tuple[str, str]] = [
    (r"pip install|^python -m venv", "installs packages or makes an environment: CI installs them before the tests"),
    (r"^python -m studies\.", ("a study: it runs over ../shared/data or a cross-validation's outputs, minutes to hours "
                               "(each reproduces a page of docs/experiments; studies/tests tests the scripts)")),
    (r"python -m pytest", ("the test suite itself, of which this test is a part (tests/test_packaging.py checks that"
                          " .ci/run runs it, the slow tests included)")),
    (r"tools/gpu_check\.sh", ("the GPU check: needs a CUDA GPU and trains the default recipe, minutes"
                               " (tests/test_gpu_check.py runs it without a GPU and rehearses it on the CPU)")),
    (r"^torchrun", ("training on several GPUs, processes or machines: minutes to hours (tests/test_distributed.py"
                   " trains a tiny model on 2 CPU processes)")),
    (r"--mode train|tools\.ensemble", ("training on a folder of songs: minutes to hours (tests/test_cli.py and"
                                      " tests/test_ensemble.py train tiny models)")),
    (r"tools\.crossval|studies\.cv_prior", "cross-validation: five trainings on ../shared/data, hours"),
    (r"studies\.part_study", "the drummers' parts of ../shared/data fitted six times, minutes, and --write replaces "
     "the shipped models/parts.npz"),
    (r"runs/oof-parts", ("a study's measurement with a copy of the model beside parts fitted without the songs "
                         "measured (docs/experiments/2026-11-28-your-arrangement.md says how to make it), minutes")),
    (r"tools\.(score_split|kit_figures)|studies\.(crash_figures|group_figures|take_pairs|level_figures|band_tells"
     r"|phrase_kinds|band_changes)"
     r"|^python3? \.\./shared/scoring/",
     "scores cross-validation outputs with ../shared/scoring"),
    (r"\.\./shared/data|studies\.(song_feel|structure_signal|timekeeper_signal|style_check|live_ride)",
     "needs the real songs in ../shared/data and minutes over all of them"),
    (r"^POLICY=", "sets a shell variable for the next command (a cross-validation run)"),
    (r"models\.export_default", "rewrites a checkpoint: the shipped model, or a training run's best.pt"),
    (r"bench\.", "a benchmark: prints figures over many songs, minutes"),
    (r"^grpcurl", ("grpcurl is a separate tool, not a Python requirement (tests/test_server.py calls the same"
                  " methods and the health check over a real channel)")),
    (r"studio-pc|10\.0\.0\.|studio\.lan", "names machines on a studio network"),
    (r"daw_helper.*--live", "needs MIDI ports (python-rtmidi) and a DAW playing"),
    (r"daw_helper.*--simulate", ("plays a song to the live model in scaled real time, seconds per bar"
                                " (tests/test_live_play.py runs --simulate)")),
    (r"daw_helper.*--watch", "watches a folder until Ctrl-C (tests/test_client.py runs the watcher)"),
    (r"seq2drum\.training\.(placement|touch)", ("refits a shipped table of the training drummers over a folder of "
                                              "songs (tests/test_touch.py and tests/test_placement.py fit them on "
                                              "songs built in code)")),
    (r"--parts .*B#2=", ("names the sections of a song with more than one (the docs' song has one: A); "
                         "tests/test_arrangement.py plays every kind of key on a song built with two")),
]
RUNNABLE = re.compile(r"^(python main\.py|seq2drum |python -m client\.daw_helper|python -m server"
                      r"|python -m seq2drum\.studio|openssl |python -c )")
KIT_MAP = {"kick": 36, "snare": 40, "closed_hat": 22, "open_hat": 26}  # the example of docs/controls.md
SONG_NAMES = ("song.mid", "My song.mid", "Verse riff.mid", "arrangement.mid", "favourite.mid")
RUN_FOLDERS = ("runs/mine", "runs/ens", "runs/X")  # run folders the docs name, given a tiny model here
SERVING = ("python -m server", "python -m seq2drum.studio")  # started, waited for and stopped with SIGTERM


@dataclass(frozen=True)
class Command:
    file: str
    line: int
    text: str

    @property
    def id(self) -> str:
        return f"{self.file}:{self.line}"


def documented_commands() -> list[Command]:
    """Each command of each ```bash block (comment lines left out, backslash continuations joined)."""
    commands = []
    for path in DOC_FILES:
        lines = path.read_text().split("\n")
        in_block, current, start = False, "", 0
        for number, raw in enumerate(lines, 1):
            line = raw.strip()
            if line.startswith("```"):
                in_block = line == "```bash" if not in_block else False
                continue
            if not in_block or not line or (not current and line.startswith("#")):
                continue
            current, start = (f"{current} {line}", start) if current else (line, number)
            if current.endswith("\\"):
                current = current[:-1].rstrip()
                continue
            commands.append(Command(path.relative_to(REPO).as_posix(), start, current))
            current = ""
    return commands


def skip_reason(text: str) -> str | None:
    return next((reason for pattern, reason in SKIPPED if re.search(pattern, text)), None)


COMMANDS = documented_commands()


def test_every_command_is_run_or_skipped_for_a_reason() -> None:
    """Fails when the docs gain a command this test can neither run nor give a reason for: add a runner or a row."""
    unknown = [c.id + " " + c.text for c in COMMANDS if skip_reason(c.text) is None and not RUNNABLE.match(c.text)]
    assert not unknown, "\n".join(unknown)
    assert len(COMMANDS) > 50  # the extraction found the docs' blocks


def test_every_skip_reason_is_used() -> None:
    """A row of SKIPPED that matches no command is stale: remove it, so the table says what is really skipped."""
    unused = [pattern for pattern, _ in SKIPPED if not any(re.search(pattern, c.text) for c in COMMANDS)]
    assert not unused, unused


def test_the_counts_of_commands_run_and_skipped(record_property: pytest.RecordProperty) -> None:
    """Prints (with -s, and into the JUnit report) how many documented commands this file runs and skips."""
    skipped = [c for c in COMMANDS if skip_reason(c.text) is not None]
    run = len(COMMANDS) - len(skipped)
    record_property("docs_commands_run", run)
    record_property("docs_commands_skipped", len(skipped))
    print(f"\ndocs commands: {len(COMMANDS)} in all, {run} run, {len(skipped)} skipped")
    for command in skipped:
        print(f"  skipped {command.id}: {command.text[:70]} -- {skip_reason(command.text)}")
    assert run >= 40


def heading_anchors(path: Path) -> set[str]:
    """The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces as hyphens."""
    anchors, fenced = set(), False
    for line in path.read_text().split("\n"):
        fenced = not fenced if line.startswith("```") else fenced
        heading = re.match(r"^#{1,6} (.*)", line)
        if heading and not fenced:
            anchors.add(re.sub(r"[^\w\- ]", "", heading.group(1).strip().lower()).replace(" ", "-"))
    return anchors


def test_every_relative_link_resolves() -> None:
    """A page moved or a heading renamed leaves links pointing nowhere: every relative link of README.md, docs/ and
    the model cards names an existing file, and an existing heading when it has an anchor."""
    broken = []
    for page in [*DOC_FILES, REPO / "models" / "README.md"]:
        for target in re.findall(r"\]\(([^)\s]+)\)", page.read_text()):
            if re.match(r"[a-z]+:", target):
                continue
            path, _, anchor = target.partition("#")
            destination = (page.parent / path).resolve() if path else page
            if not destination.exists() or (anchor and destination.suffix == ".md"
                                             and anchor not in heading_anchors(destination)):
                broken.append(f"{page.relative_to(REPO)}: {target}")
    assert not broken, "\n".join(broken)


def drum_clip_bytes() -> bytes:
    return song_bytes(None, notes_from_steps(backbeat(2)))


def band_song_bytes() -> bytes:
    """Six melodic parts and drums, entering at bar 3 (room for a 2-bar count-in), 12 bars of 4/4 at 120 BPM; the
    drums play the first two bars of the band (for --keep-drums)."""
    offset = 2 * 16
    guitar = notes_from_steps([(s + offset, p) for s, p in riff(10)], length_steps=2)
    bass = notes_from_steps([(offset + bar * 16 + step, 40 + (0, 5, 7, 3)[bar % 4] - 12)
                             for bar in range(10) for step in (0, 6, 8, 14)], length_steps=2)
    chords = notes_from_steps([(offset + bar * 16 + step, pitch) for bar in range(10) for step in (0, 8)
                               for pitch in (52, 55, 59)], length_steps=8)
    lead = notes_from_steps([(offset + bar * 16 + step, 64 + step % 5) for bar in range(10) for step in (0, 4, 10)],
                            length_steps=2)
    drums = notes_from_steps([(s + offset, p, v) for s, p, v in backbeat(2)])
    extra = [TrackSpec("Bass", 1, bass, 33), TrackSpec("Rhythm guitar", 2, chords, 25),
             TrackSpec("Keys", 3, chords, 0), TrackSpec("Lead", 4, lead, 29), TrackSpec("Lead 2", 5, lead, 29),
             TrackSpec("Drums", DRUM_CHANNEL, drums)]
    return song_bytes(guitar, None, extra=extra)


@pytest.fixture(scope="module")
def song_files(tiny_model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    files = {name: band_song_bytes() for name in SONG_NAMES}
    files["loop.mid"] = drum_clip_bytes()
    files["my_kit.json"] = json.dumps(KIT_MAP).encode()
    files["examples/riff.mid"] = (REPO / "examples" / "riff.mid").read_bytes()
    for folder in RUN_FOLDERS:
        files[f"{folder}/best.pt"] = tiny_model_path.read_bytes()
    return files


@pytest.fixture()
def folder(song_files: dict[str, bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh folder with the docs' files in it, as the working directory and home (for ~/Desktop)."""
    for name, data in song_files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(data)
    (tmp_path / "Desktop").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    return tmp_path


@pytest.fixture(scope="module")
def server_address(tiny_model_path: Path) -> Iterator[str]:
    with ServerThread("127.0.0.1:0", ModelSource(tiny_model_path), ServerConfig(workers=1)) as server:
        yield f"127.0.0.1:{server.port}"


def shell_words(text: str, home: Path) -> list[str]:
    """The words a POSIX shell passes the program (comments dropped, ~ expanded), without the program itself."""
    words = shlex.split(text, comments=True)
    return [str(home) + word[1:] if word.startswith("~/") else word for word in words]


def run_main(words: list[str]) -> int:
    from seq2drum.cli import main as cli

    try:
        return cli.main(words)
    except SystemExit as exit_:  # argparse's errors
        return int(exit_.code or 0)


def run_helper(words: list[str], folder: Path, address: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SEQ2DRUM_SERVER": address, "PYTHONPATH": str(REPO), "HOME": str(folder)}
    return subprocess.run([sys.executable, *words], cwd=folder, env=env, capture_output=True, text=True,
                          timeout=120, check=False)


def run_server(words: list[str], folder: Path, ready: str = "listening on") -> tuple[int, str]:
    """Start the server (or the studio) as documented (on port 0 where no port is given, so it cannot collide), wait
    for its `ready` line, stop it with SIGTERM: it must exit 0."""
    if "--port" not in words:
        words = [*words, "--port", "0"]
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen([sys.executable, *words], cwd=folder, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline() if process.stdout else ""
        assert ready in line, (line, process.stderr.read() if process.stderr else "")
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=60)
        return process.returncode, err
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def with_marks(command: Command) -> object:
    """`python -m server` and `python -m seq2drum.studio` start the real server or studio (workers, the model):
    several seconds, so marked slow."""
    slow = command.text.startswith(SERVING) and skip_reason(command.text) is None
    return pytest.param(command, id=command.id, marks=[pytest.mark.slow] if slow else [])


@pytest.mark.parametrize("command", [with_marks(c) for c in COMMANDS])
def test_documented_command(command: Command, request: pytest.FixtureRequest) -> None:
    reason = skip_reason(command.text)
    if reason is not None:
        pytest.skip(reason)
    folder: Path = request.getfixturevalue("folder")
    words = shell_words(command.text, folder)
    if command.text.startswith(("openssl", "python -c")):  # making a certificate or a token: run by the shell
        if words[0] == "openssl" and shutil.which("openssl") is None:
            pytest.skip("openssl is not installed")
        done = subprocess.run(command.text, shell=True, cwd=folder, capture_output=True, text=True, timeout=60,
                              check=False)
        assert done.returncode == 0, done.stderr[-2000:]
        assert any(path.suffix in (".pem", ".txt") for path in folder.iterdir())
        return
    if "--tls-cert" in words:
        make_certificate_and_token(folder)
    if command.text.startswith(SERVING):
        code, err = run_server(words[1:], folder, "listening on" if "server" in words[2] else "seq2drum studio: http")
        assert code == 0, err[-2000:]
    elif command.text.startswith("python -m client.daw_helper"):
        done = run_helper(words[1:], folder, request.getfixturevalue("server_address"))
        assert done.returncode == 0, done.stderr[-2000:]
    else:
        if "--audio" in words and not audio_extra_installed():
            pytest.skip("the audio extra is not installed (python -m pip install --no-deps -r "
                        "requirements-audio.txt)")
        args = words[2:] if words[0] == "python" else words[1:]  # python main.py ... | seq2drum ...
        assert run_main(args) == 0
    written = [path for path in folder.rglob("*") if path.is_file() and "drums" in path.name]
    assert written or "--mode styles" in command.text or "--mode arrange" in command.text or "--arrange" in words \
        or command.text.startswith(SERVING)


def make_certificate_and_token(folder: Path) -> None:
    """server.pem, server.key and token.txt as docs/server.md makes them (skipped where openssl is missing)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed: no certificate to start the server with TLS")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out",
                    "server.pem", "-days", "1", "-subj", "/CN=localhost"], cwd=folder, check=True, capture_output=True)
    (folder / "token.txt").write_text("s3cret\n")


def audio_extra_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("tinysoundfont") is not None
