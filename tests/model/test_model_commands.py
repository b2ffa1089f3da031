"""The commands that read a model say, in one line, what is wrong and which command fixes it."""

import json

import pytest
from typer.testing import CliRunner

from ticketbuddy.cli import app
from ticketbuddy.scoring.lookup import ModelUnavailable, resolve

pytestmark = pytest.mark.slow


@pytest.fixture
def empty_store(tmp_path, monkeypatch):
    """An MLflow store with nothing in it, in force for this test only."""
    uri = f"sqlite:///{tmp_path / 'empty' / 'mlflow.db'}"
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    return uri


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def one_line_error(result, *fragments):
    """Exit 1, no traceback, and a single line that holds every fragment."""
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "mlflow.exceptions" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


def test_champion_names_the_version_serving_and_why(trained):
    result = run("champion")
    assert result.exit_code == 0, result.output
    assert f"ticket-escalation@champion is version {trained.model_version}" in result.output
    assert "  promoted 20" in result.output and " by " in result.output  # from the version's tags


def test_champion_in_an_empty_store_fails_and_says_how_to_train(empty_store):
    one_line_error(run("champion"), "no model named 'ticket-escalation'", empty_store, "make train")


def test_score_without_a_model_is_one_line(empty_store, tmp_path, faq_ticket):
    source = tmp_path / "in.jsonl"
    source.write_text(faq_ticket.model_dump_json() + "\n")
    result = run("score", "--input", source, "--output", tmp_path / "out.jsonl")
    one_line_error(result, "ticketbuddy score:", "make train")
    assert not (tmp_path / "out.jsonl").exists()


def test_promote_an_unknown_version_is_one_line(trained, histories):
    _, test_path = histories
    result = run("promote", "--version", 99, "--data", test_path)
    one_line_error(result, "no version 99", f"versions {trained.model_version}")


@pytest.mark.parametrize("version", ["abc", "0", "-1", "1.5"])
def test_promote_a_version_that_is_not_a_number_is_one_line(histories, version):
    one_line_error(run("promote", "--version", version, "--data", histories[1]), "--version", repr(version))


def test_promote_in_an_empty_store_is_one_line(empty_store, histories):
    one_line_error(run("promote", "--version", 1, "--data", histories[1]), "make train")


def test_a_missing_alias_lists_the_aliases_there_are(trained):
    with pytest.raises(ModelUnavailable, match=r"no alias @nosuchalias .*\(it has @champion\)"):
        resolve("models:/ticket-escalation@nosuchalias")
    assert resolve("models:/ticket-escalation@champion").version == trained.model_version


def test_evaluate_defaults_to_the_champion_not_the_last_trained(trained, worse_trained, histories, tmp_path):
    assert worse_trained.model_version != trained.model_version  # the newest version is not serving
    out = tmp_path / "eval"
    result = run("evaluate", "--data", histories[1], "--out-dir", out, "--experiment", "tests-evaluate")
    assert result.exit_code == 0, result.output
    assert f"ticket-escalation version {trained.model_version} (@champion)" in result.output.splitlines()[0]
    assert json.loads((out / "metrics.json").read_text())["model"]["pr_auc"] > 0.6


def test_evaluate_names_the_trained_version_from_model_info(worse_trained, histories, tmp_path):
    worse_trained.write(tmp_path)
    result = run(
        "evaluate", "--data", histories[1], "--model-info", tmp_path / "model_info.json",
        "--out-dir", tmp_path / "eval", "--experiment", "tests-evaluate",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"ticket-escalation version {worse_trained.model_version} on" in result.output


def test_train_writes_deterministic_figures_for_git_and_the_run_for_this_machine(trained, tmp_path):
    trained.write(tmp_path / "a")
    figures = (tmp_path / "a" / "train_metrics.json").read_text()
    assert trained.run_id not in figures and "model_version" not in figures  # nothing machine-local
    parsed = json.loads(figures)
    assert set(parsed) == {"threshold", "test"}  # what the data, code and params determine, nothing else
    assert all(v is None or v == round(v, 4) for v in parsed["test"].values())  # noise cannot show
    assert parsed["threshold"] == round(trained.threshold, 4)
    assert parsed["test"]["pr_auc"] == round(trained.metrics["pr_auc"], 4)
    info = json.loads((tmp_path / "a" / "model_info.json").read_text())
    assert info["run_id"] == trained.run_id and info["model_version"] == trained.model_version
