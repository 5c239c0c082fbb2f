"""A genre group in `--mode evaluate` (`--group jazz=../shared/data/jazz`): a folder of songs reported on its own,
beside the main one, with a genre's own pattern among its baselines.

A group's songs are played from the input asked for; from the whole arrangement, songs without a guitar (a trio, a
big band) are kept, heard through the band. Songs the model trained on (a checkpoint trained with `--extra-data` on
that folder records which) are left out, so a group's figures are songs the model never heard. Every group is also
judged against the jazz ride pattern (`GROUP_BASELINE`): the share of songs where take 1 beats it is in its table.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from seq2drum.errors import ConfigError, echoed

GROUP_BASELINE = "jazz_ride"  # the pattern a genre group's model is held against, beside the loop
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")


def parse_group(text: str) -> tuple[str, Path]:
    """'NAME=DIR' as (name, folder); ConfigError naming the fix when it is not that, or the folder is missing."""
    name, sep, folder = text.partition("=")
    if not sep or not NAME.match(name.strip()) or not folder.strip():
        raise ConfigError(f"--group {echoed(text)} is not NAME=DIR; write it as --group jazz=../shared/data/jazz (a "
                          "name of letters, digits, - or _, then the folder of its songs)")
    path = Path(folder.strip()).expanduser()
    if not path.is_dir():
        raise ConfigError(f"--group {name.strip()}: folder {path} does not exist; give the folder of the group's .mid "
                          "files")
    return name.strip(), path


def trained_songs(checkpoint: str | Path | None, live: bool = False) -> set[str]:
    """The content hashes of the --extra-data songs a checkpoint trained on (empty for one trained without); None
    is the shipped model (`live`: the shipped live model, models/live.pt)."""
    from seq2drum.model.checkpoint import load_checkpoint
    from seq2drum.shipped import DEFAULT_CHECKPOINT

    shipped = DEFAULT_CHECKPOINT.parent / "live.pt" if live else DEFAULT_CHECKPOINT
    payload = load_checkpoint(checkpoint or shipped, map_location="cpu")
    extra = payload.get("training_data", {}).get("extra_data") or {}
    return set(extra.get("train_sha256", ()))


def group_settings(settings: Any, name: str, checkpoint: str | Path | None) -> Any:
    """The evaluation settings of a group: every song of its folder but those the model trained on, songs without a
    guitar kept from the whole arrangement, no piano rolls."""
    trained = trained_songs(checkpoint, settings.live)
    return replace(settings, split="all", plots_songs=0, gallery=0, group=name,
                   without_guitar=settings.input_kind == "band", exclude=tuple(sorted(trained)))


def group_summary(scores: list[Any], settings: Any, corpus_songs: list[Any]) -> dict[str, Any]:
    """What a group's summary adds: its name and the songs left out as trained on, and take 1 against the jazz ride
    pattern song by song (`against_jazz_ride`, a column of the loop's table)."""
    from seq2drum.evaluation.summary import against_baseline

    trained_on = sum(song.sha256 in settings.exclude for song in corpus_songs)
    return {"group": {"name": settings.group, "trained_on": trained_on},
            f"against_{GROUP_BASELINE}": against_baseline(scores, GROUP_BASELINE)}


def group_line(summary: dict[str, Any]) -> str:
    """What a group's table is headed with: its name, folder, songs scored and songs left out as trained on."""
    group, data = summary["group"], summary["data"]
    left = f", {group['trained_on']} left out as trained on" if group["trained_on"] else ""
    return f"group {group['name']}: {data['evaluated_songs']} songs of {data['data_dir']}{left}"
