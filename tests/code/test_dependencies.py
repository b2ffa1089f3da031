"""Honest dependencies: every library the package imports is declared, pinned, in pyproject.toml."""

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def imported_top_level(src: Path) -> set[str]:
    names = set()
    for path in src.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"ticketbuddy"}


def declared() -> dict[str, str]:
    """Declared distribution (normalised name) → its requirement string."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = project["dependencies"]
    out = {}
    for requirement in requirements:
        name = re.split(r"[\[=<>!~ ]", requirement, maxsplit=1)[0]
        out[re.sub(r"[-_.]+", "-", name).lower()] = requirement
    return out


def test_every_imported_library_is_a_pinned_dependency():
    distributions = packages_distributions()
    deps = declared()
    missing, unpinned = [], []
    for module in sorted(imported_top_level(ROOT / "src")):
        dists = [re.sub(r"[-_.]+", "-", d).lower() for d in distributions.get(module, [module])]
        found = [d for d in dists if d in deps]
        if not found:
            missing.append(f"{module} ({', '.join(dists)})")
        elif "==" not in deps[found[0]]:
            unpinned.append(deps[found[0]])
    assert not missing, f"imported but not declared in pyproject.toml: {missing}"
    assert not unpinned, unpinned
