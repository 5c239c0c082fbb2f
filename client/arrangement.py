"""`--arrange`: a song's arrangement from the server (its Arrange call), printed as `main.py --mode arrange` prints
it: each section with its likeliest parts and their [ids], with `--drummer` the part the song's own drummer plays and
the `--parts` value that plays his arrangement, with `--json` the same as JSON. grpcio and protobuf only.
"""

from __future__ import annotations

import json
from pathlib import Path

from seq2drum.arrangement_text import section_lines
from seq2drum.rpc import seq2drum_pb2

from .drum_client import DrumClient


def arrangement_lines(response: seq2drum_pb2.ArrangeResponse, song: str, drummer: bool) -> list[str]:
    """The arrangement in the lines a musician reads (main.py --mode arrange's)."""
    heard = "the band heard" if response.heard_band else "the guitar alone heard: ranked by the network's fit"
    lines = [f"{song}: its sections as seq2drum counts them, and the parts each can play, best first ({heard}):"]
    lines += [response.heard] if response.heard else []
    for section in response.sections:
        mine = (section.drummer.name, section.drummer.id) if drummer and section.HasField("drummer") else None
        lines += section_lines(section.key, section.first_bar, section.bars, section.meter_family,
                               [(part.name, part.id) for part in section.parts], mine)
    if drummer:
        lines.append(f'his arrangement: --parts "{response.drummer_parts}"')
    else:
        lines.append(f'choose with: python -m client.daw_helper {song} --parts "KEY=PART; ..." (KEY: A, B#2 or 33-40; '
                     "PART: a name or [id] above, or a style)")
    return lines


def arrangement_json(response: seq2drum_pb2.ArrangeResponse, drummer: bool) -> str:
    """--json: without --drummer the sections with every part ranked; with it, `{key: the drummer's part}`."""
    if drummer:
        return json.dumps({s.key: s.drummer.name for s in response.sections if s.HasField("drummer")}, indent=1)
    return json.dumps([{"key": s.key, "first_bar": s.first_bar, "bars": s.bars, "meter_family": s.meter_family,
                        "parts": [{"name": p.name, "id": p.id, "score": round(p.score, 4)} for p in s.parts]}
                       for s in response.sections], indent=1)


def print_arrangement(client: DrumClient, song: Path, options: seq2drum_pb2.GenerationOptions, drummer: bool,
                      as_json: bool) -> None:
    """Ask the server (`client`, a DrumClient) for the song's arrangement and print it."""
    response = client.arrange(song.read_bytes(), options, drummer)
    print(arrangement_json(response, drummer) if as_json else "\n".join(arrangement_lines(response, song.name,
                                                                                          drummer)), flush=True)
