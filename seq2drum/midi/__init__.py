"""The only code that touches MIDI bytes: a cheap pre-scan, reading parts (and which are the guitar), writing files,
the General MIDI drum classes and drum maps."""
