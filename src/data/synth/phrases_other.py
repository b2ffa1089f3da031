# ruff: noqa: E501  (phrase banks: one template per line reads better than split strings)
"""Phrase banks for questions, praise, and the drift-only topic of subscription cancellations.

Questions and praise are never escalations whoever writes them: they are what keeps customer value
from being a shortcut (a VIP asking for opening hours stays with the assistant).
"""

from __future__ import annotations

from ticketbuddy.data.synth.bank import Intent, Topic

_THANKS = ("[Thanks|Thank you|Cheers|Many thanks][!|.|]", "", "[Thanks in advance|TIA][.|!|]")

_HOURS = Intent(
    name="faq_store_hours",
    severity="none",
    weight=0.3,
    problems=(
        "[What are|What're] [the|your] opening hours [for|at|of] the {city} [store|branch|shop] on [{day}|{day}s]?",
        "[Is|Are] [your|the] {city} [store|branch|shop] open [on {day}|this {day}|on bank holidays]?",
        "[When|What time] does the {city} [branch|shop|store] [close|shut|open] [on|this] {day}?",
        "[Hi, |]what [time|hours] is [the|your] {city} [one|store] [open|open till|open until] [on {day}|today|tomorrow]?",
        "[Do you know if|Can you tell me if] the {city} [store|branch] [is open late|opens early] on {day}s?",
        "[Can I|Could I] [pop into|visit|come to] the {city} [store|shop] [on|this] {day}[ morning| evening|]? [What time do you open?|Is it open?]",
        "[Opening times|Hours] for {city} [on|this] {day}[ please|]?",
    ),
    replies=(
        "Our {city} store is open {time} to {close} on {day}s. Hours for every store are on our website.",
        "The {city} branch opens at {time} and closes at {close} on {day}s, with shorter hours on bank holidays.",
    ),
    asks=_THANKS,
)

_DELIVERY_INFO = Intent(
    name="faq_delivery_options",
    severity="none",
    weight=0.2,
    problems=(
        "[Do you|Can you] deliver to [{city2}|Ireland|the Channel Islands|Northern Ireland|Canada|Alaska]?",
        "How much is [next day|express|standard] delivery[ to {city2}|]?",
        "[Do you offer|Is there] [free delivery|click and collect|named day delivery] [on orders over {amount}|]?",
        "[How long|How many days] does [standard|express] delivery [take|usually take][ to {city2}|]?",
        "[Can I|Is it possible to] [collect|pick up] my order from the {city} [store|branch] [instead|]?",
    ),
    replies=(
        "Standard delivery takes 3-5 working days; express arrives the next working day if you order before 8pm.",
        "Delivery is free on orders over {amount}, and click and collect is free at every store.",
    ),
    asks=_THANKS,
)

_RETURNS_INFO = Intent(
    name="faq_returns_policy",
    severity="none",
    weight=0.18,
    problems=(
        "[What's|What is] your returns [policy|window] [for|on] [sale items|a {goods}|gifts]?",
        "[Can I|Am I able to] return [an item|a {goods}] [bought online|I ordered online] [to the {city} store|in store]?",
        "[How long|How many days] do I have to return [something|an item|a gift][ I bought {date}|]?",
        "[Do I need|Will I need] [the receipt|the original box] to [return|exchange] [something|a {goods}]?",
        "How long do refunds [take|usually take] [to come through|to show up] after [a return|I send something back]?",
        "[Do you|Will you] refund [delivery costs|the postage] [on returns|if I send a {goods} back]?",
    ),
    replies=(
        "You can return most items within 30 days, online or in any of our stores.",
        "Returns are free within 30 days; gifts can be exchanged with the gift receipt.",
    ),
    asks=_THANKS,
)

_PRODUCT_INFO = Intent(
    name="faq_product_question",
    severity="none",
    weight=0.17,
    problems=(
        "[Does|Will] the {gadget} [come with|have] [a warranty|a UK plug|a charger|a carry case]?",
        "[When will|Will] [the|your] {goods} be back in stock[ in {city}|]?",
        "[Does|Do] [the|your] {goods} [come in|come in a] [a larger size|other colours|navy]?",
        "[What's the difference between|How does] the {gadget} [and the older model|compare to the Pro version]?",
        "[Is|Are] the {goods} [in stock|available] [at|in] [the|your] {city} [store|branch]?",
    ),
    replies=(
        "That item comes with a 2-year warranty. Stock for each store is shown on the product page.",
        "We expect more stock within {days} days; you can sign up for a back-in-stock email on the product page.",
    ),
    asks=_THANKS,
)

_PAYMENT_INFO = Intent(
    name="faq_payment_options",
    severity="none",
    weight=0.15,
    problems=(
        "[Do you take|Can I pay with|Do you accept] [PayPal|Klarna|Apple Pay|American Express|gift cards] [online|in store|]?",
        "[Can I|Is it possible to] [split a payment|pay in instalments|use two cards][ online|]?",
        "[Can I|How do I] [check|use] [my|a] gift card balance[ online|]?",
        "Do your gift cards [expire|work in all stores|work online]?",
    ),
    replies=(
        "We accept all major cards, PayPal, Apple Pay and gift cards, online and in store.",
        "You can check a gift card balance on our website under Gift cards.",
    ),
    asks=_THANKS,
)


def faq() -> Topic:
    """Questions with an answer on the website: hours, delivery, returns, products, payments."""
    return Topic(
        name="faq",
        kind="question",
        intents=(_HOURS, _DELIVERY_INFO, _RETURNS_INFO, _PRODUCT_INFO, _PAYMENT_INFO),
        details=(
            "[I'm|I am] [hoping|planning] to [go|come in|order] [this week|on {day}|soon].",
            "[Couldn't|Could not] find it on the website.",
            "[It's|It is] for {event}.",
        ),
        pushback=(
            "[And|Also,|One more thing -] [is there parking|is there a car park|is there a lift|is it step-free] [near|at] the {city} [store|branch|shop]?",
            "[OK, and|Thanks, and|Great, and] [what about|how about] [bank holidays|{day}|{date}]?",
            "[Is that the same|Does that apply] [in|for] the {city2} [store|branch][ too|]?",
            "[And|Also,] [do you do|can I use] click and collect [at|in] {city}[ too|]?",
            "[Perfect|Great|Lovely], [and|] [can I|could I] [return things|bring returns] [there|to {city}] [too|as well]?",
            "[Do I need|Will I need] [to book|an appointment] [for that|on {day}]?",
        ),
        bot=(
            "Our {city} store is open {time} to {close} on {day}s. You can check hours for every store on our website.",
            "Standard delivery takes 3-5 working days; express arrives the next working day if you order before 8pm.",
            "You can return most items within 30 days, online or in any of our stores.",
            "We accept all major cards, PayPal, Apple Pay and gift cards.",
            "That item comes with a 2-year warranty. Stock levels for each store are shown on the product page.",
        ),
        subjects=("[Question|Quick question|Enquiry]", "[Hello|Hi]"),
        route="general_escalations",
    )


_STAFF = Intent(
    name="praise_staff",
    severity="none",
    weight=0.4,
    problems=(
        "[I just wanted|Just wanted] to say [thank you|a big thank you] to {agent} [at|in] the {city} store[, who was brilliant|, who went above and beyond|].",
        "[Your|The] [team|staff] [in|at] {city} [were|have been] [amazing|so helpful|brilliant] [today|this week|].",
        "{agent} [on chat|on the phone|in store] [sorted everything|was so patient|was fantastic][, please pass on my thanks|].",
    ),
    asks=("[Keep it up|Keep up the good work|Thanks again][!|.|]", "", "[:)|👍|🙂]"),
)

_PRODUCT_LOVE = Intent(
    name="praise_product",
    severity="none",
    weight=0.35,
    problems=(
        "[Really|So] [happy|pleased|impressed] with my {goods}[, it's fantastic|, exactly as described|].",
        "[Just a quick note to say|Wanted to let you know] [how much I love|I'm loving] [my|the] {goods}.",
        "[Best|Easily the best] {gadget} I've [owned|bought][, thank you|]!",
        "[The|My] {goods} [is|looks] [even better than|exactly like] the [photos|pictures][, love it|, really pleased|].",
        "[Bought|Got] [a|the] {gadget} [last week|{date}] and [it's brilliant|I use it every day|it's changed my mornings].",
    ),
    asks=("[Keep it up|Will be ordering again|Thanks again][!|.|]", "", "[😍|❤️|😊]"),
)

_FAST = Intent(
    name="praise_delivery",
    severity="none",
    weight=0.25,
    problems=(
        "[Delivery|My order] [arrived|came] [a day early|super fast|right on time][, great service|]!",
        "[Order|Parcel] {order} [arrived|turned up] [already|the next day][, impressive|, very quick|].",
        "[The driver|Your courier] was [lovely|really friendly|so careful] with [my parcel|the {goods}].",
    ),
    asks=("[Thanks|Thank you|Cheers][!|.|]", ""),
)


def praise() -> Topic:
    """Compliments about staff, products and deliveries."""
    return Topic(
        name="praise",
        kind="praise",
        intents=(_STAFF, _PRODUCT_LOVE, _FAST),
        details=("[Ordered|Bought it] {date}.", "[I'll|I will] [definitely|] be [back|recommending you]."),
        pushback=(
            "[Thanks|Cheers] for [replying|getting back to me][, I'll be ordering again soon| - the {goods} really is great|! Have a good {day}|].",
            "[Please do|Yes please pass it on] - {agent} [deserves it|was a star|made my day][!|.]",
            "[No problem|You're welcome][, keep up the good work|, you've got a customer for life|, see you in {city}|][!|.| :)]",
        ),
        bot=(
            "Thank you so much for your kind words! I'll pass them on to the team.",
            "That's lovely to hear, thank you for letting us know.",
        ),
        subjects=("[Thank you|Thanks|Great service]",),
        route="general_escalations",
    )


_CANCEL = Intent(
    name="subscription_cancel",
    severity="moderate",
    weight=0.35,
    flag="churn",
    problems=(
        "[I want to|Please] cancel my subscription[ today|, effective immediately|].",
        "[How do I|I want to|Please] [stop|end] my [monthly|annual|Northfield Plus] [membership|plan|box] [straight away|today|].",
        "[I've tried|I have tried] to [cancel|unsubscribe|end my plan] [in the app|on the website] [but|and] [there's no option|the button doesn't work|it keeps failing].",
        "[I no longer want|I don't want] [the|my] [Northfield Plus|subscription box|membership] - [end it|stop it] [please|now].",
    ),
    asks=(
        "[Please|Can you] [confirm|make sure] [it's done|nothing else is taken][ today|].",
        "[Don't|Do not] [take|charge me] another payment.",
    ),
)

_RENEWAL = Intent(
    name="subscription_renewal_charge",
    severity="moderate",
    weight=0.3,
    problems=(
        "[You've|You have] [renewed|auto-renewed] my [membership|subscription] [without asking|without telling me|after I cancelled] and [charged me|taken] {amount}.",
        "[I was charged|I've been charged] {amount} for [a subscription|Northfield Plus|a plan] [I cancelled|I thought I cancelled|I didn't sign up for] {date}.",
        "[My free trial|The trial] [turned into|rolled into] a paid [plan|subscription] [without any warning|and took {amount}].",
    ),
    asks=(
        "[I want|Please give me] [that|the {amount}] [back|returned].",
        "[Please|Can you] [reverse it|sort it out].",
    ),
)

_PAUSE = Intent(
    name="subscription_pause",
    severity="mild",
    weight=0.2,
    problems=(
        "[Can I|Is it possible to] [pause|skip|downgrade] my [subscription|plan|box] for [a month|{days} days|the summer]?",
        "[I'd like to|I want to] [change|move] my [plan|subscription] to [the cheaper one|every other month].",
    ),
    asks=_THANKS,
)

_BOX = Intent(
    name="subscription_box_missing",
    severity="mild",
    weight=0.15,
    problems=(
        "[This month's|My] [subscription box|box] [hasn't arrived|is missing|didn't come][ again|].",
        "[I've|I have] paid for [this month's|my {day}] box but [nothing has come|it never turned up][ yet|].",
        "[The|My] [subscription box|monthly box] [for {date}|due {date}] [is late|hasn't shown up][, is it coming?|].",
    ),
    asks=("[Can you|Please] [send it|check where it is][ please|]?",),
)


def subscriptions() -> Topic:
    """Subscription cancellations, unwanted renewals, pauses (only appears with ``--drift``)."""
    return Topic(
        name="subscriptions",
        kind="complaint",
        intents=(_CANCEL, _RENEWAL, _PAUSE, _BOX),
        details=(
            "[I've been|I have been] a member since {date}.",
            "[My account email is|The account is under] {email}.",
            "[It's|It is] {amount} a month[ and I don't use it|].",
        ),
        pushback=(
            "[That's not|That isn't] what I asked[.|, I want it ended.]",
            "[There is no|I can't see a] cancel [button|option] [there|anywhere][.|!]",
            "[I don't want|I'm not interested in] [an offer|a discount|to pause it][.|, just end it.]",
        ),
        bot=(
            "You can manage or pause your subscription from Account settings > Memberships.",
            "Before you go, we can offer you three months at half price. Would you like that?",
            "Subscriptions renew automatically unless cancelled 48 hours before the renewal date.",
        ),
        subjects=("[Subscription|Membership] [cancellation|renewal|question]", "Cancel [membership|plan]"),
        route="billing_disputes",
    )
