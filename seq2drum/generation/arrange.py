"""`--mode arrange`: a song's sections as a run counts them, the drummer's parts each can play ranked by how well they
fit there (parts.arrangement), and, for a song with drums, the part its own drummer plays in each: the `--parts`
value that plays his arrangement, to copy onto another song or to start from.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any


from seq2drum.arrangement_text import section_lines
from seq2drum.errors import ConfigError
from seq2drum.generation.prepare import prepare
from seq2drum.groove import Heard, calibrated, song_span, take_plans
from seq2drum.midi.io import MidiSong, merged_notes, read_midi
from seq2drum.options import GenerationOptions
from seq2drum.parts.arrangement import Arrangement, RankedPart
from seq2drum.parts.labels import song_labels
from seq2drum.song.drum_part import drums_to_grid, per_bar


@dataclass
class SongArrangement:
    """The sections (parts.arrangement `Arrangement`), the part the song's own drummer plays in each occurrence
    (`drummer[key]`, a `RankedPart` with its rank there; no key where none of his phrases there is in the section's
    meter family; `drummer` None where his drums were not asked for), and the part a plain run plays (`plain`)."""

    arrangement: Arrangement
    drummer: dict[str, RankedPart] | None = None
    # the part take 1 of a run without --parts plays in each section (its plan's commonest part there; issue 99: the
    # plan binds every take, so what it plans is what plays); none where that run plays no plan (the guitar alone)
    plain: dict[str, RankedPart] = field(default_factory=dict)
    heard: str = ""  # what the drums heard of the band: "heard: jazz, swung, 12-bar blues" (seq2drum.band)

    def parts_value(self) -> str:
        """The `--parts` value that plays the drummer's arrangement: a label whose every occurrence he plays one part
        in named once (`A=...`), else each occurrence (`B#2=...`); a part by name where the name is one part's in
        its meter, else by id. In the order the song first plays each."""
        mine = self.drummer or {}
        entries: dict[str, str] = {}
        for section in self.arrangement.sections:
            if section.key not in mine:
                continue
            part = mine[section.key]
            same = all(s.key in mine and mine[s.key].id == part.id
                       for s in self.arrangement.sections if s.label == section.label)
            key = section.label if same else section.key
            entries.setdefault(key, f"{key}={part.name if _unique(self.arrangement, section.key, part) else part.id}")
        return "; ".join(entries.values())

    def to_json(self) -> str:
        """--json: without the drummer, the sections with their ranked parts; with him, `{key: part name}`."""
        if self.drummer is not None:
            return json.dumps({key: part.name for key, part in self.drummer.items()}, indent=1, allow_nan=False)
        return json.dumps([{"key": s.key, "first_bar": s.first_bar, "bars": s.n_bars, "meter_family": s.family,
                            "parts": [{"name": r.name, "id": r.id, "score": round(r.score, 4)}
                                      for r in self.arrangement.ranking[s.key]],
                            "plays": ({"name": self.plain[s.key].name, "id": self.plain[s.key].id}
                                      if s.key in self.plain else None)}
                           for s in self.arrangement.sections], indent=1, allow_nan=False)  # JSON has no NaN


def _unique(arrangement: Arrangement, key: str, part: RankedPart) -> bool:
    """Whether `part`'s name names one part among those of the section `key` can play."""
    return sum(r.name == part.name for r in arrangement.ranking[key]) == 1


def song_arrangement(generator: Any, midi: bytes | MidiSong, options: GenerationOptions,
                     drummer: bool = False) -> SongArrangement:
    """The arrangement of a song as `generator` (a DrumGenerator: typed Any, as the generator calls this module for
    --parts-from) plans it with `options` (the listened parts), and with `drummer` the song's own drummer's part in
    each section (ConfigError for a song without drums)."""
    planner = generator.planner
    if planner is None:
        raise ConfigError("this model has no parts file beside it (parts.npz), so it has no parts to arrange; use "
                          "the shipped model or one trained with --mode train")
    options = dataclasses.replace(options, keep_drums=False, count_in_bars=0, parts=None)
    prepared = prepare(midi, options, generator.data_config, generator.spec)
    scores = generator.scorer(prepared.bars)(0, prepared.bars.n_bars, None)
    p, _ = calibrated(scores, generator.decoder.policy)
    arrangement = planner.arrangement(prepared.bars, p)
    plain = plain_parts(generator, arrangement, Heard(scores, p, song_span(scores), [], song=prepared.bars), options)
    heard = prepared.heard.line() if prepared.heard else ""
    if not drummer:
        return SongArrangement(arrangement, plain=plain, heard=heard)
    song = midi if isinstance(midi, MidiSong) else read_midi(midi, only_guitar=False)
    notes = merged_notes(song.drum_parts)
    if not len(notes):
        raise ConfigError("--drummer reads the song's own drums (channel 10), and this song has none; name a song "
                          "with drums, or leave out --drummer to list the parts each section can play")
    bars, encoded = prepared.bars, prepared.encoded
    grid = drums_to_grid(notes, encoded.grid)
    rows = encoded.grid.bars[bars.first_bar: bars.first_bar + bars.n_bars]
    width = bars.step_features.shape[1]
    with_drums = dataclasses.replace(bars, hits=per_bar(grid.hits, rows, width).astype(bool),
                                     offset=per_bar(grid.offset, rows, width))
    _, labels = song_labels(with_drums, list(arrangement.phrases))
    played = [planner.vocabulary.assign(label) for label in labels]
    return SongArrangement(arrangement, commonest_parts(planner, arrangement, played), plain, heard)


def plain_parts(generator: Any, arrangement: Arrangement, heard: Heard,
                options: GenerationOptions) -> dict[str, RankedPart]:
    """The part take 1 of a run without --parts plays in each section: its plan's (the likeliest, as
    groove.build_request makes it) commonest part there, on a tie the one it plays first (what a musician hears as
    the section's part: a full part preferred, 3 sections of 210 marked the part of their second phrase); {} where
    that run plays none."""
    plan = take_plans(dataclasses.replace(options, takes=1), heard, generator.deciders(), 0)[0]
    if not plan.played:
        return {}
    return commonest_parts(generator.planner, arrangement, plan.parts.tolist(), first_on_tie=True)


def commonest_parts(planner: Any, arrangement: Arrangement, parts: list[int],
                    first_on_tie: bool = False) -> dict[str, RankedPart]:
    """Each section's commonest part of `parts` (P,) among those of its meter, else of any meter (a plan may thin a
    phrase to another family's sparse part where its own has none: a waltz's "sparse / intro"), ranked where the
    section lists it; none where its phrases play no part. On a tie, a full part (the one the drummer keeps), or with
    `first_on_tie` the one its phrases play first."""
    out = {}
    for section in arrangement.sections:
        fits = {k for k, part in enumerate(planner.vocabulary.parts) if part.family == section.family}
        played = [parts[j] for j in section.phrases if parts[j] >= 0]
        commonest = Counter(k for k in played if k in fits).most_common() or Counter(played).most_common()
        if not commonest:
            continue
        best = commonest[0][0] if first_on_tie else max(
            commonest, key=lambda kc: (kc[1], planner.full[kc[0]], -kc[0]))[0]
        rank = next((r for r in arrangement.ranking[section.key] if r.id == best), None)
        out[section.key] = rank or RankedPart(best, planner.vocabulary.parts[best].name, float("-inf"))
    return out


def described(result: SongArrangement, shown: int) -> list[str]:
    """The arrangement in lines a musician reads: each section, its `shown` best parts with their ids, the part a run
    without --parts plays there, the drummer's part where asked, and the `--parts` line."""
    lines = []
    for section in result.arrangement.sections:
        ranking = result.arrangement.ranking[section.key]
        mine = None if result.drummer is None else result.drummer.get(section.key)
        plays = result.plain.get(section.key)
        lines += section_lines(section.key, section.first_bar, section.n_bars, section.family,
                               [(r.name, r.id) for r in ranking], None if mine is None else (mine.name, mine.id), shown,
                               None if plays is None else (plays.name, plays.id))
        if result.drummer is not None and mine is None:
            lines.append(f"       the drummer plays: no {section.family} part here (his phrases are in another "
                         "meter), so --parts leaves it to the plan")
    return lines


