"""The hand-written paraphrase sets stay what their README says: checked by their own ``check.py``.

``check.py`` fails when a positive holds a keyword of its own family, when dev and test share a
sentence, or when a sentence of either file is one of the policy's example lines (the family
classifier would then be scored on what it was fitted on). Run here so that a policy edit which
copies a test sentence into the examples fails the suite, not a later review.
"""

import importlib.util
import json
from pathlib import Path

import pytest

from ticketbuddy.policy.model import Policy, load_policy

CHECK = Path(__file__).parents[1] / "fixtures" / "paraphrases" / "check.py"


@pytest.fixture(scope="module")
def check():
    spec = importlib.util.spec_from_file_location("paraphrase_check", CHECK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_shipped_policy_and_both_files_pass_every_check(check, capsys):
    assert check.main() == 0, capsys.readouterr().out


def test_a_test_sentence_copied_into_the_policy_examples_fails(check, capsys, monkeypatch):
    test_line = (CHECK.parent / "test.jsonl").read_text(encoding="utf-8").splitlines()[0]
    sentence = next(iter(check.sentences(json.loads(test_line)["messages"][0]["text"])))
    shipped = load_policy()
    copied = shipped.model_copy(update={"other_examples": (*shipped.other_examples, sentence)})
    monkeypatch.setattr(check, "load_policy", lambda: copied)
    assert check.main() == 1
    assert "one of the policy's example lines" in capsys.readouterr().out


def test_policy_lines_holds_the_sentences_of_every_example_list(check):
    policy: Policy = load_policy()
    lines = check.policy_lines(policy)
    assert check.normalise(policy.other_examples[0]).strip() in lines
    legal = policy.triggers["legal"]
    assert check.normalise(legal.examples[0]).strip() in lines
    assert check.normalise(legal.not_examples[0]).strip() in lines
