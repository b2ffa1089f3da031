"""``ticketbuddy policy test``: which rules fire per ticket, and how often and how precisely on a history."""

import json

import pytest
import yaml
from typer.testing import CliRunner

from ticketbuddy.cli import app
from ticketbuddy.data.jsonl import read_tickets
from ticketbuddy.policy.calibrate import read_labels, summarise, trace_rules
from ticketbuddy.policy.calibrate_report import render_summary, render_trace
from ticketbuddy.policy.engine import Learned
from ticketbuddy.policy.model import default_policy_path, load_policy


def row(ticket_id, text, escalated=None, tier="standard", route=None, priority=None, turns=()):
    ticket = {
        "ticket_id": ticket_id,
        "channel": "chat",
        "created_at": "2026-11-01T09:00:00Z",
        "customer": {"tier": tier},
        "messages": [*turns, {"role": "customer", "text": text}],
    }
    if escalated is not None:
        ticket["escalated"] = escalated
    if route:
        ticket["route"] = route
    if priority:
        ticket["priority"] = priority
    return ticket


HISTORY = [
    row(
        "t-legal",
        "My lawyer and the small claims court will hear of this",
        True,
        route="legal_compliance",
        priority="P1",
    ),
    row(
        "t-refund-yes", "I want a refund and my money back now", True, route="billing_disputes", priority="P2"
    ),
    row("t-refund-no", "How long does a refund take?", False),
    row("t-vip", "Where is my parcel?", False, tier="vip"),
    row("t-calm", "Do you sell gift cards?", False),
]


def write(tmp_path, rows, name="history.jsonl"):
    path = tmp_path / name
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return path


def run(*args):
    return CliRunner().invoke(app, ["policy", "test", *map(str, args)])


def by_name(rows):
    return {r["name"]: r for r in rows}


def test_json_summary_counts_firings_and_precision_against_labels(tmp_path):
    result = run("--tickets", write(tmp_path, HISTORY), "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)["summary"]
    triggers = by_name(summary["triggers"])
    assert (triggers["legal"]["fired"], triggers["legal"]["precision"]) == (1, 1.0)
    # "How long does a refund take?" says "refund" but reads as an everyday question: vetoed
    assert (triggers["refund"]["fired"], triggers["refund"]["precision"]) == (1, 1.0)
    assert triggers["safety"]["fired"] == 0 and triggers["safety"]["precision"] is None
    phrases = {(p["extra"]["family"], p["name"]): p for p in summary["phrases"]}
    assert (
        phrases[("refund", "refund")]["fired"] == 1 and phrases[("refund", "money back")]["precision"] == 1.0
    )
    assert phrases[("legal", "lawyer")]["fired"] == 1 and phrases[("legal", "small claims")]["fired"] == 1
    priority = by_name(summary["priority_rules"])
    assert priority["legal-safety-or-public"]["fired"] == 1
    assert priority["vip-customer"]["fired"] == 1 and priority["vip-customer"]["precision"] == 0.0
    assert priority["asked-for-a-human"]["fired"] == 1  # the refund ticket
    assert priority["everything-else"]["extra"]["holds"] == 5  # holds everywhere, decides the rest
    assert priority["everything-else"]["fired"] == 2  # the calm question and the refund question
    assert priority["legal-safety-or-public"]["extra"] == {"holds": 1, "agrees": 1, "compared": 1}
    assert priority["asked-for-a-human"]["extra"]["agrees"] == 0  # history said P2, rule says P3
    route = by_name(summary["route_rules"])
    assert route["money-to-billing"]["extra"] == {"holds": 1, "agrees": 1, "compared": 1}
    assert route["learned-route"]["fired"] == 0  # needs a model
    assert route["fallback"]["fired"] == 2
    decision = summary["decision"]
    # rules alone: any trigger and every VIP escalate: legal + the refund owed + the VIP
    assert decision["escalated_by_policy"] == 3 and decision["escalated_by_history"] == 2
    assert decision["precision"] == pytest.approx(2 / 3) and decision["recall"] == 1.0


def test_per_ticket_lines_name_the_rules_and_phrases(tmp_path):
    result = run("--tickets", write(tmp_path, HISTORY))
    assert result.exit_code == 0, result.output
    lines = {line.split(":")[0]: line for line in result.stdout.splitlines() if line.startswith("t-")}
    assert lines["t-legal"] == (
        "t-legal: ESCALATE (history: escalated); triggers legal[lawyer, small claims]; "
        "P1 by legal-safety-or-public; legal_compliance by legal-or-regulatory-to-compliance"
    )
    assert "VIP; P1 by vip-customer; senior_cx by vip-to-senior" in lines["t-vip"]
    assert lines["t-calm"].startswith("t-calm: keep (history: kept); triggers -;")
    assert "decided by the rules alone" in result.stdout
    assert "refund           always    1      100%" in result.stdout
    assert lines["t-refund-no"].startswith("t-refund-no: keep (history: kept); triggers -;")
    summary_only = run("--tickets", write(tmp_path, HISTORY), "--summary-only")
    assert "t-legal:" not in summary_only.stdout and "trigger families" in summary_only.stdout


def test_unlabelled_tickets_and_bad_rows(tmp_path):
    rows = [json.dumps(row("u-1", "I was charged twice")), "{not json"]
    path = tmp_path / "unlabelled.jsonl"
    path.write_text("\n".join(rows) + "\n")
    result = run("--tickets", path, "--json")
    assert result.exit_code == 0
    assert "1 rows rejected (line 2: not valid JSON" in result.stderr
    body = json.loads(result.stdout)
    assert body["tickets"][0]["label"] is None and body["tickets"][0]["triggers"] == {
        "refund": ["charged twice"]
    }
    assert by_name(body["summary"]["triggers"])["refund"]["precision"] is None


def test_a_custom_policy_file_is_tested_and_a_broken_one_refused(tmp_path):
    raw = yaml.safe_load(default_policy_path().read_text())
    raw["triggers"]["refund"]["keywords"] = ["money back"]  # calibrated: 'refund' alone was imprecise
    tuned = tmp_path / "tuned.yaml"
    tuned.write_text(yaml.safe_dump(raw))
    summary = json.loads(run(tuned, "--tickets", write(tmp_path, HISTORY), "--json").stdout)["summary"]
    refund = by_name(summary["triggers"])["refund"]
    assert (refund["fired"], refund["precision"]) == (1, 1.0)
    raw["fallback_route"] = "nowhere"
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump(raw))
    refused = run(broken, "--tickets", write(tmp_path, HISTORY))
    assert refused.exit_code == 1 and "fallback_route" in refused.output


def test_with_model_predictions_the_learned_rules_and_probability_count(tmp_path):
    path = write(tmp_path, HISTORY)
    policy, tickets = load_policy(), read_tickets(path).tickets
    learned = Learned(route="technical_support", route_confidence=0.9, priority="P2", priority_confidence=0.8)
    predictions = [(0.9 if t.ticket_id == "t-calm" else 0.1, learned) for t in tickets]
    traces = trace_rules(policy, tickets, read_labels(path), predictions, threshold=0.5)
    calm = next(t for t in traces if t.ticket_id == "t-calm")
    assert calm.escalate and calm.probability == 0.9
    assert (calm.route, calm.route_rule) == ("technical_support", "learned-route")
    assert (calm.priority, calm.priority_rule) == ("P2", "learned-priority")
    summary = summarise(policy, traces)
    assert by_name(summary["route_rules"])["learned-route"]["extra"]["holds"] == 5
    assert (
        summary["decision"]["escalated_by_policy"] == 3
    )  # legal, the refund owed (families) + the model's pick


def test_model_uri_option_uses_the_registered_model(tmp_path, trained):
    uri = f"models:/ticket-escalation/{trained.model_version}"
    result = run("--tickets", write(tmp_path, HISTORY), "--json", "--model-uri", uri)
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["model_uri"] == uri
    assert all(0.0 <= t["probability"] <= 1.0 for t in body["tickets"])


ANNOTATED = [
    {**row("a-1", "Please put me through to a human being.", True, route="general_escalations"),
     "triggers": ["human_request"]},
    {**row("a-2", "Could somebody from your team phone me back today?", True, route="general_escalations"),
     "triggers": ["human_request"]},
    {**row("a-3", "What time does the Leeds store open on Sunday?", False), "triggers": []},
    {**row("a-4", "Thanks, the bot answered my question.", False), "triggers": []},
]  # fmt: skip


def test_families_report_keywords_examples_and_both_against_annotated_families(tmp_path):
    result = run("--tickets", write(tmp_path, ANNOTATED), "--families", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    human = report["families"]["human_request"]
    assert report["annotated"] == 4 and human["positives"] == 2
    assert human["keywords"]["fired"] == 1 and human["keywords"]["recall"] == 0.5  # "human being" only
    assert human["examples"]["recall"] == 1.0 and human["examples"]["precision"] == 1.0
    assert human["both"]["recall"] == 1.0
    assert human["suggested_threshold"] is not None and "0.5" in human["sweep"]
    assert report["families"]["legal"]["positives"] == 0
    table = run("--tickets", write(tmp_path, ANNOTATED), "--families").stdout
    assert "positives: annotated families" in table and "human_request" in table and "→" in table


def test_check_paraphrases_compares_examples_with_keywords_only(tmp_path):
    out = tmp_path / "figures.json"
    result = CliRunner().invoke(
        app, ["check", "paraphrases", "--tickets", str(write(tmp_path, ANNOTATED)), "--out-json", str(out)]
    )
    assert result.exit_code == 0, result.output
    with_examples, keywords_only = json.loads(out.read_text())["runs"]
    assert with_examples["positives"]["fired"] == 2 and keywords_only["positives"]["fired"] == 1
    assert with_examples["negatives"]["tickets"] == 2
    assert "### keywords only" in result.stdout and "| human_request | 2 |" in result.stdout


def test_the_summary_shows_what_the_veto_dropped_and_what_the_keep_rules_kept(tmp_path):
    path = write(tmp_path, HISTORY)
    policy, tickets = load_policy(), read_tickets(path).tickets
    predictions = [(0.2, Learned()) for _ in tickets]  # above the threshold below, unsure
    traces = {
        t.ticket_id: t for t in trace_rules(policy, tickets, read_labels(path), predictions, threshold=0.1)
    }
    assert traces["t-refund-no"].vetoed == {"refund": ["refund"]}
    assert traces["t-calm"].kept_by == "routine-message" and not traces["t-calm"].escalate
    assert traces["t-legal"].kept_by is None and traces["t-legal"].escalate  # a family fired
    summary = summarise(policy, list(traces.values()))
    vetoed = {(s["extra"]["family"], s["name"]): s for s in summary["vetoed_phrases"]}
    assert vetoed[("refund", "refund")]["fired"] == 1 and vetoed[("refund", "refund")]["precision"] == 0.0
    kept = by_name(summary["keep_rules"])["routine-message"]
    assert kept["fired"] >= 1 and kept["precision"] == 0.0  # the history kept what the rule kept
    text = render_summary(summary)
    assert "phrases vetoed" in text and "routine-message" in text
    assert "vetoed refund[refund];" in render_trace(traces["t-refund-no"])
    assert "kept by routine-message;" in render_trace(traces["t-calm"])
