"""The promotion gate judges on the fixed reference set and refuses data that cannot judge a candidate.

Each test leaves ``ticket-escalation@champion`` on the session's champion (``trained``): the candidates
here are refused, registered without the gate, or registered under another name.
"""

import json
from pathlib import Path

import pytest
import yaml
from mlflow import MlflowClient
from typer.testing import CliRunner

from ticketbuddy.cli import app
from ticketbuddy.policy.engine import PolicyEngine
from ticketbuddy.policy.model import load_policy
from ticketbuddy.train.fingerprint import FINGERPRINT_ARTIFACT
from ticketbuddy.train.slices import slice_keys
from ticketbuddy.train.train import load_labelled

pytestmark = pytest.mark.slow


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def champion_of(name="ticket-escalation"):
    return str(MlflowClient().get_model_version_by_alias(name, "champion").version)


def params_file(folder: Path, params, **reference) -> Path:
    """The session's parameters as a file, with the gate's reference set changed as given."""
    raw = params.model_dump(mode="json")
    raw["promotion"]["reference"].update(reference)
    path = folder / "params.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def synth_other_domain(path: Path, n: int, seed: int) -> Path:
    """A history from another shop: other topics, no VIP tier, other channels, noisier labels."""
    settings = {
        "synth": {
            "topic_mix": {"faq": 0.45, "praise": 0.25, "delivery": 0.2, "legal_regulatory": 0.1},
            "tier_mix": {"standard": 0.8, "silver": 0.2},
            "channel_mix": {"social": 0.7, "phone": 0.3},
            "label_noise": 0.25,
        }
    }
    (path.parent / "other.yaml").write_text(yaml.safe_dump(settings))
    result = run(
        "data", "synth", "--n", n, "--seed", seed, "--out", path, "--params", path.parent / "other.yaml"
    )
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture(scope="module")
def small_history(tmp_path_factory, histories):
    """600 tickets of the session's training history: enough to train a (poor) candidate quickly."""
    path = tmp_path_factory.mktemp("small") / "small.jsonl"
    path.write_text("\n".join(histories[0].read_text().splitlines()[:600]) + "\n")
    return path


def test_a_candidate_from_another_domain_is_judged_on_the_reference_set_and_refused(
    trained, params, tmp_path
):
    from ticketbuddy.train.train import train

    before = champion_of()
    other = synth_other_domain(tmp_path / "other.jsonl", 1500, 77)
    result = train(other, params, experiment="scratch")  # no --test-data: its own held-out split
    assert not result.promoted and champion_of() == before
    gate = result.gate
    assert gate is not None and gate.champion is not None  # compared, on the reference set
    assert gate.candidate["pr_auc"] < gate.champion["pr_auc"] - 0.05
    assert "alias kept" in result.promotion_reason and "pr_auc" in result.promotion_reason
    # the figures compared are the reference set's, not the run's own split (which has no VIP at all)
    assert "slice/vip/vip/pr_auc" in gate.candidate
    assert not any(k.startswith("slice/vip/vip/") for k in MlflowClient().get_run(result.run_id).data.metrics)
    version = MlflowClient().get_model_version("ticket-escalation", result.model_version)
    assert "alias kept" in version.tags["promotion_refused"]


def test_gate_data_without_the_named_slice_is_refused_with_its_row_count(trained, histories, tmp_path):
    policy = load_policy()
    test = load_labelled(histories[1])
    keys = slice_keys(test, PolicyEngine(policy))
    no_vips = [t for t, vip in zip(test, keys["vip"], strict=True) if vip != "vip"]
    assert len(no_vips) < len(test)
    path = tmp_path / "no_vips.jsonl"
    path.write_text("".join(t.model_dump_json(exclude_none=True) + "\n" for t in no_vips))
    result = run("promote", "--version", trained.model_version, "--data", path)
    assert result.exit_code == 1 and "NOT promoted" in result.output
    assert "the gate data has 0 rows of slice vip=vip (minimum 20)" in result.output
    version = MlflowClient().get_model_version("ticket-escalation", trained.model_version)
    assert "0 rows of slice vip=vip" in version.tags["promotion_refused"]
    assert champion_of() == trained.model_version


def test_no_promote_registers_without_the_gate_and_promote_refuses_its_own_training_data(
    trained, small_history, params, tmp_path
):
    before = champion_of()
    trained_cli = run(
        "train", "--data", small_history, "--no-promote", "--params", params_file(tmp_path, params),
        "--out-dir", tmp_path / "models", "--experiment", "scratch",
    )  # fmt: skip
    assert trained_cli.exit_code == 0, trained_cli.output
    assert "not gated (--no-promote): registered only, @champion not moved" in trained_cli.output
    version = json.loads((tmp_path / "models" / "model_info.json").read_text())["model_version"]
    assert champion_of() == before
    client = MlflowClient()
    registered = client.get_model_version("ticket-escalation", version)
    assert "promotion_skipped" in registered.tags and "promotion_refused" not in registered.tags
    logged = json.loads(
        Path(client.download_artifacts(registered.run_id, FINGERPRINT_ARTIFACT, str(tmp_path))).read_text()
    )
    assert len(logged["ticket_id_hashes"]) == 480 and len(logged["content_hashes"]) == 480  # its 80 % split
    assert "messages" not in json.dumps(logged)  # ids and hashes only, never the text

    own = run("promote", "--version", version, "--data", small_history)
    assert own.exit_code == 1 and "NOT promoted" in own.output
    assert "480 of 600 gate tickets share a ticket id with the training set" in own.output
    assert "480 of 600 gate tickets share a conversation" in own.output
    # the same conversations under new ids: found by their content hash
    renamed = tmp_path / "renamed.jsonl"
    rows = [json.loads(line) for line in small_history.read_text().splitlines()]
    renamed.write_text("".join(json.dumps({**r, "ticket_id": "X" + r["ticket_id"]}) + "\n" for r in rows))
    copied = run("promote", "--version", version, "--data", renamed)
    assert copied.exit_code == 1 and "share a ticket id" not in copied.output
    assert "480 of 600 gate tickets share a conversation (content hash) with it" in copied.output
    assert champion_of() == before


def test_training_refuses_a_reference_set_that_overlaps_its_training_data(
    trained, small_history, params, tmp_path
):
    from ticketbuddy.train.train import train

    before = champion_of()
    overlapping = params.model_copy(deep=True)
    overlapping.promotion.reference.test_data = str(small_history)
    result = train(small_history, overlapping, test_data=small_history, experiment="scratch")
    assert not result.promoted and champion_of() == before
    assert result.promotion_reason.startswith("gate data refused: ")
    assert "600 of 600 gate tickets share a ticket id with the training set" in result.promotion_reason


def test_another_registered_name_has_its_own_champion_and_never_touches_ticket_escalation(
    trained, small_history, histories, params, tmp_path
):
    before = champion_of()
    result = run(
        "train", "--data", small_history, "--registered-name", "scratch-escalation",
        "--params", params_file(tmp_path, params), "--out-dir", tmp_path / "models",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "scratch-escalation version 1: promoted to @champion (no champion yet)" in result.output
    assert champion_of("scratch-escalation") == "1" and champion_of() == before
    info = json.loads((tmp_path / "models" / "model_info.json").read_text())
    assert info["model_uri"] == "models:/scratch-escalation/1"
    # promote under that name: gated against scratch-escalation@champion, not the serving champion
    again = run("promote", "--version", 1, "--registered-name", "scratch-escalation", "--data", histories[1])
    assert again.exit_code == 0 and "promoted to @champion" in again.output and champion_of() == before


def test_a_run_without_a_training_fingerprint_reads_back_as_unknown(trained):
    """A version trained before fingerprints were logged: promote refuses it (see test_reference.py)."""
    import mlflow

    from ticketbuddy.train.promote_cli import training_fingerprint

    with mlflow.start_run(experiment_id=MlflowClient().get_run(trained.run_id).info.experiment_id) as bare:
        mlflow.log_param("nothing", "logged")
    assert training_fingerprint(bare.info.run_id) is None and training_fingerprint(None) is None
    found = training_fingerprint(trained.run_id)
    assert found is not None and len(found.ids) == 2500 and len(found.hashes) == 2500
