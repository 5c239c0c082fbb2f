"""Each step of a live bar's decision, timed and checked for what it changed: the groove rules (groove.rules), the mark
and structure rules (groove.marks) and the take steps (groove.decide), over bench_live_stream's songs played as
bench/profile_live.py plays them. Per step: its calls a bar, its CPU us a call, and the share of its calls that
changed nothing (every field of the decision or take the same after it as before): a step that changes nothing in
most bars and still costs tens of microseconds is where a bar's work can return early, exactly (issue 102).

    python -m bench.live_steps [--songs 4] [--bars 0] [--top 40]
    cd OTHER_CHECKOUT && PYTHONPATH=. python /this/bench/live_steps.py ...   # another commit's steps

CPU time (time.process_time) around each call: with the copies the check makes, a step's figure is its own; the
shares do not move with the machine's load.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import numpy as np

from bench.profile_live import first_songs, stream_bars

SPENT: dict[str, list[float]] = defaultdict(lambda: [0, 0, 0.0])  # step: calls, calls that changed nothing, CPU s


def fields(value: Any) -> dict[str, Any]:
    """A decision's or take's fields, arrays copied (what a step may change in place)."""
    return {key: item.copy() if isinstance(item, np.ndarray) else item for key, item in vars(value).items()}


def same(before: dict[str, Any], after: dict[str, Any]) -> bool:
    for key, old in before.items():
        new = after.get(key)
        if isinstance(old, np.ndarray) or isinstance(new, np.ndarray):
            if not (isinstance(old, np.ndarray) and isinstance(new, np.ndarray) and np.array_equal(old, new)):
                return False
        elif old != new:
            return False
    return before.keys() == after.keys()


def checked(step: Callable[[Any, Any], None], kind: str) -> Callable[[Any, Any], None]:
    """`step(context_or_take, decision_or_finish)` timed, and whether it changed its second (rules) or first (take
    steps) argument counted."""
    name = f"{kind} {step.__name__}"

    def run(first: Any, second: Any) -> None:
        changed = second if kind != "take step" else first
        before = fields(changed)
        started = time.process_time()
        step(first, second)
        spent = time.process_time() - started
        row = SPENT[name]
        row[0], row[1], row[2] = row[0] + 1, row[1] + same(before, fields(changed)), row[2] + spent

    run.__name__ = step.__name__
    return run


def instrument() -> None:
    """Every groove rule, mark and structure rule and take step wrapped (`checked`), where the decision reads them."""
    from seq2drum.groove import decide, marks, rules

    wrapped: dict[Any, Callable[[Any, Any], None]] = {}

    def wrap(step: Any, kind: str) -> Callable[[Any, Any], None]:
        if step not in wrapped:
            wrapped[step] = checked(step, kind)
        return wrapped[step]

    rules.GROOVE_RULES = tuple(wrap(rule, "rule") for rule in rules.GROOVE_RULES)
    rules.STYLE_GROOVE_RULES = tuple(wrap(rule, "rule") for rule in rules.STYLE_GROOVE_RULES)
    marks.STRUCTURE_RULES = tuple(wrap(rule, "mark") for rule in marks.STRUCTURE_RULES)
    mark_rules = marks.mark_rules
    marks.mark_rules = lambda *args, **kwargs: tuple(wrap(rule, "mark") for rule in mark_rules(*args, **kwargs))
    decide.TAKE_STEPS = tuple(wrap(step, "take step") for step in decide.TAKE_STEPS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--songs", type=int, default=4, help="the first N of bench_live_stream's songs")
    parser.add_argument("--bars", type=int, default=0, help="the first N bars of each song (0: all)")
    parser.add_argument("--top", type=int, default=40, help="steps printed, the costliest first")
    args = parser.parse_args()
    from seq2drum.live.model_drummer import LIVE_CHECKPOINT
    from server.live_jobs import LiveJob, LiveModel, run_live_job, take_bar

    drummer = LiveModel(LIVE_CHECKPOINT).load()
    instrument()
    gc.disable()  # a collection is the interpreter's, not a step's
    decided = 0
    for song in first_songs(args.songs):
        session, messages = stream_bars(drummer, song, 0, args.bars)
        for message in messages:
            call = take_bar(session, message)
            if call is None:
                continue
            session.state = run_live_job(drummer, LiveJob(state=session.state, call=call)).state
            session.state = drummer.after_bar(session.state)  # as the server, once the answer is sent
            decided += 1
    print(f"{decided} bars decided; per step: calls a bar, CPU us a call, share of calls that changed nothing")
    for name, (calls, unchanged, spent) in sorted(SPENT.items(), key=lambda item: -item[1][2])[: args.top]:
        print(f"  {name:32} {calls / max(1, decided):5.2f} {spent / calls * 1e6:8.1f} {unchanged / calls:6.2f}")


if __name__ == "__main__":
    sys.exit(main())
