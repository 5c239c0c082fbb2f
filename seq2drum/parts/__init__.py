"""parts: the drummer's parts of a song, learned from the drummers. labels.py says what a drummer plays in each
phrase (time-keeper, subdivision, kick and snare, level, fills); vocabulary.py groups the labels into named parts per
meter family, each with what the decision needs to play it; features.py reads each phrase's band; model.py predicts
each phrase's part from the band (numpy), fit.py trains it (torch).
"""
