"""render: decided drums -> drums as played, one pipeline for offline and live (pipeline.py). It sits below both of
its callers, generation/render.py (a whole song's takes, written as MIDI) and live/render.py (one bar, sent back as
hits), and above what its steps apply (feel/: level, humanizer, swing; midi/: articulations, kit maps).
"""
