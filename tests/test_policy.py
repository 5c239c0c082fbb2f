"""The decision's settings (groove.policy `DecodingPolicy`): few enough to read and tune (issue 40)."""

from __future__ import annotations

import dataclasses

import pytest

from seq2drum.errors import ConfigError
from seq2drum.groove.policy import DecodingPolicy

MAX_POLICY_FIELDS = 15  # issue 40; the frozen Calibration counts as one


def test_the_decoding_policy_holds_at_most_15_settings() -> None:
    """A rule constant that no tuner sets belongs to its rule's module (groove.rules, groove.continuation), not to
    the policy every checkpoint stores: a new setting past 15 fails here, and should replace one or become a rule."""
    names = [field.name for field in dataclasses.fields(DecodingPolicy)]
    assert len(names) <= MAX_POLICY_FIELDS, names


def test_settings_that_became_rules_are_not_fields() -> None:
    """continue_min_share (groove.continuation PREFERRED_MIN_SHARE) and bass_kick (kicks always follow the bass) are
    rules since decoding version 3: a policy dict holding them is read through model.checkpoint's upgrade_decoding."""
    names = {field.name for field in dataclasses.fields(DecodingPolicy)}
    assert not names & {"continue_min_share", "bass_kick", "crash_threshold"}
    assert "continue_min_share" not in DecodingPolicy().to_dict()


@pytest.mark.parametrize("changes, named", [
    ({"rest_threshold": 1.5}, "rest_threshold must be a probability"),
    ({"fill_edge_threshold": -0.1}, "fill_edge_threshold must be a probability"),
    ({"crash_edge_threshold": float("nan")}, "crash_edge_threshold must be a probability"),
    ({"stay_bonus": -1.0}, "stay_bonus must be >= 0"),
    ({"refine_margin": "0.2"}, "refine_margin must be 0-1"),
    ({"lambda_scale": 0.0}, "lambda_scale must be 0.01-1000"),
    ({"min_groove_bars": 2.5}, "min_groove_bars must be a whole number"),
    ({"own_drums_passes": True}, "own_drums_passes must be a whole number"),
    ({"crash_phrase_bars": -8}, "crash_phrase_bars must be a whole number"),
], ids=lambda value: str(value) if isinstance(value, dict) else "")
def test_a_bad_setting_is_refused_with_its_name_and_range(changes: dict, named: str) -> None:
    """A policy no decision could use (from a hand-edited checkpoint or `--policy NAME=VALUE`) fails where it is made,
    with the field, its value and what it may be; not as a silent drum machine or a traceback deep in a rule."""
    with pytest.raises(ConfigError, match=named):
        DecodingPolicy(**changes)


@pytest.mark.parametrize("name, values", [("hit_scale", (1.0,) * 8), ("structure_bias", (0.0, float("inf"), 0.0)),
                                          ("kick_bass_bias", (0.1,))])
def test_a_bad_calibration_is_refused(name: str, values: tuple) -> None:
    with pytest.raises(ConfigError, match=f"calibration {name} must be"):
        DecodingPolicy().recalibrated(**{name: values})


def test_a_step_bias_row_must_hold_its_bar() -> None:
    row = (4.0, 4.0, *[0.0] * 35)  # a 4-step bar needs 36 biases
    with pytest.raises(ConfigError, match="step_bias rows"):
        DecodingPolicy().recalibrated(step_bias=(row,))
    DecodingPolicy().recalibrated(step_bias=((4.0, 4.0, *[0.0] * 36),))


def test_the_shipped_policies_and_the_defaults_are_valid() -> None:
    from seq2drum.generation.generator import DrumGenerator
    from seq2drum.live.model_drummer import ModelDrummer

    assert DecodingPolicy().to_dict() == DecodingPolicy.from_dict(DecodingPolicy().to_dict()).to_dict()
    for policy in (DrumGenerator.from_checkpoint().decoder.policy, ModelDrummer().policy):
        assert DecodingPolicy.from_dict(policy.to_dict()) == policy
