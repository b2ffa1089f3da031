"""Behavioural tests of the trained model: invariance, direction, and minimum functionality.

Hand-written tickets (none of them appear in the generator), scored by the session's champion.
"""

import pytest

from ticketbuddy.handoff.batch import score_tickets
from ticketbuddy.schemas import Ticket

pytestmark = pytest.mark.model

BASES = [
    (
        "delivery",
        "standard",
        ["Hi, my order 48213 was due on Tuesday and still hasn't arrived. Can you check?"],
    ),
    ("refund", "silver", ["I returned the boots two weeks ago, order 77120. When will the refund show up?"]),
    ("fault", "gold", ["The kettle I bought last month, order 33019, has stopped heating. What can I do?"]),
    ("account", "standard", ["I can't log in to my account since yesterday, it says my password is wrong."]),
    ("billing", "standard", ["Why was I charged £14.99 twice this month? Order 55102."]),
    ("chat", "silver", ["Where is my parcel? Order 90211.", "It says delivered but it isn't here."]),
]
BOT_REPLY = "Thanks for waiting. I've checked and everything looks fine on our side."


def ticket(ticket_id, tier, texts, bot_between=True):
    messages = []
    for i, text in enumerate(texts):
        if i and bot_between:
            messages.append({"role": "bot", "text": BOT_REPLY})
        messages.append({"role": "customer", "text": text})
    return Ticket.model_validate(
        {
            "ticket_id": ticket_id,
            "channel": "chat",
            "created_at": "2026-11-02T10:00:00Z",
            "customer": {"tier": tier, "lifetime_value": 300, "tenure_days": 500, "orders_12m": 3},
            "messages": messages,
        }
    )


def probabilities(scorer, tickets):
    return [p for p, _ in scorer.predictions(tickets)]


def test_order_numbers_and_names_do_not_change_the_decision(scorer):
    originals, changed = [], []
    for name, tier, texts in BASES:
        originals.append(ticket(name, tier, [t + " Thanks, Sarah" for t in texts]))
        swapped = [
            t.replace("48213", "10577")
            .replace("77120", "61904")
            .replace("33019", "84122")
            .replace("55102", "20931")
            .replace("90211", "73388")
            + " Thanks, Priya"
            for t in texts
        ]
        changed.append(ticket(name, tier, swapped))
    before, after = score_tickets(scorer, originals), score_tickets(scorer, changed)
    shifts = []
    for a, b in zip(before, after, strict=True):
        assert a.escalate == b.escalate, a.ticket_id
        shifts.append(abs(a.probability - b.probability))
    # The decision is invariant; the probability may move a little (a name is a word the model has
    # seen), but never far, and not on average.
    assert max(shifts) < 0.1 and sum(shifts) / len(shifts) < 0.03, shifts


@pytest.mark.parametrize(
    "threat",
    [
        "If this isn't sorted by Friday I will be taking legal action.",
        "My solicitor will be in touch about this.",
    ],
)
def test_adding_a_legal_threat_never_lowers_the_probability(scorer, threat):
    for name, before, after in with_turn_added(scorer, threat):
        assert after >= before, (name, before, after)


def test_a_worsening_turn_never_lowers_the_probability(scorer):
    worse = "This is getting ridiculous. Nothing has been fixed and I'm losing my patience now."
    for name, before, after in with_turn_added(scorer, worse):
        assert after >= before, (name, before, after)


def test_a_resolved_turn_never_raises_the_probability(scorer):
    for name, before, after in with_turn_added(scorer, "Thanks, that fixed it! All sorted now."):
        assert after <= before, (name, before, after)


def with_turn_added(scorer, text):
    """(name, probability before, probability after) for every base ticket given one more customer turn."""
    base = [ticket(n, tier, texts) for n, tier, texts in BASES]
    extended = [ticket(n, tier, [*texts, text]) for n, tier, texts in BASES]
    pairs = zip(probabilities(scorer, base), probabilities(scorer, extended), strict=True)
    return [(name, before, after) for (name, _, _), (before, after) in zip(BASES, pairs, strict=True)]


@pytest.mark.parametrize(
    ("text", "escalate"),
    [
        ("My phone charger caught fire last night and burned the carpet. This is dangerous.", True),
        ("Someone has logged into my account and changed the email, I didn't do this!", True),
        ("I've asked four times now and nobody has helped. I want to speak to a manager today.", True),
        ("Just wanted to say the delivery driver was lovely, thank you!", False),
        ("Do you have the blue jumper in a size medium?", False),
        ("What are your opening hours on bank holidays?", False),
    ],
)
def test_minimum_functionality(scorer, text, escalate):
    score = score_tickets(scorer, [ticket("mft", "standard", [text])])[0]
    assert score.escalate is escalate, (text, score.probability, [r.code for r in score.reasons])
