"""Honest DVC graph: each stage's ``deps`` cover every module of the package its command can run.

A stage whose code changed must re-run: a ``models/metrics.json`` left stale after an edit of
``train/metrics.py`` is a bug. The modules a command can run are found statically: the module that
defines the command, and every ``ticketbuddy`` module it imports, at any depth and inside functions.
"""

import ast
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"
#: The module that implements each ``ticketbuddy`` sub-command the stages run.
COMMANDS = {
    "data synth": "data/cli.py",
    "train": "train/cli.py",
    "evaluate": "train/cli.py",
    "retrain": "train/retrain_cli.py",
}


def module_file(name: str) -> Path | None:
    """The file of module ``ticketbuddy.x.y`` (a package's ``__init__.py``), if it exists."""
    relative = Path(*name.split(".")[1:])
    for candidate in (SRC / relative.with_suffix(".py"), SRC / relative / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def imports_of(path: Path) -> set[Path]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        for name in names:
            if name.startswith("ticketbuddy.") and (file := module_file(name)) is not None:
                found.add(file)
    return found


def closure(start: Path) -> set[Path]:
    seen, todo = set(), [start]
    while todo:
        path = todo.pop()
        if path not in seen:
            seen.add(path)
            todo.extend(imports_of(path) - seen)
    return seen


def stages():
    raw = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    for name, stage in raw.items():
        command = " ".join(stage["cmd"].split()[1:3])
        key = next(k for k in COMMANDS if command.startswith(k))
        yield name, COMMANDS[key], [ROOT / d for d in stage.get("deps", [])]


@pytest.mark.parametrize(("stage", "module", "deps"), list(stages()), ids=[s[0] for s in stages()])
def test_stage_deps_cover_the_code_it_runs(stage, module, deps):
    run = closure(SRC / module)
    uncovered = sorted(
        str(p.relative_to(ROOT)) for p in run if not any(p == d or d in p.parents for d in deps)
    )
    assert not uncovered, f"stage {stage} runs code its deps do not list: {uncovered}"


def test_retrain_stage_never_runs_in_a_plain_dvc_repro():
    """``make train`` (plain ``dvc repro``) must work on a fresh clone, which has no data/labels.

    A frozen stage is skipped by ``dvc repro``, but DVC still checks its outputs exist: so no outputs.
    No other stage may depend on the labels, or new labels would retrain as a side effect.
    """
    raw = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    retrain = raw["retrain"]
    assert retrain["frozen"] is True
    assert not {"outs", "metrics", "plots"} & set(retrain)
    assert "data/labels" in retrain["deps"] and "--labels data/labels" in retrain["cmd"]
    assert {"train", "promotion", "retrain"} <= set(retrain["params"])
    assert not [
        name for name, stage in raw.items() if name != "retrain" and "data/labels" in stage.get("deps", [])
    ]
