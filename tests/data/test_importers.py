"""`ticketbuddy data import`: CFPB complaints, Twitter threads and column mappings, every row accounted for."""

import csv
import io
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ticketbuddy.cli import app
from ticketbuddy.data.importers.rules import DEFAULT_PRODUCT_ROUTES, CfpbRules, parse_label_rule
from ticketbuddy.data.jsonl import read_tickets

pytestmark = pytest.mark.data

FIX = Path(__file__).parents[1] / "fixtures" / "importers"
CFPB = FIX / "cfpb_excerpt.csv"
TWCS = FIX / "twcs_threads.csv"
SUPPORT, SUPPORT_MAP = FIX / "support_tickets.csv", FIX / "support_tickets.yaml"
HELPDESK, HELPDESK_MAP = FIX / "helpdesk_messages.csv", FIX / "helpdesk_messages.yaml"
FIVE_MB = "a" * 5_000_000
SUMMARY = re.compile(
    r"rows read (\d+) = tickets written (\d+) \(from (\d+) rows\) \+ rows rejected (\d+)(?: \+ rows skipped (\d+))?"
)
RELIEF = {"Closed with monetary relief", "Closed with non-monetary relief"}
NARRATIVE = "Consumer complaint narrative"


def run(*args):
    return CliRunner().invoke(app, ["data", "import", *map(str, args)])


def jsonl(path):
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines()]


def counts(result):
    read, written, from_rows, rejected, skipped = SUMMARY.search(result.stdout).groups()
    return int(read), int(written), int(from_rows), int(rejected), int(skipped or 0)


def reasons(path):
    return {row["line"]: row["reason"] for row in jsonl(path)}


def csv_bytes(header, rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode()


def fixture_rows(path):
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


# --- CFPB -----------------------------------------------------------------------------------------


def test_cfpb_excerpt_reconciles_and_skips_complaints_without_narrative(tmp_path):
    result = run("cfpb", CFPB, "--out", tmp_path / "c.jsonl")
    assert result.exit_code == 0, result.output
    assert counts(result) == (24, 18, 18, 0, 6)
    skipped = jsonl(tmp_path / "c.skipped.jsonl")
    assert {row["reason"] for row in skipped} == {"no consumer complaint narrative"}
    physical = CFPB.read_text(encoding="utf-8").splitlines()
    assert all(physical[row["line"] - 1] == row["raw"].splitlines()[0] for row in skipped)
    assert not (tmp_path / "c.rejects.jsonl").exists()


def test_cfpb_labels_and_routes_follow_the_documented_rule(tmp_path):
    run("cfpb", CFPB, "--out", tmp_path / "c.jsonl")
    source = {r["Complaint ID"]: r for r in fixture_rows(CFPB) if r[NARRATIVE].strip()}
    tickets = jsonl(tmp_path / "c.jsonl")
    assert {t["ticket_id"] for t in tickets} == set(source)
    for t in tickets:
        row = source[t["ticket_id"]]
        expected = row["Company response to consumer"] in RELIEF or row["Timely response?"] == "No"
        assert t["escalated"] is expected
        assert t.get("route") == (DEFAULT_PRODUCT_ROUTES[row["Product"]] if expected else None)
    assert 0 < sum(t["escalated"] for t in tickets) < len(tickets)


def test_cfpb_text_is_the_narrative_only_and_the_outcome_does_not_leak(tmp_path):
    run("cfpb", CFPB, "--out", tmp_path / "c.jsonl")
    source = {r["Complaint ID"]: r for r in fixture_rows(CFPB)}
    outcome_columns = ("Company response to consumer", "Company public response", "Timely response?")
    for t in jsonl(tmp_path / "c.jsonl"):
        row = source[t["ticket_id"]]
        assert [(m["role"], m["text"]) for m in t["messages"]] == [("customer", row[NARRATIVE].strip())]
        assert "escalat" not in json.dumps(t["metadata"]).lower()
        for column in outcome_columns:
            if len(row[column]) > 3:
                assert row[column] not in json.dumps(t)
        assert t["metadata"]["product"] == row["Product"] and t["metadata"]["company"] == row["Company"]
    tagged = [t for t in jsonl(tmp_path / "c.jsonl") if "tags" in t["metadata"]]
    assert tagged and all(set(t["metadata"]["tags"]) <= {"Servicemember", "Older American"} for t in tagged)
    assert all(t["customer"] == {} for t in tagged)  # demographic tags are not a loyalty tier


def test_cfpb_reads_an_excel_style_export_with_bom_and_crlf(tmp_path):
    src = tmp_path / "excel.csv"
    src.write_bytes(b"\xef\xbb\xbf" + CFPB.read_bytes().replace(b"\n", b"\r\n"))
    result = run("cfpb", src, "--out", tmp_path / "excel.jsonl")
    assert result.exit_code == 0, result.output
    assert counts(result) == (24, 18, 18, 0, 6)
    run("cfpb", CFPB, "--out", tmp_path / "plain.jsonl")
    excel, plain = (jsonl(tmp_path / f"{name}.skipped.jsonl") for name in ("excel", "plain"))
    assert [row["line"] for row in excel] == [row["line"] for row in plain]


def test_a_large_input_shows_a_progress_bar(tmp_path, monkeypatch):
    assert "cfpb: 100%" not in run("cfpb", CFPB, "--out", tmp_path / "c.jsonl").stderr
    monkeypatch.setattr("ticketbuddy.data.importers.sources.PROGRESS_MIN_BYTES", 0)
    assert "cfpb: 100%" in run("cfpb", CFPB, "--out", tmp_path / "c.jsonl").stderr


def test_cfpb_rules_file_changes_label_route_and_scope(tmp_path):
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "escalated_when: {company_response: [Closed with explanation], timely_response: []}\n"
        "route_for: all\nproduct_routes: {debt collection: senior_cx}\n"
    )
    result = run("cfpb", CFPB, "--out", tmp_path / "c.jsonl", "--rules", rules)
    assert result.exit_code == 0, result.output
    source = {r["Complaint ID"]: r for r in fixture_rows(CFPB)}
    tickets = jsonl(tmp_path / "c.jsonl")
    for t in tickets:
        row = source[t["ticket_id"]]
        assert t["escalated"] is (row["Company response to consumer"] == "Closed with explanation")
        assert t["route"] == (
            "senior_cx" if row["Product"] == "Debt collection" else DEFAULT_PRODUCT_ROUTES[row["Product"]]
        )


def test_cfpb_rules_file_errors_name_the_key(tmp_path):
    rules = tmp_path / "rules.yaml"
    rules.write_text("channels: {Web: pigeon}\n")
    result = run("cfpb", CFPB, "--out", tmp_path / "c.jsonl", "--rules", rules)
    assert result.exit_code == 2
    assert "channels.Web" in result.stderr
    assert not (tmp_path / "c.jsonl").exists()


def test_cfpb_channel_map():
    rules = CfpbRules()
    assert [rules.channel(v) for v in ("Web", "Email", "Phone", "Postal mail", "Fax", "Referral", "Telegram")] == [
        "web", "email", "phone", "email", "email", "web", "web"
    ]  # fmt: skip


def cfpb_row(**over):
    header = next(csv.reader(CFPB.open(encoding="utf-8")))
    base = dict.fromkeys(header, "")
    base.update({"Date received": "2020-03-18", "Product": "Debt collection", "Submitted via": "Web"})
    base.update({"Company response to consumer": "Closed with explanation", "Timely response?": "Yes"})
    base.update(over)
    return header, [base[h] for h in header]


def test_cfpb_bad_rows_are_rejected_with_their_line_and_field(tmp_path):
    rows = [
        cfpb_row(**{"Complaint ID": "1", NARRATIVE: "first line\nsecond line"}),  # lines 2-3
        cfpb_row(**{"Complaint ID": "2", NARRATIVE: "bad date", "Date received": "31/31/2020"}),  # 4
        cfpb_row(**{"Complaint ID": "1", NARRATIVE: "same id again"}),  # 5
        cfpb_row(**{"Complaint ID": "3", NARRATIVE: FIVE_MB}),  # 6
        cfpb_row(**{"Complaint ID": "4", NARRATIVE: "caf@@ bytes"}),  # 7
        cfpb_row(**{"Complaint ID": "5", NARRATIVE: "   "}),  # 8
        cfpb_row(
            **{"Complaint ID": "6", NARRATIVE: "pending", "Company response to consumer": "In progress"}
        ),
    ]
    src = tmp_path / "complaints.csv"
    src.write_bytes(csv_bytes(rows[0][0], [r for _, r in rows]).replace(b"@@", b"\xff"))
    result = run("cfpb", src, "--out", tmp_path / "c.jsonl")
    assert result.exit_code == 1
    assert counts(result) == (7, 1, 1, 4, 2)
    got = reasons(tmp_path / "c.rejects.jsonl")
    assert got[4].startswith("Date received: '31/31/2020' is not a date")
    assert got[5] == "ticket_id: duplicate of line 2 ('1')"
    assert got[6] == "messages.0.text: String should have at most 20000 characters"
    assert got[7] == "Consumer complaint narrative: not UTF-8 text (byte 0xff)"
    assert reasons(tmp_path / "c.skipped.jsonl") == {
        8: "no consumer complaint narrative",
        9: "Company response to consumer: 'In progress', the outcome is not known yet",
    }
    assert "line 4: Date received" in result.stderr and len(result.stderr) < 2000
    assert run("cfpb", src, "--out", tmp_path / "c.jsonl", "--allow-rejects").exit_code == 0


def test_missing_columns_are_all_named_and_nothing_is_written(tmp_path):
    src = tmp_path / "partial.csv"
    src.write_text("Date received,Product,Issue\n2020-01-01,Mortgage,Late fee\n")
    result = run("cfpb", src, "--out", tmp_path / "c.jsonl")
    assert result.exit_code == 1
    for column in ("Complaint ID", NARRATIVE, "Submitted via", "Company response to consumer"):
        assert repr(column) in result.stderr
    assert "'Product'" not in result.stderr.split("missing")[1].split("(found")[0]
    assert list(tmp_path.iterdir()) == [src]


@pytest.mark.parametrize("fmt", ["cfpb", "twcs"])
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"ticket_id": "T-1", "channel": "email"}\n', "missing column(s)"),
        (b"\x89PNG\r\n\x1a\n\xff\xfe\x00binary", "not UTF-8"),
        (b"", "the file is empty"),
    ],
    ids=["jsonl", "binary", "empty"],
)
def test_a_file_that_is_not_the_expected_csv_gets_a_clear_message(tmp_path, fmt, content, message):
    src = tmp_path / "export.csv"
    src.write_bytes(content)
    result = run(fmt, src, "--out", tmp_path / "out.jsonl")
    assert result.exit_code == 1
    assert message in result.stderr
    assert not (tmp_path / "out.jsonl").exists()


# --- Twitter ---------------------------------------------------------------------------------------


def test_twcs_rebuilds_reply_threads(tmp_path):
    result = run("twcs", TWCS, "--out", tmp_path / "t.jsonl")
    assert result.exit_code == 1
    assert counts(result) == (13, 4, 10, 3, 0)
    tickets = {t["ticket_id"]: t for t in jsonl(tmp_path / "t.jsonl")}
    assert list(tickets) == ["twcs-100", "twcs-200", "twcs-300", "twcs-600"]
    first = tickets["twcs-100"]
    assert [m["role"] for m in first["messages"]] == ["customer", "agent", "customer", "agent"]
    assert first["metadata"]["tweet_ids"] == ["100", "101", "102", "103"]
    assert (first["customer"]["customer_id"], first["metadata"]["brand"]) == ("900001", "AcmeHelp")
    assert (first["channel"], first["created_at"]) == ("social", "2017-11-06T10:00:00Z")
    assert tickets["twcs-200"]["metadata"]["tweet_ids"] == ["200", "202", "201"]
    assert "\nis anyone else" in tickets["twcs-200"]["messages"][0]["text"]
    assert tickets["twcs-300"]["metadata"]["parent_missing"] == "299"
    assert all("escalated" not in t for t in tickets.values())
    got = reasons(tmp_path / "t.rejects.jsonl")
    assert got[12] == "inbound: 'maybe' is not True or False"
    assert got[15] == "tweet_id: duplicate of line 5 ('100')"
    assert got[11].startswith("thread of tweet 400 has no customer (inbound) tweet: it replies to tweet 399")


def test_twcs_label_rules_are_or_ed(tmp_path):
    out = tmp_path / "t.jsonl"
    run("twcs", TWCS, "--out", out, "--label-rule", "customer_turns>=2", "--allow-rejects")
    assert {t["ticket_id"] for t in jsonl(out) if t["escalated"]} == {"twcs-100"}
    result = run(
        "twcs", TWCS, "--out", out, "--allow-rejects", "--label-rule", "customer_turns>=2",
        "--label-rule", "customer_text~charged\\s+twice",
    )  # fmt: skip
    assert result.exit_code == 0
    assert {t["ticket_id"] for t in jsonl(out) if t["escalated"]} == {"twcs-100", "twcs-600"}
    assert "labels: escalated 2 of 4 tickets (50.0%)" in result.stdout


def test_label_rule_parsing():
    conversation = [
        {"role": "customer", "text": "I want a REFUND"},
        {"role": "agent", "text": "Please DM us"},
    ]
    assert parse_label_rule("customer_text~refund").matches(conversation)
    assert not parse_label_rule("agent_text~refund").matches(conversation)
    assert parse_label_rule("turns==2").matches(conversation)
    assert not parse_label_rule("agent_turns>1").matches(conversation)
    with pytest.raises(ValueError, match="not understood"):
        parse_label_rule("angry customers")
    with pytest.raises(ValueError, match="bad regular expression"):
        parse_label_rule("text~(unclosed")


def test_twcs_bad_label_rule_exits_2(tmp_path):
    result = run("twcs", TWCS, "--out", tmp_path / "t.jsonl", "--label-rule", "angry customers")
    assert result.exit_code == 2
    assert "label rule 'angry customers' not understood" in result.stderr


TWCS_HEADER = [
    "tweet_id",
    "author_id",
    "inbound",
    "created_at",
    "text",
    "response_tweet_id",
    "in_response_to_tweet_id",
]
WHEN = "Tue Oct 31 22:10:47 +0000 2017"


def test_twcs_keeps_a_bare_carriage_return_inside_a_tweet(tmp_path):
    src = tmp_path / "sample.csv"
    src.write_bytes(
        b",".join(h.encode() for h in TWCS_HEADER)
        + b"\n1,555,True,Tue Oct 31 18:13:06 +0000 2017,@Brand \r\rI love the start of this email,2,\n"
        + b"2,Brand,False,Tue Oct 31 18:20:00 +0000 2017,@555 Sorry about that,,1\n"
    )
    result = run("twcs", src, "--out", tmp_path / "t.jsonl")
    assert result.exit_code == 0, result.output
    [ticket] = jsonl(tmp_path / "t.jsonl")
    assert ticket["messages"][0]["text"] == "@Brand \r\rI love the start of this email"
    assert counts(result) == (2, 1, 2, 0, 0)


def test_twcs_bad_rows_are_rejected_with_their_line_and_field(tmp_path):
    rows = [
        ["1", "555", "True", WHEN, "fine", "", ""],  # 2
        ["2", "556", "True", "yesterday", "bad time", "", ""],  # 3
        ["3", "557", "True", WHEN, "   ", "", ""],  # 4
        ["4", "558", "True", WHEN, "caf@@", "", ""],  # 5
        ["5", "559", "True", WHEN, FIVE_MB, "", ""],  # 6
        ["6", "560", "True", WHEN, "loop a", "", "7"],  # 7
        ["7", "Brand", "False", WHEN, "loop b", "", "6"],  # 8
        ["x8", "561", "True", WHEN, "bad id", "", ""],  # 9
    ]
    src = tmp_path / "tweets.csv"
    src.write_bytes(csv_bytes(TWCS_HEADER, rows).replace(b"@@", b"\xff"))
    result = run("twcs", src, "--out", tmp_path / "t.jsonl")
    assert result.exit_code == 1
    assert counts(result) == (8, 1, 1, 7, 0)
    got = reasons(tmp_path / "t.rejects.jsonl")
    assert got[3].startswith("created_at: 'yesterday' is not a timestamp in format")
    assert got[4] == "text: empty tweet"
    assert got[5] == "text: not UTF-8 text (byte 0xff)"
    assert got[6] == "messages.0.text: String should have at most 20000 characters"
    assert "loops back on itself" in got[7] and "loops back on itself" in got[8]
    assert got[9] == "tweet_id: 'x8' is not a tweet id"


# --- column mapping --------------------------------------------------------------------------------


def test_mapping_one_row_per_ticket_with_an_answer_turn(tmp_path):
    result = run("mapping", SUPPORT, "--mapping", SUPPORT_MAP, "--out", tmp_path / "s.jsonl")
    assert result.exit_code == 1
    assert counts(result) == (7, 5, 5, 2, 0)
    tickets = {t["ticket_id"]: t for t in jsonl(tmp_path / "s.jsonl")}
    assert list(tickets) == ["st-2", "st-5", "st-6", "st-7", "st-10"]
    refund = tickets["st-2"]
    assert [m["role"] for m in refund["messages"]] == ["customer", "agent"]
    assert "three weeks ago and still have no refund.\n\nPlease check." in refund["messages"][0]["text"]
    assert (refund["escalated"], refund["priority"], refund["route"]) == (True, "P2", "billing_disputes")
    assert refund["metadata"]["queue"] == "Returns and Exchanges" and refund["channel"] == "email"
    assert len(tickets["st-6"]["messages"]) == 1 and "subject" not in tickets["st-7"]
    assert tickets["st-10"]["route"] == "general_escalations" and tickets["st-10"]["escalated"] is False
    got = reasons(tmp_path / "s.rejects.jsonl")
    assert got == {
        8: "text (column 'body'): empty message",
        9: "escalated (column 'priority'): 'urgent' is neither a truthy value (high, critical)"
        " nor a falsy one (medium, low)",
    }


def test_mapping_one_row_per_message_groups_tickets_in_time_order(tmp_path):
    result = run("mapping", HELPDESK, "--mapping", HELPDESK_MAP, "--out", tmp_path / "h.jsonl")
    assert counts(result) == (9, 3, 7, 2, 0)
    tickets = {t["ticket_id"]: t for t in jsonl(tmp_path / "h.jsonl")}
    assert sorted(tickets) == ["Z-1", "Z-2", "Z-4"]
    order = tickets["Z-1"]
    assert [m["role"] for m in order["messages"]] == ["customer", "bot", "customer", "agent"]
    assert order["messages"][2]["text"].startswith("Tracking says delivered")
    assert order["customer"] == {"customer_id": "C-17", "tier": "gold", "lifetime_value": 1200.5}
    assert (order["escalated"], order["priority"], order["route"]) == (True, "P1", "billing_disputes")
    assert (order["created_at"], order["metadata"]["brand"]) == ("2024-03-01T09:00:00Z", "acme")
    assert tickets["Z-2"]["channel"] == "chat" and "priority" not in tickets["Z-2"]
    got = reasons(tmp_path / "h.rejects.jsonl")
    assert (
        got[8]
        == "role (column 'author_role'): 'robot' is not mapped to customer, agent, bot (see role.values)"
    )
    assert (
        got[9]
        == "timestamp (column 'created_at'): 'yesterday' is not a timestamp in format '%Y-%m-%d %H:%M:%S'"
    )


def _without_source(tickets):
    for t in tickets:
        t["metadata"].pop("import")
    return tickets


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_mapping_reads_jsonl_and_parquet_like_csv(tmp_path, fmt):
    import pandas as pd

    frame = pd.read_csv(HELPDESK, dtype=str, keep_default_na=False)
    src = tmp_path / f"export.{fmt}"
    if fmt == "jsonl":
        frame.to_json(src, orient="records", lines=True, force_ascii=False)
    else:
        frame.to_parquet(src, index=False)
    result = run("mapping", src, "--mapping", HELPDESK_MAP, "--out", tmp_path / "x.jsonl")
    run("mapping", HELPDESK, "--mapping", HELPDESK_MAP, "--out", tmp_path / "csv.jsonl")
    assert counts(result) == (9, 3, 7, 2, 0)
    assert _without_source(jsonl(tmp_path / "x.jsonl")) == _without_source(jsonl(tmp_path / "csv.jsonl"))
    assert sorted(reasons(tmp_path / "x.rejects.jsonl")) == [7, 8]  # no header line in JSONL / Parquet


def test_yes_and_no_in_a_mapping_stay_text(tmp_path):
    mapping = tmp_path / "m.yaml"
    yaml = HELPDESK_MAP.read_text().replace('truthy: ["yes"]', "truthy: [yes], falsy: [no]")
    mapping.write_text(yaml.replace("values: {urgent: P1,", "values: {yes: P2, urgent: P1,"))
    assert "[yes], falsy: [no]" in mapping.read_text() and "{yes: P2," in mapping.read_text()
    run("mapping", HELPDESK, "--mapping", mapping, "--out", tmp_path / "h.jsonl")
    labels = {t["ticket_id"]: t["escalated"] for t in jsonl(tmp_path / "h.jsonl")}
    assert labels == {"Z-1": True, "Z-2": False, "Z-4": False}


def test_mapping_without_labels_writes_plain_tickets(tmp_path):
    mapping = tmp_path / "m.yaml"
    mapping.write_text(HELPDESK_MAP.read_text().split("labels:")[0] + "metadata: [brand]\n")
    result = run("mapping", HELPDESK, "--mapping", mapping, "--out", tmp_path / "h.jsonl", "--allow-rejects")
    assert result.exit_code == 0 and "labels:" not in result.stdout
    assert all("escalated" not in t for t in jsonl(tmp_path / "h.jsonl"))
    assert len(read_tickets(tmp_path / "h.jsonl").tickets) == 3


def test_mapping_rows_failing_the_contract_name_the_field(tmp_path):
    header = ["id", "body", "when", "ltv"]
    rows = [
        ["A", "fine", "2024-01-01T10:00:00", "10"],  # 2
        ["A", "same id", "2024-01-01T10:00:00", "10"],  # 3
        ["B", "rich?", "2024-01-01T10:00:00", "lots"],  # 4
        ["C", "caf@@", "2024-01-01T10:00:00", ""],  # 5
        ["D", FIVE_MB, "2024-01-01T10:00:00", ""],  # 6
        ["E", "when?", "last tuesday", ""],  # 7
        ["F", "   ", "2024-01-01T10:00:00", ""],  # 8
        ["G", "old?", "0001-01-01T00:30:00+01:00", ""],  # 9: cannot even be put in UTC
        ["H", "future?", "6426-01-01T00:00:00", ""],  # 10
    ]
    src = tmp_path / "export.csv"
    src.write_bytes(csv_bytes(header, rows).replace(b"@@", b"\xfe"))
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        "ticket_id: id\ntext: body\ntimestamp: when\nchannel: {default: web}\ncustomer: {lifetime_value: ltv}\n"
    )
    result = run("mapping", src, "--mapping", mapping, "--out", tmp_path / "x.jsonl")
    assert counts(result) == (9, 1, 1, 8, 0)
    got = reasons(tmp_path / "x.rejects.jsonl")
    assert got[3] == "ticket_id: duplicate of line 2 ('A')"
    assert got[4].startswith("customer.lifetime_value: Input should be a valid number")
    assert got[5] == "body: not UTF-8 text (byte 0xfe)"
    assert got[6] == "message.text: String should have at most 20000 characters"
    assert got[7] == "timestamp (column 'when'): 'last tuesday' is not a timestamp in ISO 8601"
    assert got[8] == "text (column 'body'): empty message"
    window = "times must be from 1990-01-01T00:00:00Z up to, not including, 2100-01-01T00:00:00Z"
    assert got[9] == f"timestamp (column 'when'): 0001-01-01T00:30:00+01:00 is outside the window: {window}"
    assert got[10] == f"timestamp (column 'when'): 6426-01-01T00:00:00 is outside the window: {window}"


def test_mapping_reads_a_jsonl_export_that_starts_with_a_byte_order_mark(tmp_path):
    src = tmp_path / "export.jsonl"
    rows = [
        {"id": "A", "body": "Where is it?", "when": "2024-01-01T10:00:00"},
        {"id": "B", "body": "Hi", "when": 1},
    ]
    src.write_bytes(b"\xef\xbb\xbf" + "".join(json.dumps(r) + "\n" for r in rows).encode())
    mapping = tmp_path / "m.yaml"
    mapping.write_text("ticket_id: id\ntext: body\ntimestamp: when\nchannel: {default: web}\n")
    result = run("mapping", src, "--mapping", mapping, "--out", tmp_path / "x.jsonl")
    assert counts(result) == (2, 1, 1, 1, 0)
    assert [t["ticket_id"] for t in jsonl(tmp_path / "x.jsonl")] == ["A"]
    assert reasons(tmp_path / "x.rejects.jsonl") == {
        2: "timestamp (column 'when'): 1970-01-01T00:00:01+00:00 is outside the window: times must be from"
        " 1990-01-01T00:00:00Z up to, not including, 2100-01-01T00:00:00Z"
    }


@pytest.mark.parametrize(
    ("yaml", "message"),
    [
        ("layout: per_message\nticket_id: id\ntext: body\ntimestamp: t\nchannel: c\n", "role:"),
        ("text: body\ntimestamp: t\nchannel: c\ncolour: blue\n", "colour: Extra inputs are not permitted"),
        ("text: body\nchannel: c\n", "timestamp: Field required"),
        ("text: body\ntimestamp: t\nchannel: c\nlabels: {priority: p}\n", "labels.escalated: Field required"),
        ("- just\n- a list\n", "expected a YAML mapping"),
        (
            "text: body\ntimestamp: {default: soon}\nchannel: c\n",
            "timestamp.default: 'soon' is not a timestamp",
        ),
    ],
    ids=[
        "per-message-without-role",
        "unknown-key",
        "no-timestamp",
        "labels-without-escalated",
        "not-a-mapping",
        "bad-default",
    ],
)
def test_mapping_file_errors_name_the_key(tmp_path, yaml, message):
    mapping = tmp_path / "m.yaml"
    mapping.write_text(yaml)
    result = run("mapping", SUPPORT, "--mapping", mapping, "--out", tmp_path / "x.jsonl")
    assert result.exit_code == 2
    assert message in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["mapping", SUPPORT], "needs --mapping FILE"),
        (["twcs", TWCS, "--mapping", SUPPORT_MAP], "--mapping applies to the mapping format"),
        (["cfpb", CFPB, "--label-rule", "turns>1"], "--label-rule applies to the twcs format"),
        (["zendesk", SUPPORT], "unknown format 'zendesk'"),
    ],
)
def test_options_that_do_not_fit_the_format_exit_2(tmp_path, args, message):
    result = run(*args, "--out", tmp_path / "x.jsonl")
    assert result.exit_code == 2
    assert message in result.stderr


def test_outputs_may_not_overwrite_the_source_or_each_other(tmp_path):
    src = tmp_path / "copy.csv"
    src.write_bytes(TWCS.read_bytes())
    result = run("twcs", src, "--out", src)
    assert result.exit_code == 2 and "--out" in result.stderr and "is the source file" in result.stderr
    assert src.read_bytes() == TWCS.read_bytes()
    result = run("twcs", src, "--out", tmp_path / "t.jsonl", "--rejects", tmp_path / "t.jsonl")
    assert result.exit_code == 2 and "the same file as --out" in result.stderr


def test_mapping_missing_columns_exit_1(tmp_path):
    result = run("mapping", SUPPORT, "--mapping", HELPDESK_MAP, "--out", tmp_path / "x.jsonl")
    assert result.exit_code == 1
    assert "missing column(s) 'ticket_id', 'author_role', 'created_at'" in result.stderr


# --- the contract, on every import -----------------------------------------------------------------

IMPORTS = {
    "cfpb": (["cfpb", CFPB], CFPB),
    "twcs": (["twcs", TWCS, "--label-rule", "customer_turns>=2"], TWCS),
    "mapping-ticket": (["mapping", SUPPORT, "--mapping", SUPPORT_MAP], SUPPORT),
    "mapping-message": (["mapping", HELPDESK, "--mapping", HELPDESK_MAP], HELPDESK),
}


@pytest.fixture(scope="module", params=sorted(IMPORTS))
def imported(request, tmp_path_factory):
    args, source = IMPORTS[request.param]
    out = tmp_path_factory.mktemp(request.param) / "tickets.jsonl"
    return run(*args, "--out", out, "--allow-rejects"), out, source


def test_every_line_written_validates_as_a_labelled_ticket(imported):
    result, out, _ = imported
    parsed = read_tickets(out, labelled=True)
    assert parsed.rejects == []
    assert len(parsed.tickets) == counts(result)[1] > 0


def test_ids_are_unique(imported):
    _, out, _ = imported
    ids = [t["ticket_id"] for t in jsonl(out)]
    assert len(ids) == len(set(ids))


def test_counts_reconcile_with_the_source_and_the_side_files(imported):
    result, out, source = imported
    read, written, from_rows, rejected, skipped = counts(result)
    with source.open(encoding="utf-8", newline="") as handle:
        assert read == sum(1 for _ in csv.reader(handle)) - 1
    assert read == from_rows + rejected + skipped
    for kind, expected in (("rejects", rejected), ("skipped", skipped)):
        side = out.with_suffix(f".{kind}.jsonl")
        assert (len(jsonl(side)) if side.exists() else 0) == expected


def test_label_balance_is_reported(imported):
    result, out, _ = imported
    escalated = sum(t["escalated"] for t in jsonl(out))
    total = len(jsonl(out))
    assert f"labels: escalated {escalated} of {total} tickets ({escalated / total:.1%})" in result.stdout


def test_no_label_words_in_message_texts(imported):
    _, out, _ = imported
    texts = [m["text"].lower() for t in jsonl(out) for m in t["messages"]]
    assert texts and not any("escalated" in text or "escalation" in text for text in texts)
