"""One source of hyper-parameter defaults: the shipped params.yaml and ``Params`` say the same thing."""

import logging
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from ticketbuddy.cli import app
from ticketbuddy.train.params import Params, ParamsError, find_params, load_params

ROOT = Path(__file__).resolve().parents[2]


def test_the_built_in_defaults_are_the_shipped_file():
    shipped = yaml.safe_load((ROOT / "params.yaml").read_text())
    parsed = Params.model_validate(shipped)
    assert parsed == Params(), "params.yaml and train/params.py disagree: change both"
    assert parsed.promotion.tolerance > 0  # the field that drifted once: the gate must mean the same


def test_a_command_run_in_a_sub_folder_reads_the_projects_file(tmp_path, monkeypatch):
    project = tmp_path / "project"
    (project / "notebooks").mkdir(parents=True)
    (project / "dvc.yaml").write_text("stages: {}\n")
    (project / "params.yaml").write_text("promotion: {tolerance: 0.02}\n")
    monkeypatch.chdir(project / "notebooks")
    assert find_params() == project / "params.yaml"
    assert load_params().promotion.tolerance == 0.02


def test_outside_a_project_the_defaults_are_used_and_said(tmp_path, monkeypatch, caplog):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "params.yaml").unlink(missing_ok=True)
    with caplog.at_level(logging.WARNING, logger="ticketbuddy.train.params"):
        assert load_params() == Params()
    assert "built-in defaults" in caplog.text


def test_a_folder_with_params_but_no_dvc_yaml_above_is_not_the_project(tmp_path, monkeypatch):
    (tmp_path / "params.yaml").write_text("promotion: {tolerance: 0.5}\n")
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    assert find_params() is None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "not found"),
        ("train: [unclosed", "refused"),
        ("promotion: {tolerance: -1}", "tolerance"),
        ("promotion: {tolerance: 0.01}\ntrain: {}\npromotion: {tolerance: 0.5}\n", "'promotion' on line 3"),
    ],
)
def test_a_named_file_that_cannot_be_used_is_refused(tmp_path, content, message):
    path = tmp_path / "params.yaml"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ParamsError, match=message):
        load_params(path)


def test_commands_refuse_an_unusable_params_file_in_one_line(tmp_path):
    data = tmp_path / "h.jsonl"
    data.write_text("{}\n")
    result = CliRunner().invoke(app, ["train", "--data", str(data), "--params", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert [line for line in result.output.splitlines() if line.strip()] == [
        f"hyper-parameters file {tmp_path / 'nope.yaml'} not found"
    ]
