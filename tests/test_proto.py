"""The checked-in gRPC stubs: up to date with seq2drum.proto, importable alone, and the field semantics relied on."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from proto.generate import STUB_DIR, STUBS, generate
from seq2drum.rpc import seq2drum_pb2

REPO = Path(__file__).resolve().parents[1]


def test_stubs_match_a_fresh_generation(tmp_path: Path) -> None:
    """Fails when seq2drum.proto changed (or grpcio-tools was upgraded) without `python -m proto.generate`."""
    fresh = generate(tmp_path)
    for path in fresh:
        checked_in = REPO / STUB_DIR / path.name
        assert checked_in.is_file(), f"{checked_in} is missing; run python -m proto.generate"
        assert path.read_bytes() == checked_in.read_bytes(), (
            f"{STUB_DIR / path.name} is stale: run `python -m proto.generate` and commit the result"
        )
    assert sorted(p.name for p in fresh) == sorted(STUBS)


def test_proto_package_imports_only_grpc_and_protobuf() -> None:
    """A DAW machine has grpcio and protobuf only: importing the stubs must not drag in the rest of seq2drum, torch,
    numpy or music21 (seq2drum/__init__.py and seq2drum/rpc/__init__.py import nothing)."""
    code = (
        "import sys\n"
        "from seq2drum.rpc import seq2drum_pb2, seq2drum_pb2_grpc\n"
        "ours = {'seq2drum', 'seq2drum.rpc', 'seq2drum.rpc.seq2drum_pb2', 'seq2drum.rpc.seq2drum_pb2_grpc'}\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'music21', 'numpy')\n"
        "               or (m.startswith('seq2drum') and m not in ours))\n"
        "print(','.join(heavy))\n"
    )
    completed = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60,
                               check=False)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "", f"importing proto pulled in {completed.stdout.strip()}"


def test_seed_zero_is_not_the_same_as_no_seed() -> None:
    """`optional` fields keep presence: seed 0 is a seed, an unset seed means a fresh one; likewise temperature 0."""
    unset = seq2drum_pb2.GenerationOptions()
    zero = seq2drum_pb2.GenerationOptions(seed=0, temperature=0.0, humanize=False)
    assert not unset.HasField("seed") and not unset.HasField("temperature") and not unset.HasField("humanize")
    assert zero.HasField("seed") and zero.HasField("temperature") and zero.HasField("humanize")
    again = seq2drum_pb2.GenerationOptions.FromString(zero.SerializeToString())
    assert again.HasField("seed") and again.seed == 0


@pytest.mark.parametrize("message", ["GenerateStreamRequest", "GenerateStreamResponse"])
def test_stream_messages_carry_one_part_each(message: str) -> None:
    """The stream protocol relies on the oneof: a message is options/metadata or a chunk, never both."""
    cls = getattr(seq2drum_pb2, message)
    first_field = "options" if message.endswith("Request") else "metadata"
    value = cls(midi_chunk=b"MThd")
    assert value.WhichOneof("part") == "midi_chunk"
    getattr(value, first_field).SetInParent()
    assert value.WhichOneof("part") == first_field and value.midi_chunk == b""


def test_service_is_in_the_versioned_package() -> None:
    service = seq2drum_pb2.DESCRIPTOR.services_by_name["Seq2Drum"]
    assert service.full_name == "seq2drum.v1.Seq2Drum"
    assert {m.name for m in service.methods} == {"Generate", "GenerateStream", "GetModelInfo", "PlayAlong", "Arrange"}
    stream = service.methods_by_name["GenerateStream"]
    assert stream.client_streaming and stream.server_streaming


def test_proto_comments_say_what_the_code_does() -> None:
    """Issue 11, failure 9: the proto said temperature 0 is "the most likely pattern at every step" (the
    groove model plays each bar as its choice of highest expected F1) and that a busy server answers
    RESOURCE_EXHAUSTED (it is UNAVAILABLE)."""
    text = (Path(__file__).resolve().parents[1] / "proto" / "seq2drum.proto").read_text()
    flat = " ".join(line.strip().lstrip("/").strip() for line in text.splitlines())
    assert "most likely pattern at every step" not in flat
    assert "every bar played as the model's calibrated choice of highest expected F1" in flat
    assert "the same drums for the same file and options" not in flat  # the seed moves humanized velocity and timing
    assert "the same hits for the same file, track and takes whatever the seed" not in flat  # issue 88: the seed
    assert "the same grooves for the same file, track and takes whatever the seed" in flat  # places fills, crashes
    assert "the seed still moves where fills and crashes fall" in flat
    assert "a request beyond these gets UNAVAILABLE at once" in flat
    assert "RESOURCE_EXHAUSTED when a size limit is passed (not worth retrying)" in flat
