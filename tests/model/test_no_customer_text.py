"""No customer text in MLflow: train through the real CLI on tickets seeded with personal data, then look.

A made-up customer's name, e-mail address, phone number and card number are planted in a few training
and test tickets of both labels (messages, subject, customer id, metadata, ticket ids). ``ticketbuddy
train`` and ``ticketbuddy evaluate`` run as a user runs them, against a real SQLite MLflow store in a
temporary folder; then every artifact of every run and of the registered model version, every param,
tag and metric name, the raw bytes of the store and of what the commands wrote, and everything they
printed or logged are searched for any of those values.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.mlflow_uris import own_store
from ticketbuddy.train.params import CalibrationParams, Params, PromotionParams, ReferenceParams, TrainParams

pytestmark = pytest.mark.slow

NAME = "Ottoline Quillfeather"
EMAIL = "ottoline.quillfeather@example.invalid"
PHONE = "+44 7700 900417"
CARD = "4539 1488 0343 6467"
#: Every form a leak could take: as written, lower-cased parts, digits without their spaces.
NEEDLES = [NAME, "Quillfeather", "Ottoline", EMAIL, "7700 900417", "7700900417", CARD, "4539148803436467"]


def cli(*args: object, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``ticketbuddy`` in a process of its own; its whole output is returned for the scan."""
    command = [sys.executable, "-m", "ticketbuddy.cli", *map(str, args)]
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def seed(path: Path, rows: int, prefix: str) -> None:
    """Plant the made-up customer in the first ``rows`` tickets of each label of the history."""
    tickets = [json.loads(line) for line in path.read_text().splitlines()]
    chosen = [t for t in tickets if t["escalated"]][:rows] + [t for t in tickets if not t["escalated"]][:rows]
    for number, ticket in enumerate(chosen):
        ticket["ticket_id"] = f"{prefix}-{EMAIL}-{number}"
        ticket["subject"] = f"Card {CARD} charged twice ({NAME})"
        ticket.setdefault("customer", {})["customer_id"] = f"{EMAIL} / {PHONE}"
        ticket["metadata"] = {**ticket.get("metadata", {}), "contact": f"{NAME} {PHONE}", "card": CARD}
        said = f"My name is {NAME}, call me on {PHONE} or write to {EMAIL}. My card is {CARD}."
        ticket["messages"].insert(0, {"role": "customer", "text": said})
    path.write_text(
        "".join(json.dumps(t) + "\n" for t in [*chosen, *[t for t in tickets if t not in chosen]])
    )


def hits(data: bytes, where: str) -> list[str]:
    """``where: needle`` for each needle found in ``data`` (case-insensitive)."""
    text = data.decode("utf-8", errors="replace").casefold()
    return [f"{where}: {needle!r}" for needle in NEEDLES if needle.casefold() in text]


def files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def registry_text(uri: str, store: Path) -> list[str]:
    """Every param, tag and metric name of every run, and every tag of the registered model and its
    versions, plus all their artifacts downloaded through MLflow, as ``(where, text)`` findings.

    MLflow is pointed at ``uri`` for the scan only (``own_store``), so the tests that follow use the
    session's store again.
    """
    with own_store(uri):
        return _scan(uri, store)


def _scan(uri: str, store: Path) -> list[str]:
    import mlflow
    from mlflow import MlflowClient

    client = MlflowClient()
    found: list[str] = []
    experiments = client.search_experiments()
    runs = client.search_runs([e.experiment_id for e in experiments])
    assert len(runs) >= 2, "the train and evaluate runs"
    for run in runs:
        data = run.data
        listing = {
            "run_name": run.info.run_name,
            "params": data.params,
            "tags": data.tags,
            "metrics": sorted(data.metrics),
        }
        found += hits(json.dumps(listing).encode(), f"run {run.info.run_id} names")
        target = store / "downloads" / run.info.run_id
        mlflow.artifacts.download_artifacts(run_id=run.info.run_id, artifact_path="", dst_path=str(target))
        found += [hit for path in files(target) for hit in hits(path.read_bytes(), str(path))]
    for model in client.search_registered_models():
        found += hits(json.dumps([model.name, model.description, model.tags]).encode(), "registered model")
        for version in client.search_model_versions(f"name='{model.name}'"):
            where = f"{model.name} version {version.version}"
            found += hits(json.dumps([version.description, version.tags]).encode(), where)
            target = store / "downloads" / f"model-{version.version}"
            mlflow.artifacts.download_artifacts(
                f"models:/{model.name}/{version.version}", dst_path=str(target)
            )
            assert (target / "MLmodel").is_file()
            found += [hit for path in files(target) for hit in hits(path.read_bytes(), str(path))]
    return found


def test_training_and_evaluation_keep_customer_text_out_of_mlflow(tmp_path):
    work, store, out = tmp_path / "work", tmp_path / "mlflow", tmp_path / "models"
    for folder in (work, store):
        folder.mkdir()
    uri = f"sqlite:///{store / 'mlflow.db'}"
    env = {
        **os.environ,
        "MLFLOW_TRACKING_URI": uri,
        "TICKETBUDDY_EMBEDDING_CACHE": str(tmp_path / "cache.sqlite"),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }
    train, test = work / "train.jsonl", work / "test.jsonl"
    outputs = [cli("data", "synth", "--n", 700, "--seed", 31, "--out", train, env=env, cwd=work)]
    outputs.append(cli("data", "synth", "--n", 400, "--seed", 32, "--out", test, env=env, cwd=work))
    seed(train, 4, "T")
    seed(test, 2, "E")
    reference = ReferenceParams(test_data=str(test), labels=None)
    params = Params(
        train=TrainParams(calibration=CalibrationParams(cv=3)), promotion=PromotionParams(reference=reference)
    )
    params_file = work / "params.yaml"
    params_file.write_text(yaml.safe_dump(params.model_dump(mode="json")))
    common = ["--params", params_file]
    outputs.append(
        cli("train", "--data", train, "--test-data", test, "--out-dir", out, *common, env=env, cwd=work)
    )
    outputs.append(
        cli("evaluate", "--data", test, "--model-info", out / "model_info.json", "--train-data", train,
            "--out-dir", out, *common, env=env, cwd=work)
    )  # fmt: skip
    assert (out / "metrics.json").is_file() and (out / "plots").is_dir()

    found = registry_text(uri, tmp_path)
    found += [hit for path in files(store) for hit in hits(path.read_bytes(), str(path))]
    found += [hit for path in files(out) for hit in hits(path.read_bytes(), str(path))]
    for done in outputs:
        found += hits((done.stdout + done.stderr).encode(), f"output of {done.args[3:5]}")
    assert not found, "\n".join(found)
    # The seeded tickets were read: the planted values are in the data the commands were given.
    assert hits(train.read_bytes(), "train") and hits(test.read_bytes(), "test")
