"""Agents' verdicts become training labels: ``ticketbuddy handoffs export``."""

import json

from typer.testing import CliRunner

from ticketbuddy.cli import app as cli
from ticketbuddy.schemas import LabelledTicket

from .conftest import ANGRY, LEGAL, SOUR, make_ticket


def test_resolved_handoffs_export_as_labelled_tickets(db_url, intake, rules_scorer, queue, tmp_path):
    needed = intake.score(make_ticket("T-1", LEGAL, customer_id="C-1"), rules_scorer).handoff
    false_alarm = intake.score(make_ticket("T-2", SOUR, customer_id="C-2"), rules_scorer).handoff
    intake.score(make_ticket("T-3", ANGRY, customer_id="C-3"), rules_scorer)  # still open: not a label yet
    intake.score(make_ticket("T-1", LEGAL, "Please answer today.", customer_id="C-1"), rules_scorer)
    for handoff, outcome in [(needed, "needed"), (false_alarm, "not_needed")]:
        queue.claim(handoff.handoff_id, "agent-1")
        queue.resolve(handoff.handoff_id, outcome, "checked")

    out = tmp_path / "labels" / "resolved.jsonl"
    result = CliRunner().invoke(cli, ["handoffs", "export", "--out", str(out), "--db-url", db_url])
    assert result.exit_code == 0, result.output
    assert "resolved hand-offs 2 = needed 1 + not needed 1" in result.output
    rows = [LabelledTicket.model_validate(json.loads(line)) for line in out.read_text().splitlines()]
    by_id = {r.ticket_id: r for r in rows}
    assert (by_id["T-1"].escalated, by_id["T-1"].route, by_id["T-1"].priority) == (
        True,
        "legal_compliance",
        "P1",
    )
    assert [m.text for m in by_id["T-1"].messages] == [LEGAL, "Please answer today."]  # every message
    assert (by_id["T-2"].escalated, by_id["T-2"].route, by_id["T-2"].priority) == (False, None, None)
    assert by_id["T-2"].metadata["handoff"]["outcome"] == "not_needed"
    assert by_id["T-2"].metadata["handoff"]["agent"] == "agent-1"
