# ruff: noqa: E501  (phrase banks: one template per line reads better than split strings)
"""Phrase banks for product faults: dead devices, flaky ones, missing parts, hazards and set-up help.

Safety hazards are written both with the policy's safety words ("caught fire") and without them
("melted the plug"), since customers describe danger in their own words.
"""

from __future__ import annotations

from ticketbuddy.data.synth.bank import Intent, Topic

_DEAD = Intent(
    name="product_dead",
    severity="moderate",
    weight=0.28,
    problems=(
        "[My|The] {gadget} [won't switch on|has stopped working|doesn't turn on any more|just died|is completely dead|is broken|is not working].",
        "[After|Within] {days} days [the|my] {gadget} [stopped charging|won't charge|won't hold a charge].",
        "The screen on my {gadget} [keeps going black|flickers constantly|has gone completely blank].",
        "[My|The] {gadget} [keeps restarting|freezes|keeps crashing|shuts itself off] [every few minutes|randomly|whenever I use it].",
        "[I|We] [plugged in|set up] the {gadget} and [nothing happens|it does nothing|there's no power at all].",
        "[The|My] {gadget} [shows|is showing] [an error|error E4|a flashing red light] and [won't do anything|does nothing].",
        "[There's|It makes] a [horrible|loud|grinding] [noise|buzzing] [when I turn it on|and then cuts out].",
        "[It|My {gadget}] [worked for|lasted] [a week|two days|about a month] and [then died|then gave up|now nothing].",
        "[The|My] {gadget} is faulty[, it won't stay on|, it cuts out constantly|].",
        "[Brand new|Almost new] {gadget} and [it's dead|it doesn't work|it won't boot up].",
    ),
    asks=(
        "[I want|I'd like|Can I get] a [replacement|repair|new one|refund][ please|].",
        "[How do I|What do I need to do to] [get it fixed|send it back|claim on the warranty]?",
        "[Can you|Please] [send someone|arrange a repair|help me get it going again].",
    ),
)

_FLAKY = Intent(
    name="product_intermittent",
    severity="mild",
    weight=0.24,
    problems=(
        "[The|My] {gadget} [sometimes|occasionally|every now and then] [disconnects|loses connection|doesn't respond|is not working properly|crashes].",
        "[The battery on|Battery life on] my {gadget} [is terrible|only lasts an hour|drains really fast].",
        "[The|My] {gadget}'s [bluetooth|wifi|app connection] [keeps dropping|won't stay connected|is really unreliable].",
        "[One of the buttons|The dial|The lid] on [the|my] {gadget} [is a bit loose|sticks|doesn't always respond].",
        "[The app|Your app] [won't pair with|doesn't find|can't see] my {gadget}[ half the time|].",
        "[The sound|The picture] on [the|my] {gadget} [cuts out|drops|stutters] [now and then|every so often|a few times a day].",
        "[The|My] {gadget} [is slower than it should be|takes ages to start|runs really hot] [since|after] the [update|first week].",
    ),
    asks=(
        "[Is there a fix|Is this normal|Is there an update] for this?",
        "[Any ideas|Any suggestions|What should I try]?",
        "[Can you|Could you] [help|advise][ please|]?",
    ),
)

_PARTS = Intent(
    name="product_missing_parts",
    severity="mild",
    weight=0.14,
    problems=(
        "[My|The] {gadget} [arrived|came] [without|missing] [the|a] [charger|power cable|instructions|remote|stand|plug].",
        "[The box|The package] for [order {order}|my {gadget}] [is missing|didn't include] [some of the parts|the fittings|the cable].",
        "[There are|I've got] [no|only half the] [screws|fixings|cables] [for|with] the {gadget}[, so I can't set it up|].",
    ),
    replies=(
        "I'm sorry about that! I've asked the warehouse to send the missing parts; they should arrive within {days} working days.",
        "Could you tell me exactly which part is missing? I'll get it sent out to you.",
    ),
    asks=(
        "[Can you|Could you] send the missing [parts|piece|bits] [out|over][ please|]?",
        "[How long|How quickly] [will it take|can you get] [the parts|them] to me?",
    ),
)

_HAZARD = Intent(
    name="product_safety",
    severity="severe",
    weight=0.1,
    flag="safety",
    problems=(
        "[My|The] {gadget} [caught fire|started to smoke|burnt my hand|gave me an electric shock].",
        "[My|The] {gadget} [got so hot it melted|started sparking|melted the plug|scorched the worktop].",
        "[The charger|The plug] [got red hot|melted|sparked] [and I could smell burning|and tripped the electrics].",
        "[My son|My daughter|My partner] [got hurt|was hurt|cut their hand badly] [using|on] the {gadget}.",
        "[The|My] {gadget} [overheated|got extremely hot] and [left a scorch mark|melted|nearly started a fire].",
        "[The|This] {gadget} [is|could be] [dangerous|unsafe|a fire hazard|a danger to children].",
        "[The battery in|The battery of] my {gadget} [swelled up|bulged|split open] [overnight|while charging].",
        "[My son|My daughter|I] [burned|burnt|scalded] [a hand|my fingers|his hand] on the {gadget}[ and needed hospital treatment|, it's unsafe|].",
    ),
    subjects=("[Safety issue|Safety concern] with my {gadget}",),
    asks=(
        "[I want to know|I need to know] [what you're going to do|how this happened].",
        "[Someone needs to look at this|You need to recall these|Other customers need to be warned].",
        "[Please|Can you] [tell me|confirm] what happens [next|now].",
    ),
)

_SETUP = Intent(
    name="product_setup_help",
    severity="low",
    weight=0.24,
    problems=(
        "How do I [set up|connect|reset] my {gadget}?",
        "[I can't work out|I'm struggling to figure out] how to [pair|connect] [the|my] {gadget} [to my phone|to the wifi|with the app].",
        "[Where|How] do I [find|download] the [manual|app|instructions] for the {gadget}?",
        "[It shows|I'm getting] [an error message|error code E2|an error code] [during set-up|when I try to pair it]. [What does it mean?|How do I get past it?]",
        "[Is there a way|Is it possible] to [turn off|change|adjust] the [beeping|display brightness|timer] on [my|the] {gadget}?",
    ),
    replies=(
        "You can find the manual and set-up videos on the product page under 'Support'.",
        "In the app, go to Devices > Add device and follow the steps; keep the {gadget} close to your router.",
    ),
    pushback=(
        "[The manual|The video] doesn't [cover|mention] that.",
        "[I couldn't find it|It's not] [there|on the page][.|, I looked.]",
        "[There's no|I can't see an] [Add device|Support] [button|option] in [my|the] app.",
    ),
    asks=(
        "[Thanks|Cheers|Thank you][!|.|]",
        "[Any help|Any tips] [appreciated|welcome][.|!|]",
    ),
)


def product_fault() -> Topic:
    """Products that fail, misbehave, arrive incomplete, or put someone at risk."""
    return Topic(
        name="product_fault",
        kind="complaint",
        intents=(_DEAD, _FLAKY, _PARTS, _HAZARD, _SETUP),
        details=(
            "[I bought it|It was bought] {date} [from your {city} store|online|as a present].",
            "[It's|It is] [only|barely] {days} days old.",
            "[I've|I have] [tried|already tried] [restarting it|a different socket|charging it overnight|resetting it].",
            "[It cost|I paid] {big_amount} for it[, so I expect it to work|].",
            "[The order number is|Order:|It was order] {order}.",
        ),
        pushback=(
            "[I've already tried|I already did] [that|restarting it|turning it off and on][, several times|, twice|].",
            "[It's still|Still] [not responding|dead|doing the same thing].",
            "[That made no difference|No difference|Didn't help][.|!|...]",
            "[I've followed|I did] [all|every one of] [the steps|the troubleshooting steps] [and nothing|and it's the same].",
            "[There's|There is] no [update|reset button|option like that] on [mine|this model].",
        ),
        bot=(
            "Have you tried restarting the {gadget}? Hold the power button for 10 seconds, then switch it back on.",
            "Please try a different [cable|plug socket] and make sure the {gadget} is fully charged.",
            "A factory reset often fixes this: press and hold the reset button for 15 seconds.",
            "Please check for a software update in the app, then try again.",
            "Could you tell me the model number and what you see on the screen?",
            "You can find the manual and set-up videos on the product page under 'Support'.",
        ),
        subjects=(
            "{gadget}[ problem| issue| query|]",
            "Order {order}",
            "[Help with|Question about] my {gadget}",
        ),
        route="technical_support",
    )
