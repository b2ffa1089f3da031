# ruff: noqa: E501  (phrase banks: one template per line reads better than split strings)
"""Phrase banks for deliveries: late, lost, damaged and wrong orders.

Templates use ``[a|b]`` choices and ``{slot}`` values (see ``grammar``). They are written in British
English; US customers get American spelling from ``style``. Some phrasings carry a policy trigger
keyword ("refund", "broken") and many do not, so keywords alone cannot decide escalation.
"""

from __future__ import annotations

from ticketbuddy.data.synth.bank import Intent, Topic

_LATE = Intent(
    name="delivery_late",
    severity="mild",
    weight=0.38,
    problems=(
        "My order {order} [was due|was supposed to arrive|should have arrived|was meant to be here] {date} and [it still hasn't turned up|it's still not here|there's no sign of it|nothing has arrived].",
        "[I'm still waiting for|I still haven't received|Still no sign of] [my order|order {order}|the {goods} I ordered] [and it's now|which is now] {days} days [late|overdue|past the delivery date].",
        "[The tracking for|Tracking on] {order} [hasn't moved|hasn't updated|has been stuck on 'in transit'] [since|for] {date}[ and I've heard nothing|].",
        "[Where is my order?|Where's my parcel?|Any update on my delivery?] [I ordered|I placed an order for] [a|the] {goods} {date} and [it hasn't come|it hasn't arrived|I've had nothing].",
        "[You promised|The website promised|Your site said] [next day|express|2-day] delivery [for|on] {order} [but|and] [it's been|it has been] {days} days.",
        "[My|The] delivery [window|slot] was {date} [between 8 and 12|in the morning|all day] and [nobody came|no one turned up|the driver never showed].",
        "[The|My] {goods} [should have been delivered|was due for delivery] {date}[, I stayed in all day|, I took the day off work to wait for it|] and [it never came|it didn't arrive|nothing happened].",
        "[Order|My order] {order} [is late|is running late|hasn't been delivered][ again|].",
        "[I've been waiting|Been waiting] {days} days for [order {order}|my {goods}|my parcel] [now|already][ and the estimated date keeps changing|].",
        "[Your app|The app|The tracking page] [says|said] [my parcel|{order}] would [come|arrive] {date} but [still nothing|it's still not here|it hasn't].",
        "[Just checking on|Hoping to get an update on|Chasing] [my order|order {order}][, it was due|, it should have come] {date}.",
        "[The delivery date for|The estimated date on] [my {goods}|order {order}] [has been pushed back|has changed] [twice|three times|again] [now|this week|].",
    ),
    subjects=("[Order|Parcel] {order} [not arrived|late|still not here]", "Where is my order?"),
    asks=(
        "[Can you|Could you|Please can you] [tell me|let me know] when it [will|is going to] [arrive|actually arrive|be delivered]?",
        "[Please|Can you] [chase this up|look into this|find out where it is][ for me|][ please|].",
        "I need [a firm date|a proper answer|to know what's going on], not [another estimate|a template reply|another apology].",
        "[What's happening with it?|Where is it?|Has it even been sent?]",
        "[Can you|Could you] [check with|contact] {courier} [and find out what's going on|for me]?",
        "[If it can't arrive by|If it won't be here by] {day}, [I'd like to cancel|please cancel it and give me my money back|I need another option].",
    ),
)

_MISSING = Intent(
    name="delivery_missing",
    severity="moderate",
    weight=0.22,
    problems=(
        "[Tracking|The tracking] says [my parcel|order {order}] was delivered {date} but [it never arrived|I never got it|there's nothing here].",
        "{courier} [marked|have marked] [my order|{order}] as delivered [but|and] [I've checked with the neighbours and|] [it's not here|nobody has it].",
        "[The photo|Your driver's photo] [of the delivery|on the tracking] [shows a door that isn't mine|is of someone else's house|isn't my front door].",
        "[My parcel|Order {order}] [has gone missing|seems to be lost|has disappeared] [somewhere between the depot and my house|after leaving the warehouse|in transit].",
        "[I've been told|The courier said] [my|the] {goods} was [left in a safe place|left with a neighbour|posted through the door] but [it isn't there|there's no safe place here|none of my neighbours have it].",
        "[Only half of|Part of] [my order|order {order}] [turned up|arrived]; the [rest|{goods}] [is missing|never came|isn't in the box].",
        "[It says signed for by|It was apparently signed for by] [someone called Smith|'resident'|a name I don't recognise] but [no one here signed for anything|I live alone].",
        "[My parcel was|Order {order} was] returned to [the depot|sender] [without anyone trying to deliver it|even though I was in].",
        "[Apparently|Supposedly] [my {goods}|order {order}] [was delivered|arrived] {date}[. It wasn't.|, which is news to me.| but I've got nothing.]",
    ),
    subjects=("[Missing|Lost] parcel", "[Order|Parcel] {order} [missing|not received]"),
    asks=(
        "[I need|I want] [you to find it|a replacement sent out|a replacement or my money back|a refund] [as soon as possible|today|urgently].",
        "[What are you going to do about it?|How are you going to fix this?|What happens now?]",
        "[Please|Can you] [open an investigation|raise a claim with {courier}|send a replacement][ please|].",
    ),
)

# Damaged and wrong items are put right the same way, so the bot answers and the customer pushes back alike.
_REPLACEMENT_REPLIES = (
    "I'm sorry about that. You can request a replacement from the Orders page, and we'll collect the item for free.",
    "Sorry to hear that! Could you send a photo of the item and the packaging so I can arrange a replacement?",
    "I'm sorry your order wasn't right. I've sent you a returns label by email; the replacement ships once it's scanned.",
)
_REPLACEMENT_PUSHBACK = (
    "[I've already sent|I sent] [photos|pictures] {date}[ and heard nothing|].",
    "[The Orders page|Your website] [won't let me|doesn't let me] [request a replacement|book a collection].",
    "[No label|There's no label|Nothing] [has arrived|came through] [in my email|in my inbox][, I've checked spam|].",
    "[Nobody came|The courier never came] to collect it[ on {day}|].",
)

_DAMAGED = Intent(
    name="delivery_damaged",
    severity="mild",
    weight=0.2,
    problems=(
        "[My|The] {goods} [arrived|turned up|came] [damaged|smashed|dented|scratched|in pieces|broken].",
        "[The box was|The packaging was] [crushed|soaking wet|ripped open] and [the {goods} inside is|the item is] [damaged|scratched|cracked].",
        "[Order|My order] {order} [came|arrived] with [a crack|a huge dent|a tear] [in it|down the side|on the front].",
        "[The courier|The driver] [clearly|obviously] [threw|dropped] [my parcel|the box] - [the {goods} is|it's] [damaged|ruined|scratched].",
        "[Half the|Some of the] [plates|glasses|items] in [my order|{order}] [are smashed|arrived broken|are chipped].",
        "[There's|There is] [a big scratch|a dent|a chip] [on|in] the {goods} [I got|that arrived] {date}.",
    ),
    replies=_REPLACEMENT_REPLIES,
    pushback=_REPLACEMENT_PUSHBACK,
    subjects=("Damaged [item|order|delivery]",),
    asks=(
        "[Can I get|Please send|I'd like] a [replacement|refund][ please|].",
        "[How do I|What's the quickest way to] [return it|get this swapped]?",
        "[Can you|Please] [arrange a collection|send a new one out]?",
    ),
)

_WRONG = Intent(
    name="delivery_wrong_item",
    severity="mild",
    weight=0.2,
    problems=(
        "[I ordered|I paid for] [a|the] {goods} [but|and] [received|got|you sent me] [something completely different|the wrong one|someone else's order].",
        "[Wrong item|Wrong size|Wrong colour] [in|delivered for] [my order|order {order}].",
        "[The parcel|Order {order}] [contained|had] [a|the] {goods} [in the wrong colour|in the wrong size|that I didn't order].",
        "[You've sent me|I've been sent] [two of the same item|the wrong model|a different product] instead of [the {gadget}|what I ordered].",
        "[Opened|Just opened] [my parcel|order {order}] and [it's not what I ordered|it's the wrong thing|it's not my {goods}].",
    ),
    replies=_REPLACEMENT_REPLIES,
    pushback=_REPLACEMENT_PUSHBACK,
    subjects=("Wrong [item|size|order] [sent|received|]",),
    asks=(
        "[Can you|Could you] [send the right one|swap it|sort out an exchange]?",
        "[Do I need to|Should I] send [this|it] back [first|myself]?",
        "[Can you|Could you] [collect it|arrange a swap][ please|]?",
        "[Or just|Otherwise just] [refund me|give me a refund|give me my money back].",
    ),
)


def delivery() -> Topic:
    """Orders that are late, lost, damaged or wrong."""
    return Topic(
        name="delivery",
        kind="complaint",
        intents=(_LATE, _MISSING, _DAMAGED, _WRONG),
        details=(
            "[I paid|I'd paid] [extra|{amount}] for [next day|express|named day] delivery.",
            "[I've|I have] [checked|looked] [everywhere|with my neighbours|in the bin store|at reception].",
            "[The tracking|Tracking] [just says|only shows] '[in transit|out for delivery|delayed]'[ and has done for days|].",
            "[I was in all day|Someone was home the whole time] and [nobody knocked|no card was left|the doorbell never went].",
            "[I ordered it|It was ordered] {date}[ and paid {amount}|].",
            "[The order number is|Order number:|Ref:] {order}.",
        ),
        pushback=(
            "[That's what the tracking said|That's what you said] {date} [too|as well|and it still didn't come].",
            "[I've already checked|I already checked] [with the neighbours|the safe place|the tracking][, it's not there|].",
            "[It's not on its way|It is not on its way], [the tracking hasn't moved|nothing has changed] [in|for] {days} days.",
            "[That doesn't help|That's not helpful|That's no use] - [I need it|it's needed] by {day}.",
            "[You keep saying that|Every reply says the same thing][.|!|...]",
            "[That's the same|That's an automated|That's a copy and paste] [answer|reply] [I got last time|I got yesterday|as before].",
            "[The courier|{courier}] [says|told me] [it's with you|you never sent it|it's at your depot].",
        ),
        bot=(
            "I'm sorry your order hasn't arrived yet. I can see order {order} is on its way and should be with you within {days} working days.",
            "Thanks for waiting. Your order is on its way with {courier}. Tracking updates can take up to 48 hours to appear.",
            "Sometimes parcels are left in a safe place or with a neighbour. Could you check around your property and with your neighbours?",
            "Deliveries are running slightly behind at the moment. Your parcel is expected in the next {days} days.",
            "If a parcel shows as delivered but hasn't arrived, please wait 24 hours, as couriers sometimes scan items early.",
            "I've checked and your order has left our warehouse. You can follow it with the tracking link in your confirmation email.",
        ),
        subjects=(
            "[Order|Parcel] {order}",
            "Re: order {order}",
            "Delivery [problem|issue|query]",
            "My order",
        ),
        route="general_escalations",
    )
