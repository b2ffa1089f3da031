"""``ticketbuddy data import twcs``: the "Customer Support on Twitter" CSV as conversation tickets.

Tweets are linked through ``in_response_to_tweet_id``; a thread is a root tweet and everything that
replies to it, transitively (``response_tweet_id`` says the same thing from the other end and is not
needed). A reply whose parent is not in the file (or was rejected) starts its own thread, flagged with
``metadata.parent_missing``; a thread in which no customer wrote (e.g. a brand's reply to a tweet cut
off the file) is not a customer ticket, and its rows are rejected with that reason.

Inbound tweets are the customer's turns, the others the brand's agent turns; the thread's customer is
the author of its first inbound tweet and the brand the author of its first outbound one. The whole
file is held in memory (a thread can span it): about 1 KB a tweet, 3 GB for the full 2.8-million-tweet
corpus; rows are still read as a stream.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ticketbuddy.data.importers.base import ImportSink
from ticketbuddy.data.importers.fields import clean, fold, parse_time, tweet_id
from ticketbuddy.data.importers.rules import LabelRule
from ticketbuddy.data.importers.sources import (
    SourceRow,
    not_utf8_reason,
    read_csv,
    read_header,
    require_columns,
)

REQUIRED = ("tweet_id", "author_id", "inbound", "created_at", "text", "in_response_to_tweet_id")
#: ``Tue Oct 31 22:10:47 +0000 2017``, as the corpus writes times.
TIME_FORMAT = "%a %b %d %H:%M:%S %z %Y"


@dataclass(slots=True)
class Tweet:
    """One parsed tweet, with its line and source text (as UTF-8 bytes, to keep the corpus in memory)."""

    line: int
    raw: bytes
    id: str
    author: str
    inbound: bool
    at: datetime
    text: str
    parent: str | None

    @property
    def row(self) -> SourceRow:
        """The source row again, for the rejects file."""
        return SourceRow(self.line, {}, self.raw.decode("utf-8", errors="replace"))


def parse_tweet(row: SourceRow) -> Tweet | str:
    """A tweet from a CSV row, or the reason (naming the column) why the row is not one."""
    if "__error__" in row.values:
        return row.values["__error__"]
    if row.bad_column:
        return not_utf8_reason(row)
    ident, parent_raw = tweet_id(row.get("tweet_id")), clean(row.get("in_response_to_tweet_id"))
    inbound, author, text = fold(str(row.get("inbound"))), clean(row.get("author_id")), clean(row.get("text"))
    at = parse_time(row.get("created_at"), TIME_FORMAT)
    problems = [
        (ident is None, f"tweet_id: {clean(row.get('tweet_id'))!r} is not a tweet id"),
        (inbound not in ("true", "false"), f"inbound: {clean(row.get('inbound'))!r} is not True or False"),
        (author is None, "author_id: empty"),
        (text is None, "text: empty tweet"),
        (isinstance(at, str), f"created_at: {at}"),
        (parent_raw is not None and tweet_id(parent_raw) is None, f"in_response_to_tweet_id: {parent_raw!r}"),
    ]
    for failed, reason in problems:
        if failed:
            return reason
    assert ident and author and text and isinstance(at, datetime)
    raw = row.raw.encode("utf-8", errors="replace")
    return Tweet(row.line, raw, ident, author, inbound == "true", at, text, tweet_id(parent_raw))


def threads(tweets: dict[str, Tweet]) -> tuple[list[list[Tweet]], list[Tweet]]:
    """Group tweets into threads by their reply links.

    Returns:
        The threads (root first, then its replies depth-first), in the file order of their roots, and
        the tweets reachable from no root (reply chains that loop back on themselves).

    """
    children: dict[str, list[Tweet]] = {}
    roots = []
    for tweet in tweets.values():
        if tweet.parent is not None and tweet.parent in tweets:
            children.setdefault(tweet.parent, []).append(tweet)
        else:
            roots.append(tweet)
    seen: set[str] = set()
    found = []
    for root in roots:
        members, stack = [], [root]
        while stack:
            tweet = stack.pop()
            if tweet.id in seen:
                continue
            seen.add(tweet.id)
            members.append(tweet)
            stack.extend(reversed(children.get(tweet.id, [])))
        found.append(members)
    return found, [t for t in tweets.values() if t.id not in seen]


def _unique(values: Iterator[str]) -> list[str]:
    return list(dict.fromkeys(values))


def thread_ticket(members: Sequence[Tweet], rules: Sequence[LabelRule]) -> dict[str, Any]:
    """The ticket of one thread, in time order (file order breaks ties), labelled when rules are given."""
    root = members[0]
    ordered = sorted(members, key=lambda t: (t.at, t.line))
    customers = _unique(t.author for t in ordered if t.inbound)
    brands = _unique(t.author for t in ordered if not t.inbound)
    messages = [
        {"role": "customer" if t.inbound else "agent", "text": t.text, "sent_at": t.at} for t in ordered
    ]
    meta: dict[str, Any] = {"source": "twcs", "root_tweet_id": root.id, "tweet_ids": [t.id for t in ordered]}
    if brands:
        meta["brand"] = brands[0]
    if len(brands) > 1:
        meta["brands"] = brands
    if len(customers) > 1:
        meta["customer_ids"] = customers
    if root.parent is not None:
        meta["parent_missing"] = root.parent
    ticket: dict[str, Any] = {
        "ticket_id": f"twcs-{root.id}",
        "channel": "social",
        "created_at": ordered[0].at,
        "customer": {"customer_id": customers[0] if customers else None},
        "messages": messages,
        "metadata": meta,
    }
    if rules:
        ticket["escalated"] = any(rule.matches(messages) for rule in rules)
    return ticket


def _no_customer_reason(root: Tweet) -> str:
    reason = f"thread of tweet {root.id} has no customer (inbound) tweet"
    if root.parent is not None:
        reason += f": it replies to tweet {root.parent}, which is not in the file or was rejected"
    return reason


def import_twcs(src: Path, sink: ImportSink, rules: Sequence[LabelRule] = ()) -> None:
    """Import a Twitter customer-support CSV into ``sink``, one ticket per thread.

    A leading index column (``Unnamed: 0`` or unnamed, as pandas writes it) and any other extra
    columns are ignored.

    Raises:
        SourceError: The file lacks a required column (all missing ones are named).

    """
    require_columns(src, read_header(src), REQUIRED, "a Customer Support on Twitter export")
    tweets: dict[str, Tweet] = {}
    for row in sink.count(read_csv(src, label="twcs")):
        parsed = parse_tweet(row)
        if isinstance(parsed, str):
            sink.reject(row, parsed)
        elif parsed.id in tweets:
            sink.reject(row, f"tweet_id: duplicate of line {tweets[parsed.id].line} ({parsed.id!r})")
        else:
            tweets[parsed.id] = parsed
    found, looped = threads(tweets)
    for members in found:
        if not any(t.inbound for t in members):
            for tweet in sorted(members, key=lambda t: t.line):
                sink.reject(tweet.row, _no_customer_reason(members[0]))
        else:
            sink.write(thread_ticket(members, rules), [t.row for t in members])
    for tweet in looped:
        sink.reject(
            tweet.row, f"in_response_to_tweet_id: the reply chain of tweet {tweet.id} loops back on itself"
        )
