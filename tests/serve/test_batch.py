"""``ticketbuddy score``: a JSONL file scored with the API's code; counts reconcile."""

import gc
import json

from typer.testing import CliRunner

from ticketbuddy.cli import app


def test_batch_scoring_reconciles_and_keeps_rejects(trained, tmp_path, seed_tickets, faq_ticket):
    source = tmp_path / "in.jsonl"
    rows = [t.model_dump_json() for t in [*seed_tickets, faq_ticket]]
    source.write_text("\n".join([rows[0], "{broken", rows[1], rows[2]]) + "\n")
    out = tmp_path / "scores.jsonl"
    gc.unfreeze()
    result = CliRunner().invoke(app, ["score", "--input", str(source), "--output", str(out)])
    assert gc.get_freeze_count() > 0  # the scorer was made ready (scoring.warm) before the file
    gc.unfreeze()
    assert result.exit_code == 1  # a row was rejected
    assert "rows read 4 = scored 3 + rejected 1" in result.output
    scores = [json.loads(line) for line in out.read_text().splitlines()]
    assert [s["ticket_id"] for s in scores] == ["seed-vip-gift", "seed-chat-twitter", "faq-manchester-sunday"]
    assert [s["escalate"] for s in scores] == [True, True, False]
    rejects = [json.loads(line) for line in (tmp_path / "scores.rejects.jsonl").read_text().splitlines()]
    assert rejects[0]["line"] == 2 and "not valid JSON" in rejects[0]["reason"]
    assert f"written to {tmp_path / 'scores.rejects.jsonl'}" in result.output  # says where they went
    allowed = CliRunner().invoke(
        app, ["score", "--input", str(source), "--output", str(out), "--allow-rejects"]
    )
    assert allowed.exit_code == 0


def test_rejects_go_where_asked_and_never_over_the_scores(trained, tmp_path, faq_ticket):
    source = tmp_path / "in.jsonl"
    source.write_text(faq_ticket.model_dump_json() + "\n[1, 2]\n")
    chosen = tmp_path / "bad" / "rows.jsonl"
    result = CliRunner().invoke(
        app,
        ["score", "--input", str(source), "--output", str(tmp_path / "s.jsonl"), "--rejects", str(chosen)],
    )
    assert result.exit_code == 1 and f"written to {chosen}" in result.output
    assert json.loads(chosen.read_text())["line"] == 2
    odd = tmp_path / "scores.rejects.jsonl"  # an output already named like a rejects file
    CliRunner().invoke(app, ["score", "--input", str(source), "--output", str(odd), "--allow-rejects"])
    assert json.loads(odd.read_text().splitlines()[0])["ticket_id"] == faq_ticket.ticket_id
    assert json.loads((tmp_path / "scores.rejects.rejects.jsonl").read_text())["line"] == 2
