"""``ticketbuddy retrain``: what the merge takes and replaces, and what it prints.

The candidates are registered under names of their own, each starting from a copy of the session's
champion as its champion, so ``ticket-escalation@champion`` stays where the other tests expect it.
"""

import json
from pathlib import Path

import pytest
from mlflow import MlflowClient
from typer.testing import CliRunner

from ticketbuddy.cli import app

pytestmark = pytest.mark.slow


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def champion_copy(trained, name: str) -> str:
    """Register the session champion's model as ``name`` version 1, and make it ``name@champion``."""
    client = MlflowClient()
    source = client.get_model_version("ticket-escalation", trained.model_version)
    client.create_registered_model(name)
    version = client.create_model_version(name, source.source, run_id=source.run_id)
    client.set_registered_model_alias(name, "champion", version.version)
    return str(version.version)


def as_labels(rows: list[dict], provenances: list[str]) -> list[dict]:
    """Rows as ``ticketbuddy labels export`` writes them: ``metadata.label`` with provenance and time."""
    out = []
    for i, row in enumerate(rows):
        label = {"provenance": provenances[i % len(provenances)], "source": "test", "at": row["created_at"]}
        out.append({**row, "metadata": {**row.get("metadata", {}), "label": label}})
    return out


def write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_retrain_merges_replaces_holds_out_and_prints_the_gate_table(trained, histories, params, tmp_path):
    from tests.model.test_gate import params_file

    champion_copy(trained, "retrain-escalation")
    history_rows = [json.loads(line) for line in histories[0].read_text().splitlines()]
    history = write(tmp_path / "history.jsonl", history_rows[:600])
    relabelled = [{**r, "escalated": not r["escalated"]} for r in history_rows[:30]]  # a human corrected
    fresh = history_rows[1000:1070]
    labels = write(
        tmp_path / "labels.jsonl",
        as_labels(relabelled, ["handoff"]) + as_labels(fresh, ["feedback", "inferred"]),
    )
    result = run(
        "retrain", "--history", history, "--labels", labels, "--registered-name", "retrain-escalation",
        "--params", params_file(tmp_path, params), "--experiment", "scratch",
    )  # fmt: skip
    out = result.output
    assert result.exit_code in (0, 1) and "Traceback" not in out, out
    n_train = 600 - 30  # the relabelled history lines left the history, whatever their label's time
    held = round(100 * params.retrain.holdout_share)
    assert f"training rows: {n_train} from the history, {100 - held} from labels" in out
    assert f"held out (newest labels, gate data): {held} (" in out
    assert "replaced history tickets: 30 (" in out and history_rows[0]["ticket_id"] in out
    for check in ("pr_auc", "recall_at_80_kept", "slice/vip/vip/pr_auc", "slice/vip/vip/recall_at_80_kept"):
        line = next(row for row in out.splitlines() if row.startswith(check + " "))
        figures = line.split()[1:]
        assert len(figures) == 4, line  # champion and candidate on the gate data, then on recent labels
        assert all(0 <= float(f) <= 1 for f in figures[:2]), line
        assert all(f == "n/a" or 0 <= float(f) <= 1 for f in figures[2:]), line
    verdict = "promoted to @champion" if result.exit_code == 0 else "NOT promoted"
    assert f"retrain-escalation version 2: {verdict}" in out
    assert MlflowClient().get_model_version_by_alias("ticket-escalation", "champion").version == int(
        trained.model_version
    )


def test_retrain_with_no_label_files_says_so(histories, tmp_path):
    (tmp_path / "labels").mkdir()
    result = run("retrain", "--history", histories[0], "--labels", tmp_path / "labels")
    assert result.exit_code == 1 and "no *.jsonl label files there; nothing to retrain" in result.output
