"""Regenerate the checked-in stubs in seq2drum/rpc/ from proto/seq2drum.proto: `python -m proto.generate`.

Runs, from the repository root, protoc with a virtual path, so the .proto stays in proto/ while the stubs land in
seq2drum/rpc/ and import each other as `from seq2drum.rpc import seq2drum_pb2`:
    python -m grpc_tools.protoc -Iseq2drum/rpc=proto --python_out=. --pyi_out=. --grpc_python_out=. proto/seq2drum.proto
`--out DIR` writes them under DIR/seq2drum/rpc/ instead (tests/test_proto.py compares those with the checked-in ones).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PROTO = "proto/seq2drum.proto"
STUB_DIR = Path("seq2drum") / "rpc"
STUBS = ("seq2drum_pb2.py", "seq2drum_pb2.pyi", "seq2drum_pb2_grpc.py")


def generate(out_dir: Path = REPO) -> list[Path]:
    """Run protoc on proto/seq2drum.proto; returns the stub paths written under `out_dir`/seq2drum/rpc/."""
    out_dir = Path(out_dir).resolve()
    (out_dir / STUB_DIR).mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "grpc_tools.protoc", f"-I{STUB_DIR.as_posix()}=proto",
               f"--python_out={out_dir}", f"--pyi_out={out_dir}", f"--grpc_python_out={out_dir}", PROTO]
    completed = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"protoc failed ({completed.returncode}): {completed.stderr.strip()}")
    return [out_dir / STUB_DIR / name for name in STUBS]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m proto.generate", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO, help="root to write seq2drum/rpc/*_pb2*.py under")
    args = parser.parse_args(argv)
    for path in generate(args.out):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
