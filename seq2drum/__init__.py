"""seq2drum: drums for a guitar part (and, later, the whole band), as General MIDI on channel 10.

The spine, one subpackage a stage: midi (bytes <-> parts, the drum map, the guitar's choice) -> song (the grid, the
column table, bars and sections) -> model (the network, its numpy twin, checkpoints, scores) -> groove (what each bar
plays: codebook, gains, structure, takes, steering by the controls) -> generation (prepare -> score -> decide ->
render, where feel, learned from GMD's drummers, gives each hit its velocity and timing). training/ and evaluation/
build and judge models; cli/ is the command line; options, outputs, atomic, errors and credentials are
standard-library only, shared with the DAW helper. This file imports nothing, so the helper can import those without
numpy.
"""
