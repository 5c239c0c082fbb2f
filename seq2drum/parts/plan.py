"""The drummer's plan (issue 68): a part for each 4-bar phrase of the song, made before any cell, then each phrase's
cells decided within its part. A drummer decides a part per section; the network gives the average drummer per bar.

The plan (`Planner.plans`): the part model reads each phrase's part from the band over the whole song; `section_plan`
gives a section the part its phrases agree on, keeps it where a letter comes back, changes it where a new section's band
changes, thins a phrase where the band thins; `Planner.heard_levels` keeps a drop-out only where the network expects few
hits too; under a `--style` a full part the style does not play becomes its likeliest one that it does
(`Planner.heard_levels`), with drums given their groove's (`Planner.given_part`). Later takes play other arrangements
(`Planner.arrangements`), then chain plans; thin or without a backbeat only where heard so, a straight song's unswung.
Within its part a phrase is decided by the one `groove.decide` on probabilities conditioned on the part
(`Planner.conditioned`: each cell's log-odds moved by the part's against its family's average part; hat and ride moved
as one time-keeper, kick and snare left to the network but a half-time or four-on-the-floor part's; a later take's kick,
snare and ride its part's; a swung song's take 1 keeps the network's time, a ride part rides where it hears one). Fills
(`Plan.fill_bars`) close sections, lead into changes of part, come every 8 bars where parts do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

from seq2drum import arrays
from seq2drum.midi.drums import CLOSED_HAT, NUM_DRUM_CLASSES, OPEN_HAT, RIDE, SNARE
from seq2drum.midi.roles import BAND_ROLES
from seq2drum.parts.arrangement import Arrangement, letter_of, network_fit, occurrences, ranked, same_label_phrases
from seq2drum.parts.choice import (ARRANGEMENT_CHOICES, arranged, drawn_plans, heard_feel, heard_ride, main_labels,
                                  named_labels, other_arrangements, played_arrangement, played_swung, section_plan)
from seq2drum.feel.swing import SWUNG_RIDE_RATIO
from seq2drum.parts.condition import OWN_BEAT_FEELS, TIME_CYMBALS, conditioned
from seq2drum.parts.features import FEATURE_NAMES, HEARD_JAZZ, phrase_features
from seq2drum.parts.labels import FAMILIES, SPARSE_SHARE, Phrase, cut_phrases, label_phrase
from seq2drum.parts.plan_value import Plan, PlanAsk, PlanSource, Reading
from seq2drum.parts.model import FAMILY_COLUMNS, PartModel, load_parts, part_probabilities
from seq2drum.parts.traits import STYLES
from seq2drum.parts.vocabulary import PartVocabulary
from seq2drum.song.bars import BarSong
from seq2drum.song.phrases import closes_with_fill

# a guitar alone gets no plan: the part model was trained on whole bands (docs/experiments/2026-11-28-the-plans-rules.md
# has the figures behind this module's rules)
BAND_COLUMNS = [FEATURE_NAMES.index(f"band_{role}_plays") for role in BAND_ROLES]
KEEPER_CLASSES = (CLOSED_HAT, OPEN_HAT, RIDE)  # the time a phrase keeps, as the network hears it (heard_levels) ...
KEEPER_HEARD = 1.0  # ... a part that keeps no time plays only where it hears under this share of the median phrase's
PROFILE_FLOOR = 0.02  # a part's step rates are read between this and 1 - this (a cell it never plays stays possible)
DENSITY_PULL = 2.0  # --density's pull on the plan, per log of its value and log of a part's hits over the median's
# a later take's sparse part plays only where the network expects under this share of the median phrase's hits ...
SPARSE_HEARD = 1.0  # (drawn from the chain, a whole song read as "sparse / intro" was crash bars on a thin groove)
BACKBEAT_HEARD = 0.5  # ... and its part without a backbeat where it expects under this share of the median's snare
SWUNG_SONG = 0.5  # ... in a song whose band swings less (song_swung_share): a jazz drummer plays no backbeat
SWUNG_SHARE = FEATURE_NAMES.index("song_swung_share")
# ... and take 1 of a swung song (the same share) keeps the network's time-keeping in a family where jazz/'s drummers
# play a jazz ride part: the part model reads jazz bands poorly, and its hat parts took the ride from them
JAZZ_SOURCE = "jazz"  # the parts' name for jazz/'s phrases (studies.part_study --jazz; Part.sources)
# ... a ride part there rides as its drummers do where the network hears the ride at SWUNG_RIDE_RATIO (feel.swing)
# of the closed hat or more over the part's bars (a swung pop song's drummer keeps the hat)
QUARTER_STEPS = 4  # a quarter note's steps, in which parts.labels reads a swung time (its steps_per_quarter)
DROP_OUT_HEARD = 0.5  # a drop-out phrase the network expects this share of the median phrase's hits in plays
FILL_SHARE_EIGHT = 0.25  # a part whose phrases end in a fill this often fills every 8 bars inside a run of it
# --style X plans among the full parts whose traits it holds (parts.traits, the table groove.styles names each family
# by), and the sparse and drop-out parts (a style's song thins and drops out too); a style of a meter keeps every part
# of its meter; a style no part carries (bossa: no drummer of the data plays it) plays no plan


class Planner:
    """The parts vocabulary and model, and what conditioning on a part needs of them, made once per file."""

    def __init__(self, vocabulary: PartVocabulary, model: PartModel, source: str = "") -> None:
        self.vocabulary, self.model, self.source = vocabulary, model, source
        parts = vocabulary.parts
        width = max((part.profile.shape[0] for part in parts), default=0)
        self.steps = np.array([part.profile_steps for part in parts], dtype=np.int64)
        rates = np.zeros((len(parts), width, NUM_DRUM_CLASSES))
        for k, part in enumerate(parts):
            rates[k, : part.profile_steps] = part.profile[: part.profile_steps]
        self.rates = np.clip(rates, PROFILE_FLOOR, 1 - PROFILE_FLOOR)
        # the family's average part, at each bar length: the share-weighted mean of its parts' rates
        self.average = np.zeros_like(self.rates)
        shares = np.array([part.share for part in parts])
        families = np.array([part.family for part in parts])
        for k in range(len(parts)):
            same = (families == families[k]) & (self.steps == self.steps[k])
            self.average[k] = (shares[same, None, None] * self.rates[same]).sum(axis=0) / shares[same].sum()
        self.delta = np.log(self.rates / (1 - self.rates)) - np.log(self.average / (1 - self.average))
        # time kept on the hat or the ride is one voice to the part: its subdivision is the part's, which cymbal
        # carries it the network's (it hears a ride the band does not say; groove.rules ride_sections plays it)
        kept, kept_average = (np.clip(rates[..., list(TIME_CYMBALS)].sum(axis=-1), PROFILE_FLOOR, 1 - PROFILE_FLOOR)
                              for rates in (self.rates, self.average))
        self.keeper_delta = np.log(kept / (1 - kept)) - np.log(kept_average / (1 - kept_average))  # (K, S)
        self.end_fill_share = np.array([part.end_fill_share for part in parts])
        # (K,) bool each part's level and time-keeping, as the plan's rules ask of them
        self.full = np.array([part.level == "full" for part in parts])
        self.playing = np.array([part.level != "drop-out" for part in parts])
        self.keeping = np.array([part.keeper != "none" for part in parts])
        self.backbeat = np.array([part.feel != "time-only" for part in parts])
        self.own_beat = np.array([part.feel in OWN_BEAT_FEELS for part in parts])
        # a later take's ride part plays its time on the ride as its drummers do (take 1: which cymbal, the network's)
        self.riding = np.array([part.keeper == "ride" for part in parts])
        self.swung = np.array([part.subdivision == "swung" for part in parts])  # a shuffle's or a jazz ride's time
        self.crash = np.array([part.keeper == "crash" for part in parts])  # riding the crash: the musician's to name
        self.eighths = np.array([part.subdivision == "eighths" for part in parts])
        # (K,) bool the parts of a family with a jazz ride part jazz/'s drummers play (4/4): where a swung song's take
        # 1 keeps its time (a 3/4 jazz ride of midi/'s alone took a swung waltz's hat away)
        jazz = {part.family for part in parts
                if part.keeper == "ride" and part.subdivision == "swung" and part.sources.get(JAZZ_SOURCE, 0)}
        self.jazz_family = np.array([part.family in jazz for part in parts])
        self.ride_share = self.rates[..., RIDE] / (self.rates[..., RIDE] + self.rates[..., CLOSED_HAT])  # (K, S)
        # (K,) each part's log hits a bar over its family's median part's: what --density pulls the plan by
        hits = np.log1p(np.array([part.hits_per_bar.sum() for part in parts]))
        self.busier_than_family = hits - np.array([arrays.median(hits[families == family]) for family in families])

    def __repr__(self) -> str:
        return f"Planner({len(self.vocabulary)} parts from {self.source or 'memory'})"

    def read(self, song: BarSong) -> Reading:
        """The song as the part model reads it: its phrases and their features, and whether a band plays there."""
        phrases = cut_phrases(song.sections, song.first_bar, song.n_bars)
        features = phrase_features(song, phrases) if phrases else np.zeros((0, len(FEATURE_NAMES)), np.float32)
        return Reading(song, phrases, features, bool(features[:, BAND_COLUMNS].any()))

    def arrangement(self, song: BarSong, p: np.ndarray) -> Arrangement:
        """The song's sections and the parts each can play, ranked (parts.arrangement): by the part model's reading
        of the band and the network's fit (`p` (n, S, 9) calibrated), from the guitar alone by the fit alone; the
        parts its bars hold first (`held_parts`)."""
        _, phrases, features, band = self.read(song)
        families = [FAMILIES[k] for k in np.argmax(features[:, FAMILY_COLUMNS], axis=1).tolist()]
        posterior = (part_probabilities(self.model, features) if band
                     else np.ones((len(phrases), len(self.vocabulary))) / len(self.vocabulary))
        fit = network_fit(self, p, song.bar_steps, phrases)
        sections = occurrences(phrases, families, song.first_bar)
        held = self.held_parts(np.ones((len(phrases), len(self.vocabulary)), dtype=bool), song, phrases)
        ranking = {s.key: ranked(self, s, posterior, fit, same_label_phrases(sections, s), held=held) for s in sections}
        return Arrangement(tuple(phrases), tuple(families), tuple(sections), ranking, band, song.first_bar, song.n_bars,
                           held)

    def given_part(self, rows: np.ndarray, hits: np.ndarray, song: BarSong) -> int:
        """The part the drums the user gave play (`hits` (r, S, 9) of song rows `rows`: the first bars of the loop
        the decision goes on with, else the last given bars; groove.continuation `Continuation.groove_bars`), labelled
        as a drummer's phrase is; -1 where that is no full part keeping time with a backbeat (a sparse or empty
        groove, an intro's)."""
        if not len(rows):
            return -1
        label = label_phrase(hits, np.zeros(hits.shape, dtype=np.float32), song.bar_steps[rows], song.beat_steps[rows],
                             float(hits.sum()) / len(rows))
        part = self.vocabulary.assign(label)
        # a groove without a time-keeper or a backbeat is an intro's more often than the song's (played song-wide,
        # songs came out too sparse)
        keeps = label.level == "full" and label.keeper != "none" and label.feel != "time-only"
        keeps = keeps and bool(self.full[part] and self.keeping[part] and self.backbeat[part])
        return part if keeps else -1

    def plans(self, ask: PlanAsk, p: np.ndarray, rng: np.random.Generator | None = None) -> list[Plan]:
        """`ask.takes` plans of the song `ask.reading` (fewer where the chain has no other; asked only where one can
        be made: groove.request `plan_ask`): the likeliest first, then takes 2 and on other arrangements
        (`arrangements`), then plans drawn from the chain (parts.choice `drawn_plans`); `p` (n, S, 9) the calibrated
        probabilities of its rows. `ask.density` moves take 1 toward sparser or busier parts (`density_bias`),
        `ask.style` keeps to its parts (`style_parts`), `ask.given_part` is every full phrase's part, and the
        musician's parts (`ask.musician`, -1 not named) override every plan's."""
        song, phrases, features, _ = ask.reading
        style, given_part, musician, n_plans = ask.style, ask.given_part, ask.musician, ask.takes
        source = PlanSource.GIVEN if given_part >= 0 else PlanSource.STYLE if style is not None else PlanSource.MODEL
        straight = bool(features[0, SWUNG_SHARE] < SWUNG_SONG)
        # with the user's groove: it, and the sparse and drop-out parts, in the phrases of its meter family
        allowed = (self.style_parts(style, features) if given_part < 0
                   else self.kept_to(np.arange(len(self.vocabulary)) == given_part, features)) & ~self.crash
        # riding the crash only where the musician names it: planned by the band, 5 of 245 songs out of fold rode it
        # where their drummers do not (checklist crash_ridden 0 -> 5; issue 100)
        # no take of a straight song plays a swung part: drawn from the chain, a metal song's take 2 played "jazz
        # ride, comping", and take 1's "swung eighths on the open hat" was played and heard as straight eighths
        # (issue 99: a part sounds as named)
        later_allowed = self.straight_parts(allowed) if straight and style is None else allowed
        later_allowed = self.held_parts(later_allowed, song, phrases)
        # a song the drums play swung and the band's reader does not hear as rock: takes 2 and on play a straight
        # time on a cymbal that swings a part as that part (it is played swung and read back so)
        swung = ask.swung and not straight and style is None and features[0, HEARD_JAZZ] != 0
        posterior = part_probabilities(self.model, features)
        silent = features[:, FEATURE_NAMES.index("silent_share")] >= 1.0

        def heard(parts: np.ndarray, later: bool = True) -> np.ndarray:
            parts = played_swung(parts, posterior, self.vocabulary) if later and swung else parts
            return self.heard_levels(parts, posterior, p, phrases, silent, later_allowed, later, straight)

        chosen = [heard(section_plan(phrases, posterior, features, self.density_bias(ask.density)), False)]
        if style is None and given_part < 0:
            chosen[0] = self.heard_choices(chosen[0], p, phrases, features)
        chosen = self.arrangements(chosen[0], phrases, posterior, later_allowed, musician, heard, n_plans)
        chosen += drawn_plans(self.model, features, chosen, n_plans, rng if rng is not None else
                              np.random.default_rng(0), heard)
        named_arrangements = self.arrangement_names(chosen, phrases, later_allowed, musician)
        # a style's song plays the style's parts as they are (its grooves are the style's)
        named = None if musician is None else musician >= 0
        if named is not None:
            chosen = [np.where(named, musician, parts) for parts in chosen]
            source = PlanSource.MUSICIAN
        return [replace(self.plan(phrases, parts, song.n_bars, swung=not straight and style is None, source=source),
                        arrangement=arrangement, style=style, chosen=named)
                for parts, arrangement in zip(chosen, named_arrangements)]

    def heard_choices(self, parts: np.ndarray, p: np.ndarray, phrases: list[Phrase],
                      features: np.ndarray) -> np.ndarray:
        """Take 1's parts (P,) of `phrases` with the ride and the feel the network hears ((n, S, 9) `p`: parts.choice
        `heard_ride`, then `heard_feel`) in a swung song not heard as rock (`features`' song-wide columns); else as they
        are. Offline's take 1 without a style or drums given, and the live plan (live/hearing.py `replanned`)."""
        if features[0, SWUNG_SHARE] < SWUNG_SONG or features[0, HEARD_JAZZ] == 0:  # straight, or heard as rock
            return parts
        parts = heard_ride(parts, p, phrases, self.vocabulary, self.jazz_family, SWUNG_RIDE_RATIO)
        return heard_feel(parts, p, phrases, self.vocabulary, self.rates)

    def arrangements(self, first: np.ndarray, phrases: list[Phrase], posterior: np.ndarray, allowed: np.ndarray,
                     musician: np.ndarray | None, heard: Callable[[np.ndarray], np.ndarray], n_plans: int
                     ) -> list[np.ndarray]:
        """Take 1's plan `first` and, for takes 2 and on, other arrangements of the song's main sections
        (parts.choice `other_arrangements`): take 1's plan with its main labels' full phrases given the next
        arrangement's parts, then `heard` (`heard_levels`), kept where the network's hearing left a main section
        another part than take 1's and made no earlier take's plan (takes past them: `drawn`). A label the musician
        named throughout (`musician` (P,), -1 not named) keeps his parts and is not arranged."""
        if n_plans < 2:
            return [first]
        left = named_labels(phrases, musician)
        _, others = other_arrangements(first, phrases, posterior, allowed & self.full[None, :],
                                       max(n_plans - 1, ARRANGEMENT_CHOICES), left)
        mains = np.isin([phrase.letter for phrase in phrases], main_labels(phrases, left))  # (P,) bool
        takes = [first]
        for other in (other for i, other in enumerate(others) if other not in others[:i]):  # a label ran out of parts
            parts = heard(arranged(first, phrases, other, self.full))
            if len(takes) < n_plans and (parts[mains] != first[mains]).any() and not any(
                    (parts == take).all() for take in takes):
                takes.append(parts)
        return takes

    def arrangement_names(self, plans: list[np.ndarray], phrases: list[Phrase], allowed: np.ndarray,
                          musician: np.ndarray | None) -> list[tuple[tuple[str, str], ...]]:
        """Each plan's arrangement as played (parts.choice `played_arrangement`), as (letter, part name) per main
        label the musician did not name throughout; none with one plan."""
        left = named_labels(phrases, musician)
        return [tuple((letter_of(letter), self.vocabulary.parts[part].name) for letter, part in
                      sorted(played_arrangement(parts, phrases, allowed & self.full[None, :], left).items()))
                if len(plans) > 1 else () for parts in plans]

    def musicians(self, ask: PlanAsk) -> Plan:
        """Where the takes play no plan (`ask.held`): the musician's named phrases alone, or held where none is."""
        if ask.musician is None or ask.reading is None or not (ask.musician >= 0).any():
            return Plan.held_for(ask.held)
        named = np.flatnonzero(ask.musician >= 0)
        plan = self.plan([ask.reading.phrases[j] for j in named], ask.musician[named], ask.reading.song.n_bars,
                         source=PlanSource.MUSICIAN)
        return replace(plan, chosen=np.ones(len(named), dtype=bool))

    def style_parts(self, style: str | None, features: np.ndarray) -> np.ndarray:
        """(P, K) bool the parts each phrase may play under `style` (all without one, or a style of a meter): the full
        parts whose traits it holds (parts.traits `STYLES`), the drop-out and, under a style of no feel, the sparse
        (a shuffle's backbeat holds where the band thins); a family with no full part of the style, any."""
        parts, traits = self.vocabulary.parts, STYLES.get(style or "")
        if traits is None or traits.meter:
            return np.ones((len(features), len(parts)), dtype=bool)
        thins = np.array([not traits.feels or part.level != "sparse" for part in parts])  # its feel holds
        return self.kept_to(np.array([traits.plays(p.keeper, p.subdivision, p.feel) for p in parts]), features,
                            thins & ~self.full)

    def kept_to(self, chosen: np.ndarray, features: np.ndarray, others: np.ndarray | None = None) -> np.ndarray:
        """(P, K) bool the parts each phrase may play when its full parts are kept to the `chosen` (K,) ones: those
        of its family, and its sparse and drop-out parts (`others`); any part where its family has none chosen."""
        families = np.array([part.family for part in self.vocabulary.parts])
        phrase_family = np.asarray(FAMILIES)[np.argmax(features[:, FAMILY_COLUMNS], axis=1)]  # (P,)
        same = families[None, :] == phrase_family[:, None]  # (P, K)
        kept = same & (chosen & self.full)[None, :]
        others = ~self.full if others is None else others
        return np.where(kept.any(axis=1, keepdims=True), kept | (same & others[None, :]), True)

    def straight_parts(self, allowed: np.ndarray) -> np.ndarray:
        """(P, K) `allowed` without the swung parts (a swung time-keeper: a shuffle, a jazz ride), where a phrase keeps
        a full part without them."""
        straight = allowed & ~self.swung[None, :]
        return np.where((straight & self.full[None, :]).any(axis=1, keepdims=True), straight, allowed)

    def held_parts(self, allowed: np.ndarray, song: BarSong, phrases: list[Phrase]) -> np.ndarray:
        """(P, K) `allowed` without the parts whose time a phrase's bars cannot hold as parts.labels reads it, where
        the phrase keeps a full part without them: eighths need even steps between the beats (a bar of 2-step beats,
        7/8's or 5/8's, has none: its hat on every eighth is read as "quarters", and "eighths" there would be 16ths),
        swung time quarter-note beats."""
        beats = np.array([np.bincount(song.beat_steps[max(q.start_row, 0): min(q.end_row, song.n_bars)]).argmax()
                          for q in phrases])  # (P,) each phrase's commonest beat, in steps
        lost = ((beats <= 2) | (beats % 2 == 1))[:, None] & self.eighths[None, :]
        lost |= (beats != QUARTER_STEPS)[:, None] & self.swung[None, :]
        held = allowed & ~lost
        return np.where((held & self.full[None, :]).any(axis=1, keepdims=True), held, allowed)

    def density_bias(self, density: float) -> np.ndarray:
        """(K,) what `--density` adds to each part's log probability in the plan: DENSITY_PULL x log(density) x how
        much busier the part is than its family's median part (log hits a bar); 0 at density 1."""
        return DENSITY_PULL * np.log(density) * self.busier_than_family

    def heard_levels(self, parts: np.ndarray, posterior: np.ndarray, p: np.ndarray, phrases: list[Phrase],
                     silent: np.ndarray, allowed: np.ndarray | None = None, later: bool = False,
                     straight: bool = True) -> np.ndarray:
        """The plan with each part `allowed` (P, K) does not hold (a style's, `style_parts`; a straight song's) replaced
        by the likeliest full part it does (the plan's levels, full, sparse, drop-out, and changes stay as the band
        asks; the style sets what the full parts play), then each drop-out phrase that the network does not hear thin
        (it expects DROP_OUT_HEARD of the song's median phrase's hits there, or more: a riff that goes on under a band
        read as an intro), and each whose band is silent throughout (`silent` (P,): bars before the guitar comes in,
        which drummers play more often than not, groove.structure's rests deciding) given the likeliest playing (a
        silent one: full) part instead, but a drop-out after the band's last phrase (the ending clears it); a full
        part that keeps no time only where the network hears the phrase's cymbals thin too. A `later` take's plan
        (drawn from the chain) also thins only where the network hears the phrase thin (SPARSE_HEARD) and, in a
        `straight` song, drops the backbeat only where it hears the snare thin (BACKBEAT_HEARD): its kick and snare
        are its part's. A part is only replaced by one `allowed` holds."""
        parts = parts.copy()
        allowed = np.ones(posterior.shape, dtype=bool) if allowed is None else allowed

        def move(where: np.ndarray, candidates: np.ndarray) -> None:  # each phrase `where` to its likeliest candidate
            for j in np.flatnonzero(where).tolist():
                mine = candidates & allowed[j]
                if mine.any():
                    parts[j] = int(np.argmax(np.where(mine, posterior[j], -1.0)))

        def per_phrase(classes: list[int]) -> tuple[np.ndarray, float]:  # (P,) expected hits a bar, their median
            chosen = p[..., classes]  # each phrase's rows of it: one block, summed as the block alone
            rows = [chosen[max(q.start_row, 0): min(q.end_row, len(p))].sum() / max(q.n_bars, 1) for q in phrases]
            return np.array(rows), float(arrays.median(rows)) if rows else 0.0

        full, playing, keeping = self.full, self.playing, self.keeping
        move(~allowed[np.arange(len(parts)), parts], full)
        expected, median = per_phrase(list(range(NUM_DRUM_CLASSES)))
        move(~playing[parts] & (expected >= DROP_OUT_HEARD * median), playing)
        move(later & playing[parts] & ~full[parts] & (expected >= SPARSE_HEARD * median), full)
        # a part without a time-keeper only where the network, too, hears little time kept (a guitar alone read as
        # a kick-and-snare intro lost its hi-hat for 28 bars)
        cymbals, kept_median = per_phrase(list(KEEPER_CLASSES))
        move(full[parts] & ~keeping[parts] & (cymbals >= KEEPER_HEARD * kept_median), full & keeping)
        if later and straight:
            snares, snare_median = per_phrase([SNARE])
            snare_heard = snares >= BACKBEAT_HEARD * snare_median
            move(full[parts] & ~self.backbeat[parts] & snare_heard, full & keeping & self.backbeat)
        # a full part keeping no time where the network expects under SPARSE_SHARE of the median phrase's hits besides
        # the cymbals is read back as sparse (parts.labels measures a level against the song): named so (a metal
        # song's "kick and snare, backbeat" beside its 16 hits a bar)
        move(full[parts] & ~keeping[parts] & (expected - cymbals < SPARSE_SHARE * median), playing & ~full)
        # a silent phrase after the band's last one plays nothing (the ending clears it): named so, not a playing part
        heard_phrases = np.flatnonzero(~silent)
        trailing = np.arange(len(parts)) > (heard_phrases[-1] if len(heard_phrases) else len(parts))
        move(silent & ~trailing & ~full[parts], full)
        move(trailing & playing[parts], ~playing)
        return parts

    def plan(self, phrases: list[Phrase], parts: np.ndarray, n_bars: int, swung: bool = False,
             source: PlanSource = PlanSource.MODEL) -> Plan:
        """The plan of these parts, its fills marked: each section's end (where groove.structure
        `closes_with_fill`, as the edges say), a phrase before a change of part, and every second phrase end inside a
        run of a part that fills that often (FILL_SHARE_EIGHT); `swung`: the song's band swings (Plan.swung);
        `source`: where the parts came from."""
        fills = np.zeros(len(phrases), dtype=bool)
        run = 0
        for j, phrase in enumerate(phrases):
            last = j + 1 == len(phrases)
            section_ends = last or phrases[j + 1].section != phrase.section or phrases[j + 1].letter != phrase.letter
            section_bars = sum(q.n_bars for q in phrases if q.section == phrase.section) if phrase.section >= 0 else 0
            changes = not last and parts[j + 1] != parts[j]
            run = run + 1 if j and parts[j] == parts[j - 1] and phrases[j - 1].section == phrase.section else 1
            fills[j] = ((section_ends and closes_with_fill(section_bars)) or changes
                        or (run % 2 == 0 and self.end_fill_share[parts[j]] >= FILL_SHARE_EIGHT))
        names = tuple(self.vocabulary.parts[k].name for k in parts.tolist())
        banks = tuple((self.vocabulary.parts[k].fills, self.vocabulary.parts[k].fill_steps) for k in parts.tolist())
        levels = tuple(self.vocabulary.parts[k].level for k in parts.tolist())
        return Plan(tuple(phrases), np.asarray(parts, dtype=np.int64), fills, names, banks, swung, source, None, levels)

    def conditioned(self, p: np.ndarray, bar_steps: np.ndarray, plan: Plan,
                    fill_rows: np.ndarray | None = None, whole: bool = False) -> np.ndarray:
        """(n, S, 9) the probabilities p conditioned on each bar's part (parts.condition `conditioned`)."""
        return conditioned(self, p, bar_steps, plan, fill_rows, whole)

PARTS_FILE = "parts.npz"  # a model's parts lie beside its checkpoint (models/parts.npz beside models/default.pt)
_PLANNERS: dict[str, Planner] = {}


def planner_for(checkpoint: Path, training_data: dict | None = None) -> Planner | None:
    """The parts a checkpoint plans with: the parts.npz beside it (its training run's, training.parts), else, for a
    checkpoint whose training recorded parts of its own (`training_data["parts"]`: none made, too few phrases, or a
    file not copied with it), None, else (a model trained before runs made parts) the shipped models/parts.npz; None
    where none is there (every take then bar by bar). Loaded once per file."""
    from seq2drum.shipped import DEFAULT_CHECKPOINT  # no torch there

    own = (training_data or {}).get("parts")
    shipped = () if isinstance(own, dict) else (DEFAULT_CHECKPOINT.parent / PARTS_FILE,)
    for path in (Path(checkpoint).parent / PARTS_FILE, *shipped):
        if path.is_file():
            key = str(path.resolve())
            if key not in _PLANNERS:
                _PLANNERS[key] = Planner(*load_parts(path), str(path))
            return _PLANNERS[key]
    return None
