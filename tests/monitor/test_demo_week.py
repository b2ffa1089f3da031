"""The README's demo command, ``scripts/demo_week.py``, run as written (fewer tickets a day).

It reuses the session's trained champion (a copy of the session's MLflow store in the demo folder, so
the demo trains nothing) and must fill a week of traffic and log one live run per day.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import mlflow
import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def test_the_demo_week_fills_seven_days_and_logs_one_live_run_each(trained, mlflow_store, tmp_path):
    out = tmp_path / "demo-week"
    out.mkdir()
    shutil.copy(mlflow_store["folder"] / "mlflow.db", out / "mlflow.db")
    done = subprocess.run(
        [sys.executable, "scripts/demo_week.py", "--out", str(out), "--per-day", "25"],
        cwd=ROOT, capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "monitor exit code" in done.stdout and "ticketbuddy train" not in done.stdout  # nothing trained
    client = mlflow.MlflowClient(f"sqlite:///{out / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("ticket-escalation-live")
    runs = client.search_runs([experiment.experiment_id])
    assert len(runs) == 7 and all(r.data.metrics["tickets"] > 0 for r in runs)
