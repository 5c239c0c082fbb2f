"""Checkpoints: round trip with identical logits, atomic writes, and errors that say what to do."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

import numpy as np
import pytest
import torch

from seq2drum.model.checkpoint import load_checkpoint, model_from_checkpoint, save_checkpoint
from seq2drum.errors import CheckpointError
from tests.builders import tiny_checkpoint
from tests.lstm_spy import lstm_events, unflattened_after


def test_reload_gives_the_same_outputs(tmp_path: Path) -> None:
    """A saved model rebuilt from its checkpoint computes exactly the same outputs, with the same codebook."""
    path = tiny_checkpoint(tmp_path / "m.pt", attention=True)
    a = model_from_checkpoint(load_checkpoint(path))
    save_checkpoint(tmp_path / "copy.pt", {k: v for k, v in load_checkpoint(path).items() if k != "format_version"})
    b = model_from_checkpoint(load_checkpoint(tmp_path / "copy.pt"))
    generator = torch.Generator().manual_seed(0)
    n_bars, width = 5, a.spec.max_bar_steps
    inputs = (torch.randn(1, n_bars, width, a.spec.n_step, generator=generator),
              torch.randn(1, n_bars, a.spec.n_bar, generator=generator),
              torch.full((1, n_bars), 16), torch.tensor([n_bars]))
    with torch.no_grad():
        out_a, out_b = a.model(*inputs), b.model(*inputs)
    for name in ("hit_logits", "groove_logits", "structure_logits", "velocity", "offset"):
        assert torch.equal(getattr(out_a, name), getattr(out_b, name))
    np.testing.assert_array_equal(a.codebook.patterns, b.codebook.patterns)
    assert a.data_config == b.data_config and a.spec == b.spec and a.policy == b.policy


def test_a_loaded_model_has_its_lstms_flattened_after_the_load_and_the_move(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """model_from_checkpoint packs each LSTM's weights after loading them and moving them to the device (else a GPU
    run warns "not part of single contiguous chunk of memory" and compacts them at every call)."""
    payload = load_checkpoint(tiny_checkpoint(tmp_path / "m.pt", attention=True))
    with lstm_events(monkeypatch) as events:
        loaded = model_from_checkpoint(payload, "cpu")
    assert unflattened_after(events, loaded.model, "load") == []
    assert unflattened_after(events, loaded.model, "move") == []


def test_checkpoint_with_another_feature_spec_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    """A model trained on other input columns would read features in the wrong places: it is refused, saying so."""
    path = tiny_checkpoint(tmp_path / "m.pt")
    payload = load_checkpoint(path)
    spec = dict(payload["feature_spec"])
    spec["bar_columns"] = [c for c in spec["bar_columns"] if c != "novelty"] + ["loudness_curve"]
    save_checkpoint(path, {**{k: v for k, v in payload.items() if k != "format_version"}, "feature_spec": spec})
    with pytest.raises(CheckpointError, match=r"feature columns this seq2drum does not make.*loudness_curve.*retrain"):
        load_checkpoint(path)
    spec = {**payload["feature_spec"], "version": 0}
    save_checkpoint(path, {**{k: v for k, v in payload.items() if k != "format_version"}, "feature_spec": spec})
    with pytest.raises(CheckpointError, match="feature version 0"):
        load_checkpoint(path)


def test_failed_write_keeps_the_old_checkpoint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A crash while saving must leave the previous checkpoint intact and no temporary file behind."""
    path = tiny_checkpoint(tmp_path / "m.pt")
    before = path.read_bytes()

    def crash(obj: object, f: BinaryIO) -> None:
        f.write(b"half a checkpoint")
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", crash)
    with pytest.raises(OSError):
        save_checkpoint(path, {"model": {}})
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.pt"]


def test_missing_checkpoint_says_how_to_get_one(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="--checkpoint"):
        load_checkpoint(tmp_path / "nope.pt")


@pytest.mark.parametrize("content", [b"", b"not a zip at all", b"PK\x03\x04broken"],
                         ids=["empty", "text", "broken-zip"])
def test_corrupt_checkpoint_is_a_checkpoint_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.pt"
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match="corrupt"):
        load_checkpoint(path)


class _Payload:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (print, ("code ran while loading",))


def test_pickled_code_is_never_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Checkpoints load with weights_only=True: an object that would run code on unpickling is refused."""
    path = tmp_path / "evil.pt"
    torch.save({"model": _Payload()}, path)
    with pytest.raises(CheckpointError):
        load_checkpoint(path)
    assert "code ran" not in capsys.readouterr().out


def test_other_format_version_is_refused(tmp_path: Path) -> None:
    path = tiny_checkpoint(tmp_path / "m.pt")
    payload = load_checkpoint(path)
    torch.save({**payload, "format_version": 99}, path)
    with pytest.raises(CheckpointError, match="format 99"):
        load_checkpoint(path)


def test_exported_model_generates_like_the_original(tmp_path: Path) -> None:
    """The shipped-model export keeps only inference keys, halves the weights, and still generates the same drums
    (float16 weights upcast on load; a rounding difference may not change the chosen drums on a short song)."""
    from seq2drum.model.checkpoint import export_checkpoint
    from seq2drum.options import GenerationOptions
    from seq2drum.generation.generator import DrumGenerator
    from tests.builders import rock_song_bytes

    source = tiny_checkpoint(tmp_path / "m.pt")
    exported = export_checkpoint(source, tmp_path / "default.pt", "exported")
    payload = load_checkpoint(exported)
    assert payload["name"] == "exported" and "optimizer" not in payload
    assert all(t.dtype == torch.float16 for t in payload["model"].values() if t.is_floating_point())
    song = rock_song_bytes(4)
    a = DrumGenerator.from_checkpoint(source).generate(song, GenerationOptions(seed=3))
    b = DrumGenerator.from_checkpoint(exported).generate(song, GenerationOptions(seed=3))
    assert b.model_name == "exported"
    assert np.mean(a.drums.hits == b.drums.hits) > 0.95


def test_a_bit_flipped_checkpoint_is_refused_naming_the_damaged_part(tmp_path: Path) -> None:
    """Issue 22, 12: a checkpoint with one bit flipped in its weights (the zip CRC failing) loaded silently, only its
    version hash changed. Every part's checksum is now verified first."""
    import zipfile

    path = tiny_checkpoint(tmp_path / "tiny.pt")
    assert load_checkpoint(path)
    with zipfile.ZipFile(path) as archive:
        member = max(archive.infolist(), key=lambda info: info.file_size)  # the largest tensor's bytes
    data = bytearray(path.read_bytes())
    # the local header is 30 bytes plus the name and extra field; the stored bytes follow
    name_length, extra_length = int.from_bytes(data[member.header_offset + 26 : member.header_offset + 28], "little"), \
        int.from_bytes(data[member.header_offset + 28 : member.header_offset + 30], "little")
    start = member.header_offset + 30 + name_length + extra_length
    data[start + member.file_size // 2] ^= 0x10
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match=f"corrupt: its part '{member.filename}' does not match its checksum"):
        load_checkpoint(path)


def test_an_old_decoding_policy_is_upgraded_its_rule_constants_dropped() -> None:
    """Checkpoints stored before decoding versions held the rules' constants (the continuation's bonuses, the kick's
    bass floor, margin and grid) as settings, and before version 3 two settings that are rules now (kept bars' minimum
    share, kicks following the bass): read, the constants are dropped where they hold the rules' values and the two
    whatever they hold (the rule decides), a setting the checkpoint predates keeps its old behaviour, and a differing
    constant or a newer version is refused."""
    from seq2drum.groove.policy import DecodingPolicy
    from seq2drum.model.checkpoint import (
        DECODING_VERSION,
        RULE_CONSTANTS,
        RULES_SINCE_3,
        stored_policy,
        upgrade_decoding,
    )

    current = DecodingPolicy().to_dict()
    assert not set(RULES_SINCE_3) & set(current)
    old = current | RULE_CONSTANTS | RULES_SINCE_3 | {"crash_threshold": 1.0}  # as models/default.pt stores it
    assert upgrade_decoding(old, None) == current
    assert upgrade_decoding(current | RULES_SINCE_3, 2) == current
    assert upgrade_decoding(current, DECODING_VERSION) == current
    # live.pt's kept bars always continued (a policy tuned before the share); the rule's share holds now, no refusal
    live = old | {"continue_min_share": 0.0}
    assert stored_policy({"decoding": live}) == stored_policy({"decoding": current, "decoding_version": 3})
    before_bass = {k: v for k, v in old.items() if k != "bass_kick"}  # tuned before kicks followed the bass
    assert DecodingPolicy.from_dict(upgrade_decoding(before_bass, None)) == DecodingPolicy()
    assert stored_policy({}) == DecodingPolicy()
    with pytest.raises(CheckpointError, match="bass_kick_floor 0.5"):
        upgrade_decoding(old | {"bass_kick_floor": 0.5}, None)
    assert "bass_kick_floor" not in upgrade_decoding(old | {"bass_kick": 0, "bass_kick_floor": 0.5}, 1)  # off: unread
    with pytest.raises(CheckpointError, match="version"):
        upgrade_decoding(current, DECODING_VERSION + 1)


@pytest.mark.parametrize("name", ["default.pt", "live.pt"])
def test_the_shipped_models_decoding_loads(name: str) -> None:
    """models/default.pt and models/live.pt (as shipped today) store version-1 decoding dicts (no decoding_version)
    with settings that are rules or gone now (continue_min_share, bass_kick, crash_threshold, the rules' constants):
    they load, every stored setting that is still a field kept."""
    from seq2drum.groove.policy import DecodingPolicy
    from seq2drum.model.checkpoint import DEFAULT_CHECKPOINT, stored_policy

    path = DEFAULT_CHECKPOINT.parent / name
    if not path.is_file():
        pytest.skip(f"{path} is not in the checkout")
    payload = load_checkpoint(path)
    policy = stored_policy(payload)
    assert isinstance(policy, DecodingPolicy)
    stored = payload["decoding"]
    kept = {k: v for k, v in policy.to_dict().items() if k in stored and k != "step_bias"}
    assert kept == {k: (list(stored[k]) if isinstance(stored[k], (list, tuple)) else stored[k]) for k in kept}


class NotAWeight:
    """A Python object pickled into a checkpoint: torch's weights-only load refuses it."""


def test_a_checkpoint_holding_objects_says_so_without_torchs_advice(tmp_path: Path) -> None:
    """Issue 89 (low): the message carried the first line of torch's advice, cut at "Re-running `torch." with its
    terminal escapes; it now says what the file holds and what to do, and never advises loading it unsafely."""
    path = tmp_path / "objects.pt"
    torch.save({"model": {}, "extra": NotAWeight()}, path)
    with pytest.raises(CheckpointError) as caught:
        load_checkpoint(path)
    message = str(caught.value)
    assert str(path) in message and "Python objects" in message and "NotAWeight" in message, message
    assert "\x1b" not in message and "torch." not in message and "train again or use another" in message
