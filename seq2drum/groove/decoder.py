"""What the offline decision decides with (`Decoder`: the codebook, the policy, the groove gains, the fill writer)
and its chooser (`SongChooser`): the expected-F1 groove choice over the whole song.

Each bar maximises *expected* F1 under the model's calibrated per-cell probabilities p: the cells worth playing
are those with p above lambda = F1* / 2 (Dinkelbach's iteration finds lambda in a few rounds), and a codebook entry's
gain in a bar is sum(p - lambda) over its cells; when the model knows little, that falls back to the backbeat by
itself. The grooves are chosen over the whole song (its sections, the Viterbi pass of groove.gains), and after each
round the bar rules of groove.rules run in order (docs/how-it-works.md lists them). The takes, and which chooser
each attempt uses: groove.takes.
"""

from __future__ import annotations

import numpy as np

from seq2drum.groove.settings import DECISION_ROUNDS
from seq2drum.groove import continuation
from seq2drum.groove.codebook import GrooveCodebook
from seq2drum.groove.gains import GrooveGains, viterbi
from seq2drum.groove.policy import DecodingPolicy
from seq2drum.groove.context import BarContext, Past
from seq2drum.groove.structure import FillWriter

_FORCED = 1e6  # a section bonus no gain can outweigh


class Decoder:
    """What takes are decided with, for one codebook and policy (no torch here: the network's scores come in)."""

    def __init__(self, codebook: GrooveCodebook, policy: DecodingPolicy) -> None:
        self.codebook = codebook
        self.policy = policy
        self.grooves = GrooveGains(codebook, policy.min_groove_bars)
        self.fills = FillWriter(codebook)


class SongChooser:
    """Offline, each bar's codebook entry chosen over the whole song: its gains under lambda (the user's drums
    steered in), each section's groove (a later take avoiding the earlier takes'), then the Viterbi with the section
    and stay bonuses; a temperature's noise drawn once per take."""

    def __init__(self, grooves: GrooveGains, policy: DecodingPolicy, labels: np.ndarray, avoid: list[dict[int, int]],
                 temperature: float, rng: np.random.Generator | None) -> None:
        self.grooves, self.policy, self.labels, self.avoid = grooves, policy, labels, avoid
        self.temperature, self.rng = temperature, rng
        self.rounds = DECISION_ROUNDS
        self.past = Past()  # offline, the song from its first bar
        self.section_grooves: dict[int, int] = {}
        self.noise: np.ndarray | None = None

    def again(self) -> SongChooser:
        return SongChooser(self.grooves, self.policy, self.labels, self.avoid, self.temperature, self.rng)

    def choose(self, context: BarContext) -> np.ndarray:
        scores, p, steering = context.scores, context.p, context.steering
        gains = self.grooves.gains(p, scores.bar_steps, context.threshold, later_take=bool(self.avoid),
                                   allowed=steering.allowed)
        gains = continuation.steer_gains(gains, p, context.threshold, steering.continuation)
        if not context.rests_allowed:
            gains[:, self.grooves.sizes == 0] = -np.inf
        self.section_grooves = self.grooves.section_grooves(gains, scores, self.avoid, p, self.labels)
        if self.temperature > 0 and self.rng is not None and self.noise is None:
            finite = gains[np.isfinite(gains)]
            spread = float(finite.std()) if finite.size > 1 and finite.std() > 0 else 1.0
            # drawn for the learned entries, as many draws whatever groove.vocabulary appends (zero noise there)
            learned = int(np.count_nonzero(~self.grooves.codebook.designed))
            self.noise = np.zeros(gains.shape)
            self.noise[:, :learned] = self.temperature * spread * self.rng.gumbel(size=(len(gains), learned))
        # take 1 holds its grooves as tuned; a later take plays the groove chosen for it in every bar of the
        # section (rests, crashes and fills still come from their own decisions)
        bonus = self.policy.section_bonus if not self.avoid else _FORCED
        return viterbi(gains, self.labels, self.section_grooves, bonus, self.policy.stay_bonus, self.noise)
