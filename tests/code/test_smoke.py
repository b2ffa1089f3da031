"""scripts/readme_check.py and scripts/smoke.py: the README parser, the matcher and the process helpers.

Fast: no make, no network (only loopback sockets and short local processes).
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "scripts"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"ticketbuddy_{name}", SCRIPTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


check = _load("readme_check")
smoke = _load("smoke")
matches = check.matches
E = "\u2026"  # the README's ellipsis


def readme_json(text: str):
    return check.parse_readme_json(text)


# ---------------------------------------------------------------- matcher: objects


def test_dict_extra_actual_keys_are_allowed():
    assert matches({"a": 1}, {"a": 1, "b": 2, "c": [3]}) is None


def test_dict_missing_key_names_its_path():
    message = matches({"handoff": {"status": "queued"}}, {"handoff": {"handoff_id": "x"}})
    assert message is not None
    assert message.startswith("$.handoff.status: missing")


def test_dict_value_difference_names_the_nested_path_through_lists():
    expected = {"reasons": [{"code": "a", "detail": "x"}, {"code": "b", "detail": "y"}]}
    actual = {"reasons": [{"code": "a", "detail": "x"}, {"code": "b", "detail": "z"}]}
    message = matches(expected, actual)
    assert message is not None and "$.reasons[1].detail" in message
    assert '"y"' in message and '"z"' in message


def test_ellipsis_key_abridges_an_object():
    assert matches({"tier": "vip", E: E}, {"tier": "vip", "lifetime_value": 5000}) is None
    assert matches({"tier": "vip", E: E}, {"tier": "gold"}) is not None


def test_type_mismatch_is_a_difference():
    assert matches({"a": 1}, [1]) == '$: expected {"a": 1}, got [1]'
    assert matches([1], {"0": 1}) is not None
    assert matches("x", 1) is not None
    assert matches(1, "1") is not None


def test_odd_keys_are_quoted_in_paths():
    assert matches({"a b": 1}, {}).startswith('$["a b"]: missing')


# ---------------------------------------------------------------- matcher: lists


def test_list_is_matched_as_an_ordered_subsequence():
    assert matches([1, 3], [0, 1, 2, 3, 4]) is None
    assert matches([], [1, 2]) is None
    assert matches([{"code": "b"}], [{"code": "a", "x": 1}, {"code": "b", "x": 2}]) is None


def test_list_out_of_order_or_missing_item_fails():
    out_of_order = matches([3, 1], [1, 2, 3])
    assert out_of_order is not None and "README item 1" in out_of_order
    missing = matches([1, 5], [1, 2, 3])
    assert missing is not None and "$[1]" in missing
    assert matches([1, 1], [1]) is not None  # each expected item needs its own actual item


def test_list_of_one_placeholder_matches_any_non_empty_list():
    assert matches([E], [{"ticket_id": "T-1"}]) is None
    assert matches([f"{E}every message, marked with its ticket and channel{E}"], [1, 2, 3]) is None
    assert matches([E], []) == "$: expected a non-empty list, got []"
    assert matches([E], "not a list") is not None


def test_list_with_a_placeholder_among_others_is_a_subsequence():
    assert matches([E, "b"], ["a", "b"]) is None
    assert matches([E, "b"], ["b"]) is not None


# ---------------------------------------------------------------- matcher: strings


def test_plain_string_must_be_equal():
    assert matches("queued", "queued") is None
    assert matches("queued", "claimed") == '$: expected "queued", got "claimed"'
    assert matches("senior_cx", "senior_cx ") is not None


def test_regex_characters_in_the_readme_are_literal():
    assert matches("P1 by rule 'vip-customer' (x)", "P1 by rule 'vip-customer' (x)") is None
    assert matches("a.b*", "axbb") is not None


def test_prefix_pattern_is_anchored_at_the_start():
    expected = f"VIP customer (lifetime value 5,000, 3.0 years) via email; 1 customer message; {E}"
    good = "VIP customer (lifetime value 5,000, 3.0 years) via email; 1 customer message; order late."
    assert matches(expected, good) is None
    assert matches(expected, "Hello. " + good) is not None
    assert matches(expected, good.replace("5,000", "5,001")) is not None
    assert matches(expected, good.replace("email", "chat")) is not None


def test_suffix_and_middle_patterns():
    assert matches(f"tb_{E}", "tb_abc123") is None
    assert matches(f"tb_{E}", "xtb_abc123") is not None
    assert matches(f"tb_{E}", "tb_") is None  # an ellipsis may stand for nothing
    assert matches(f"{E}.db", "sqlite:///mlflow.db") is None
    assert matches(f"{E}.db", "sqlite:///mlflow.db-wal") is not None
    assert matches(f"a{E}z", "a\nmiddle\nz") is None


def test_placeholder_string_matches_any_non_null_value():
    placeholder = f"{E}every message, marked with its ticket and channel{E}"
    assert matches(placeholder, [{"text": "hi"}]) is None
    assert matches(placeholder, {"k": 1}) is None
    assert matches(placeholder, 3) is None
    assert matches(placeholder, None) is not None
    assert matches(placeholder, "nothing like it") is not None
    assert matches(placeholder, "so every message, marked with its ticket and channel, is here") is None
    assert matches(E, "anything at all") is None


def test_prefix_pattern_does_not_match_non_strings():
    assert matches(f"tb_{E}", ["tb_x"]) is not None
    assert matches(f"tb_{E}", None) is not None


def test_numbers_in_strings_compare_within_the_written_decimals():
    expected = "probability 0.930 >= threshold 0.231"
    assert matches(expected, "probability 0.930 >= threshold 0.231") is None
    assert matches(expected, "probability 0.931 >= threshold 0.230") is None
    assert matches(expected, "probability 0.9305 >= threshold 0.2312") is None
    assert matches(expected, "probability 0.935 >= threshold 0.231") is not None
    assert matches(expected, "probability 0.930 >= threshold 0.25") is not None
    assert matches("3.0 years", "3.1 years") is None
    assert matches("3.0 years", "3.2 years") is not None
    assert matches("3.0 years", "13.0 years") is not None


def test_numbers_inside_patterns_are_numeric_too():
    assert matches(f"{E}(3.0 years){E}", "VIP (3.04 years) via chat") is None
    assert matches(f"{E}(3.0 years){E}", "VIP (2.5 years) via chat") is not None
    assert matches(f"{E}0.93", "p=10.93") is not None


def test_integers_in_strings_are_literal():
    assert matches("within 30 minutes", "within 31 minutes") is not None
    assert matches("within 30 minutes", "within 30 minutes") is None


# ---------------------------------------------------------------- matcher: numbers, bools, null


def test_float_tolerance_follows_the_decimals_written():
    two = readme_json("0.93")
    assert matches(two, 0.93) is None
    assert matches(two, 0.94) is None  # 10**-2, boundary included
    assert matches(two, 0.92) is None
    assert matches(two, 0.9401) is not None
    assert matches(two, 0.95) is not None
    three = readme_json("0.930")
    assert three.text == "0.930"
    assert matches(three, 0.9309) is None
    assert matches(three, 0.9315) is not None


def test_trailing_zero_decimals_are_remembered():
    value = readme_json('{"x": 1.50}')["x"]
    assert isinstance(value, float) and value.text == "1.50"
    assert matches(value, 1.505) is None
    assert matches(value, 1.55) is not None


def test_float_accepts_int_but_not_bool_or_string():
    assert matches(readme_json("1.0"), 1) is None
    assert matches(readme_json("1.0"), True) is not None
    assert matches(readme_json("0.93"), "0.93") is not None
    assert matches(readme_json("0.93"), None) is not None


def test_int_bool_and_null_are_exact():
    assert matches(30, 30) is None
    assert matches(30, 31) is not None
    assert matches(30, 30.0) is not None
    assert matches(1, True) is not None
    assert matches(True, True) is None
    assert matches(True, 1) is not None
    assert matches(False, 0) is not None
    assert matches(None, None) is None
    assert matches(None, 0) is not None
    assert matches(None, "null") is not None


def test_readme_answer_against_a_realistic_actual_answer():
    expected = readme_json(
        '{"ticket_id": "T-1", "escalate": true, "probability": 0.93,'
        ' "reasons": [{"code": "model.probability", "detail": "probability 0.930 >= threshold 0.231"}],'
        ' "handoff": {"handoff_id": "\u2026", "history": ["\u2026every message\u2026"],'
        ' "customer": {"tier": "vip", "\u2026": "\u2026"}}}'
    )
    actual = {
        "ticket_id": "T-1",
        "escalate": True,
        "probability": 0.9287,
        "reasons": [
            {"code": "model.probability", "detail": "probability 0.929 >= threshold 0.231"},
            {"code": "customer.vip", "detail": "tier vip"},
        ],
        "handoff": {
            "handoff_id": "h-123",
            "history": [{"role": "customer", "text": "..."}],
            "customer": {"tier": "vip", "vip": True},
        },
        "customer_reply": "...",
    }
    assert matches(expected, actual) is None
    actual["handoff"]["customer"]["tier"] = "standard"
    assert matches(expected, actual) == '$.handoff.customer.tier: expected "vip", got "standard"'


# ---------------------------------------------------------------- README parsing

CURL_A = "curl -s http://127.0.0.1:8000/a"
CURL_B = "curl -s http://127.0.0.1:8000/b"


def md(*parts: str) -> str:
    return "\n".join(parts) + "\n"


def fence(lang: str, body: str) -> str:
    return f"```{lang}\n{body}\n```"


def test_example_with_its_answer_and_line_numbers():
    text = md("# T", "", fence("bash", CURL_A), "", "answer:", "", fence("json", '{"a": 0.5}'))
    (example,) = check.readme_examples(text)
    assert example.command == CURL_A
    assert example.line == 3
    assert example.expected == {"a": 0.5} and example.expected["a"].text == "0.5"
    assert example.expected_line == 9


def test_example_without_answer():
    text = md(fence("bash", CURL_A), fence("bash", CURL_B), fence("json", '{"b": 1}'))
    first, second = check.readme_examples(text)
    assert (first.command, first.expected, first.expected_line) == (CURL_A, None, None)
    assert (second.command, second.expected) == (CURL_B, {"b": 1})


def test_answer_belongs_to_the_preceding_bash_block_only():
    text = md(fence("bash", CURL_A), fence("bash", "make run"), fence("json", '{"x": 1}'))
    (example,) = check.readme_examples(text)
    assert example.command == CURL_A
    assert example.expected is None


def test_only_the_first_json_block_answers():
    text = md(fence("bash", CURL_A), fence("", "some text"), fence("json", "[1]"), fence("json", "[2]"))
    (example,) = check.readme_examples(text)
    assert example.expected == [1]


def test_bash_blocks_without_curl_and_other_languages_are_ignored():
    text = md(
        fence("bash", "make run\nmake test"),
        fence("json", '{"no": "example"}'),
        fence("sh", CURL_A),
        fence("python", "print('curl')"),
        fence("bash", CURL_B),
    )
    examples = check.readme_examples(text)
    assert [e.command for e in examples] == [CURL_B]


def test_examples_keep_readme_order():
    text = md(fence("bash", CURL_B), fence("json", "1"), fence("bash", CURL_A), fence("json", "2"))
    assert [(e.command, e.expected) for e in check.readme_examples(text)] == [(CURL_B, 1), (CURL_A, 2)]


def test_bad_answer_json_names_its_line():
    text = md(fence("bash", CURL_A), fence("json", '{"a": }'))
    with pytest.raises(ValueError, match="README line 4"):
        check.readme_examples(text)


def test_longer_fences_may_contain_backticks():
    text = md("````bash", "curl x", "```", "still inside", "````", fence("json", "3"))
    (example,) = check.readme_examples(text)
    assert example.command == "curl x\n```\nstill inside"
    assert example.expected == 3


def test_prints_block_is_the_plain_block_after_the_marker():
    text = md(
        fence("", "not this one"),
        "`make run` prints where everything is:",
        "",
        fence("", "API key (from .env): tb_\u2026\n\n  TicketBuddy API docs: http://127.0.0.1:8000/docs  "),
        fence("", "nor this one"),
    )
    assert check.prints_block(text) == [
        "API key (from .env): tb_\u2026",
        "TicketBuddy API docs: http://127.0.0.1:8000/docs",
    ]


def test_prints_block_missing_or_with_a_language():
    assert check.prints_block(md("`make run` prints:", fence("bash", "echo"))) is None
    assert check.prints_block(md("make run prints:", fence("", "x"))) is None
    assert check.prints_block(md(fence("", "x"), "`make run` prints:")) is None


def test_substitute_ports():
    text = "curl http://127.0.0.1:8000/v1 and http://127.0.0.1:5000/ on port 8000"
    assert check.substitute_ports(text, 43111, 43222) == (
        "curl http://127.0.0.1:43111/v1 and http://127.0.0.1:43222/ on port 8000"
    )


def test_real_readme_has_an_answered_example_and_a_prints_block():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    examples = check.readme_examples(readme)
    assert examples, "no ```bash block with curl in README.md"
    assert any(e.expected is not None for e in examples)
    assert all("curl" in e.command for e in examples)
    lines = check.prints_block(readme)
    assert lines and all(line.strip() == line and line for line in lines)


# ---------------------------------------------------------------- small helpers


def test_api_key_from_env():
    env = "# local\nOTHER=1\nTICKETBUDDY_API_KEYS=tb_abcdef0123456789:score+agent+admin,k2:admin\n"
    assert check.api_key_from_env(env) == "tb_abcdef0123456789"
    assert check.api_key_from_env("X_TICKETBUDDY_API_KEYS=a:b\n") is None


def test_contains_value_searches_the_whole_document():
    listing = {"count": 1, "items": [{"handoff_id": "h-1", "packet": {"ids": ["h-2"]}}]}
    assert check.contains_value(listing, "h-1")
    assert check.contains_value(listing, "h-2")
    assert not check.contains_value(listing, "h-3")
    assert not check.contains_value({"n": 1}, "1")


def test_strip_ansi():
    assert check.strip_ansi("\x1b[32mINFO\x1b[0m:  ready") == "INFO:  ready"


def test_log_tail_shows_the_last_lines_and_collapses_progress_bars(tmp_path):
    log = tmp_path / "run.log"
    log.write_text("one\nsynth: 0%\rsynth: 50%\rsynth: 100%\r\n\n\x1b[31mtwo\x1b[0m\nthree\n")
    assert smoke.log_tail(log, 3) == "synth: 100%\ntwo\nthree"
    assert smoke.log_tail(log) == "one\nsynth: 100%\ntwo\nthree"
    assert "cannot read" in smoke.log_tail(tmp_path / "missing.log")


def test_check_prints_reads_the_log(tmp_path):
    log = tmp_path / "make-run.log"
    log.write_text(
        "make stuff\n\x1b[1mAPI key (from .env): tb_123\x1b[0m  \nTicketBuddy API docs: http://x/docs\n"
    )
    readme = md(
        "`make run` prints", fence("", "API key (from .env): tb_\u2026\nTicketBuddy API docs: http://x/docs")
    )
    checker = smoke.Smoke.__new__(smoke.Smoke)
    checker.check_prints(readme, log)
    with pytest.raises(smoke.SmokeFailure, match="http://y/docs"):
        checker.check_prints(readme.replace("http://x/docs", "http://y/docs"), log)


def test_run_examples_compares_answers_in_order(tmp_path):
    runner = smoke.Smoke(tmp_path, budget=60, keep=False)
    try:
        runner.clone = tmp_path
        (tmp_path / "state").write_text('{"id": "h-1"}')
        readme = md(
            fence("bash", '# curl\necho \'{"id": "h-1", "p": 0.931, "escalate": true}\''),
            fence("json", '{"id": "\u2026", "p": 0.93, "escalate": true}'),
            fence("bash", "# curl\ncat state"),
        )
        answer = runner.run_examples(check.readme_examples(readme))
        assert answer == {"id": "h-1", "p": 0.931, "escalate": True}
        failing = md(fence("bash", "# curl\necho '{\"p\": 0.97}'"), fence("json", '{"p": 0.93}'))
        with pytest.raises(smoke.SmokeFailure, match=r"\$\.p: expected 0\.93, got 0\.97"):
            runner.run_examples(check.readme_examples(failing))
        with pytest.raises(smoke.SmokeFailure, match="exited 3"):
            runner.run_examples(check.readme_examples(md(fence("bash", "# curl\nexit 3"))))
        with pytest.raises(smoke.SmokeFailure, match="exited 1"):  # -e and pipefail
            runner.run_examples(check.readme_examples(md(fence("bash", "# curl\nfalse | cat\necho '{}'"))))
        with pytest.raises(smoke.SmokeFailure, match="did not print JSON"):
            runner.run_examples(check.readme_examples(md(fence("bash", "echo curl"))))
    finally:
        runner.cleanup()
    assert not runner.tmp.exists()


def test_parse_args_defaults():
    args = smoke.parse_args([])
    assert (args.repo, args.budget, args.keep) == (None, 1500, False)
    args = smoke.parse_args(["--repo", "/x", "--budget", "30", "--keep"])
    assert (args.repo, args.budget, args.keep) == (Path("/x"), 30.0, True)


# ---------------------------------------------------------------- processes and ports


def _background(command: str, tmp_path: Path):
    log = tmp_path / "bg.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            ["bash", "-c", command], stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    return smoke.Background(proc, log)


def test_stop_ends_the_whole_process_group(tmp_path):
    background = _background("sleep 30 & sleep 30 & wait", tmp_path)
    time.sleep(0.3)
    assert smoke.group_alive(background.proc.pid)
    started = time.monotonic()
    smoke.stop(background)
    assert time.monotonic() - started < 5
    assert not smoke.group_alive(background.proc.pid)
    assert background.stopped and background.proc.returncode is not None


def test_stop_kills_what_ignores_sigterm(tmp_path, monkeypatch):
    monkeypatch.setattr(smoke, "STOP_GRACE", 0.5)
    background = _background("trap '' TERM; sleep 30 & sleep 30; wait", tmp_path)
    time.sleep(0.3)
    smoke.stop(background)
    assert not smoke.group_alive(background.proc.pid)
    assert background.proc.returncode == -signal.SIGKILL


def test_free_port_is_bindable_and_http_get_reports_no_answer():
    port = smoke.free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))
    status, reason = smoke.http_get(f"http://127.0.0.1:{port}/readyz", timeout=2)
    assert status == 0 and reason


def test_child_env_drops_project_settings(monkeypatch):
    monkeypatch.setenv("TICKETBUDDY_API_KEYS", "x:y")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///elsewhere.db")
    monkeypatch.setenv("HOME", os.environ.get("HOME", "/root"))
    env = smoke.child_env()
    assert "TICKETBUDDY_API_KEYS" not in env and "MLFLOW_TRACKING_URI" not in env
    assert env["HOME"] == os.environ["HOME"]
    assert "127.0.0.1" in env["NO_PROXY"].split(",")


def test_importing_the_script_has_no_side_effects():
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import runpy; runpy.run_path({str(SCRIPTS / 'smoke.py')!r}, run_name='not_main')",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0 and result.stdout == "" and result.stderr == ""
    assert json.loads(json.dumps(check.ELLIPSIS)) == E


def test_variables_set_by_an_example_are_kept_for_the_next_ones():
    command = (
        'KEY=$(grep ^X= .env | cut -d= -f2)\n  export OTHER=1\ncurl -s http://x -H "A: $KEY"\nA_B=2 curl y'
    )
    assert check.assignments(command) == ["KEY=$(grep ^X= .env | cut -d= -f2)", "  export OTHER=1"]
    assert check.assignments("curl -d '{\"a\": 1}' http://x") == []
