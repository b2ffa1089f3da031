"""`ticketbuddy data validate`: every bad row is named with its line and a clear reason, nothing is lost."""

import json

import pytest
from typer.testing import CliRunner

from ticketbuddy.cli import app
from ticketbuddy.schemas import MAX_MESSAGES

pytestmark = pytest.mark.data

FIVE_MB = "a" * 5_000_000
WINDOW = "must be from 1990-01-01T00:00:00Z up to, not including, 2100-01-01T00:00:00Z"


def ticket(**over):
    base = {
        "ticket_id": "T-1",
        "channel": "email",
        "created_at": "2026-11-01T09:00:00Z",
        "messages": [{"role": "customer", "text": "Where is my order?"}],
    }
    base.update(over)
    return base


def encode(obj) -> bytes:
    return obj if isinstance(obj, bytes) else json.dumps(obj).encode() + b"\n"


def write(path, rows):
    path.write_bytes(b"".join(encode(r) for r in rows))
    return path


def validate(path, *extra):
    return CliRunner().invoke(app, ["data", "validate", str(path), *extra])


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (
            ticket(messages=[{"role": "customer", "text": "   "}]),
            "messages.0.text: String should have at least 1",
        ),
        (ticket(messages=[{"role": "robot", "text": "hi"}]), "messages.0.role: Input should be 'customer'"),
        (ticket(created_at="yesterday"), "created_at: Input should be a valid datetime"),
        (
            ticket(messages=[{"role": "customer", "text": "hi", "sent_at": "31/02/2026"}]),
            "messages.0.sent_at: Input should be a valid datetime",
        ),
        (b'{"ticket_id": "T-9", "subject": "caf\xe9"}\n', "not UTF-8 text (byte 36: b'\\xe9')"),
        (
            ticket(messages=[{"role": "customer", "text": FIVE_MB}]),
            "messages.0.text: String should have at most 20000 characters",
        ),
        (
            ticket(metadata={"order": {"lines": [{"item": {"options": {"gift": True}}}]}}),
            "metadata: Value error, nested more than 5 levels deep",
        ),
        (
            ticket(metadata={"history": ["an earlier note"] * 1500}),
            "metadata: Value error, is 27,013 bytes as JSON, more than the 16,384 allowed",
        ),
        (
            ticket(messages=[{"role": "customer", "text": "hi"}] * (MAX_MESSAGES + 1)),
            "messages: List should have at most 500 items after validation, not 501",
        ),
        (ticket(created_at="0001-01-01T00:00:00+01:00"), f"created_at: created_at {WINDOW}"),
        (ticket(created_at="0001-01-01T00:00:00Z"), f"created_at: created_at {WINDOW}"),
        (ticket(created_at="9999-12-31T23:59:59-01:00"), f"created_at: created_at {WINDOW}"),
        (ticket(created_at="1989-12-31T23:59:59Z"), f"created_at: created_at {WINDOW}"),
        (ticket(created_at="2100-01-01T00:00:00Z"), f"created_at: created_at {WINDOW}"),
        (
            ticket(messages=[{"role": "customer", "text": "hi", "sent_at": "6426-03-01T10:00:00Z"}]),
            f"messages.0.sent_at: sent_at {WINDOW}",
        ),
        (ticket(customer={"orders_12m": True}), "customer.orders_12m: Input should be a number, not true"),
        (
            b'{"ticket_id": "T-9", "channel": "chat", "created_at": "2026-11-01T09:00:00Z",'
            b' "customer": {"lifetime_value": Infinity}, "messages": [{"role": "customer", "text": "hi"}]}\n',
            "customer.lifetime_value: Input should be a finite number",
        ),
        (
            b'{"ticket_id": "T-9", "channel": "chat", "created_at": "2026-11-01T09:00:00Z",'
            b' "metadata": {"order": {"total": NaN}}, "messages": [{"role": "customer", "text": "hi"}]}\n',
            "metadata: Value error, holds a number that is not finite (NaN or Infinity)",
        ),
    ],
    ids=[
        "empty-text",
        "unknown-role",
        "bad-created-at",
        "bad-sent-at",
        "not-utf8",
        "5mb-message",
        "deep-metadata",
        "big-metadata",
        "501-messages",
        "year-1-with-offset",
        "year-1",
        "year-9999",
        "1989",
        "2100",
        "sent-at-6426",
        "count-as-boolean",
        "infinite-amount",
        "nan-in-metadata",
    ],
)
def test_a_bad_row_is_named_by_line_and_reason(tmp_path, bad, reason):
    path = write(tmp_path / "t.jsonl", [ticket(ticket_id="A"), bad, ticket(ticket_id="C")])
    result = validate(path)
    assert result.exit_code == 1
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith(f"line 2: {reason}")
    assert "lines read 3 = tickets valid 2 + rows rejected 1 + blank lines 0" in result.stdout


def test_a_5mb_message_is_reported_without_echoing_it(tmp_path):
    path = write(tmp_path / "t.jsonl", [ticket(messages=[{"role": "customer", "text": FIVE_MB}])])
    result = validate(path)
    assert len(result.stderr) < 500


def test_duplicate_ids_name_the_first_line(tmp_path):
    path = write(tmp_path / "t.jsonl", [ticket(), ticket(ticket_id="T-2"), ticket()])
    result = validate(path)
    assert result.exit_code == 1
    assert result.stderr.strip() == "line 3: ticket_id: duplicate of line 1 ('T-1')"


def test_labelled_requires_the_label(tmp_path):
    path = write(tmp_path / "t.jsonl", [ticket()])
    assert validate(path).exit_code == 0
    result = validate(path, "--labelled")
    assert result.exit_code == 1
    assert "line 1: escalated: Field required" in result.stderr


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"ticket_id,channel,text\nT-1,email,hello\n", "line 1: not valid JSON"),
        (b"\x1f\x8b\x08\x00\xff\xfe\x00\x00binary\n", "line 1: not UTF-8 text"),
    ],
    ids=["csv", "binary"],
)
def test_a_file_that_is_not_json_gets_a_clear_message(tmp_path, content, reason):
    path = tmp_path / "export.jsonl"
    path.write_bytes(content)
    result = validate(path)
    assert result.exit_code == 1
    assert reason in result.stderr
    assert "is not ticket JSONL" in result.stderr
    assert "ticketbuddy data import" in result.stderr


def test_a_json_file_with_some_bad_rows_gets_no_format_hint(tmp_path):
    path = write(tmp_path / "t.jsonl", [ticket(), b"not json\n"])
    result = validate(path)
    assert result.exit_code == 1
    assert "is not ticket JSONL" not in result.stderr


def test_allow_rejects_and_the_rejects_file(tmp_path):
    path = write(tmp_path / "t.jsonl", [ticket(), ticket(channel="fax")])
    rejects = tmp_path / "bad.jsonl"
    result = validate(path, "--allow-rejects", "--rejects", str(rejects))
    assert result.exit_code == 0
    assert "lines read 2 = tickets valid 1 + rows rejected 1 + blank lines 0" in result.stdout
    [row] = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert row["line"] == 2
    assert row["reason"].startswith("channel:")
    assert json.loads(row["raw"])["channel"] == "fax"


def test_a_valid_file_passes_and_writes_nothing_beside_it(tmp_path):
    path = write(tmp_path / "t.jsonl", [ticket(), ticket(ticket_id="T-2")])
    result = validate(path)
    assert result.exit_code == 0
    assert "lines read 2 = tickets valid 2 + rows rejected 0 + blank lines 0" in result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.jsonl"]


def test_bot_confidence_coverage_is_reported_and_misplaced_fields_refused(tmp_path):
    def bot(**extra):
        return {"role": "bot", "text": "Try this.", **extra}

    customer = {"role": "customer", "text": "Where is it?"}
    rows = [
        ticket(messages=[customer, bot(confidence=0.4, intent="delivery"), customer, bot(intent="delivery")]),
        ticket(ticket_id="T-2", messages=[customer, bot(confidence=0.9)]),
        ticket(ticket_id="T-3", messages=[{**customer, "confidence": 0.5}]),
        ticket(ticket_id="T-4", messages=[customer, bot(confidence=1.2)]),
    ]
    result = validate(write(tmp_path / "t.jsonl", rows))
    assert "lines read 4 = tickets valid 2 + rows rejected 2 + blank lines 0" in result.stdout
    assert "bot messages 3: with confidence 2 (66.7%), with intent 2 (66.7%)" in result.stdout
    assert "line 3: messages.0: Value error, confidence is only for bot messages" in result.stderr
    assert "line 4: messages.1.confidence: Input should be less than or equal to 1" in result.stderr
    plain = validate(write(tmp_path / "p.jsonl", [ticket()]))
    assert "bot messages 0" in plain.stdout


@pytest.mark.parametrize("label", ["yes", "true", 1, 0, None], ids=repr)
def test_a_label_that_is_not_a_json_boolean_is_refused_naming_line_and_field(tmp_path, label):
    path = write(tmp_path / "t.jsonl", [ticket(escalated=True), ticket(ticket_id="T-2", escalated=label)])
    result = validate(path, "--labelled")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == ["line 2: escalated: Input should be a valid boolean"]
    assert "lines read 2 = tickets valid 1 + rows rejected 1 + blank lines 0" in result.stdout


def test_times_at_the_edges_of_the_window_pass_and_a_naive_one_is_read_as_utc(tmp_path):
    rows = [
        ticket(ticket_id="first", created_at="1990-01-01T00:00:00"),
        ticket(ticket_id="last", created_at="2099-12-31T23:59:59.999999Z"),
        ticket(ticket_id="east", created_at="1990-01-01T05:00:00+05:00"),
    ]
    assert validate(write(tmp_path / "t.jsonl", rows)).exit_code == 0


def test_a_byte_order_mark_at_the_start_is_not_part_of_the_first_row(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + encode(ticket()) + encode(ticket(ticket_id="T-2")))
    result = validate(path, "--labelled")  # the labels are checked too: the first row is really read
    assert "line 1: escalated: Field required" in result.stderr
    plain = validate(path)
    assert plain.exit_code == 0, plain.stderr
    assert "lines read 2 = tickets valid 2 + rows rejected 0 + blank lines 0" in plain.stdout


def test_a_byte_order_mark_inside_the_file_or_utf16_is_refused(tmp_path):
    inside = write(tmp_path / "t.jsonl", [ticket(), b"\xef\xbb\xbf" + encode(ticket(ticket_id="T-2"))])
    assert validate(inside).stderr.startswith("line 2: not valid JSON")
    utf16 = tmp_path / "u.jsonl"
    utf16.write_bytes(json.dumps(ticket()).encode("utf-16") + b"\n")
    assert validate(utf16).stderr.startswith("line 1: not UTF-8 text (UTF-16: save the file as UTF-8)")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "the file is empty"),
        (b"\xef\xbb\xbf", "only 1 blank line"),
        (b"\n  \n\t\r\n", "only 3 blank lines"),
    ],
    ids=["empty", "bom-only", "blank-lines"],
)
@pytest.mark.parametrize("labelled", [False, True], ids=["tickets", "labelled"])
def test_a_file_without_tickets_is_refused(tmp_path, content, reason, labelled):
    path = tmp_path / "t.jsonl"
    path.write_bytes(content)
    result = validate(path, *(["--labelled"] if labelled else []), "--allow-rejects")
    assert result.exit_code == 1
    assert result.stderr.strip() == f"error: {path} holds no tickets: {reason}"


def test_blank_lines_are_counted_so_every_line_is_accounted_for(tmp_path):
    path = write(tmp_path / "t.jsonl", [b"\n", ticket(), b"   \n", b"not json\n", ticket(ticket_id="T-2")])
    result = validate(path)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == ["line 4: not valid JSON (Expecting value at column 1)"]
    assert "lines read 5 = tickets valid 2 + rows rejected 1 + blank lines 2" in result.stdout
