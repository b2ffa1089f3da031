"""``ticketbuddy score``: a JSONL file scored with the API's code; counts reconcile."""

import gc
import json
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ticketbuddy.cli import app
from ticketbuddy.features.semantic import SentenceEncoder
from ticketbuddy.handoff.batch import score_file
from ticketbuddy.scoring.scorer import Scorer, load_model

FIXTURES = Path(__file__).parents[1] / "fixtures"


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


class MeetingScorer(Scorer):
    """A scorer whose first two chunks must be in ``assess`` at the same time, or it fails."""

    def __init__(self, policy, model) -> None:
        super().__init__(policy, model)
        self.barrier = threading.Barrier(2, timeout=60)
        self.calls = 0
        self.lock = threading.Lock()

    def assess(self, tickets):
        with self.lock:
            self.calls += 1
            first_two = self.calls <= 2
        if first_two:
            self.barrier.wait()  # BrokenBarrierError unless another chunk is being scored alongside
        return super().assess(tickets)


def _decided(path):
    keys = ("ticket_id", "escalate", "probability", "priority", "route", "reasons", "customer_reply")
    return [{k: json.loads(line)[k] for k in keys} for line in path.read_text().splitlines()]


@pytest.mark.model
def test_workers_score_chunks_side_by_side_and_decide_the_same(trained, tmp_path):
    from ticketbuddy.policy.model import load_policy

    source = tmp_path / "in.jsonl"
    rows = (FIXTURES / "paraphrases" / "dev.jsonl").read_text().splitlines()[::6]
    source.write_text("\n".join([*rows[:20], "{broken", *rows[20:]]) + "\n")
    model = load_model("models:/ticket-escalation@champion")
    kept = SentenceEncoder.kept()
    try:
        SentenceEncoder.forget()
        alone = score_file(Scorer(load_policy(), model), source, tmp_path / "one.jsonl", batch_size=4)
        SentenceEncoder.forget()
        meeting = MeetingScorer(load_policy(), model)
        side = score_file(meeting, source, tmp_path / "three.jsonl", batch_size=4, workers=3)
    finally:
        SentenceEncoder.restore(kept)
    assert meeting.calls == -(-len(rows) // 4)  # every chunk went through the meeting scorer
    assert (side.rows_read, side.scored, side.rejected) == (alone.rows_read, alone.scored, 1)
    assert side.escalated == alone.escalated
    one, three = _decided(tmp_path / "one.jsonl"), _decided(tmp_path / "three.jsonl")
    assert [s["ticket_id"] for s in three] == [json.loads(r)["ticket_id"] for r in rows]  # input order
    assert three == one  # same probabilities, decisions and reasons, whatever ran beside them
