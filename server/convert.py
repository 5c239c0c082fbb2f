"""Proto messages <-> the library's objects: request options in, a take's metadata and the model's info out.

The options go through seq2drum.options.OPTIONS, the table that also makes main.py's and the DAW helper's flags,
so a field added there reaches the server without an edit here.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from seq2drum.errors import ConfigError
from seq2drum.midi.kit import MAX_KIT_MAP_CHARS
from seq2drum.options import (FEELS, LONG_TEXT_CHARS, MAX_HUMANIZE, MAX_SEED, MAX_TAKES, MAX_TEMPERATURE, OPTIONS,
                              GenerationOptions)
from seq2drum.rpc import seq2drum_pb2

if TYPE_CHECKING:
    from .arrange_jobs import ArrangeResult
    from .config import ServerConfig
    from .workers import JobResult

# GenerationOptions' accepted ranges, advertised by GetModelInfo.
TEMPERATURE_RANGE = (0.0, MAX_TEMPERATURE)
SEED_MAX = MAX_SEED
# The longest text an option takes (the kit map is the longest a person writes), but those of LONG_TEXT_CHARS (parts):
# checked before anything else looks at the text, so a request with megabytes in an option costs a length comparison.
MAX_OPTION_CHARS = MAX_KIT_MAP_CHARS


def options_from_proto(message: seq2drum_pb2.GenerationOptions) -> GenerationOptions:
    """Proto options -> validated `GenerationOptions` (ConfigError on a bad value). Unset fields (and empty or blank
    strings) take the defaults; floats the proto carries in 32 bits are rounded to 6 digits. The old on/off
    `humanize` means humanize_amount 0 or the default; ConfigError when both are set and disagree."""
    values: dict[str, Any] = {}
    for option in OPTIONS:
        field = option.proto_name
        if option.kind is str:
            text = getattr(message, field)
            limit = LONG_TEXT_CHARS.get(option.name, MAX_OPTION_CHARS)
            if len(text) > limit:
                raise ConfigError(f"{option.name} holds {len(text):,} characters; this server takes at most "
                                  f"{limit:,} in it")
            text = text.strip()
            values[option.name] = text or option.default
        elif option.kind is bool and not message.DESCRIPTOR.fields_by_name[field].has_presence:
            values[option.name] = getattr(message, field)
        elif option.kind is bytes:  # empty = none (GenerationOptions checks the size)
            values[option.name] = getattr(message, field) or option.default
        elif message.HasField(field):
            value = getattr(message, field)
            values[option.name] = round(value, 6) if option.float32 else value
        else:
            values[option.name] = option.default
    if message.HasField("humanize"):
        if message.HasField("humanize_amount") and message.humanize != (values["humanize"] > 0):
            raise ConfigError(f"humanize={str(message.humanize).lower()} and humanize_amount={values['humanize']:g} "
                              "disagree; send humanize_amount alone (0 = every hit on the grid)")
        if not message.humanize:
            values["humanize"] = 0.0
    return GenerationOptions(**values)


def options_to_proto(options: GenerationOptions) -> seq2drum_pb2.GenerationOptions:
    """`GenerationOptions` -> proto options, the inverse of `options_from_proto`: each option that differs from its
    default is set, the others left unset (the server's default is the same dataclass's). The studio sends a page's
    options to running servers this way."""
    message = seq2drum_pb2.GenerationOptions()
    for option in OPTIONS:
        value = getattr(options, option.name)
        if value is not None and value != option.default:
            setattr(message, option.proto_name, value)
    return message


def metadata_to_proto(result: JobResult, server_ms: float, take: int = 1) -> seq2drum_pb2.GenerationMetadata:
    """The metadata of one take (1 = `result.midi_bytes`, k > 1 = `result.more_takes[k - 2]`)."""
    midi, hits = (result.midi_bytes, result.n_hits) if take == 1 else result.more_takes[take - 2]
    return seq2drum_pb2.GenerationMetadata(
        bars=max(0, result.bars),
        tempo_changes=max(0, result.tempo_changes),
        time_signature_changes=max(0, result.time_signature_changes),
        drum_hits=hits,
        music_duration_s=result.duration_s,
        generation_ms=server_ms,
        seed=result.seed,
        model_name=result.model_name,
        model_version=result.model_version,
        output_bytes=len(midi),
        guitar_parts=result.guitar_parts,
        band_parts=result.band_parts,
        notices=result.notices,
        sections=result.sections,
        heard=result.heard,
        take=take,
        parts=_take_parts(result, take)[0],
        plan=_take_parts(result, take)[1],
    )


def take_to_proto(result: JobResult, take: int) -> seq2drum_pb2.Take:
    """A further take (k > 1, `result.more_takes[k - 2]`) as GenerateResponse.more_takes carries it."""
    midi, hits = result.more_takes[take - 2]
    parts, plan = _take_parts(result, take)
    return seq2drum_pb2.Take(index=take, midi=midi, drum_hits=hits, parts=parts, plan=plan)


def _take_parts(result: JobResult, take: int) -> tuple[list[str], str]:
    """Take `take`'s parts as played ("BAR: PART" where they change) and its plan; none for a result without."""
    parts = result.take_parts[take - 1] if take <= len(result.take_parts) else []
    return parts, result.take_plans[take - 1] if take <= len(result.take_plans) else ""


def model_info_to_proto(info: dict[str, Any], config: ServerConfig) -> seq2drum_pb2.GetModelInfoResponse:
    """The worker's `ModelInfo` (as a dict) and this server's limits."""
    defaults = GenerationOptions()
    limits = config.limits
    return seq2drum_pb2.GetModelInfoResponse(
        name=info["name"],
        version=info["version"],
        attention=info["attention"],
        parameters=info["n_parameters"],
        steps_per_quarter=info["steps_per_quarter"],
        drum_classes=list(info["drum_classes"]),
        training_data={str(key): json.dumps(value, default=str) for key, value in info["training_data"].items()},
        val_loss=info["val_loss"],
        train_seconds=info["train_seconds"],
        step=info["step"],
        options=seq2drum_pb2.OptionsSpec(
            temperature_min=TEMPERATURE_RANGE[0],
            temperature_max=TEMPERATURE_RANGE[1],
            temperature_default=defaults.temperature,
            seed_max=SEED_MAX,
            humanize_default=defaults.humanize > 0,
            max_takes=MAX_TAKES,
            humanize_amount_default=defaults.humanize,
            humanize_amount_max=MAX_HUMANIZE,
            feels=list(FEELS),
        ),
        limits=seq2drum_pb2.Limits(
            max_message_bytes=config.max_message_bytes,
            max_stream_bytes=config.max_stream_bytes,
            max_song_quarters=config.max_song_quarters,
            concurrent_generations=config.workers,
            max_notes=limits.max_notes,
            max_events=limits.max_events,
            max_tempo_changes=limits.max_tempo_changes,
            max_time_signature_changes=limits.max_time_signature_changes,
            concurrent_uploads=config.max_uploads,
            upload_idle_s=config.upload_idle_s,
            max_job_s=config.max_job_s,
            max_option_chars=MAX_OPTION_CHARS,
            min_upload_kib_s=config.min_upload_bytes_per_s / 1024,
            max_live_streams=config.max_streams,
            live_idle_s=config.live_idle_s,
        ),
        styles=[seq2drum_pb2.Style(name=style["name"], meters=list(style["meters"]), description=style["description"])
                for style in info.get("styles", ())],
    )


def arrangement_to_proto(result: ArrangeResult) -> seq2drum_pb2.ArrangeResponse:
    """The worker's arrangement as the Arrange call's answer."""
    response = seq2drum_pb2.ArrangeResponse(heard_band=result.heard_band, drummer_parts=result.drummer_parts,
                                            model_name=result.model_name, model_version=result.model_version,
                                            heard=result.heard)
    for section in result.sections:
        out = response.sections.add(key=section["key"], label=section["label"], occurrence=section["occurrence"],
                                    first_bar=section["first_bar"], bars=section["bars"],
                                    meter_family=section["meter_family"])
        for part_id, name, score in section["parts"]:
            out.parts.add(id=part_id, name=name, score=score)
        if section["drummer"] is not None:
            part_id, name, score = section["drummer"]
            out.drummer.CopyFrom(seq2drum_pb2.RankedPart(id=part_id, name=name, score=score))
        part, out.borrowed_words = section.get("borrowed", (None, ""))
        if part is not None:
            out.borrowed.CopyFrom(seq2drum_pb2.RankedPart(id=part[0], name=part[1], score=part[2]))
    return response
