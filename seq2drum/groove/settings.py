"""The decision's hand-set constants, each named and explained in one line, in the order the decision uses them.

Settings a tuner sets per model live in `groove.policy.DecodingPolicy` (saved in the checkpoint); these are set by a
person, the same for every model, and each is defined here only. The figures behind their values:
docs/experiments/decision-constants.md and the rules' docstrings.
"""

from __future__ import annotations

# ---------------------------------------------------------------------------------------------- the groove choice
FIRST_LAMBDA = 0.3  # where Dinkelbach's iteration of lambda starts (offline each take, live the first bar)
DECISION_ROUNDS = 3  # rounds of the groove choice, each moving lambda to half the expected F1, offline and live
SETTLED_BARS = 2  # live, a groove chosen this many bars running is held until a phrase or the band changes
SHORT_BAR_STEPS = 6  # bars this short (4/16, 2/8) are pickups and fill pieces: runs of them play a longer groove split
GROUPED_BAR_STEPS = (16, 12, 8)  # the lengths short bars are grouped into, the first the codebook has that fits
GROUPED_MIN_GROOVE_BARS = 500  # a run of short bars plays only grooves this common (not a 4/16 snare roll)
SPLIT_PART_COST = 0.5  # a long odd bar split into known lengths pays this per part after the first (19/8 = 8+8+3)

# ---------------------------------------------------------------------------------------------- the user's drums
FORCED_GAIN = 1e3  # a kept bar's entry outweighs every bonus the Viterbi adds
PREFERRED_BONUS = 2.0  # for continuing the given groove, in expected matched cells (the stay bonus is 0.5)
PREFERRED_CELL_BONUS = 0.3  # per cell of the given pattern, added to its expected gain (p - lambda)
PREFERRED_MIN_SHARE = 0.5  # kept bars continue only where they hold this share of the hits the model expects

# ---------------------------------------------------------------------------------------------- the groove rules
TOM_GROOVE_SURE = 0.6  # a tom in a groove (not a fill) is played only this likely (toms are for fills)
BASS_KICK_FLOOR = 0.2  # a kick plays on a bass onset where its probability passes this
BASS_KICK_SURE = 0.2  # a decided kick away from the bass's onsets stays only this far above lambda
BASS_KICK_GRID_STEPS = 1  # the grid the bass's onsets are read on, in steps (its own 16ths)
HAT_FOOT_P = 0.45  # a ridden section keeps a closed hat on a beat after the first where it is this likely (the foot)
WALKING_BASS_SHARE = 0.5  # a swung waltz whose bass walks in this share of its 3/4 bars rides: the jazz waltz
WALKING_OTHER_ONSETS = 1  # ... a walking bar: a bass onset on every beat and at most this many others
BACKBEAT_EXPECTED = 0.25  # a playing bar whose snare probabilities sum to this gets a snare if its groove has none
BACKBEAT_TWO_BEATS = 0.5  # ... times this in a bar of two beats (2/4, 2/2, 6/8): one backbeat where 4/4 has two
TIME_COUNT_MAX = 1.1  # a 16th hat (or ride) bar keeps eighths where halfway between its counts passes this x expected
TIME_ODD_WORTH = 3.0  # ... and its odd 16ths' mean probability is under this times lambda (1.5 before 2026-11-28)
KICK_COUNT_MAX = 1.5  # a bar's kicks, at most this times those the model expects (+1, rounded), the likeliest kept
OPEN_HAT_COUNT_SHARE = 1.0  # open hats played: this share of the model's open-hat probabilities summed, bar by bar
OPEN_HAT_MIN_P = 0.08  # a closed hat opens only where the open hat is at least this likely
OPEN_HAT_MAX_PER_BAR = 2  # open hats a bar gets by count, at most
OPEN_HAT_SONG_RATE = 0.35  # ... and only while the model expects this many open hats a playing bar so far
COUNT_SWITCH = 1.2  # an odd bar is counted otherwise than the common way only where that backbeat is this much likelier
COUNTED_SNARE_SURE = 0.6  # an odd bar keeps a snare off its count's backbeat only this likely

# ---------------------------------------------------------------------------------------------- bar structure
CRASH_SURE = 0.5  # a crash this likely may open any bar, not only where a section or a phrase opens
CRASH_AHEAD = 0.5  # crash bars played may run this far ahead of those the model expects so far
CRASH_MIN_GAP = 6  # bars from one crash to the next, at least: a crash marks a phrase
CRASH_DRAWN = 2.0  # a placed take draws crash bars at twice the model's crash probability there (times the drummers'
# hazard of the bar's place: groove.placement); the count and the gap above keep as many as the model expects
# a fill that leads into a section lands on a crash on its downbeat this often, as the drummers land theirs: of the fill
# bars of ../shared/data/midi whose next bar opens a section the run counts, 795 of 2,055 (studies.fill_landings)
LANDING_CRASH_SHARE = 0.39
CRASH_COUNT_SHARE = 1.0  # crash accents off the downbeat: this share of the model's crash probabilities there
CRASH_HIT_MIN_P = 0.15  # an accent crashes only where the crash is at least this likely
CRASH_MAX_PER_BAR = 2  # crash accents a bar gets by count, at most
CRASH_SONG_RATE = 0.5  # ... and only while the model expects this many crash hits a playing bar so far
FILL_COUNT_SHARE = 1.0  # fill bars played at phrase and section ends: this share of the fill bars the model expects
FILL_AHEAD = 0.5  # ... and they may run this far ahead of the count so far
FILL_MAX_SHARE = 0.3  # ... and stay under this share of the playing bars (a song's phrase ends, not a tom groove)
FILL_MIN_HITS = 3  # tom and snare hits a written fill has over its beat at least (a run, not one tom for a hat)
FILL_LONG_MIN_BEATS = 4  # a bar of this many beats or more fills over its last FILL_LONG_BEATS beats
FILL_LONG_BEATS = 2  # ... (drummers' fills: 1.01 tom hits a bar at 1.57 fill bars per 8, about 5 toms a fill)
FILL_LAST_BEAT_HITS = 2  # ... with this many tom and snare hits in its last beat (it drives into the next bar)
TOM_SONG_RATE = 0.8  # tom fills only while the model expects this many tom hits a playing bar so far (0.4 before
# the models trained with jazz/, which expect more toms: docs/experiments/2026-11-26-jazz.md)

# ---------------------------------------------------------------------------------------------- takes
MIN_HITS_PER_PLAYING_BAR = 1.0  # a take with fewer hits per bar the guitar plays is decided again without rests
MIN_EXPECTED_HIT_SHARE = 0.4  # ... or with fewer than this share of the hits the model expects
LATER_TAKE_FLOOR = 0.9  # a later take plays at least this share of take 1's hits (a reading, not a sketch)
TAKE_MAX_SIMILARITY = 0.8  # cell F1 between two takes stays below this
# a later take swaps two slices of this share of take 1's hits (its least likely cells out, the likeliest it leaves
# out in): two takes differ in two slices at least, cell F1 about 0.77 (up to 0.8 as written: the render's swing and
# timing merge a few cells); the larger shares where the take steps (the swung time-keeping, --density) make the
# first too alike (docs/experiments/2026-11-26-takes.md)
SWAP_SLICE_SHARES = (0.115, 0.14, 0.17)
# in a swung song takes differ this much more as decided: swung as written, an off-beat note can land on a 16th that
# another take plays (a take pair out of fold went 0.77 as decided -> 0.80 as written)
SWUNG_TAKE_MARGIN = 0.04
TAKES_MIN_GROOVE_BARS = 20  # later takes may choose any codebook entry played at least this often in training
LATER_TAKE_DENSITY = 0.5  # a later take's groove has at least this share of the hits the model expects per bar
VARIATION_MAX_SIMILARITY = 0.78  # a variation's cell F1 with every earlier take stays below this
VARIATION_DENSITIES = (1.25, 0.8, 1.6, 0.6)  # how busy the variations of a take are tried, in turn

# ---------------------------------------------------------------------------------------------- controls
DENSITY_NOTICE_MISS = 0.15  # take 1's density reached this far from the one asked: the render says so
GHOST_VELOCITY = 38  # a ghost note --density adds on the snare
SKIP_VELOCITY_SHARE = 0.75  # a skip note added for swing is played this much softer than its beat
MIN_STYLE_BARS = 20  # training bars a style's family needs in a meter to be offered for it
MIN_ENTRY_BARS = 20  # a style leaves out entries played less often (one-off bars), unless none is
# a phrase of the plan's sparse part plays under this share of the take's median phrase's hits a bar (groove.decide
# `plan_sparse`): parts.labels' SPARSE_SHARE (0.5), with room for the hits of the full phrases the steps after it
# and the render leave out (at 0.5 a style's thinned intro was read back as full, 5.8 hits a bar against 5.45)
SPARSE_HELD_SHARE = 0.4
# a phrase of a full part the musician named plays at least this share of the take's median phrase's hits a bar
# (`plan_levels`): parts.labels' SPARSE_SHARE (0.5), with room for the render and the steps after it
FULL_HELD_SHARE = 0.6
