import json
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from ticketbuddy.data.jsonl import no_tickets, read_tickets, write_jsonl
from ticketbuddy.schemas import (
    EARLIEST_TIME,
    LATEST_TIME,
    MAX_METADATA_BYTES,
    STORED,
    LabelledTicket,
    Ticket,
)


def ticket(**over):
    base = {
        "ticket_id": "T-1",
        "channel": "chat",
        "created_at": "2026-11-01T09:00:00",
        "messages": [{"role": "customer", "text": "Where is my order?"}],
    }
    base.update(over)
    return base


def write_lines(path, lines):
    path.write_bytes(b"".join(line if isinstance(line, bytes) else line.encode() + b"\n" for line in lines))
    return path


def test_minimal_ticket_gets_defaults_and_utc():
    t = Ticket.model_validate(ticket(customer=None))
    assert t.customer.tier is None
    assert t.created_at.tzinfo is not None and t.created_at.utcoffset().total_seconds() == 0


def test_tier_is_normalised():
    assert Ticket.model_validate(ticket(customer={"tier": "  VIP "})).customer.tier == "vip"


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"channel": "fax"}, "channel"),
        ({"messages": []}, "messages"),
        ({"messages": [{"role": "robot", "text": "x"}]}, "messages.0.role"),
        ({"messages": [{"role": "customer", "text": "   "}]}, "messages.0.text"),
        ({"created_at": "yesterday"}, "created_at"),
        ({"customer": {"lifetime_value": -5}}, "customer.lifetime_value"),
        ({"subject": None, "surprise": 1}, "surprise"),
        ({"metadata": {"a": {"b": {"c": {"d": {"e": {"f": 1}}}}}}}, "metadata"),
        ({"metadata": {"notes": "x" * MAX_METADATA_BYTES}}, "metadata"),
    ],
)
def test_bad_fields_are_named(tmp_path, over, field):
    path = write_lines(tmp_path / "t.jsonl", [json.dumps(ticket(**over))])
    result = read_tickets(path)
    assert len(result.rejects) == 1
    assert result.rejects[0].reason.startswith(field + ":")


def test_counts_reconcile_with_line_numbers(tmp_path):
    lines = [
        json.dumps(ticket(ticket_id="a")),
        "",
        "not json at all",
        json.dumps(ticket(ticket_id="a")),
        b"\xff\xfe{}\n",
        json.dumps([1, 2]),
        json.dumps(ticket(ticket_id="b")),
    ]
    result = read_tickets(write_lines(tmp_path / "t.jsonl", lines))
    assert result.rows_read == 6 and result.reconciles
    assert [t.ticket_id for t in result.tickets] == ["a", "b"]
    by_line = {r.line: r.reason for r in result.rejects}
    assert set(by_line) == {3, 4, 5, 6}
    assert "not valid JSON" in by_line[3]
    assert "duplicate of line 1" in by_line[4]
    assert "not UTF-8" in by_line[5]
    assert "JSON object" in by_line[6]


def test_labels_required_only_when_labelled(tmp_path):
    path = write_lines(tmp_path / "t.jsonl", [json.dumps(ticket(escalated=True, route="senior_cx"))])
    assert read_tickets(path).tickets[0].ticket_id == "T-1"  # labels ignored for scoring
    assert read_tickets(path, labelled=True).tickets[0].route == "senior_cx"
    unlabelled = write_lines(tmp_path / "u.jsonl", [json.dumps(ticket())])
    assert "escalated" in read_tickets(unlabelled, labelled=True).rejects[0].reason


def test_bad_label_is_named(tmp_path):
    path = write_lines(tmp_path / "t.jsonl", [json.dumps(ticket(escalated=True, priority="P9"))])
    assert read_tickets(path, labelled=True).rejects[0].reason.startswith("priority:")


def test_oversized_message_is_refused_with_reason(tmp_path):
    huge = "a" * 5_000_000
    path = write_lines(
        tmp_path / "t.jsonl", [json.dumps(ticket(messages=[{"role": "customer", "text": huge}]))]
    )
    result = read_tickets(path)
    assert "messages.0.text" in result.rejects[0].reason
    assert len(result.rejects[0].raw) <= 2000


def test_write_then_read_round_trip(tmp_path):
    original = [
        LabelledTicket.model_validate(ticket(ticket_id=f"t{i}", escalated=i % 2 == 0)) for i in range(3)
    ]
    write_jsonl(original, tmp_path / "out.jsonl")
    back = read_tickets(tmp_path / "out.jsonl", labelled=True).tickets
    assert back == original


def nested(depth, leaf=1):
    """Metadata ``depth`` levels deep (the object itself is level 1), alternating objects and arrays."""
    value = leaf
    for level in range(depth - 1):
        value = [value] if level % 2 else {"k": value}
    return {"top": value}


def test_metadata_within_its_limits_is_kept_beyond_them_refused_with_the_reason():
    assert Ticket.model_validate(ticket(metadata=nested(5))).metadata == nested(5)
    at_limit = {"notes": "é" * ((MAX_METADATA_BYTES - len('{"notes":""}')) // 2)}  # counted in UTF-8 bytes
    assert Ticket.model_validate(ticket(metadata=at_limit)).metadata == at_limit
    with pytest.raises(ValueError, match="metadata\n  Value error, nested more than 5 levels deep"):
        Ticket.model_validate(ticket(metadata=nested(6)))
    with pytest.raises(ValueError, match="is 16,386 bytes as JSON, more than the 16,384 allowed"):
        Ticket.model_validate(ticket(metadata={"notes": "é" * (len(at_limit["notes"]) + 1)}))
    deep = ticket(metadata=nested(10_000))  # deeper than Python's recursion limit: still just refused
    with pytest.raises(ValueError, match="nested more than 5"):
        Ticket.model_validate(deep)


def test_a_stored_ticket_is_read_back_whatever_its_metadata():
    big = ticket(metadata={"notes": "x" * (2 * MAX_METADATA_BYTES)})
    assert Ticket.model_validate(big, context=STORED).metadata == big["metadata"]


@pytest.mark.parametrize(
    "when",
    ["0001-01-01T00:00:00Z", "0001-01-01T00:30:00+01:00", "1989-12-31T23:59:59.999999Z",
     "1990-01-01T04:59:59+05:00", "2100-01-01T00:00:00Z", "2099-12-31T20:00:00-05:00", "6426-05-01T00:00:00Z",
     "9999-12-31T23:59:59-01:00", "9999-12-31T23:59:59.999999"],
)  # fmt: skip
def test_a_time_outside_the_window_is_refused_naming_the_field(when):
    window = "must be from 1990-01-01T00:00:00Z up to, not including, 2100-01-01T00:00:00Z"
    with pytest.raises(ValidationError) as created:
        Ticket.model_validate(ticket(created_at=when))
    [error] = created.value.errors()
    assert (error["loc"], error["type"], error["msg"]) == (
        ("created_at",),
        "datetime_window",
        f"created_at {window}",
    )
    with pytest.raises(ValidationError, match=f"messages.1.sent_at\n  sent_at {window}"):
        Ticket.model_validate(
            ticket(
                messages=[*ticket()["messages"], {"role": "agent", "text": "On its way.", "sent_at": when}]
            )
        )


def test_the_window_is_inclusive_below_exclusive_above_and_a_naive_time_is_utc():
    first = Ticket.model_validate(ticket(created_at="1990-01-01T00:00:00"))
    assert first.created_at == EARLIEST_TIME and first.created_at.tzinfo == UTC
    east = Ticket.model_validate(ticket(created_at="1990-01-01T05:30:00+05:30")).created_at
    assert east == EARLIEST_TIME and east.tzinfo == UTC
    last = Ticket.model_validate(ticket(created_at="2099-12-31T23:59:59.999999")).created_at
    assert last == LATEST_TIME - timedelta(microseconds=1)
    assert Ticket.model_validate(ticket(created_at=1_700_000_000)).created_at == datetime(
        2023, 11, 14, 22, 13, 20, tzinfo=UTC
    )


def test_a_stored_ticket_keeps_a_time_accepted_before_the_window():
    for when in ("6426-05-01T00:00:00+01:00", "0001-01-01T00:30:00+01:00"):
        stored = Ticket.model_validate(ticket(created_at=when), context=STORED)
        assert stored.created_at == datetime.fromisoformat(when)


@pytest.mark.parametrize(
    ("label", "accepted"),
    [(True, True), (False, True), ("yes", False), ("true", False), (1, False), (0, False)],
)
def test_escalated_is_a_json_boolean(label, accepted):
    if accepted:
        assert LabelledTicket.model_validate(ticket(escalated=label)).escalated is label
    else:
        with pytest.raises(ValidationError, match="escalated\n  Input should be a valid boolean"):
            LabelledTicket.model_validate(ticket(escalated=label))


def test_numbers_are_finite_never_booleans_and_may_be_written_as_strings():
    customer = Ticket.model_validate(ticket(customer={"lifetime_value": "12.5", "orders_12m": "3"})).customer
    assert (customer.lifetime_value, customer.orders_12m) == (12.5, 3)
    bot = {"role": "bot", "text": "Try this.", "confidence": "0.25"}
    assert Ticket.model_validate(ticket(messages=[bot])).messages[0].confidence == 0.25
    for field, value in [("orders_12m", True), ("prior_escalations", False), ("tenure_days", True),
                         ("lifetime_value", float("inf")), ("tenure_days", "Infinity"), ("lifetime_value", "nan")]:  # fmt: skip
        with pytest.raises(ValidationError, match=f"customer.{field}\n  Input should be a"):
            Ticket.model_validate(ticket(customer={field: value}))
    with pytest.raises(ValidationError, match="messages.0.confidence\n  Input should be a number, not true"):
        Ticket.model_validate(ticket(messages=[{**bot, "confidence": True}]))


def test_a_byte_order_mark_starts_the_file_not_the_first_row_and_blank_lines_are_counted(tmp_path):
    path = write_lines(
        tmp_path / "t.jsonl", [b"\xef\xbb\xbf" + json.dumps(ticket()).encode() + b"\n", "", "  "]
    )
    result = read_tickets(path)
    assert [t.ticket_id for t in result.tickets] == ["T-1"] and not result.rejects
    assert (result.rows_read, result.blank_lines, result.lines_read) == (1, 2, 3)
    assert no_tickets(path, result) is None
    empty = write_lines(tmp_path / "e.jsonl", [b"\xef\xbb\xbf"])
    assert no_tickets(empty, read_tickets(empty)) == f"{empty} holds no tickets: only 1 blank line"
