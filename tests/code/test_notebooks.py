"""The notebooks run top to bottom on the session's small history and model, so they cannot rot.

Each notebook is executed in memory (never written back) by a kernel started with this interpreter,
in ``notebooks/`` as Jupyter would, with the history and the model chosen by the environment variables
the notebooks read; the kernel inherits the session's ``MLFLOW_TRACKING_URI``. Any cell that raises
fails the test, naming the cell; then the figures the notebooks computed are checked against the file.
"""

import json
import re
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

pytestmark = pytest.mark.slow

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
EXPLORE = NOTEBOOKS / "01_explore_history.ipynb"
ERRORS = NOTEBOOKS / "02_error_analysis.ipynb"
#: Longest a single cell may run, in seconds (scoring the test tickets is the longest, ~30 s on two cores).
CELL_TIMEOUT = 240
#: Test tickets the error analysis scores: enough for misses and false alarms, few enough to be quick.
ERROR_ANALYSIS_TICKETS = 600
TICKET_ID = re.compile(r"\bT-\d+-\d+\b")


def execute(path: Path) -> nbformat.NotebookNode:
    """Run every cell of ``path`` in a fresh kernel; raises ``CellExecutionError`` at the first error."""
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(
        nbformat.v4.new_code_cell("import sys\nprint(sys.executable)", metadata={"tags": ["kernel"]})
    )
    client = NotebookClient(
        nb, timeout=CELL_TIMEOUT, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
    )
    client.execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors, errors
    assert all(c.execution_count for c in nb.cells if c.cell_type == "code"), "a cell did not run"
    assert text(nb, "kernel").strip() == sys.executable, "the kernel is not this environment's python"
    return nb


def text(nb: nbformat.NotebookNode, tag: str) -> str:
    """Everything the cell tagged ``tag`` printed or displayed, as text."""
    cells = [c for c in nb.cells if tag in c.get("metadata", {}).get("tags", [])]
    assert len(cells) == 1, f"one cell tagged {tag!r} expected, found {len(cells)}"
    parts = []
    for output in cells[0].outputs:
        if output.output_type == "stream":
            parts.append(output.text)
        elif output.output_type in ("execute_result", "display_data"):
            parts.append(output.data.get("text/plain", ""))
    return "\n".join(parts)


def images(nb: nbformat.NotebookNode) -> int:
    return sum("image/png" in o.get("data", {}) for c in nb.cells if c.cell_type == "code" for o in c.outputs)


def printed(output: str, name: str) -> int:
    match = re.search(rf"^{name}: (\d+)$", output, re.MULTILINE)
    assert match, f"{name!r} not printed in:\n{output}"
    return int(match.group(1))


@pytest.mark.parametrize("path", [EXPLORE, ERRORS], ids=lambda p: p.name)
def test_notebooks_are_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)


def test_exploration_notebook_reconciles_with_the_file(histories, tmp_path, monkeypatch):
    train_path, _ = histories
    history = tmp_path / "history.jsonl"
    history.write_text(train_path.read_text() + "not json\n")  # one reject, so the counts must add up
    labels = [json.loads(line)["escalated"] for line in train_path.read_text().splitlines() if line.strip()]
    monkeypatch.setenv("TICKETBUDDY_NOTEBOOK_HISTORY", str(history))

    nb = execute(EXPLORE)

    output = text(nb, "reconcile")
    assert printed(output, "non-blank lines") == printed(output, "rows read") == len(labels) + 1
    assert printed(output, "tickets") == len(labels)
    assert printed(output, "rejected") == 1
    assert printed(output, "escalated") == sum(labels)
    assert printed(output, "not escalated") == len(labels) - sum(labels)
    assert "not valid JSON" in output  # the reject's line and reason are shown
    assert images(nb) >= 1


def test_error_analysis_notebook_on_the_session_model(trained, histories, tmp_path, monkeypatch):
    _, test_path = histories
    lines = test_path.read_text().splitlines()[:ERROR_ANALYSIS_TICKETS]  # scoring is most of the run
    (tmp_path / "test.jsonl").write_text("\n".join(lines) + "\n")
    rows = [json.loads(line) for line in lines]
    escalated = {r["ticket_id"] for r in rows if r["escalated"]}
    calm = {r["ticket_id"] for r in rows if not r["escalated"]}
    monkeypatch.setenv("TICKETBUDDY_NOTEBOOK_MODEL_URI", f"models:/ticket-escalation/{trained.model_version}")
    monkeypatch.setenv("TICKETBUDDY_NOTEBOOK_TEST_HISTORY", str(tmp_path / "test.jsonl"))

    nb = execute(ERRORS)

    summary = re.search(
        r"missed escalations: (\d+) of (\d+); false alarms: (\d+) of (\d+)", text(nb, "metrics")
    )
    assert summary, text(nb, "metrics")
    missed, positives, false_alarms, negatives = map(int, summary.groups())
    assert (positives, negatives) == (len(escalated), len(calm))
    assert 0 < missed < positives and 0 < false_alarms < negatives
    misses = set(TICKET_ID.findall(text(nb, "worst-misses")))
    alarms = set(TICKET_ID.findall(text(nb, "worst-false-alarms")))
    assert misses and misses <= escalated, misses - escalated
    assert alarms and alarms <= calm, alarms - calm
    slices = text(nb, "slices")
    assert all(name in slices for name in ("tier", "channel", "length", "vip")), slices
    assert images(nb) >= 1
