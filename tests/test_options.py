"""seq2drum.options: the one table of generation options agrees with the dataclass, the .proto, main.py's flags,
the server's mapping and the DAW helper's flags; and it (with the other modules the helper shares) stays stdlib-only."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from client import connection, daw_helper
from seq2drum.cli import main
from seq2drum.options import OPTIONS, GenerationOptions
from seq2drum.rpc import seq2drum_pb2
from server.convert import options_from_proto, options_to_proto

REPO = Path(__file__).resolve().parents[1]
FIELDS = [name for name in GenerationOptions.__dataclass_fields__]


def flags_of(parser: object) -> dict[str, str]:
    """Option string -> dest of every flag a parser has."""
    return {flag: action.dest for action in parser._actions for flag in action.option_strings}  # type: ignore[attr-defined]


def test_the_table_describes_every_field_once() -> None:
    """Breaks when a GenerationOptions field is added without its row in OPTIONS (or a row outlives its field)."""
    assert [option.name for option in OPTIONS] == FIELDS
    assert len({option.flag for option in OPTIONS}) == len(OPTIONS)


def test_the_proto_has_the_tables_field_names_and_numbers() -> None:
    """Breaks when proto/seq2drum.proto renames or renumbers an option, or the table does. The proto also keeps the
    old on/off `humanize` (5), which the server maps onto humanize_amount."""
    proto = {field.name: field.number for field in seq2drum_pb2.GenerationOptions.DESCRIPTOR.fields}
    assert proto == {option.proto_name: option.number for option in OPTIONS} | {"humanize": 5}


@pytest.mark.parametrize("parser", [main.build_parser(), daw_helper.build_parser()], ids=["main.py", "daw_helper"])
def test_both_commands_have_every_flag_of_the_table(parser: object) -> None:
    """Breaks when main.py or the helper loses a generation flag or maps it to another field."""
    flags = flags_of(parser)
    for option in OPTIONS:
        assert flags.get(option.flag) == option.name, option.flag


def test_unset_proto_fields_are_the_dataclass_defaults() -> None:
    """An empty request means GenerationOptions() exactly; the server adds no defaults of its own."""
    assert options_from_proto(seq2drum_pb2.GenerationOptions()) == GenerationOptions()


@pytest.mark.parametrize("options", [
    GenerationOptions(),
    GenerationOptions(temperature=0.5, seed=7, track="2,3", merge=True, humanize=0.0, takes=3, count_in_bars=1,
                      style="half-time", density=0.67, fills="every:4", crashes="none", swing=0.67, dynamics=1.2,
                      cymbal="ride", feel="laid-back", guitar_only=True, keep_drums=True, groove_midi=b"MThd clip",
                      kit_map='{"snare": 40}', rest_after=4, genre="jazz"),
    GenerationOptions(bars=16, tempo_qpm=96.0, meter="7/8", humanize=1.25),
], ids=["defaults", "every-option", "from-nothing"])
def test_options_to_proto_and_back_are_the_same_options(options: GenerationOptions) -> None:
    """The studio sends options to running servers through `options_to_proto`: the server must read back exactly
    the options the page asked for (a field left out, or a default sent as a value, would change the drums)."""
    assert options_from_proto(options_to_proto(options)) == options
    assert options_to_proto(GenerationOptions()).ByteSize() == 0  # defaults stay unset: the server decides alike


def test_helper_flags_reach_the_server_as_main_py_reads_them(tmp_path: Path) -> None:
    """The same flags, through the helper's proto and the server's mapping, give what main.py builds from them."""
    kit = tmp_path / "kit.json"
    kit.write_text('{"snare": 40}')
    clip = tmp_path / "clip.mid"
    clip.write_bytes(b"MThd the clip's bytes travel as they are; generation checks them")
    argv = ["--temperature", "0.5", "--seed", "7", "--track", "2", "--merge", "--no-humanize", "--takes", "3",
            "--count-in", "1", "--style", "half-time", "--density", "0.67", "--fills", "every:4", "--swing", "0.67",
            "--dynamics", "1.2", "--cymbal", "ride", "--kit-map", str(kit), "--guitar-only", "--keep-drums",
            "--groove", str(clip), "--genre", "blues"]
    through_server = options_from_proto(connection.options_from_args(daw_helper.build_parser().parse_args(argv)))
    from seq2drum.cli.infer import generation_options

    direct = generation_options(main.build_parser().parse_args(["song.mid", *argv]))
    assert through_server == direct
    assert direct.guitar_only and direct.keep_drums and direct.groove_midi == clip.read_bytes()
    assert direct.genre == "blues"  # --genre: the helper's flag reaches the server as main.py's
    nothing = ["--bars", "16", "--tempo", "96", "--meter", "7/8"]
    assert (options_from_proto(connection.options_from_args(daw_helper.build_parser().parse_args(nothing)))
            == generation_options(main.build_parser().parse_args(nothing)))


def test_the_shared_modules_import_no_numpy_torch_or_music21() -> None:
    """The DAW helper imports these with grpcio alone: a numpy import here would break it on the DAW machine."""
    code = (
        "import sys\n"
        "import seq2drum.options, seq2drum.outputs, seq2drum.atomic, seq2drum.config, seq2drum.shipped\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('numpy', 'torch', 'music21')))\n"
    )
    completed = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60,
                               check=True)
    assert completed.stdout.strip() == "[]"
