"""Imports run one way through the package: serve → handoff → scoring → policy, model, features.

Each module belongs to a layer: its top-level package under ``src/`` (``serve``, ``handoff``, ...) or,
for a single-file module, its own name — a package's command module (``cli.py``, ``*_cli.py``) too,
so a command lives in the lowest package that may import all it runs. Only the root ``src/cli.py``,
which gathers the commands, stands above everything. A module may import only from its own layer and
the layers its layer lists below; an import against that direction fails here, naming the module and
the line.
"""

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"

#: What each layer may import (besides itself and the package root ``ticketbuddy``).
ALLOWED = {
    "settings": set(),
    "yamlfile": set(),
    "schemas": set(),
    "features": {"schemas"},
    "policy": {"features", "schemas"},
    "explain": set(),
    "model": {"explain", "features", "schemas"},
    "data": {"schemas", "policy", "features"},
    "scoring": {"policy", "model", "explain", "features", "schemas", "data"},
    "handoff": {"scoring", "policy", "model", "explain", "features", "schemas", "data"},
    "train": {"scoring", "model", "explain", "features", "policy", "schemas", "data"},
    "serve": {"handoff", "scoring", "policy", "model", "explain", "features", "schemas", "data"},
}
COMMAND = "command"


def layer(path: Path) -> str:
    relative = path.relative_to(SRC)
    if relative == Path("cli.py"):
        return COMMAND
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def imported_layers(path: Path):
    """(line, layer) of every ``ticketbuddy.<layer>`` the module imports, at any depth of the file."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "ticketbuddy" and len(parts) > 1:
                yield node.lineno, parts[1]


MODULES = sorted(p for p in SRC.rglob("*.py") if p.name != "__init__.py" or p.parent != SRC)


def test_every_layer_is_known():
    layers = {layer(p) for p in MODULES} - {COMMAND, "__init__"}
    assert layers <= set(ALLOWED), layers - set(ALLOWED)


@pytest.mark.parametrize("path", MODULES, ids=[str(p.relative_to(SRC)) for p in MODULES])
def test_imports_run_one_way(path):
    own = layer(path)
    if own == COMMAND:
        return
    allowed = ALLOWED.get(own, set()) | {own, "settings", "yamlfile"}  # every layer reads its settings
    wrong = [
        f"line {line}: imports ticketbuddy.{target}"
        for line, target in imported_layers(path)
        if target not in allowed
    ]
    assert not wrong, f"{path.relative_to(SRC)} ({own}) may import only {sorted(allowed)}: {wrong}"


def test_the_rule_catches_an_import_against_the_direction(tmp_path):
    module = tmp_path / "bad.py"
    module.write_text("from ticketbuddy.serve.schemas import ScoreOut\nimport ticketbuddy.handoff.queue\n")
    assert [target for _, target in imported_layers(module)] == ["serve", "handoff"]
