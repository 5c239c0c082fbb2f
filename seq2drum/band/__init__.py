"""What the band is (issue 100): its harmony, bass line, instruments, time and form, read from its notes into one
typed value, `BandDescription`, and what the drums heard of it in a line (`hear`: "heard: jazz, swung, 12-bar blues")
with the form their sections count (`counted_form`). Readers of the band (the part model, the touch, the sections)
import from here; a live stream's band is read as it plays (`RunningBand`)."""

from seq2drum.band.description import DESCRIPTION_FIELDS, BandDescription
from seq2drum.band.heard import HeardBand, counted_form, hear, heard_genre, jazz_score
from seq2drum.band.reading import BandBars, band_bars, describe_band, describe_json, summarize
from seq2drum.band.running import HeardBar, RunningBand

__all__ = ["DESCRIPTION_FIELDS", "BandBars", "BandDescription", "HeardBand", "HeardBar", "RunningBand", "band_bars",
           "counted_form", "describe_band", "describe_json", "hear", "heard_genre", "jazz_score", "summarize"]
