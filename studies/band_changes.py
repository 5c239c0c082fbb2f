"""How often the drummer changes part where the band changes, in the same phrase and the phrase after (issue 68 item
5: what a live drummer, who hears a phrase's band only as it plays, can know of a change of part).

    python -m studies.band_changes [--split runs/cv10/scoring/split] [--every 1]

Each 4/4 song of a scoring split (../shared/scoring's band inputs and refs) is cut into realism.py's 4-bar phrases.
The band changes at a phrase by parts.features' test (`band_changed`: its notes moved by CHANGE_RATIO from the
phrase before's, or its onsets folded over the phrase match the phrase before's at cell F1 under CHANGE_CELL_F1); the
drummer changes where his cells folded over the phrase match the phrase before's at cell F1 under 0.6 (phrases.py's
"part changes").
Printed: how often each changes, and the drummer's change rate in the phrase the band changes in, in the phrase after
it (where a drummer that waits to hear a whole phrase of the band first can change), and elsewhere.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from seq2drum.parts.features import band_changed, folded_f1
from tools.scoring_scripts import SCORING, scoring_script

DRUMMER_CHANGE_F1 = 0.6  # phrases.py's part change
CELLS = 4 * 16 * 9  # realism.phrases' vector: a phrase's (4, 16, 9) drum cells first, its (4, 16) band onsets last


def song_changes(vectors: list[np.ndarray]) -> list[tuple[bool, bool, bool | None]]:
    """(band changes, drummer changes, drummer changes at the next phrase (None at the last)) at each phrase after the
    first of one song's realism.phrases vectors."""
    v = np.array(vectors)
    cells = v[:, :CELLS].reshape(len(v), 4, 16, 9).any(axis=1).reshape(len(v), -1)
    band = v[:, -64:].reshape(len(v), 4, 16) > 0
    notes, folded = band.sum(axis=(1, 2)), band.any(axis=1)
    drummer = [folded_f1(cells[k], cells[k - 1]) < DRUMMER_CHANGE_F1 for k in range(1, len(v))]
    rows = []
    for k in range(1, len(v)):
        changed, _ = band_changed(notes[k - 1], notes[k], folded[k - 1], folded[k])
        rows.append((changed, drummer[k - 1], drummer[k] if k < len(drummer) else None))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", type=Path, default=Path("runs/cv10/scoring/split"))
    parser.add_argument("--scoring", type=Path, default=SCORING)
    parser.add_argument("--every", type=int, default=1, help="every Nth song (a quick look)")
    args = parser.parse_args(argv)
    realism = scoring_script("realism", args.scoring)  # its 4-bar phrases

    rows = []
    for band in sorted((args.split / "band").glob("*.guitar.mid"))[:: args.every]:
        name = band.name[: -len(".guitar.mid")]
        vectors = realism.phrases(band, args.split / "refs" / f"{name}.drums.mid")
        if vectors and len(vectors) >= 3:
            rows += song_changes(vectors)
    same = np.array([(b, d) for b, d, _ in rows], dtype=bool).reshape(-1, 2)
    after = np.array([(b, n) for b, _, n in rows if n is not None], dtype=bool).reshape(-1, 2)
    print(f"{len(same)} phrase pairs: the band changes at {same[:, 0].mean():.3f}, "
          f"the drummer at {same[:, 1].mean():.3f}")
    print(f"the drummer changes in the band's phrase of change {same[same[:, 0], 1].mean():.3f}, "
          f"elsewhere {same[~same[:, 0], 1].mean():.3f}")
    print(f"... in the phrase after it {after[after[:, 0], 1].mean():.3f}, "
          f"after no change {after[~after[:, 0], 1].mean():.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
