# ruff: noqa: E501  (phrase banks: one template per line reads better than split strings)
"""Phrase banks for money: refund questions, duplicate or wrong charges, disputed returns, gift cards.

A calm "when will my refund arrive?" carries the policy's ``refund`` keyword and is rarely an
escalation; an angry duplicate charge often is, whether or not it says "refund".
"""

from __future__ import annotations

from ticketbuddy.data.synth.bank import Intent, Topic

_REFUND_STATUS = Intent(
    name="refund_status",
    severity="mild",
    weight=0.32,
    problems=(
        "[When will|When should I expect] my refund [for order {order}|of {amount}|] [arrive|come through|show up]?",
        "[I returned|I sent back] [the|my] {goods} {date} [and haven't had|but still haven't received] [my refund|the money|my money back] yet.",
        "[Just wondering|Quick question -] [how long|how long do] refunds [take|usually take] [to go through|to reach my account|]?",
        "[You|Your team] [confirmed|agreed|approved] a refund of {amount} {date} [but|and] [it's not in my account yet|I haven't seen it|nothing has come through].",
        "[The return|My return] [for {order}|] [was received|shows as received] [{date}|{days} days ago] but [no money yet|the money hasn't come back|I've not been credited].",
        "[Can you confirm|Could you check] [whether|if] [my refund|the {amount}] [has been processed|has gone through|was sent]?",
        "[It's been|It has been] {days} days since [I returned|you collected] [the|my] {goods} and [still no refund|I still haven't got my money|nothing has been credited].",
        "[Any news on|Is there an update on] [the money for|my return for] {order}?",
    ),
    subjects=("Refund [query|for order {order}|status]",),
    replies=(
        "Refunds [usually|normally] take [3-5|5-7] working days to show on your statement once processed.",
        "I can see a refund [of {amount}|] was [issued|processed] {date}. Banks can take a few days to display it.",
    ),
    asks=(
        "[Please can you|Can you|Could you] [let me know|check] [when it'll arrive|what's happening]?",
        "[Thanks|Cheers|Many thanks] [in advance|for your help|].",
        "[Please|Can you] [chase this up|look into it][ for me|].",
    ),
)

_DOUBLE = Intent(
    name="billing_double_charge",
    severity="moderate",
    weight=0.2,
    problems=(
        "[I've been|I was] [charged twice|double charged] for [order {order}|the same order|my {goods}].",
        "[My bank statement|My banking app] shows [two payments|the same payment twice|two charges] of {amount} [for one order|for {order}|on {date}].",
        "[You've taken|You took] {amount} [twice|two times] [from my account|from my card ending {last4}].",
        "[There are|I can see] two [identical|matching] [payments|transactions] [of {amount}|] [and I only placed one order|for a single order].",
        "[The payment|Your site] [failed|errored] [so I paid again|the first time so I tried again] and [now both payments have gone through|now I've paid for it twice].",
        "[I've been charged|You've charged me] {amount} [more than once|on two different cards|twice in one day].",
    ),
    subjects=("[Charged twice|Double payment|Duplicate charge]",),
    replies=(
        "Duplicate payments are usually pending authorisations that drop off within [3-5 working days|a few days].",
        "I can only see one completed payment for order {order}; the second is likely a hold that your bank will release.",
    ),
    asks=(
        "[I want|I need|Please give me] the [second|duplicate|extra] payment [back|returned|reversed] [straight away|today|as soon as possible].",
        "[Please|Can you] [sort this out|fix this|cancel the duplicate].",
        "[That money|That {amount}] [needs to|has to] [come back|go back on my card] [now|this week].",
    ),
)

_WRONG_CHARGE = Intent(
    name="billing_wrong_charge",
    severity="mild",
    weight=0.22,
    problems=(
        "[I was|I've been] charged {amount} [but|when] the [price on the website|price at checkout|advertised price] was [lower|less|different].",
        "[My discount code|The code {code}] [didn't apply|wasn't taken off|was ignored] [at checkout|on my order|on {order}].",
        "[There's|I can see] a charge of {amount} [on my statement|on my card] [that I don't understand|I can't match to any order|with no explanation].",
        "[You charged me|I was charged] for [delivery|express delivery|a warranty] [that I didn't choose|when it should have been free|I never asked for].",
        "[The sale price|The offer price] [wasn't applied|didn't come off] [to|on] [my|the] {goods}[, I paid full price|].",
        "[My invoice|The receipt] [for {order}|] [says|shows] {amount} [but my card was charged|but I paid] {big_amount}.",
        "I think I've been overcharged for [order {order}|my {goods}].",
    ),
    subjects=("[Wrong charge|Price query|Discount code]",),
    replies=(
        "Discount codes need to be applied before payment; I can check the price you paid if you share the order number.",
        "Prices can change during sales; the amount charged is the one shown at checkout when you paid.",
    ),
    asks=(
        "[Can you|Could you] [give me the difference back|correct the charge|explain this charge]?",
        "[Please|Can you] [put it right|sort the price out][ please|].",
    ),
)

_RETURN = Intent(
    name="billing_return_dispute",
    severity="moderate",
    weight=0.18,
    problems=(
        "[You've|You have] [turned down|rejected|declined] [my return|the return for {order}] [because|saying] [it was used|it's outside the window|it was damaged].",
        "[The|My] return [was rejected|was refused] [even though|but] [I sent it back within|it was within] [the 30 days|the return period].",
        "[I was told|Your colleague told me] [I'd get|I would get] [a full refund|my money back|a replacement] [but now|and now] [you're saying|I'm being told] [I can't|it's not possible].",
        "[You|Your warehouse] [say|claim|are claiming] [you never received|you didn't get] [my return|the parcel] but I have [proof of postage|a receipt from the post office|the tracking number].",
        "[Only|You only] [paid back|gave me back|credited] {amount} [out of|instead of] {big_amount}.",
    ),
    subjects=("Return {order}", "[Return|Refund] [rejected|dispute]"),
    replies=(
        "Returns are checked at our warehouse; items that show signs of use can't be accepted under our policy.",
        "You can start a return from the Orders page in your account, and we'll email you when it's received.",
    ),
    asks=(
        "[I expect|I want] [the full amount|my full {big_amount}] back.",
        "[Please|Can you] [review this|look at it again|reverse the decision].",
    ),
)

_GIFT_CARD = Intent(
    name="billing_gift_card",
    severity="low",
    weight=0.08,
    problems=(
        "[My|The] gift card [isn't working|won't apply|shows a zero balance] [at checkout|online|in the {city} store].",
        "[I can't|I'm unable to] [use|redeem] [my|a] gift card [on|for] [my order|{order}].",
        "[My|The] [e-gift card|gift voucher] [code|number] [says it's invalid|says it has expired|won't go through] [but it was bought {date}|].",
    ),
    asks=("[Can you|Could you] [check the balance|help me use it]?",),
)


def refunds_billing() -> Topic:
    """Refund questions, duplicate or wrong charges, and disputed returns."""
    return Topic(
        name="refunds_billing",
        kind="complaint",
        intents=(_REFUND_STATUS, _DOUBLE, _WRONG_CHARGE, _RETURN, _GIFT_CARD),
        details=(
            "[I paid|I'd paid] [by card|with PayPal|on my credit card|with Apple Pay].",
            "[The order number is|Order number:|Ref:] {order}.",
            "[I've got|I have] [the receipt|screenshots|my bank statement] [if you need it|to prove it|ready].",
            "[This is|That's] {amount} [I really can't afford to lose|of my money|sitting in limbo].",
            "[It was|The payment was] [taken|made] {date}.",
        ),
        pushback=(
            "[That doesn't|That does not] answer my question.",
            "[I was told|You said] [3-5|five] working days {date} and [it's been|it's now been] {days}.",
            "[My bank|The bank] [says|told me] [it's on your side|you haven't sent anything|nothing has been sent].",
            "[I know how it works|I don't need the policy], I need [the money|my {amount}|an actual answer].",
            "[Still|There's still] nothing [on my statement|in my account][.|!|...]",
            "[That's not|That isn't] [what happened|the issue|what I asked].",
        ),
        bot=(
            "Refunds [usually|normally] take [3-5|5-7] working days to show on your statement once processed.",
            "I can see a refund [of {amount}|] was [issued|processed] {date}. Banks can take a few days to display it.",
            "Duplicate payments are usually pending authorisations that drop off within [3-5 working days|a few days].",
            "You can start a return from the Orders page in your account, and we'll email you when it's received.",
            "Discount codes need to be applied before payment; I can check the price you paid if you share the order number.",
        ),
        subjects=("[Order|Payment] {order}", "Billing [question|query]", "My payment", "Re: {order}"),
        route="billing_disputes",
    )
