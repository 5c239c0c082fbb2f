"""A spy on what happens to the LSTMs' weights, for the tests that hold `flatten_lstms` in place on a CPU (where
cuDNN's flattening is a no-op and its warning never shows): every move (`Module.to`), every load
(`Module.load_state_dict`) and every `LSTM.flatten_parameters` called by seq2drum's `flatten_lstms`, in order. torch's
own call inside `.to()` is not counted: it is what a copy made afterwards (`AveragedModel`) misses."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from torch import nn

Event = tuple[str, int]  # ("move" | "load" | "flatten", id of the module)


@contextmanager
def lstm_events(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Event]]:
    events: list[Event] = []
    move, load, flatten = nn.Module.to, nn.Module.load_state_dict, nn.LSTM.flatten_parameters

    def spied_move(self: nn.Module, *args: object, **kwargs: object) -> nn.Module:
        events.append(("move", id(self)))
        return move(self, *args, **kwargs)

    def spied_load(self: nn.Module, *args: object, **kwargs: object) -> object:
        events.append(("load", id(self)))
        return load(self, *args, **kwargs)

    def spied_flatten(self: nn.LSTM) -> None:
        if sys._getframe(1).f_code.co_name == "flatten_lstms":
            events.append(("flatten", id(self)))
        flatten(self)

    with monkeypatch.context() as patch:
        patch.setattr(nn.Module, "to", spied_move)
        patch.setattr(nn.Module, "load_state_dict", spied_load)
        patch.setattr(nn.LSTM, "flatten_parameters", spied_flatten)
        yield events


def unflattened_after(events: list[Event], module: nn.Module, kind: str | None) -> list[str]:
    """The names of `module`'s LSTMs that `flatten_lstms` did not flatten after `module`'s last event of `kind`
    (AssertionError when there was no such event: the spy saw nothing to hold), or at all when `kind` is None."""
    last = -1 if kind is None else max(
        (i for i, (what, owner) in enumerate(events) if what == kind and owner == id(module)), default=None)
    assert last is not None, f"no {kind} of the module was seen"
    flattened = {owner for what, owner in events[last + 1:] if what == "flatten"}
    return [name for name, child in module.named_modules() if isinstance(child, nn.LSTM) and id(child) not in flattened]
