"""``ticketbuddy score``: a JSONL file scored with the API's code; counts reconcile."""

import json

from typer.testing import CliRunner

from ticketbuddy.cli import app


def test_batch_scoring_reconciles_and_keeps_rejects(trained, tmp_path, seed_tickets, faq_ticket):
    source = tmp_path / "in.jsonl"
    rows = [t.model_dump_json() for t in [*seed_tickets, faq_ticket]]
    source.write_text("\n".join([rows[0], "{broken", rows[1], rows[2]]) + "\n")
    out = tmp_path / "scores.jsonl"
    result = CliRunner().invoke(app, ["score", "--input", str(source), "--output", str(out)])
    assert result.exit_code == 1  # a row was rejected
    assert "rows read 4 = scored 3 + rejected 1" in result.output
    scores = [json.loads(line) for line in out.read_text().splitlines()]
    assert [s["ticket_id"] for s in scores] == ["seed-vip-gift", "seed-chat-twitter", "faq-manchester-sunday"]
    assert [s["escalate"] for s in scores] == [True, True, False]
    rejects = [json.loads(line) for line in (tmp_path / "scores.rejects.jsonl").read_text().splitlines()]
    assert rejects[0]["line"] == 2 and "not valid JSON" in rejects[0]["reason"]
    allowed = CliRunner().invoke(
        app, ["score", "--input", str(source), "--output", str(out), "--allow-rejects"]
    )
    assert allowed.exit_code == 0
