"""``ticketbuddy data import cfpb``: the public CFPB consumer-complaint CSV as labelled tickets.

Each complaint with a narrative becomes one ticket with one customer message, the narrative. The
label comes from the outcome columns through ``CfpbRules`` (default: escalated when the company had to
give monetary or non-monetary relief, or did not respond in time); the route is the product family.
The outcome columns (company response, public response, timely, disputed) are used for the label
only and never copied into the text or the metadata, so the label cannot leak into the features.
Complaints without a narrative (the consumer did not consent to publish it) are skipped, not
rejected: they are not tickets, and the reconciliation line shows how many there were.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from ticketbuddy.data.importers.base import ImportSink
from ticketbuddy.data.importers.fields import clean, parse_time
from ticketbuddy.data.importers.rules import CfpbRules
from ticketbuddy.data.importers.sources import (
    SourceRow,
    not_utf8_reason,
    read_csv,
    read_header,
    require_columns,
)

NARRATIVE = "Consumer complaint narrative"
COMPLAINT_ID = "Complaint ID"
DATE_RECEIVED = "Date received"
RESPONSE = "Company response to consumer"
TIMELY = "Timely response?"
DISPUTED = "Consumer disputed?"
#: Columns without which no ticket or label can be made.
REQUIRED = (COMPLAINT_ID, NARRATIVE, DATE_RECEIVED, "Product", "Submitted via", RESPONSE, TIMELY)
#: metadata key -> column; facts known when the complaint was filed (absent columns are left out).
METADATA = {
    "product": "Product",
    "sub_product": "Sub-product",
    "issue": "Issue",
    "sub_issue": "Sub-issue",
    "company": "Company",
    "state": "State",
    "zip_code": "ZIP code",
    "submitted_via": "Submitted via",
    "date_sent_to_company": "Date sent to company",
}
#: The CFPB site writes ``2020-03-18`` (current) or ``03/18/2020`` (older); some samples ``2020/3/18``.
DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%Y/%m/%d")
NO_NARRATIVE = "no consumer complaint narrative"


def parse_date(value: Any) -> datetime | str:
    """A CFPB date in any of its published formats; the reason as a string when it is none of them."""
    for fmt in DATE_FORMATS:
        parsed = parse_time(value, fmt)
        if isinstance(parsed, datetime):
            return parsed
    return f"{DATE_RECEIVED}: {clean(value)!r} is not a date (expected one of {', '.join(DATE_FORMATS)})"


def _metadata(row: SourceRow) -> dict[str, Any]:
    meta: dict[str, Any] = {"source": "cfpb"}
    for key, column in METADATA.items():
        value = clean(row.get(column))
        if value is not None:
            meta[key] = value
    sent = parse_date(meta.get("date_sent_to_company"))
    if isinstance(sent, datetime):
        meta["date_sent_to_company"] = sent.date().isoformat()
    tags = clean(row.get("Tags"))
    if tags:
        meta["tags"] = [t.strip() for t in tags.split(",") if t.strip()]
    return meta


def complaint_ticket(row: SourceRow, narrative: str, created: datetime, rules: CfpbRules) -> dict[str, Any]:
    """The labelled ticket of one complaint row (not yet validated)."""
    escalated = rules.escalated(clean(row.get(RESPONSE)), clean(row.get(TIMELY)), clean(row.get(DISPUTED)))
    route = rules.route(clean(row.get("Product")))
    return {
        "ticket_id": clean(row.get(COMPLAINT_ID)),
        "channel": rules.channel(clean(row.get("Submitted via"))),
        "created_at": created,
        "subject": clean(row.get("Issue")),
        "messages": [{"role": "customer", "text": narrative, "sent_at": created}],
        "metadata": _metadata(row),
        "escalated": escalated,
        "route": route if escalated or rules.route_for == "all" else None,
    }


def import_cfpb(src: Path, sink: ImportSink, rules: CfpbRules) -> None:
    """Import a CFPB complaint CSV into ``sink``; every row is written, rejected or skipped.

    Raises:
        SourceError: The file lacks a required column (all missing ones are named).

    """
    require_columns(src, read_header(src), REQUIRED, "a CFPB complaint export")
    sink.report.shows_skipped = True
    for row in sink.count(read_csv(src, label="cfpb")):
        if "__error__" in row.values:
            sink.reject(row, row.values["__error__"])
        elif row.bad_column:
            sink.reject(row, not_utf8_reason(row))
        elif (narrative := clean(row.get(NARRATIVE))) is None:
            sink.skip(row, NO_NARRATIVE)
        elif rules.is_unlabelled(response := clean(row.get(RESPONSE))):
            sink.skip(row, f"{RESPONSE}: {response!r}, the outcome is not known yet")
        elif isinstance(created := parse_date(row.get(DATE_RECEIVED)), str):
            sink.reject(row, created)
        else:
            sink.write(complaint_ticket(row, narrative, created, rules), [row])
