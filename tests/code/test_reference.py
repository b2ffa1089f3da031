"""The gate's reference set, label files and data checks, on hand-made tickets."""

import json

import pytest

from ticketbuddy.policy.calibrate import Label, read_labels
from ticketbuddy.policy.model import load_policy
from ticketbuddy.schemas import LabelledTicket
from ticketbuddy.train.fingerprint import Fingerprint, content_hash, gate_data_problems, id_hash
from ticketbuddy.train.params import PromotionParams, ReferenceParams
from ticketbuddy.train.reference import (
    label_files,
    label_time,
    load_labels,
    merge,
    newest_share,
    recent,
    reference_set,
)
from ticketbuddy.train.retrain import plan
from ticketbuddy.train.train import DataError, load_labelled


def ticket(tid, text="my parcel is late", at=None, tier="standard", escalated=False, **extra):
    metadata = {"label": {"provenance": "feedback", "source": "t", "at": at}} if at else {}
    return LabelledTicket.model_validate(
        {
            "ticket_id": tid, "channel": "chat", "created_at": "2026-01-01T00:00:00Z",
            "customer": {"tier": tier}, "messages": [{"role": "customer", "text": text}],
            "metadata": metadata, "escalated": escalated, **extra,
        }
    )  # fmt: skip


def test_content_hash_ignores_case_spacing_and_agent_turns_but_not_words():
    a = ticket("a", "Where is   my PARCEL?")
    b = ticket("b", "where is my parcel?")
    raw = b.model_dump(mode="json")
    agent = LabelledTicket.model_validate(
        {**raw, "messages": [*raw["messages"], {"role": "agent", "text": "ok"}]}
    )
    assert content_hash(a) == content_hash(b) == content_hash(agent)
    assert content_hash(ticket("c", "where is my refund?")) != content_hash(a)


def test_fingerprint_round_trips_and_counts_overlap_by_id_and_by_content():
    seen = Fingerprint.of([ticket("a", "one"), ticket("b", "two")])
    assert Fingerprint.from_dict(json.loads(json.dumps(seen.to_dict()))) == seen
    assert seen.overlap([ticket("a", "new text"), ticket("z", "TWO"), ticket("y", "three")]) == (1, 1)
    assert set(seen.to_dict()["ticket_id_hashes"]) == {id_hash("a"), id_hash("b")}  # ids logged hashed


def test_a_fingerprint_logged_with_plain_ids_still_counts_overlap():
    older = {"ticket_ids": ["a", "b"], "content_hashes": []}
    assert Fingerprint.from_dict(older).overlap([ticket("a", "x"), ticket("c", "y")]) == (1, 0)


def test_gate_data_problems_name_the_slice_its_rows_and_the_overlap():
    policy = load_policy()
    promotion = PromotionParams(slices=["vip=vip", "colour=red"], min_slice_rows=2)
    gate = [ticket("a", "one", tier="vip"), ticket("b", "two")]
    problems = gate_data_problems(
        gate, Fingerprint.of([ticket("a", "x"), ticket("q", "two")]), promotion, policy
    )
    assert "the gate data has 1 rows of slice vip=vip (minimum 2)" in problems
    assert any(p.startswith("slice colour=red: unknown slice column") for p in problems)
    assert "1 of 2 gate tickets share a ticket id with the training set" in problems
    assert "1 of 2 gate tickets share a conversation (content hash) with it" in problems
    assert gate_data_problems(gate, None, PromotionParams(slices=[]), policy) == [
        "the candidate's training set is unknown (no fingerprint logged with its run)"
    ]
    assert gate_data_problems([], None, promotion, policy) == ["the gate data is empty"]


def test_labels_newest_share_recent_days_and_merge():
    labels = [ticket(f"l{i}", f"text {i}", at=f"2026-03-{i + 1:02d}T00:00:00+00:00") for i in range(10)]
    older, newest = newest_share(labels, 0.2)
    assert [t.ticket_id for t in newest] == ["l8", "l9"] and len(older) == 8
    assert [t.ticket_id for t in recent(labels, 2)] == ["l7", "l8", "l9"] and recent(labels, 0) == labels
    merged, replaced = merge([ticket("l1", "old"), ticket("h", "history")], labels[:2])
    assert replaced == ["l1"] and [t.ticket_id for t in merged] == ["h", "l0", "l1"]


def test_a_label_time_outside_the_window_falls_back_to_the_ticket_time_and_never_overflows():
    labels = [ticket("far", at="0001-01-01T00:00:00+05:00"), ticket("near", at="2026-03-01T00:00:00Z")]
    assert label_time(labels[0]) == labels[0].created_at
    assert [t.ticket_id for t in recent(labels, 30)] == ["near"]
    assert [t.ticket_id for t in recent(labels[:1], 30)] == ["far"]  # year 1 minus 30 days: no overflow


def test_retrain_plan_drops_every_replaced_history_line_even_when_its_label_is_held_out():
    history = [ticket("h1", "a"), ticket("h2", "b"), ticket("h3", "c")]
    labels = [ticket("h1", "a", at="2026-03-01T00:00:00Z"), ticket("h3", "c", at="2026-03-09T00:00:00Z")]
    split = plan(history, labels, 0.5)
    assert [t.ticket_id for t in split.recent] == ["h3"]
    assert [t.ticket_id for t in split.training] == ["h2", "h1"] and split.replaced == ["h1", "h3"]
    assert split.history_rows == 1 and split.trained_labels == {"feedback": 1}


def write(path, tickets):
    path.write_text("".join(t.model_dump_json() + "\n" for t in tickets))
    return path


def test_reference_set_is_the_test_file_plus_recent_labels_and_missing_labels_are_fine(tmp_path):
    test = write(tmp_path / "test.jsonl", [ticket("t1", "a"), ticket("t2", "b")])
    assert label_files(tmp_path / "labels") == [] and label_files(str(tmp_path / "nope" / "*.jsonl")) == []
    only_test = reference_set(ReferenceParams(test_data=str(test), labels=str(tmp_path / "labels/*.jsonl")))
    assert [t.ticket_id for t in only_test] == ["t1", "t2"]
    (tmp_path / "labels").mkdir()
    write(
        tmp_path / "labels" / "a.jsonl",
        [
            ticket("t2", "b", at="2026-06-01T00:00:00Z", escalated=True),  # a newer word on a test ticket
            ticket("old", "c", at="2026-01-01T00:00:00Z"),  # 151 days before the newest: left out
            ticket("new", "d", at="2026-05-20T00:00:00Z"),
        ],
    )
    reference = ReferenceParams(test_data=str(test), labels=str(tmp_path / "labels"), recent_days=90)
    tickets = {t.ticket_id: t for t in reference_set(reference)}
    assert set(tickets) == {"t1", "t2", "new"} and tickets["t2"].escalated
    assert "new" not in {t.ticket_id for t in reference_set(reference, exclude=frozenset({"new"}))}
    with pytest.raises(DataError, match="reference test data .* not found"):
        reference_set(ReferenceParams(test_data=str(tmp_path / "missing.jsonl")))


@pytest.mark.parametrize(("content", "reason"), [(b"", "the file is empty"), (b"\n\n", "only 2 blank lines")])
def test_training_and_retraining_refuse_a_file_without_tickets(tmp_path, content, reason):
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(content)
    with pytest.raises(DataError, match=f"^{empty} holds no tickets: {reason}$"):
        load_labelled(empty)
    labels = write(tmp_path / "labels.jsonl", [ticket("l1", at="2026-03-01T00:00:00Z")])
    with pytest.raises(DataError, match="holds no tickets"):  # retrain's label files, one of them empty
        load_labels([labels, empty])


def test_training_reads_a_file_with_a_byte_order_mark_and_refuses_a_label_that_is_not_boolean(tmp_path):
    rows = [ticket("a", "one"), ticket("b", "two", escalated=True)]
    path = tmp_path / "history.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + write(path, rows).read_bytes())
    assert [t.ticket_id for t in load_labelled(path)] == ["a", "b"]
    assert read_labels(path) == {"a": Label(False, None, None, None), "b": Label(True, None, None, None)}
    yes = json.loads(rows[1].model_dump_json()) | {"escalated": "yes"}
    path.write_text(rows[0].model_dump_json() + "\n" + json.dumps(yes) + "\n")
    with pytest.raises(DataError, match="line 2: escalated: Input should be a valid boolean"):
        load_labelled(path)
