from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GenerationOptions(_message.Message):
    __slots__ = ("temperature", "seed", "track", "merge", "humanize", "humanize_amount", "feel", "guitar_only", "keep_drums", "fill_breaks", "groove_midi", "takes", "kit_map", "count_in_bars", "bars", "tempo_qpm", "meter", "style", "density", "fills", "crashes", "swing", "dynamics", "cymbal", "plan", "parts", "rest_after", "parts_from", "genre")
    TEMPERATURE_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    TRACK_FIELD_NUMBER: _ClassVar[int]
    MERGE_FIELD_NUMBER: _ClassVar[int]
    HUMANIZE_FIELD_NUMBER: _ClassVar[int]
    HUMANIZE_AMOUNT_FIELD_NUMBER: _ClassVar[int]
    FEEL_FIELD_NUMBER: _ClassVar[int]
    GUITAR_ONLY_FIELD_NUMBER: _ClassVar[int]
    KEEP_DRUMS_FIELD_NUMBER: _ClassVar[int]
    FILL_BREAKS_FIELD_NUMBER: _ClassVar[int]
    GROOVE_MIDI_FIELD_NUMBER: _ClassVar[int]
    TAKES_FIELD_NUMBER: _ClassVar[int]
    KIT_MAP_FIELD_NUMBER: _ClassVar[int]
    COUNT_IN_BARS_FIELD_NUMBER: _ClassVar[int]
    BARS_FIELD_NUMBER: _ClassVar[int]
    TEMPO_QPM_FIELD_NUMBER: _ClassVar[int]
    METER_FIELD_NUMBER: _ClassVar[int]
    STYLE_FIELD_NUMBER: _ClassVar[int]
    DENSITY_FIELD_NUMBER: _ClassVar[int]
    FILLS_FIELD_NUMBER: _ClassVar[int]
    CRASHES_FIELD_NUMBER: _ClassVar[int]
    SWING_FIELD_NUMBER: _ClassVar[int]
    DYNAMICS_FIELD_NUMBER: _ClassVar[int]
    CYMBAL_FIELD_NUMBER: _ClassVar[int]
    PLAN_FIELD_NUMBER: _ClassVar[int]
    PARTS_FIELD_NUMBER: _ClassVar[int]
    REST_AFTER_FIELD_NUMBER: _ClassVar[int]
    PARTS_FROM_FIELD_NUMBER: _ClassVar[int]
    GENRE_FIELD_NUMBER: _ClassVar[int]
    temperature: float
    seed: int
    track: str
    merge: bool
    humanize: bool
    humanize_amount: float
    feel: str
    guitar_only: bool
    keep_drums: bool
    fill_breaks: bool
    groove_midi: bytes
    takes: int
    kit_map: str
    count_in_bars: int
    bars: int
    tempo_qpm: float
    meter: str
    style: str
    density: float
    fills: str
    crashes: str
    swing: float
    dynamics: float
    cymbal: str
    plan: str
    parts: str
    rest_after: int
    parts_from: bytes
    genre: str
    def __init__(self, temperature: _Optional[float] = ..., seed: _Optional[int] = ..., track: _Optional[str] = ..., merge: _Optional[bool] = ..., humanize: _Optional[bool] = ..., humanize_amount: _Optional[float] = ..., feel: _Optional[str] = ..., guitar_only: _Optional[bool] = ..., keep_drums: _Optional[bool] = ..., fill_breaks: _Optional[bool] = ..., groove_midi: _Optional[bytes] = ..., takes: _Optional[int] = ..., kit_map: _Optional[str] = ..., count_in_bars: _Optional[int] = ..., bars: _Optional[int] = ..., tempo_qpm: _Optional[float] = ..., meter: _Optional[str] = ..., style: _Optional[str] = ..., density: _Optional[float] = ..., fills: _Optional[str] = ..., crashes: _Optional[str] = ..., swing: _Optional[float] = ..., dynamics: _Optional[float] = ..., cymbal: _Optional[str] = ..., plan: _Optional[str] = ..., parts: _Optional[str] = ..., rest_after: _Optional[int] = ..., parts_from: _Optional[bytes] = ..., genre: _Optional[str] = ...) -> None: ...

class GenerateRequest(_message.Message):
    __slots__ = ("midi", "options")
    MIDI_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    midi: bytes
    options: GenerationOptions
    def __init__(self, midi: _Optional[bytes] = ..., options: _Optional[_Union[GenerationOptions, _Mapping]] = ...) -> None: ...

class GenerationMetadata(_message.Message):
    __slots__ = ("bars", "tempo_changes", "time_signature_changes", "drum_hits", "music_duration_s", "generation_ms", "seed", "model_name", "model_version", "output_bytes", "guitar_parts", "band_parts", "notices", "sections", "take", "parts", "plan", "heard")
    BARS_FIELD_NUMBER: _ClassVar[int]
    TEMPO_CHANGES_FIELD_NUMBER: _ClassVar[int]
    TIME_SIGNATURE_CHANGES_FIELD_NUMBER: _ClassVar[int]
    DRUM_HITS_FIELD_NUMBER: _ClassVar[int]
    MUSIC_DURATION_S_FIELD_NUMBER: _ClassVar[int]
    GENERATION_MS_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_BYTES_FIELD_NUMBER: _ClassVar[int]
    GUITAR_PARTS_FIELD_NUMBER: _ClassVar[int]
    BAND_PARTS_FIELD_NUMBER: _ClassVar[int]
    NOTICES_FIELD_NUMBER: _ClassVar[int]
    SECTIONS_FIELD_NUMBER: _ClassVar[int]
    TAKE_FIELD_NUMBER: _ClassVar[int]
    PARTS_FIELD_NUMBER: _ClassVar[int]
    PLAN_FIELD_NUMBER: _ClassVar[int]
    HEARD_FIELD_NUMBER: _ClassVar[int]
    bars: int
    tempo_changes: int
    time_signature_changes: int
    drum_hits: int
    music_duration_s: float
    generation_ms: float
    seed: int
    model_name: str
    model_version: str
    output_bytes: int
    guitar_parts: _containers.RepeatedScalarFieldContainer[str]
    band_parts: _containers.RepeatedScalarFieldContainer[str]
    notices: _containers.RepeatedScalarFieldContainer[str]
    sections: _containers.RepeatedScalarFieldContainer[str]
    take: int
    parts: _containers.RepeatedScalarFieldContainer[str]
    plan: str
    heard: str
    def __init__(self, bars: _Optional[int] = ..., tempo_changes: _Optional[int] = ..., time_signature_changes: _Optional[int] = ..., drum_hits: _Optional[int] = ..., music_duration_s: _Optional[float] = ..., generation_ms: _Optional[float] = ..., seed: _Optional[int] = ..., model_name: _Optional[str] = ..., model_version: _Optional[str] = ..., output_bytes: _Optional[int] = ..., guitar_parts: _Optional[_Iterable[str]] = ..., band_parts: _Optional[_Iterable[str]] = ..., notices: _Optional[_Iterable[str]] = ..., sections: _Optional[_Iterable[str]] = ..., take: _Optional[int] = ..., parts: _Optional[_Iterable[str]] = ..., plan: _Optional[str] = ..., heard: _Optional[str] = ...) -> None: ...

class Take(_message.Message):
    __slots__ = ("index", "midi", "drum_hits", "parts", "plan")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    MIDI_FIELD_NUMBER: _ClassVar[int]
    DRUM_HITS_FIELD_NUMBER: _ClassVar[int]
    PARTS_FIELD_NUMBER: _ClassVar[int]
    PLAN_FIELD_NUMBER: _ClassVar[int]
    index: int
    midi: bytes
    drum_hits: int
    parts: _containers.RepeatedScalarFieldContainer[str]
    plan: str
    def __init__(self, index: _Optional[int] = ..., midi: _Optional[bytes] = ..., drum_hits: _Optional[int] = ..., parts: _Optional[_Iterable[str]] = ..., plan: _Optional[str] = ...) -> None: ...

class GenerateResponse(_message.Message):
    __slots__ = ("midi", "metadata", "more_takes")
    MIDI_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    MORE_TAKES_FIELD_NUMBER: _ClassVar[int]
    midi: bytes
    metadata: GenerationMetadata
    more_takes: _containers.RepeatedCompositeFieldContainer[Take]
    def __init__(self, midi: _Optional[bytes] = ..., metadata: _Optional[_Union[GenerationMetadata, _Mapping]] = ..., more_takes: _Optional[_Iterable[_Union[Take, _Mapping]]] = ...) -> None: ...

class GenerateStreamRequest(_message.Message):
    __slots__ = ("options", "midi_chunk")
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    MIDI_CHUNK_FIELD_NUMBER: _ClassVar[int]
    options: GenerationOptions
    midi_chunk: bytes
    def __init__(self, options: _Optional[_Union[GenerationOptions, _Mapping]] = ..., midi_chunk: _Optional[bytes] = ...) -> None: ...

class GenerateStreamResponse(_message.Message):
    __slots__ = ("metadata", "midi_chunk")
    METADATA_FIELD_NUMBER: _ClassVar[int]
    MIDI_CHUNK_FIELD_NUMBER: _ClassVar[int]
    metadata: GenerationMetadata
    midi_chunk: bytes
    def __init__(self, metadata: _Optional[_Union[GenerationMetadata, _Mapping]] = ..., midi_chunk: _Optional[bytes] = ...) -> None: ...

class GetModelInfoRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class OptionsSpec(_message.Message):
    __slots__ = ("temperature_min", "temperature_max", "temperature_default", "seed_max", "humanize_default", "max_takes", "humanize_amount_default", "humanize_amount_max", "feels")
    TEMPERATURE_MIN_FIELD_NUMBER: _ClassVar[int]
    TEMPERATURE_MAX_FIELD_NUMBER: _ClassVar[int]
    TEMPERATURE_DEFAULT_FIELD_NUMBER: _ClassVar[int]
    SEED_MAX_FIELD_NUMBER: _ClassVar[int]
    HUMANIZE_DEFAULT_FIELD_NUMBER: _ClassVar[int]
    MAX_TAKES_FIELD_NUMBER: _ClassVar[int]
    HUMANIZE_AMOUNT_DEFAULT_FIELD_NUMBER: _ClassVar[int]
    HUMANIZE_AMOUNT_MAX_FIELD_NUMBER: _ClassVar[int]
    FEELS_FIELD_NUMBER: _ClassVar[int]
    temperature_min: float
    temperature_max: float
    temperature_default: float
    seed_max: int
    humanize_default: bool
    max_takes: int
    humanize_amount_default: float
    humanize_amount_max: float
    feels: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, temperature_min: _Optional[float] = ..., temperature_max: _Optional[float] = ..., temperature_default: _Optional[float] = ..., seed_max: _Optional[int] = ..., humanize_default: _Optional[bool] = ..., max_takes: _Optional[int] = ..., humanize_amount_default: _Optional[float] = ..., humanize_amount_max: _Optional[float] = ..., feels: _Optional[_Iterable[str]] = ...) -> None: ...

class Limits(_message.Message):
    __slots__ = ("max_message_bytes", "max_stream_bytes", "max_song_quarters", "concurrent_generations", "max_notes", "max_events", "max_tempo_changes", "max_time_signature_changes", "concurrent_uploads", "upload_idle_s", "max_job_s", "max_option_chars", "min_upload_kib_s", "max_live_streams", "live_idle_s")
    MAX_MESSAGE_BYTES_FIELD_NUMBER: _ClassVar[int]
    MAX_STREAM_BYTES_FIELD_NUMBER: _ClassVar[int]
    MAX_SONG_QUARTERS_FIELD_NUMBER: _ClassVar[int]
    CONCURRENT_GENERATIONS_FIELD_NUMBER: _ClassVar[int]
    MAX_NOTES_FIELD_NUMBER: _ClassVar[int]
    MAX_EVENTS_FIELD_NUMBER: _ClassVar[int]
    MAX_TEMPO_CHANGES_FIELD_NUMBER: _ClassVar[int]
    MAX_TIME_SIGNATURE_CHANGES_FIELD_NUMBER: _ClassVar[int]
    CONCURRENT_UPLOADS_FIELD_NUMBER: _ClassVar[int]
    UPLOAD_IDLE_S_FIELD_NUMBER: _ClassVar[int]
    MAX_JOB_S_FIELD_NUMBER: _ClassVar[int]
    MAX_OPTION_CHARS_FIELD_NUMBER: _ClassVar[int]
    MIN_UPLOAD_KIB_S_FIELD_NUMBER: _ClassVar[int]
    MAX_LIVE_STREAMS_FIELD_NUMBER: _ClassVar[int]
    LIVE_IDLE_S_FIELD_NUMBER: _ClassVar[int]
    max_message_bytes: int
    max_stream_bytes: int
    max_song_quarters: int
    concurrent_generations: int
    max_notes: int
    max_events: int
    max_tempo_changes: int
    max_time_signature_changes: int
    concurrent_uploads: int
    upload_idle_s: float
    max_job_s: float
    max_option_chars: int
    min_upload_kib_s: float
    max_live_streams: int
    live_idle_s: float
    def __init__(self, max_message_bytes: _Optional[int] = ..., max_stream_bytes: _Optional[int] = ..., max_song_quarters: _Optional[int] = ..., concurrent_generations: _Optional[int] = ..., max_notes: _Optional[int] = ..., max_events: _Optional[int] = ..., max_tempo_changes: _Optional[int] = ..., max_time_signature_changes: _Optional[int] = ..., concurrent_uploads: _Optional[int] = ..., upload_idle_s: _Optional[float] = ..., max_job_s: _Optional[float] = ..., max_option_chars: _Optional[int] = ..., min_upload_kib_s: _Optional[float] = ..., max_live_streams: _Optional[int] = ..., live_idle_s: _Optional[float] = ...) -> None: ...

class GetModelInfoResponse(_message.Message):
    __slots__ = ("name", "version", "attention", "parameters", "steps_per_quarter", "drum_classes", "training_data", "val_loss", "train_seconds", "step", "options", "limits", "styles")
    class TrainingDataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ATTENTION_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    STEPS_PER_QUARTER_FIELD_NUMBER: _ClassVar[int]
    DRUM_CLASSES_FIELD_NUMBER: _ClassVar[int]
    TRAINING_DATA_FIELD_NUMBER: _ClassVar[int]
    VAL_LOSS_FIELD_NUMBER: _ClassVar[int]
    TRAIN_SECONDS_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    LIMITS_FIELD_NUMBER: _ClassVar[int]
    STYLES_FIELD_NUMBER: _ClassVar[int]
    name: str
    version: str
    attention: bool
    parameters: int
    steps_per_quarter: int
    drum_classes: _containers.RepeatedScalarFieldContainer[str]
    training_data: _containers.ScalarMap[str, str]
    val_loss: float
    train_seconds: float
    step: int
    options: OptionsSpec
    limits: Limits
    styles: _containers.RepeatedCompositeFieldContainer[Style]
    def __init__(self, name: _Optional[str] = ..., version: _Optional[str] = ..., attention: _Optional[bool] = ..., parameters: _Optional[int] = ..., steps_per_quarter: _Optional[int] = ..., drum_classes: _Optional[_Iterable[str]] = ..., training_data: _Optional[_Mapping[str, str]] = ..., val_loss: _Optional[float] = ..., train_seconds: _Optional[float] = ..., step: _Optional[int] = ..., options: _Optional[_Union[OptionsSpec, _Mapping]] = ..., limits: _Optional[_Union[Limits, _Mapping]] = ..., styles: _Optional[_Iterable[_Union[Style, _Mapping]]] = ...) -> None: ...

class Style(_message.Message):
    __slots__ = ("name", "meters", "description")
    NAME_FIELD_NUMBER: _ClassVar[int]
    METERS_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    name: str
    meters: _containers.RepeatedScalarFieldContainer[str]
    description: str
    def __init__(self, name: _Optional[str] = ..., meters: _Optional[_Iterable[str]] = ..., description: _Optional[str] = ...) -> None: ...

class PlayAlongStart(_message.Message):
    __slots__ = ("options", "parts", "switch_parts")
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    PARTS_FIELD_NUMBER: _ClassVar[int]
    SWITCH_PARTS_FIELD_NUMBER: _ClassVar[int]
    options: GenerationOptions
    parts: _containers.RepeatedCompositeFieldContainer[LivePart]
    switch_parts: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, options: _Optional[_Union[GenerationOptions, _Mapping]] = ..., parts: _Optional[_Iterable[_Union[LivePart, _Mapping]]] = ..., switch_parts: _Optional[_Iterable[str]] = ...) -> None: ...

class LivePart(_message.Message):
    __slots__ = ("name", "program", "channel")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PROGRAM_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    name: str
    program: int
    channel: int
    def __init__(self, name: _Optional[str] = ..., program: _Optional[int] = ..., channel: _Optional[int] = ...) -> None: ...

class LiveNote(_message.Message):
    __slots__ = ("onset_quarters", "duration_quarters", "pitch", "velocity", "part")
    ONSET_QUARTERS_FIELD_NUMBER: _ClassVar[int]
    DURATION_QUARTERS_FIELD_NUMBER: _ClassVar[int]
    PITCH_FIELD_NUMBER: _ClassVar[int]
    VELOCITY_FIELD_NUMBER: _ClassVar[int]
    PART_FIELD_NUMBER: _ClassVar[int]
    onset_quarters: float
    duration_quarters: float
    pitch: int
    velocity: int
    part: int
    def __init__(self, onset_quarters: _Optional[float] = ..., duration_quarters: _Optional[float] = ..., pitch: _Optional[int] = ..., velocity: _Optional[int] = ..., part: _Optional[int] = ...) -> None: ...

class PlayedBar(_message.Message):
    __slots__ = ("index", "numerator", "denominator", "tempo_bpm", "notes")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    NUMERATOR_FIELD_NUMBER: _ClassVar[int]
    DENOMINATOR_FIELD_NUMBER: _ClassVar[int]
    TEMPO_BPM_FIELD_NUMBER: _ClassVar[int]
    NOTES_FIELD_NUMBER: _ClassVar[int]
    index: int
    numerator: int
    denominator: int
    tempo_bpm: float
    notes: _containers.RepeatedCompositeFieldContainer[LiveNote]
    def __init__(self, index: _Optional[int] = ..., numerator: _Optional[int] = ..., denominator: _Optional[int] = ..., tempo_bpm: _Optional[float] = ..., notes: _Optional[_Iterable[_Union[LiveNote, _Mapping]]] = ...) -> None: ...

class PlayAlongRequest(_message.Message):
    __slots__ = ("start", "bar", "part_switch")
    START_FIELD_NUMBER: _ClassVar[int]
    BAR_FIELD_NUMBER: _ClassVar[int]
    PART_SWITCH_FIELD_NUMBER: _ClassVar[int]
    start: PlayAlongStart
    bar: PlayedBar
    part_switch: PartSwitch
    def __init__(self, start: _Optional[_Union[PlayAlongStart, _Mapping]] = ..., bar: _Optional[_Union[PlayedBar, _Mapping]] = ..., part_switch: _Optional[_Union[PartSwitch, _Mapping]] = ...) -> None: ...

class PartSwitch(_message.Message):
    __slots__ = ("part",)
    PART_FIELD_NUMBER: _ClassVar[int]
    part: str
    def __init__(self, part: _Optional[str] = ...) -> None: ...

class PlayAlongReady(_message.Message):
    __slots__ = ("model_name", "model_version", "lead_quarters", "seed", "notices")
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    LEAD_QUARTERS_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    NOTICES_FIELD_NUMBER: _ClassVar[int]
    model_name: str
    model_version: str
    lead_quarters: float
    seed: int
    notices: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, model_name: _Optional[str] = ..., model_version: _Optional[str] = ..., lead_quarters: _Optional[float] = ..., seed: _Optional[int] = ..., notices: _Optional[_Iterable[str]] = ...) -> None: ...

class LiveDrumHit(_message.Message):
    __slots__ = ("onset_quarters", "pitch", "velocity", "duration_quarters")
    ONSET_QUARTERS_FIELD_NUMBER: _ClassVar[int]
    PITCH_FIELD_NUMBER: _ClassVar[int]
    VELOCITY_FIELD_NUMBER: _ClassVar[int]
    DURATION_QUARTERS_FIELD_NUMBER: _ClassVar[int]
    onset_quarters: float
    pitch: int
    velocity: int
    duration_quarters: float
    def __init__(self, onset_quarters: _Optional[float] = ..., pitch: _Optional[int] = ..., velocity: _Optional[int] = ..., duration_quarters: _Optional[float] = ...) -> None: ...

class DrumBar(_message.Message):
    __slots__ = ("index", "hits", "resting", "decide_ms")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    HITS_FIELD_NUMBER: _ClassVar[int]
    RESTING_FIELD_NUMBER: _ClassVar[int]
    DECIDE_MS_FIELD_NUMBER: _ClassVar[int]
    index: int
    hits: _containers.RepeatedCompositeFieldContainer[LiveDrumHit]
    resting: bool
    decide_ms: float
    def __init__(self, index: _Optional[int] = ..., hits: _Optional[_Iterable[_Union[LiveDrumHit, _Mapping]]] = ..., resting: _Optional[bool] = ..., decide_ms: _Optional[float] = ...) -> None: ...

class PlayAlongResponse(_message.Message):
    __slots__ = ("ready", "bar")
    READY_FIELD_NUMBER: _ClassVar[int]
    BAR_FIELD_NUMBER: _ClassVar[int]
    ready: PlayAlongReady
    bar: DrumBar
    def __init__(self, ready: _Optional[_Union[PlayAlongReady, _Mapping]] = ..., bar: _Optional[_Union[DrumBar, _Mapping]] = ...) -> None: ...

class ArrangeRequest(_message.Message):
    __slots__ = ("midi", "options", "drummer")
    MIDI_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    DRUMMER_FIELD_NUMBER: _ClassVar[int]
    midi: bytes
    options: GenerationOptions
    drummer: bool
    def __init__(self, midi: _Optional[bytes] = ..., options: _Optional[_Union[GenerationOptions, _Mapping]] = ..., drummer: _Optional[bool] = ...) -> None: ...

class RankedPart(_message.Message):
    __slots__ = ("name", "id", "score")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    name: str
    id: int
    score: float
    def __init__(self, name: _Optional[str] = ..., id: _Optional[int] = ..., score: _Optional[float] = ...) -> None: ...

class ArrangedSection(_message.Message):
    __slots__ = ("key", "label", "occurrence", "first_bar", "bars", "meter_family", "parts", "drummer", "borrowed", "borrowed_words")
    KEY_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    OCCURRENCE_FIELD_NUMBER: _ClassVar[int]
    FIRST_BAR_FIELD_NUMBER: _ClassVar[int]
    BARS_FIELD_NUMBER: _ClassVar[int]
    METER_FAMILY_FIELD_NUMBER: _ClassVar[int]
    PARTS_FIELD_NUMBER: _ClassVar[int]
    DRUMMER_FIELD_NUMBER: _ClassVar[int]
    BORROWED_FIELD_NUMBER: _ClassVar[int]
    BORROWED_WORDS_FIELD_NUMBER: _ClassVar[int]
    key: str
    label: str
    occurrence: int
    first_bar: int
    bars: int
    meter_family: str
    parts: _containers.RepeatedCompositeFieldContainer[RankedPart]
    drummer: RankedPart
    borrowed: RankedPart
    borrowed_words: str
    def __init__(self, key: _Optional[str] = ..., label: _Optional[str] = ..., occurrence: _Optional[int] = ..., first_bar: _Optional[int] = ..., bars: _Optional[int] = ..., meter_family: _Optional[str] = ..., parts: _Optional[_Iterable[_Union[RankedPart, _Mapping]]] = ..., drummer: _Optional[_Union[RankedPart, _Mapping]] = ..., borrowed: _Optional[_Union[RankedPart, _Mapping]] = ..., borrowed_words: _Optional[str] = ...) -> None: ...

class ArrangeResponse(_message.Message):
    __slots__ = ("sections", "heard_band", "drummer_parts", "model_name", "model_version", "heard")
    SECTIONS_FIELD_NUMBER: _ClassVar[int]
    HEARD_BAND_FIELD_NUMBER: _ClassVar[int]
    DRUMMER_PARTS_FIELD_NUMBER: _ClassVar[int]
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    MODEL_VERSION_FIELD_NUMBER: _ClassVar[int]
    HEARD_FIELD_NUMBER: _ClassVar[int]
    sections: _containers.RepeatedCompositeFieldContainer[ArrangedSection]
    heard_band: bool
    drummer_parts: str
    model_name: str
    model_version: str
    heard: str
    def __init__(self, sections: _Optional[_Iterable[_Union[ArrangedSection, _Mapping]]] = ..., heard_band: _Optional[bool] = ..., drummer_parts: _Optional[str] = ..., model_name: _Optional[str] = ..., model_version: _Optional[str] = ..., heard: _Optional[str] = ...) -> None: ...
