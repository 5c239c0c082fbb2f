"""The decision's settings (groove.policy `DecodingPolicy`): few enough to read and tune (issue 40)."""

from __future__ import annotations

import dataclasses

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
