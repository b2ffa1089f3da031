"""The pure parts of the load benchmark (``bench/load.py``): its summary and the peer's request body.

Nothing here is timed and no server is started: ``python -m bench load`` measures.
"""

import json
from collections import Counter

import pytest

from bench.load import peer_payload, peer_probability, percentile, settings_from, summarize
from ticketbuddy.features.conversation import parse_turns
from ticketbuddy.schemas import Ticket
from ticketbuddy.train.pyfunc import signature


def make(customer=None):
    return Ticket.model_validate(
        {
            "ticket_id": "T-1",
            "channel": "chat",
            "created_at": "2026-11-01T09:00:00Z",
            "subject": "Où est ma commande ?",
            "customer": customer or {"customer_id": "C-1", "tier": "gold", "lifetime_value": 120.5},
            "messages": [
                {"role": "customer", "text": 'Where is my order? "quoted"'},
                {"role": "bot", "text": "Let me check.", "confidence": 0.4},
                {"role": "customer", "text": "I want a human"},
            ],
        }
    )


def test_percentiles_are_nearest_rank():
    ordered = [float(n) for n in range(1, 101)]
    assert [percentile(ordered, p) for p in (50, 90, 95, 99, 100)] == [50.0, 90.0, 95.0, 99.0, 100.0]
    assert percentile([7.0], 99) == 7.0
    assert percentile([1.0, 2.0, 3.0], 50) == 2.0


def test_summary_counts_errors_by_status_and_rates_every_request():
    latencies = [float(n) for n in range(100, 0, -1)]  # unsorted on purpose
    row = summarize(latencies, Counter({"503": 3, "ReadTimeout": 1}), elapsed_s=10.0)
    assert row["requests"] == 104
    assert row["errors"] == 4
    assert row["errors_by_status"] == {"503": 3, "ReadTimeout": 1}
    assert row["throughput_rps"] == 10.4
    assert (row["p50_ms"], row["p90_ms"], row["p99_ms"], row["max_ms"]) == (50.0, 90.0, 99.0, 100.0)


def test_summary_of_only_errors_has_no_latencies():
    row = summarize([], Counter({"500": 2}), elapsed_s=1.0)
    assert row["requests"] == 2 and row["p50_ms"] is None and row["max_ms"] is None


def test_peer_payload_is_the_signatures_frame_with_messages_as_a_json_string():
    ticket = make()
    body = json.loads(json.dumps(peer_payload(ticket), allow_nan=False))  # strict JSON: no NaN
    split = body["dataframe_split"]
    assert split["columns"] == signature().inputs.input_names()
    assert len(split["data"]) == 1
    row = dict(zip(split["columns"], split["data"][0], strict=True))
    assert isinstance(row["messages"], str)
    assert parse_turns(row["messages"]) == parse_turns([m.model_dump() for m in ticket.messages])
    assert row["lifetime_value"] == 120.5
    assert row["tenure_days"] is None  # NaN in the frame, null on the wire


def test_peer_payload_passes_the_scoring_servers_parsing_and_schema():
    from mlflow.models.utils import _enforce_schema
    from mlflow.pyfunc.scoring_server import infer_and_parse_data

    schema = signature().inputs
    frame = _enforce_schema(infer_and_parse_data(peer_payload(make(customer={})), schema), schema)
    assert list(frame.columns) == schema.input_names()
    assert frame["tenure_days"].isna().all()
    assert parse_turns(frame.loc[0, "messages"])[1].confidence == 0.4


def test_peer_probability_reads_the_first_prediction():
    assert peer_probability({"predictions": [{"ticket_id": "T-1", "probability": 0.25}]}) == 0.25


def test_settings_come_from_the_environment_and_server_env(monkeypatch):
    monkeypatch.setenv("BENCH_LOAD_LEVELS", "1,8,20")
    monkeypatch.setenv("BENCH_LOAD_SECONDS", "5")
    settings = settings_from(["--server-env", "TICKETBUDDY_X=4", "--server-env", "A=b=c"])
    assert settings["levels"] == [1, 8, 20]
    assert settings["seconds"] == 5.0
    assert settings["server_env"] == {"TICKETBUDDY_X": "4", "A": "b=c"}
    with pytest.raises(SystemExit):
        settings_from(["--server-env", "NO_EQUALS"])
