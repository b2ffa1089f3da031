"""No ticket text, e-mail address, phone or card number in the service's logs, and no unbounded line."""

import contextvars
import io
import logging

import pytest
from fastapi.testclient import TestClient
from uvicorn.logging import AccessFormatter

from ticketbuddy.serve.pii import MAX_TRACE_CHARS, MAX_VALUE_CHARS
from ticketbuddy.serve.redaction import (
    RedactionFilter,
    free_text,
    install_log_redaction,
    redact,
    redact_record,
    remember_ticket_texts,
    sensitive,
    uninstall_log_redaction,
)
from ticketbuddy.settings import SecuritySettings

from .wiring import (
    ALL_KEYS,
    SCORE_KEY,
    TICKET,
    bearer,
    build_wired_app,
    no_redaction_left_behind,  # noqa: F401 - autouse fixture
)

EMAIL, PHONE, CARD = "jane.doe@example.com", "+44 7700 900123", "4111 1111 1111 1111"
TEXT = f"I was charged twice on card {CARD}. Email {EMAIL} or ring {PHONE}, or I tell the newspaper."
SECRETS = ("jane.doe", "example.com", "4111", "900123", "charged twice", "newspaper")


@pytest.fixture
def redacting():
    install_log_redaction()
    yield
    uninstall_log_redaction()


@pytest.fixture
def captured():
    """Everything logged through the root logger, formatted as a service would write it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    previous = root.level
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(previous)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"mail {EMAIL} now", "mail [email] now"),
        (f"call {PHONE}", "call [phone]"),
        ("call (555) 123-4567 or 07700900123", "call [phone] or [phone]"),
        (f"card {CARD}!", "card [card]!"),
        ("card 4111-1111-1111-1111 and 5500000000000004", "card [card] and [card]"),
        # what service logs are made of stays readable
        ("2026-11-20 16:05:00 probability 0.930 >= threshold 0.231", None),
        ('127.0.0.1:59970 - "POST /v1/score HTTP/1.1" 200', None),
        ("handoff 123e4567-e89b-12d3-a456-426614174000 version 12 of ticket T-1001", None),
        ("lifetime value 5,000; 2500 tickets; value 1234567.89; host 192.168.100.200", None),
    ],
)
def test_contact_details_are_redacted_and_service_facts_kept(text, expected):
    assert redact(text) == (expected if expected is not None else text)


def in_fresh_context(check):
    contextvars.copy_context().run(check)


def test_ticket_text_of_the_current_context_is_redacted_whole_or_by_sentence():
    def check():
        remember_ticket_texts([TEXT, "hi"])
        assert redact(f"failed on {TEXT!r}") == "failed on '[ticket text]'"
        assert redact("first sentence: I was charged twice on card 4111 1111 1111 1111.") == (
            "first sentence: [ticket text]"
        )
        assert redact("this and hi there") == "this and hi there"  # too short to be remembered

    in_fresh_context(check)
    assert redact(TEXT) != "[ticket text]"  # another context (request) does not see them


def test_free_text_takes_ticket_text_fields_not_the_structure():
    body = {
        **TICKET,
        "subject": "Refund",
        "metadata": {"notes": ["VIP", "called twice"]},
        "messages": [{"role": "customer", "text": "short"}],
    }
    assert sorted(free_text(body)) == ["Refund", "VIP", "called twice", "short"]


def test_every_logger_of_the_process_is_redacted_once_installed(redacting, captured):
    logging.getLogger("ticketbuddy.scoring.scorer").warning("ticket says %s", TEXT)
    logging.getLogger("some.library").error("contact %(who)s", {"who": EMAIL})
    logging.getLogger("ticketbuddy").info("%d tickets, p=%.2f, shown %s", 3, 0.5, sensitive(TEXT))
    out = captured.getvalue()
    assert "ticket says I was [ticket text]" not in out  # not in a request: patterns still apply
    assert "[card]" in out and "[email]" in out and "[phone]" in out
    assert "3 tickets, p=0.50, shown [redacted]" in out
    for secret in ("jane.doe", "example.com", "4111", "900123"):
        assert secret not in out


def test_exceptions_are_redacted(redacting, captured):
    try:
        raise ValueError(f"cannot parse {EMAIL}")
    except ValueError:
        logging.getLogger("ticketbuddy.serve").exception("scoring failed")
    out = captured.getvalue()
    assert "ValueError: cannot parse [email]" in out and EMAIL not in out


def test_access_log_keeps_its_shape_without_the_query_string(redacting):
    record = logging.getLogger("uvicorn.access").makeRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", f"/v1/handoffs?email={EMAIL}&route=senior_cx", "1.1", 200),
        None,
    )
    line = AccessFormatter("%(client_addr)s %(request_line)s %(status_code)s", use_colors=False).format(
        record
    )
    assert line == "127.0.0.1:5000 GET /v1/handoffs?[query redacted] HTTP/1.1 200 OK"


def test_the_filter_works_on_its_own_in_a_logging_config(captured):
    handler = next(h for h in logging.getLogger().handlers if getattr(h, "stream", None) is captured)
    handler.addFilter(RedactionFilter())
    logging.getLogger("elsewhere").warning("card %s", CARD)
    assert captured.getvalue().strip() == "WARNING elsewhere card [card]"


def leak_while_scoring(captured):
    app = build_wired_app(SecuritySettings(api_keys=ALL_KEYS, _env_file=None))
    ticket = {
        **TICKET,
        "subject": f"Complaint from {EMAIL}",
        "messages": [{"role": "customer", "text": TEXT}],
    }
    response = TestClient(app).post(f"/v1/score?contact={EMAIL}", json=ticket, headers=bearer(SCORE_KEY))
    assert response.status_code == 200 and response.json()["escalate"] is True
    return captured.getvalue()


def test_scoring_a_ticket_logs_none_of_its_text_or_contact_details(captured):
    out = leak_while_scoring(captured)  # build_wired_app installs the redaction
    uninstall_log_redaction()
    assert "scoring ticket text: [ticket text]" in out  # the careless log line ran, redacted
    for secret in SECRETS:
        assert secret not in out, secret


def test_without_redaction_the_same_request_leaks(captured, monkeypatch):
    import ticketbuddy.serve.app as service

    monkeypatch.setattr(service, "install_redaction", lambda app, settings=None: None)
    out = leak_while_scoring(captured)
    assert EMAIL in out and CARD in out  # so the test above can fail


def test_a_long_value_is_cut_the_cut_marked_and_the_head_redacted():
    value = f"mail {EMAIL} " + "1-(" * 400_000  # 1.2 MB, the crafted digits that cost seconds before
    out = redact(value)
    assert out.startswith("mail [email] 1-(1-(") and len(out) < MAX_VALUE_CHARS + 40
    assert out.endswith(f"…[truncated {len(value) - MAX_VALUE_CHARS:,} chars]")
    assert redact("short") == "short"


def test_the_cut_never_leaves_half_an_address_or_half_a_ticket_text():
    filler = "x" * (MAX_VALUE_CHARS - 10) + " "
    out = redact(filler + EMAIL + " and more")  # the cut falls inside the address: it goes whole
    assert "jane" not in out and "example" not in out and out.startswith(filler)

    def check():
        paragraph = ("my account number is the one I gave you last week and nobody answers me " * 300).strip()
        remember_ticket_texts([paragraph])  # one long text, no full stop to split it on
        out = redact(f"could not score {paragraph!r}")
        assert out == f"could not score …[truncated {len(paragraph) + 2:,} chars]"
        assert redact(f"could not score {paragraph!r}", limit=len(paragraph) + 100) == (
            "could not score '[ticket text]'"
        )

    in_fresh_context(check)


def test_a_record_with_huge_values_is_logged_bounded(redacting, captured):
    logging.getLogger("ticketbuddy").warning("body %s from %s", "1 " * 500_000, EMAIL)
    logging.getLogger("ticketbuddy").warning("x" * 20_000 + " %s %d", EMAIL, 3)  # a huge format string
    try:
        raise ValueError(f"cannot parse {EMAIL} " + "a" * 100_000)
    except ValueError:
        logging.getLogger("ticketbuddy.serve").exception("scoring failed")
    lines = captured.getvalue().splitlines()
    assert lines[0].startswith("WARNING ticketbuddy body 1 1 1") and lines[0].endswith("chars] from [email]")
    assert len(lines[0]) < MAX_VALUE_CHARS + 80
    assert lines[1].endswith(f"…[truncated {20_000 + len(f' {EMAIL} 3') - MAX_VALUE_CHARS:,} chars]")
    out = captured.getvalue()
    assert "Logging error" not in out and EMAIL not in out
    assert (
        "ValueError: cannot parse [email] aaa" in out
        and len(out) < 2 * MAX_VALUE_CHARS + MAX_TRACE_CHARS + 500
    )


def test_access_log_of_a_crafted_path_is_bounded(redacting):
    path = "/v1/" + "1-(" * 300_000 + f"?email={EMAIL}"
    record = logging.getLogger("uvicorn.access").makeRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "X" * 100_000, path, "1.1", 401), None,
    )  # fmt: skip
    line = AccessFormatter("%(client_addr)s %(request_line)s %(status_code)s", use_colors=False).format(
        record
    )
    assert line.startswith("127.0.0.1:5000 XXX") and line.endswith("chars] HTTP/1.1 401 Unauthorized")
    assert len(line) < 2 * MAX_VALUE_CHARS + 100 and EMAIL not in line and "query" not in line


def test_extra_patterns_from_the_environment_are_redacted(captured, monkeypatch):
    monkeypatch.setenv("TICKETBUDDY_REDACT_PATTERNS", r"ACC-\d{8} ;; (?i)member no\. \w+")
    build_wired_app(SecuritySettings(api_keys=ALL_KEYS, _env_file=None))  # installs the redaction
    logging.getLogger("ticketbuddy").warning("account %s, Member No. X42, mail %s", "ACC-12345678", EMAIL)
    uninstall_log_redaction()
    logging.getLogger("ticketbuddy").warning("after: ACC-12345678")
    lines = [line for line in captured.getvalue().splitlines() if line.startswith("WARNING ticketbuddy ")]
    assert lines == [
        "WARNING ticketbuddy account [redacted], [redacted], mail [email]",
        "WARNING ticketbuddy after: ACC-12345678",  # uninstalled: the patterns went with it
    ]


def test_a_huge_format_string_that_does_not_match_its_arguments_is_left_to_the_handler():
    msg = "x" * 10_000 + " %s and %s"
    record = logging.LogRecord("ticketbuddy", logging.WARNING, __file__, 1, msg, ("only one",), None)
    redact_record(record)  # must not raise: logging never breaks the caller, the handler reports it
    assert record.args == ("only one",) and record.msg.endswith(
        f"…[truncated {len(msg) - MAX_VALUE_CHARS:,} chars]"
    )
