"""Agents' verdicts become training labels: ``ticketbuddy handoffs export``."""

import json
from types import SimpleNamespace

from typer.testing import CliRunner

from ticketbuddy.cli import app as cli
from ticketbuddy.handoff.export import labelled
from ticketbuddy.schemas import MAX_METADATA_BYTES, LabelledTicket, Ticket

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


def resolved_row(ticket, outcome="needed"):
    """What ``records.resolved`` gives ``labelled``: the stored ticket and the hand-off's verdict."""
    return SimpleNamespace(
        ticket=ticket.model_dump(mode="json"),
        outcome=outcome,
        handoff_id="h-1",
        resolved_at=None,
        claimed_by="agent-1",
        model_version="3",
        priority="P2",
        route="billing_disputes",
    )


def test_the_verdict_is_kept_even_when_the_tickets_metadata_leaves_it_no_room():
    room = MAX_METADATA_BYTES - len('{"notes":""}')
    full = Ticket.model_validate(
        {**make_ticket("T-1", SOUR).model_dump(mode="json"), "metadata": {"notes": "x" * room}}
    )
    label = labelled(resolved_row(full))
    assert set(label.metadata) == {"handoff"} and label.metadata["handoff"]["outcome"] == "needed"
    assert LabelledTicket.model_validate_json(label.model_dump_json()).escalated is True  # reads back
    roomy = make_ticket("T-2", SOUR)
    assert set(labelled(resolved_row(roomy)).metadata) == {*roomy.metadata, "handoff"}
