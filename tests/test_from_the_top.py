"""The guitar alone keeps its song's timeline: the drums start at the file's first bar, not where the guitar enters
(generation/prepare.py `plays_from_the_top`), offline, live and through the helper's --simulate alike."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from client.song_bars import read_song
from seq2drum.generation.generator import DrumGenerator
from seq2drum.live.model_drummer import ModelDrummer
from seq2drum.evaluation.playback import play_file
from seq2drum.live.session import played_as
from seq2drum.midi.write import TrackSpec
from seq2drum.model.checkpoint import DEFAULT_CHECKPOINT
from seq2drum.options import GenerationOptions
from tests.builders import PPQ, notes_from_steps, riff, song_bytes, tiny_checkpoint

ENTRY_BAR = 4  # the guitar enters in bar 5


def late_guitar(with_bass: bool = False) -> bytes:
    """8 bars of guitar from bar 5 of a 4/4 file at 120 BPM; with a bass part that enters with it."""
    guitar = notes_from_steps(riff(8), length_steps=2)
    guitar[:, :2] += ENTRY_BAR * 4 * PPQ
    extra = []
    if with_bass:
        bass = notes_from_steps([(step, 33) for step in range(0, 8 * 16, 4)])
        bass[:, :2] += ENTRY_BAR * 4 * PPQ
        extra = [TrackSpec("Bass", 1, bass, 33)]
    return song_bytes(guitar, extra=extra)


def hits_per_bar(hits: np.ndarray) -> list[int]:
    return hits.reshape(-1, 16, hits.shape[-1]).sum(axis=(1, 2)).tolist()


@pytest.fixture(scope="module")
def shipped() -> DrumGenerator:
    return DrumGenerator.from_checkpoint(DEFAULT_CHECKPOINT)


@pytest.mark.parametrize("options", [GenerationOptions(seed=0, guitar_only=True), GenerationOptions(seed=0)])
def test_the_guitar_alone_gets_drums_from_the_first_bar(shipped: DrumGenerator, options: GenerationOptions) -> None:
    """--guitar-only, or a file holding nothing but the guitar: every bar from the file's first plays."""
    result = shipped.generate(late_guitar(), options)
    per_bar = hits_per_bar(result.drums.hits)
    assert result.bars == ENTRY_BAR + 8 and all(n > 0 for n in per_bar[: ENTRY_BAR + 8]), per_bar


def test_a_band_or_a_count_in_starts_the_drums_where_the_music_enters(shipped: DrumGenerator) -> None:
    """With a bass heard, the drums start with the band; with a count-in asked for, the sticks come first."""
    band = shipped.generate(late_guitar(with_bass=True), GenerationOptions(seed=0))
    assert band.bars == 8 and hits_per_bar(band.drums.hits)[:ENTRY_BAR] == [0] * ENTRY_BAR
    counted = shipped.generate(late_guitar(), GenerationOptions(seed=0, guitar_only=True, count_in_bars=1))
    assert counted.bars == 8


def test_live_the_guitar_alone_keeps_time_from_the_first_bar(tmp_path: Path) -> None:
    """Played bar by bar (`--mode evaluate --live`), the stream starts at the file's first bar with the guitar alone
    and the drummer keeps time from its second (the first, having heard nothing, is decided as any song's first
    bar); with a band heard it waits for the band."""
    drummer = ModelDrummer(tiny_checkpoint(tmp_path / "live.pt", causal=True))
    alone = play_file(drummer, late_guitar(), GenerationOptions(seed=0, guitar_only=True), seed=0)
    per_bar = hits_per_bar(alone.drums.hits)
    assert len(per_bar) >= ENTRY_BAR + 8 and all(n > 0 for n in per_bar[1: ENTRY_BAR + 8]), per_bar
    band = play_file(drummer, late_guitar(with_bass=True), GenerationOptions(seed=0), seed=0)
    assert hits_per_bar(band.drums.hits)[:ENTRY_BAR] == [0] * ENTRY_BAR and sum(hits_per_bar(band.drums.hits)) > 0


def test_a_stream_of_guitars_only_is_the_guitar_alone() -> None:
    assert played_as(GenerationOptions(), ["guitar", "guitar"]).guitar_only
    assert not played_as(GenerationOptions(), ["guitar", "bass"]).guitar_only
    assert not played_as(GenerationOptions(), []).guitar_only


def test_the_helper_streams_the_guitar_alone_from_the_files_first_bar(tmp_path: Path) -> None:
    path = tmp_path / "late.mid"
    path.write_bytes(late_guitar())
    assert read_song(path).bars[0].start_tick == ENTRY_BAR * 4 * PPQ
    assert read_song(path, from_start=True).bars[0].start_tick == 0
    assert len(read_song(path, from_start=True).bars) == len(read_song(path).bars) + ENTRY_BAR


def test_time_kept_before_the_guitar_is_not_held_once_it_plays(tmp_path: Path) -> None:
    """The bars kept in time before the guitar came in were decided from nothing: when the guitar's first bar is
    read, the drummer starts afresh (no groove to stay on), where a band's first bar commits the pending decision."""
    from seq2drum.live.api import BarClock, PlayedNote
    from seq2drum.live.features import live_bar

    drummer = ModelDrummer(tiny_checkpoint(tmp_path / "live.pt", causal=True))
    clocks = [BarClock(i, 4, 4, 120.0) for i in range(6)]
    chord = [PlayedNote(0.0, 1.0, 40, 90, "guitar"), PlayedNote(2.0, 1.0, 43, 90, "guitar")]
    read = live_bar(chord, clocks[4], drummer.spec, drummer.steps_per_quarter)[:3]
    for alone in (True, False):
        state = drummer.begin(GenerationOptions(guitar_only=alone), 0)
        for i in range(5):  # bars 1-5: nothing played yet
            hits, state = drummer.next_bar(state, [], clocks[i - 1] if i else None, clocks[i])
            assert bool(hits) or i == 0 or not alone
        pending_groove = state.pending[2]
        after = drummer.read(state, *read)
        assert after.started and after.groove == (-1 if alone else pending_groove)
