"""Tools that are not benchmarks: they edit a checkpoint (take_menu) or study data and the model (structure_signal,
shape_figures, crossval, swing_styles). Run from the repository root: `python -m tools.NAME --help`."""
