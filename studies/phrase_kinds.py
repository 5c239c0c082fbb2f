"""Which parts of the kit each 4-bar phrase plays, the song's drummer's against ours (issue 68): a phrase's kind is
the set of kick, snare, hat (closed or open) and ride it plays at all ("KSH-": kick, snare and hat, no ride; "--H-":
the hat alone; "----": nothing). phrases.py counts how often the part changes; this says what it changes to.

    python -m studies.phrase_kinds SPLIT/band SPLIT/refs GEN/take1 [--json OUT.json]

SPLIT as score_split writes it; GEN a folder of X.drums.mid (crossval's gen/band/take1). The phrases are
../shared/scoring's realism.py's (songs in 4/4, from bar 1 to a bar after the band's last onset), so the kinds are
counted over the phrases phrases.py compares. Prints each kind's share of the drummer's phrases and of ours, the
share where both play it in the same phrase, and the songs whose drummer plays more than one kind.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

import numpy as np

from tools.scoring_scripts import SCORING, scoring_script

CELLS = 4 * 16 * 9  # realism.py's phrase vector: the cells, then hits per class (its 9 classes)
LETTERS = (("K", (0,)), ("S", (1,)), ("H", (2, 3)), ("R", (8,)))  # kick, snare, hat (closed or open), ride


def kind(vector: np.ndarray) -> str:
    """The phrase's kind from realism.py's vector: a letter for each of kick, snare, hat, ride it plays, else '-'."""
    counts = np.asarray(vector)[CELLS:]
    return "".join(letter if counts[list(columns)].sum() > 0 else "-" for letter, columns in LETTERS)


def song_kinds(realism, band: Path, refs: Path, gen: Path) -> dict[str, tuple[list[str], list[str]]]:
    """Per song (X of band/X.guitar.mid with a reference and a part): the drummer's kinds and ours, phrase by phrase,
    over the phrases both have."""
    out = {}
    for path in sorted(band.glob("*.guitar.mid")):
        name = path.name[: -len(".guitar.mid")]
        ref, ours = refs / f"{name}.drums.mid", gen / f"{name}.drums.mid"
        if not (ref.exists() and ours.exists()):
            continue
        drummer, part = realism.phrases(path, ref), realism.phrases(path, ours)
        if not drummer or not part:
            continue
        m = min(len(drummer), len(part))
        out[name] = ([kind(v) for v in drummer[:m]], [kind(v) for v in part[:m]])
    return out


def figures(kinds: dict[str, tuple[list[str], list[str]]]) -> dict:
    """Each kind's share of the drummer's phrases, of ours and of both at once; the share of songs whose drummer
    (or part) plays two kinds or more."""
    drummer, ours, both = Counter(), Counter(), Counter()
    for mine, theirs in kinds.values():
        drummer.update(mine)
        ours.update(theirs)
        both.update(a for a, b in zip(mine, theirs) if a == b)
    total = max(sum(drummer.values()), 1)
    order = sorted(set(drummer) | set(ours), key=lambda k: (-drummer[k], -ours[k], k))
    return {
        "songs": len(kinds), "phrases": sum(drummer.values()),
        "kinds": {k: {"drummer": drummer[k] / total, "ours": ours[k] / total, "both": both[k] / total} for k in order},
        "songs_with_kinds_changing": {
            "drummer": float(np.mean([len(set(d)) > 1 for d, _ in kinds.values()])) if kinds else 0.0,
            "ours": float(np.mean([len(set(o)) > 1 for _, o in kinds.values()])) if kinds else 0.0},
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("band", type=Path)
    parser.add_argument("refs", type=Path)
    parser.add_argument("gen", type=Path)
    parser.add_argument("--scoring", type=Path, default=SCORING, help="../shared/scoring (realism.py's phrases)")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    realism = scoring_script("realism", args.scoring)
    out = figures(song_kinds(realism, args.band, args.refs, args.gen))
    print(f"{out['songs']} songs in 4/4, {out['phrases']} phrases: each kind's share (K kick, S snare, H hat, R ride)")
    print(f"{'kind':6} {'drummer':>8} {'ours':>6} {'both':>6}")
    for name, row in out["kinds"].items():
        print(f"{name:6} {row['drummer']:8.3f} {row['ours']:6.3f} {row['both']:6.3f}")
    changing = out["songs_with_kinds_changing"]
    print(f"songs playing two kinds or more: drummer {changing['drummer']:.2f}, ours {changing['ours']:.2f}")
    if args.json:
        args.json.write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
