"""Tools for users of the model and the data (each documented in docs/): cross-validation and scoring (crossval,
score_split, kit_figures, plan_bound), checkpoints (ensemble, take_menu), reference runs (live_ref), the docs' pictures
and the GPU check. Studies live in studies/. Run from the repository root: `python -m tools.NAME --help`."""
