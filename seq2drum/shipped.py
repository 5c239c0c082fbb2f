"""Where the shipped model is, without importing torch: the checkout's models/default.pt, else the copy an
installed wheel carries as package data (seq2drum/models/default.pt)."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def default_checkpoint() -> Path:
    """models/default.pt of the checkout this package runs from, else of the installed package; when neither is
    there, the checkout's path (so the "not found" error names where it belongs)."""
    candidates = (_PACKAGE.parent / "models" / "default.pt", _PACKAGE / "models" / "default.pt")
    return next((path for path in candidates if path.is_file()), candidates[0])


DEFAULT_CHECKPOINT = default_checkpoint()
# A checkpoint larger than this is no seq2drum model (models/default.pt is 3.6 MB, an ensemble of 8 about 30 MB): it is
# refused by its size before it is hashed, checked or loaded (a 2 GB file took 2.1 GB of memory and 37 s to refuse)
MAX_CHECKPOINT_BYTES = 1 << 30
