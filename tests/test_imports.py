"""No import cycles between packages (issue 40): seq2drum's subpackages (seq2drum.X, and each top-level module
seq2drum/X.py, counts as package X), server and client each one package; and none between modules (issue 53): every
module of seq2drum/, server/, client/, bench/ and tools/, found by walking the tree, against every other. Every
import counts, wherever it stands (in a function, under TYPE_CHECKING): a cycle hidden in a function is still two
packages that cannot be understood, tested or moved one without the other. If this fails, move the code that closes
the cycle to the package it belongs to; the message names each import in a cycle."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path


REPO = Path(__file__).resolve().parents[1]
ROOTS = ("seq2drum", "server", "client")
MODULE_ROOTS = (*ROOTS, "bench", "tools", "studies")  # issue 53: the benchmarks and tools count between modules
MIDI_FILE_CODE = ("seq2drum.midi.io", "seq2drum.midi.scan", "seq2drum.midi.write", "seq2drum.midi.tracks")
MAX_LIVE_MODULE_LINES = 300
Edges = dict[tuple[str, str], list[str]]  # (importer, imported) -> ["file:line", ...]


def module_name(path: Path, repo: Path) -> str:
    """seq2drum/groove/rules.py -> seq2drum.groove.rules; a package's __init__.py is the package."""
    parts = path.relative_to(repo).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(tree: ast.AST, module: str, is_package: bool, known: set[str]) -> list[tuple[str, int]]:
    """(module, line) of every import in a parsed file, relative ones resolved; `from A import b` names A.b when
    that is a module of the repository."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module.split(".") if is_package else module.split(".")[:-1]
                package = package[: len(package) - node.level + 1]
                base = ".".join([*package, *([node.module] if node.module else [])])
            for alias in node.names:
                name = f"{base}.{alias.name}"
                found.append((name if name in known else base, node.lineno))
    return found


def import_edges(repo: Path, roots: tuple[str, ...], node_of: callable) -> Edges:  # type: ignore[valid-type]
    """Every import between two different nodes (`node_of(module)`, None for a module left out) of the .py files
    under `roots`."""
    files = [path for root in roots for path in sorted((repo / root).rglob("*.py"))]
    known = {module_name(path, repo) for path in files}
    edges: Edges = defaultdict(list)
    for path in files:
        module = module_name(path, repo)
        tree = ast.parse(path.read_text(), str(path))
        for target, line in imported_modules(tree, module, path.name == "__init__.py", known):
            source, imported = node_of(module), node_of(target)
            if source and imported and source != imported:
                where = f"{path.relative_to(repo).as_posix()}:{line}"
                if where not in edges[(source, imported)]:
                    edges[(source, imported)].append(where)
    return edges


def package_of(module: str) -> str | None:
    """The package a module counts in: seq2drum.X for anything under seq2drum/X (or seq2drum/X.py), server, client;
    seq2drum itself (its __init__) is seq2drum; None for a module outside the repository's packages."""
    parts = module.split(".")
    if parts[0] not in ROOTS:
        return None
    return ".".join(parts[:2]) if parts[0] == "seq2drum" else parts[0]


def server_module_of(module: str) -> str | None:
    """server's own modules (server.app, server.pool, ...; the package's __init__ is server); None elsewhere."""
    return module if module.split(".")[0] == "server" else None


def module_of(module: str) -> str | None:
    """Every module under MODULE_ROOTS as itself (a package's __init__ is the package); None outside them (tests/,
    third-party code)."""
    return module if module.split(".")[0] in MODULE_ROOTS else None


def cycles(edges: Edges) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan), each sorted: every node in one reaches
    every other, so each is a cycle (or several)."""
    graph: dict[str, set[str]] = defaultdict(set)
    for source, target in edges:
        graph[source].add(target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def described(found: list[list[str]], edges: Edges) -> str:
    """Each cycle with the imports inside it, 'a -> b: file:line, ...'."""
    lines = []
    for component in found:
        lines.append("cycle: " + ", ".join(component))
        lines += [f"  {a} -> {b}: {', '.join(edges[(a, b)])}" for a in component for b in component
                  if (a, b) in edges]
    return "\n".join(lines)


def test_no_cycle_between_packages() -> None:
    """seq2drum's subpackages, server and client import each other in one direction only."""
    edges = import_edges(REPO, ROOTS, package_of)
    assert ("seq2drum.generation", "seq2drum.groove") in edges  # the walk sees imports
    found = cycles(edges)
    assert not found, "\n" + described(found, edges)


def test_no_cycle_between_server_modules() -> None:
    """server/'s modules import each other in one direction only (the config below the servicer, the servicer
    below the app)."""
    edges = import_edges(REPO, ("server",), server_module_of)
    assert ("server.app", "server.pool") in edges
    found = cycles(edges)
    assert not found, "\n" + described(found, edges)



def test_no_cycle_between_modules() -> None:
    """No two modules of seq2drum/, server/, client/, bench/ or tools/ import each other, directly or round a loop,
    wherever the import stands (a function-level import counts): a module can be read, tested and moved before the
    ones built on it. If this fails, move the piece both need to the module it belongs to (issue 53 did:
    numpy_causal.song_forward, bench/mutations.py, client/connection.py, summary.Evaluation and feel_summary,
    training/tune.py)."""
    edges = import_edges(REPO, MODULE_ROOTS, module_of)
    assert ("bench.fuzz_server", "bench.mutations") in edges and ("client.live_ports", "client.connection") in edges
    found = cycles(edges)
    assert not found, f"{len(found)} import circles between modules:\n" + described(found, edges)


def test_groove_imports_no_midi_file_code() -> None:
    """groove/ decides what a bar plays from scores: no module under it imports the MIDI file code (reading, scanning,
    writing, tracks); a song is read before it and written after it."""
    edges = import_edges(REPO, ("seq2drum",), module_of)
    readers = [f"{source} -> {target}: {', '.join(where)}" for (source, target), where in sorted(edges.items())
               if source.startswith("seq2drum.groove") and target in MIDI_FILE_CODE]
    assert not readers, "\n".join(readers)


def test_groove_has_one_door() -> None:
    """Issue 99: outside groove/, seq2drum/, server/, client/ and tools/ import `seq2drum.groove` (its __init__'s
    names), never one of its modules (generation/ imported 11 of its 25, live/ 15, training/ 11), so the decision's
    inside can change behind the names it exports."""
    edges = import_edges(REPO, ("seq2drum", "server", "client", "tools"), module_of)
    inside = [f"{source} -> {target}: {', '.join(where)}" for (source, target), where in sorted(edges.items())
              if target.startswith("seq2drum.groove.") and not source.startswith("seq2drum.groove")]
    assert not inside, "\n".join(inside)


def test_parts_sit_under_the_decision_that_uses_them() -> None:
    """The layers follow the data (issue 86): the plan is the top of a request that groove/ builds, so parts/ (the
    plan, its vocabulary and model) imports nothing of groove/, and groove/ names the plan's types."""
    edges = import_edges(REPO, ("seq2drum",), module_of)
    upward = [f"{source} -> {target}: {', '.join(where)}" for (source, target), where in sorted(edges.items())
              if source.startswith("seq2drum.parts") and target.startswith("seq2drum.groove")]
    assert not upward, "\n".join(upward)


def test_the_request_takes_a_few_typed_arguments() -> None:
    """groove.request.request reads what was heard, the options, the deciders, the seed, the drums given and drums
    from nothing's steering: 6 arguments at most, none of them `Any`."""
    import inspect

    from seq2drum.groove.request import request

    parameters = inspect.signature(request).parameters
    assert len(parameters) <= 6, list(parameters)
    assert not [name for name, p in parameters.items() if "Any" in str(p.annotation)]


def test_live_modules_are_at_most_300_lines() -> None:
    """Each module under seq2drum/live/ reads in one sitting (the house style's 100-400 lines; live/ keeps to 300)."""
    long = {path.name: n for path in sorted((REPO / "seq2drum" / "live").rglob("*.py"))
            if (n := len(path.read_text().splitlines())) > MAX_LIVE_MODULE_LINES}
    assert not long, long


def test_live_imports_no_generation() -> None:
    """live/ plays a bar with what lies below generation (the decision, the render pipeline, the model's loader):
    an import of seq2drum.generation from live/ puts the offline song pipeline under the live drummer again (issue
    86). A harness that needs both (evaluation/playback.py) sits above them."""
    edges = import_edges(REPO, ("seq2drum",), module_of)
    found = [f"{source} -> {target}: {', '.join(where)}" for (source, target), where in sorted(edges.items())
             if source.startswith("seq2drum.live") and target.startswith("seq2drum.generation")]
    assert ("seq2drum.live.model_drummer", "seq2drum.groove") in edges  # the walk sees live's imports
    assert not found, "\n".join(found)


def test_groove_reads_no_midi() -> None:
    """groove/ decides from scores: reading a MIDI file (`read_midi`, the scanner) and moving a song are done before
    it, in generation.prepare and song.move."""
    readers = []
    for path in sorted((REPO / "seq2drum" / "groove").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module in ("seq2drum.midi.io", "seq2drum.midi.scan"):
                readers += [f"{path.relative_to(REPO)}:{node.lineno} {alias.name}" for alias in node.names
                            if alias.name in ("read_midi", "scan_midi")]
    assert not readers, readers

def test_the_checker_sees_a_cycle_in_a_function_and_a_relative_import(tmp_path: Path) -> None:
    """The check itself: a cycle closed by an import inside a function, through a relative import, is reported
    with the file and line that close it (otherwise the tests above prove nothing)."""
    for name, text in {"seq2drum/__init__.py": "", "seq2drum/a/__init__.py": "",
                       "seq2drum/a/one.py": "from ..b import two\n",
                       "seq2drum/b/__init__.py": "", "seq2drum/b/two.py": "def f():\n    from seq2drum.a import one\n",
                       "seq2drum/c.py": "import seq2drum.a.one\n"}.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    edges = import_edges(tmp_path, ("seq2drum",), package_of)
    assert cycles(edges) == [["seq2drum.a", "seq2drum.b"]]
    assert described(cycles(edges), edges) == ("cycle: seq2drum.a, seq2drum.b\n"
                                               "  seq2drum.a -> seq2drum.b: seq2drum/a/one.py:1\n"
                                               "  seq2drum.b -> seq2drum.a: seq2drum/b/two.py:2")
    assert cycles(import_edges(tmp_path, ("seq2drum",), module_of)) == [["seq2drum.a.one", "seq2drum.b.two"]]


def test_the_module_checker_sees_a_cycle_inside_one_package(tmp_path: Path) -> None:
    """Two modules of one package (the package check cannot see them) importing each other, one through `from . import`
    in a function, and a module under bench/ (a root the package check leaves out) in a loop with a tool."""
    for name, text in {"seq2drum/__init__.py": "", "seq2drum/p/__init__.py": "",
                       "seq2drum/p/one.py": "from seq2drum.p.two import f\n",
                       "seq2drum/p/two.py": "def f():\n    from . import one\n",
                       "bench/__init__.py": "", "bench/b.py": "import tools.t\n",
                       "tools/__init__.py": "", "tools/t.py": "from bench import b\n"}.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    edges = import_edges(tmp_path, MODULE_ROOTS, module_of)
    assert cycles(edges) == [["bench.b", "tools.t"], ["seq2drum.p.one", "seq2drum.p.two"]]
