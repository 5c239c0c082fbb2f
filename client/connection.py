"""The helper's flags made into what every mode sends: the generation options as the proto's (flags left out stay
unset; --kit-map's, --groove's and --parts-from's files read here, on the DAW's machine) and a `DrumClient` for the
flags' server(s). Shared by the file modes (daw_helper.py) and the ports (live_ports.py).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from seq2drum.credentials import read_token
from seq2drum.errors import ConfigError
from seq2drum.midi.kit_presets import preset, preset_keys
from seq2drum.options import OPTION_BY_NAME, chosen_options, read_groove_file, read_parts_from_file
from seq2drum.rpc import seq2drum_pb2
from seq2drum.user_files import read_user_file

from .drum_client import DEFAULT_SERVER, DrumClient, HelperError

# Unsigned fields of the proto, by name -> the first value past their range (a negative one cannot be sent at all).
MAX_KIT_MAP_BYTES = 4 * 8192  # the server takes a kit map of at most 8,192 characters (seq2drum/midi/kit.py)
_UINT_LIMITS = {field.name: 2 ** (64 if field.cpp_type == field.CPPTYPE_UINT64 else 32)
                for field in seq2drum_pb2.GenerationOptions.DESCRIPTOR.fields
                if field.cpp_type in (field.CPPTYPE_UINT32, field.CPPTYPE_UINT64)}


def options_from_args(args: argparse.Namespace) -> seq2drum_pb2.GenerationOptions:
    """The generation flags as the proto's options; flags left out stay unset. --kit-map's, --groove's and
    --parts-from's files are read here (the server checks them)."""
    options = seq2drum_pb2.GenerationOptions()
    for name, value in chosen_options(args).items():
        if name == "kit_map":
            if value.strip().lower() != "gm":
                options.kit_map = read_kit_map_text(value)
            continue
        if name in ("groove_midi", "parts_from"):  # the file is read here, on the DAW's machine, and its bytes sent
            try:
                setattr(options, name, (read_groove_file if name == "groove_midi" else read_parts_from_file)(value))
            except ConfigError as exc:
                raise HelperError(str(exc)) from None
            continue
        if name in _UINT_LIMITS and not 0 <= value < _UINT_LIMITS[name]:  # within it, the server says the real range
            raise HelperError(f"{OPTION_BY_NAME[name].flag} must be >= 0, got {value}")
        setattr(options, OPTION_BY_NAME[name].proto_name, value)
    return options


def connect(args: argparse.Namespace) -> tuple[seq2drum_pb2.GenerationOptions, DrumClient]:
    """The generation options and a client for the flags' server(s). HelperError or ConfigError for a bad flag."""
    options = options_from_args(args)
    return options, DrumClient(args.server or DEFAULT_SERVER, args.timeout, args.wait, tls_ca=args.tls_ca,
                               token=read_token(args.token_file))


def read_kit_map_text(path: str) -> str:
    """--kit-map's JSON: a shipped preset's (by name) or a file's (the server checks it)."""
    shipped = preset(path)
    if shipped is not None and not Path(path).is_file():
        return shipped.text
    hint = 'name a JSON file such as {"kick": 36, "snare": 38}, or a preset: ' + preset_keys()
    try:  # a regular file of at most 8,192 characters (the server's limit), read only then
        return read_user_file(path, "--kit-map", MAX_KIT_MAP_BYTES, hint).decode("utf-8")
    except ConfigError as exc:
        raise HelperError(str(exc)) from None
    except UnicodeDecodeError as exc:
        raise HelperError(f"cannot read --kit-map {path}: {exc}; {hint}") from None
