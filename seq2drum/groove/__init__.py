"""What decides what a bar plays (the codebook, the decision and its steps, the takes, the request): the one door
the rest of seq2drum imports it by (issue 99). Its modules import one another; outside it, only these names."""

from __future__ import annotations

from seq2drum.groove.codebook import GrooveCodebook, pattern_f1
from seq2drum.groove.context import BarContext, BarCounts, Past
from seq2drum.groove.continuation import Continuation, continuation as given_groove, steer_gains  # (its module's name)
from seq2drum.groove.decide import Decided
from seq2drum.groove.decoder import Decoder
from seq2drum.groove.density import density_notice
from seq2drum.groove.gains import GrooveGains, ShortRun
from seq2drum.groove.kit import KitCount, tom_fills
from seq2drum.groove.marks import counts_after, structure_decisions
from seq2drum.groove.placement import (CRASH_POSITIONS, FAMILIES, FILL_LENGTHS, FILL_POSITIONS, FamilyPlacement,
                                       FillRate, PLACEMENT_FILE, Placement, crash_position, fill_position)
from seq2drum.groove.policy import DecodingPolicy, KICK, Steering, Take, calibrated, calibrated_logits, policy_change
from seq2drum.groove.request import (Deciders, Heard, Request, SpanSection, edges, heard_span, request as build_request,
                                     section_places, song_edges, song_meters, song_span, take_floor, take_plans)
from seq2drum.groove.scores import SongScores
from seq2drum.groove.settings import (BASS_KICK_FLOOR, BASS_KICK_GRID_STEPS, BASS_KICK_SURE, DECISION_ROUNDS,
                                      FIRST_LAMBDA, PREFERRED_BONUS, PREFERRED_CELL_BONUS, PREFERRED_MIN_SHARE,
                                      SETTLED_BARS, SHORT_BAR_STEPS)
from seq2drum.groove.structure import (CRASH_COLUMN, FILL_COLUMN, REST_COLUMN, STRUCTURE_COLUMNS, bar_labels,
                                       bar_structure, bass_silence, drummed_structure, is_fill_bar)
from seq2drum.groove.styles import Style, StyleBook, bossa, entry_family, meter_name
from seq2drum.groove.swung_song import STRAIGHT_TIME
from seq2drum.groove.takes import bar_take, decided_takes, steered_takes, take_similarity
from seq2drum.groove.vocabulary import STYLE_GROOVES, drummers_grooves, with_vocabulary

__all__ = [
    "BASS_KICK_FLOOR", "BASS_KICK_GRID_STEPS", "BASS_KICK_SURE", "BarContext", "BarCounts", "CRASH_COLUMN",
    "CRASH_POSITIONS", "Continuation", "DECISION_ROUNDS", "Decided", "Deciders", "Decoder", "DecodingPolicy",
    "FAMILIES", "FILL_COLUMN", "FILL_LENGTHS", "FILL_POSITIONS", "FIRST_LAMBDA", "FamilyPlacement", "FillRate",
    "GrooveCodebook", "GrooveGains", "Heard", "KICK", "KitCount", "PLACEMENT_FILE", "PREFERRED_BONUS",
    "PREFERRED_CELL_BONUS", "PREFERRED_MIN_SHARE", "Past", "Placement", "REST_COLUMN", "Request", "SETTLED_BARS",
    "SHORT_BAR_STEPS", "STRAIGHT_TIME", "STRUCTURE_COLUMNS", "STYLE_GROOVES", "ShortRun", "SongScores", "SpanSection",
    "Steering",
    "Style", "StyleBook", "Take", "bar_labels", "bar_structure", "bar_take", "bass_silence", "bossa", "calibrated",
    "calibrated_logits", "given_groove", "counts_after", "crash_position", "decided_takes", "density_notice",
    "drummed_structure", "drummers_grooves", "edges", "entry_family", "fill_position", "heard_span", "is_fill_bar",
    "meter_name", "pattern_f1", "policy_change", "build_request", "section_places", "song_edges", "song_meters",
    "song_span", "steer_gains", "steered_takes", "structure_decisions", "take_floor", "take_plans", "take_similarity",
    "tom_fills", "with_vocabulary",
]
