"""The policy a model was trained with travels with it: keywords recorded, differences shown."""

import json
import logging

import pytest
import yaml
from fastapi.testclient import TestClient
from mlflow import MlflowClient
from typer.testing import CliRunner

from tests.serve.api import AUTH
from ticketbuddy.cli import app
from ticketbuddy.policy.drift import triggers_digest
from ticketbuddy.policy.model import default_policy_path, load_policy
from ticketbuddy.scoring.scorer import Scorer
from ticketbuddy.serve.app import create_app
from ticketbuddy.serve.reload import ModelHolder
from ticketbuddy.settings import SecuritySettings, ServiceSettings
from ticketbuddy.train.train import DataError, load_labelled

pytestmark = pytest.mark.slow


def test_the_model_records_the_policys_keywords_and_their_digest(scorer, trained):
    shipped = load_policy().keyword_families()
    assert scorer.model.trigger_families == shipped
    assert scorer.policy_differences == []
    run = MlflowClient().get_run(trained.run_id)
    assert run.data.params["model.policy_digest"] == triggers_digest(load_policy())
    assert "policy/policy.json" in [a.path for a in MlflowClient().list_artifacts(trained.run_id, "policy")]


def edited_policy(tmp_path):
    raw = yaml.safe_load(default_policy_path().read_text())
    raw["triggers"]["legal"]["keywords"] = [*raw["triggers"]["legal"]["keywords"][1:], "i will sue"]
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(raw))
    return load_policy(path)


def test_serving_with_other_keywords_warns_and_says_how_they_differ(scorer, tmp_path, caplog):
    policy = edited_policy(tmp_path)
    dropped = load_policy().keyword_families()["legal"][0]
    with caplog.at_level(logging.WARNING, logger="ticketbuddy.scoring.scorer"):
        other = Scorer(policy, scorer.model)
    assert other.policy_differences == [
        "family 'legal': the policy adds 'i will sue'",
        f"family 'legal': the policy drops {dropped!r}",
    ]
    assert "the policy adds 'i will sue'" in caplog.text
    holder = ModelHolder(policy, "models:/ticket-escalation@champion", scorer.model)
    settings = ServiceSettings(
        db_url=f"sqlite:///{tmp_path / 'h.db'}", sweep_interval_seconds=0, _env_file=None
    )
    keys = SecuritySettings(api_keys=f"{AUTH['Authorization'].split()[1]}:admin", _env_file=None)
    with TestClient(create_app(settings, holder=holder, security=keys), headers=AUTH) as client:
        status = client.get("/v1/admin/model").json()
    assert status["policy_differences"] == other.policy_differences


def write_history(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def labelled(ticket_id, route):
    return {
        "ticket_id": ticket_id, "channel": "email", "created_at": "2026-11-20T10:00:00Z",
        "messages": [{"role": "customer", "text": "my warranty claim is stuck"}],
        "escalated": True, "priority": "P3", "route": route,
    }  # fmt: skip


def test_route_labels_without_an_owning_team_are_refused_before_fitting(tmp_path):
    history = write_history(
        tmp_path / "h.jsonl",
        [
            labelled("a", "billing_disputes"),
            labelled("b", "warranty_claims"),
            labelled("c", "warranty_claims"),
        ],
    )
    with pytest.raises(DataError) as refused:
        load_labelled(history, load_policy())
    assert "line 2: route 'warranty_claims' has no owning team in the policy" in str(refused.value)
    assert "line 3: route 'warranty_claims'" in str(refused.value) and "--unknown-routes fallback" in str(
        refused.value
    )
    mapped = load_labelled(history, load_policy(), unknown_routes="fallback")
    assert [t.route for t in mapped] == ["billing_disputes", "general_escalations", "general_escalations"]
    result = CliRunner().invoke(app, ["train", "--data", str(history)])
    assert result.exit_code == 1 and "line 2: route 'warranty_claims'" in result.output
    assert "Traceback" not in result.output
