"""What the band is (issue 100): its harmony, bass line, instruments, time and form, read from its notes into one
typed value, `BandDescription`. Readers of the band (the part model, the touch, the sections) import from here."""

from seq2drum.band.description import DESCRIPTION_FIELDS, BandDescription
from seq2drum.band.reading import BandBars, band_bars, describe_band, summarize

__all__ = ["DESCRIPTION_FIELDS", "BandBars", "BandDescription", "band_bars", "describe_band", "summarize"]
