"""Session fixtures: small generated histories, one MLflow store and one model trained per test run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.serve.api import TEST_KEY
from ticketbuddy.cli import app
from ticketbuddy.data.jsonl import read_tickets
from ticketbuddy.train.params import (
    CalibrationParams,
    Params,
    PromotionParams,
    ReferenceParams,
    TrainParams,
)

FIXTURES = Path(__file__).parent / "fixtures"
TRAIN_TICKETS = 2500
TEST_TICKETS = 800

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")


def synth(path: Path, n: int, seed: int) -> Path:
    result = CliRunner().invoke(
        app, ["data", "synth", "--n", str(n), "--seed", str(seed), "--out", str(path)]
    )
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture(scope="session", autouse=True)
def embedding_cache_in_tmp(tmp_path_factory):
    """Training-time embedding cache in a temporary folder, never the user's home."""
    previous = os.environ.get("TICKETBUDDY_EMBEDDING_CACHE")
    os.environ["TICKETBUDDY_EMBEDDING_CACHE"] = str(tmp_path_factory.mktemp("cache") / "embeddings.sqlite")
    yield
    if previous is None:
        os.environ.pop("TICKETBUDDY_EMBEDDING_CACHE", None)
    else:
        os.environ["TICKETBUDDY_EMBEDDING_CACHE"] = previous


#: What every app and server of the session reads: TEST_KEY with all scopes, and request budgets far
#: above what any test sends (the budgets still run; tests/serve/test_rate_limits.py sets small ones).
SESSION_ENV = {
    "TICKETBUDDY_API_KEYS": f"{TEST_KEY}:score+agent+admin",
    **{f"TICKETBUDDY_RATE_LIMIT_{scope}": "1000/s;burst=1000" for scope in ("SCORE", "AGENT", "ADMIN")},
}


@pytest.fixture(scope="session", autouse=True)
def api_key_for_tests():
    """Every app and server of the session accepts TEST_KEY with all scopes, within generous budgets."""
    previous = {name: os.environ.get(name) for name in SESSION_ENV}
    os.environ.update(SESSION_ENV)
    yield
    for name, value in previous.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(scope="session")
def histories(tmp_path_factory) -> tuple[Path, Path]:
    """A labelled training history and a test history from a different seed."""
    folder = tmp_path_factory.mktemp("histories")
    return synth(folder / "train.jsonl", TRAIN_TICKETS, 101), synth(folder / "test.jsonl", TEST_TICKETS, 202)


@pytest.fixture(scope="session")
def mlflow_store(tmp_path_factory):
    """A real SQLite MLflow store for this test run, selected through MLFLOW_TRACKING_URI."""
    folder = tmp_path_factory.mktemp("mlflow")
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    previous = os.environ.get("MLFLOW_TRACKING_URI")
    os.environ["MLFLOW_TRACKING_URI"] = uri
    yield {"uri": uri, "folder": folder}
    if previous is None:
        os.environ.pop("MLFLOW_TRACKING_URI", None)
    else:
        os.environ["MLFLOW_TRACKING_URI"] = previous


@pytest.fixture(scope="session")
def params(histories) -> Params:
    """The shipped hyper-parameters with fewer calibration folds, to keep the run short.

    The gate's reference set is the session's test history (no label files), as
    ``data/raw/tickets_test.jsonl`` is the project's.
    """
    reference = ReferenceParams(test_data=str(histories[1]), labels=None)
    return Params(
        train=TrainParams(calibration=CalibrationParams(cv=3)),
        promotion=PromotionParams(reference=reference),
    )


@pytest.fixture(scope="session")
def trained(mlflow_store, histories, params, tmp_path_factory):
    """The model trained once for the whole test run, registered and promoted to champion."""
    from ticketbuddy.train.train import train

    train_path, test_path = histories
    result = train(train_path, params, test_data=test_path, experiment="tests")
    result.write(tmp_path_factory.mktemp("models"))
    return result


@pytest.fixture(scope="session")
def worse_trained(trained, histories, params, tmp_path_factory):
    """A second version trained on shuffled labels: it must not take the champion alias."""
    import json
    import random

    from ticketbuddy.train.train import train

    train_path, test_path = histories
    rng = random.Random(0)
    rows = []
    for line in train_path.read_text().splitlines()[:800]:
        row = json.loads(line)
        row["escalated"] = rng.random() < 0.2  # labels no longer follow the tickets
        rows.append(json.dumps(row))
    noisy = tmp_path_factory.mktemp("noisy") / "noisy.jsonl"
    noisy.write_text("\n".join(rows) + "\n")
    return train(noisy, params, test_data=test_path, experiment="tests")


@pytest.fixture(scope="session")
def scorer(trained):
    """A scorer over the champion model and the shipped policy, as the API builds it."""
    from ticketbuddy.policy.model import load_policy
    from ticketbuddy.scoring.scorer import Scorer, load_model

    return Scorer(load_policy(), load_model("models:/ticket-escalation@champion"))


@pytest.fixture(scope="session")
def seed_tickets():
    return read_tickets(FIXTURES / "seed_conversations.jsonl").tickets


@pytest.fixture(scope="session")
def faq_ticket():
    return read_tickets(FIXTURES / "calm_faq.jsonl").tickets[0]
