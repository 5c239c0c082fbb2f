"""What each bar plays: the groove codebook, per-bar gains and the Viterbi path, bar structure (rests, crashes, fills),
the decoding policy and Steering, takes, styles, the musician's controls, count-in and drums from nothing."""
