"""Which cymbal keeps time: the ride in a section the model hears ridden (issue 24 item 4).

The decision's codebook entries keep time on the closed hi-hat far more often than drummers do, and the expected-F1
rule plays the ride only where the model rates it above the closed hat, which it almost never does: held out, the
ride's per-class F1 was 0.005 over the 308 songs of 660 whose drummer rides. A section whose closed-hat cells the
model rates at `ride_ratio` (the policy's) of the closed hat's probability or more plays those hits on the ride.
On 5-fold CV (`--mode evaluate`'s measure, take 1, 660 songs) from the whole arrangement:

| ride_ratio | mean song F1 | ride F1 |
|---|---|---|
| 0 (off) | 0.4848 | 0.005 |
| 0.5 | 0.4848 | 0.006 |
| **0.4** | **0.4849** | **0.019** |
| 0.35 | 0.4831 | 0.026 |
| 0.3 | 0.4796 | 0.039 |

and from the guitar alone 0.4686 -> 0.4688 and 0.006 -> 0.019 at 0.4. Below 0.4 the sections it rides are more often
the drummer's hi-hat sections than ridden ones. The same rule per step for the open hi-hat (a closed-hat hit on the
open hat where the model rates it at a share of the closed hat) gave open-hat F1 0.003 -> 0.006 at share 0.3 and
0.030 at 0.15 for mean song F1 -0.004: not kept.
"""

from __future__ import annotations

import numpy as np

from seq2drum.midi.drums import CLOSED_HAT, RIDE


def ride_sections(hits: np.ndarray, p: np.ndarray, labels: np.ndarray, ratio: float) -> None:
    """In place on hits (n, S, 9): in each section (labels (n,)) whose closed-hat cells have a mean ride
    probability of at least `ratio` times their mean closed-hat probability, the closed hat's hits go to the ride
    (0: off)."""
    if ratio <= 0:
        return
    for label in np.unique(labels).tolist():
        rows = labels == label
        played = hits[rows, :, CLOSED_HAT]
        if not played.any():
            continue
        hat = float(p[rows, :, CLOSED_HAT][played].mean())
        if float(p[rows, :, RIDE][played].mean()) >= ratio * hat:
            hits[rows, :, RIDE] |= played
            hits[rows, :, CLOSED_HAT] = False
