"""Generation in four stages: `prepare` (read the song, choose its parts once), the model's scores, the groove
decision, `render` (velocity, timing, kit map, MIDI bytes); `generator.DrumGenerator` runs them, and `audio` renders
a WAV."""
