"""studies.arrangement_ranks: each ranking variant ranks the drummer's part by its own weights."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np


def test_each_variant_ranks_the_drummers_part_by_its_weights() -> None:
    """Breaks if `ranks` stops running against parts.arrangement `ranked` (a cut of ranked's network weight left the
    study calling it with 7 arguments: every section raised TypeError): the posterior alone ranks the part the band
    reads likeliest first, the network alone the part it fits best, and a section with no part of the drummer's
    counts 0 (a miss)."""
    from studies.arrangement_ranks import DIVERSE, VARIANTS, diverse, ranks

    parts = [SimpleNamespace(family="4/4", name=name, level="full", keeper="closed_hat", feel=feel)
             for name, feel in (("a", "backbeat"), ("b", "backbeat"), ("c", "comping"))]
    planner = SimpleNamespace(vocabulary=SimpleNamespace(parts=parts))
    section = SimpleNamespace(key="A#1", label=0, family="4/4", phrases=(0, 1), n_bars=8)
    other = SimpleNamespace(key="B#1", label=1, family="4/4", phrases=(2,), n_bars=4)
    arrangement = SimpleNamespace(sections=[section, other], held=None)
    posterior = np.array([[0.6, 0.3, 0.1], [0.6, 0.3, 0.1], [0.2, 0.2, 0.6]])
    fit = np.array([[0.0, 0.0, 8.0], [0.0, 0.0, 8.0], [0.0, 0.0, 0.0]])  # the network fits part c best
    drummer = {"A#1": SimpleNamespace(id=0)}
    out = ranks(planner, arrangement, drummer, posterior, fit)
    assert set(out) == set(VARIANTS) | set(DIVERSE)
    assert diverse([0, 1, 2], parts, DIVERSE["both-diverse-feel"], listed=2) == [0, 2, 1]  # a feel each first
    assert out["posterior"] == [("4/4", 2, 1), ("4/4", 1, 0)]
    assert out["network"][0] == ("4/4", 2, 2)  # c first, then a (ties broken by id), b last
