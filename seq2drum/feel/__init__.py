"""feel: how a drummer plays the hits decided (velocity and timing), learned from the Groove MIDI Dataset's drummers
(Gillick et al., ICML 2019; CC BY 4.0). contexts.py describes each hit's musical context (the one definition fitting
and rendering share); model.py holds the learned tables and samples from them at the render stage; drift.py makes one
drummer's hits hang together (his timing drifts, his habits repeat bar after bar); fit.py learns the tables from GMD's
train split (`python -m seq2drum.feel.fit`; drift_fit.py the drift's part), writing gmd_feel.npz and gmd_feel.json
beside it.
"""
