"""The examples in the package's docstrings run, as written (``doctest``), module by module."""

import doctest
import importlib
import pkgutil

import pytest

import ticketbuddy

#: Alembic's migration scripts run only inside Alembic (they read its context at import).
MIGRATIONS = "ticketbuddy.handoff.migrations."
MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(ticketbuddy.__path__, "ticketbuddy.")
    if not info.ispkg and not info.name.startswith(MIGRATIONS)
)


def examples(name: str) -> list[doctest.DocTest]:
    finder = doctest.DocTestFinder(exclude_empty=True)
    return [t for t in finder.find(importlib.import_module(name)) if t.examples]


WITH_EXAMPLES = [name for name in MODULES if examples(name)]


def test_examples_are_found():
    assert len(WITH_EXAMPLES) >= 20


@pytest.mark.parametrize("name", WITH_EXAMPLES)
def test_docstring_examples_run(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # an example that writes files writes them here
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in examples(name):
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, (
        f"{result.failed} of {result.attempted} examples in {name} failed (output above)"
    )


def test_no_example_is_skipped_wholesale():
    skipped = [
        f"{name}: {t.name}"
        for name in WITH_EXAMPLES
        for t in examples(name)
        if any(ex.options.get(doctest.SKIP) for ex in t.examples)
    ]
    assert not skipped, skipped
