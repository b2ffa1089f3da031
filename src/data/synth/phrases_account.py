# ruff: noqa: E501  (phrase banks: one template per line reads better than split strings)
"""Phrase banks for account security and for legal or regulatory matters.

Both go to specialist teams, and both are written partly without the policy's trigger words ("orders
on my account I never placed", "send me a copy of everything you hold about me").
"""

from __future__ import annotations

from ticketbuddy.data.synth.bank import Intent, Topic

_LOCKED = Intent(
    name="account_locked_out",
    severity="mild",
    weight=0.34,
    problems=(
        "I [can't log in|can't sign in|am locked out of my account][ on the app| on the website|].",
        "[The password reset email|The reset link] [never arrives|doesn't work|has expired every time].",
        "[My account|The account] [has been|got] [locked|suspended|disabled] [for no reason|after I tried to log in].",
        "[I'm not getting|I don't receive] the [verification code|security code|text message] [to log in|].",
        "[It keeps saying|It says] my [password|email] is [wrong|not recognised] [but it's definitely right|even after a reset].",
        "[I keep getting|It shows] [an error message|an error code] [when I log in|at sign-in|on the app].",
    ),
    asks=(
        "[Can you|Could you] [unlock it|help me get back in|reset it for me]?",
        "[How do I|What do I do to] get [back into|access to] my account?",
    ),
)

_TAKEOVER = Intent(
    name="account_takeover",
    severity="severe",
    weight=0.22,
    flag="fraud",
    problems=(
        "[I think|I believe] my account [has been hacked|was hacked][ last night|].",
        "[Someone else logged in|Someone has logged into] my account [and changed my email|and placed orders].",
        "[There are|I can see] orders on my account [that I never placed|I didn't place|I know nothing about].",
        "[My email address|My password|My delivery address] [was changed|has been changed] [and it wasn't me|without my permission].",
        "[I got|I received] [an email|a text] [saying|that] my password was changed[, which I didn't do|].",
        "[Someone|A stranger] [has been using|is using] my account [to order|to buy] {goods}.",
        "[There's a|A] new [device|phone] [is|has been] signed in to my account [from another country|that isn't mine].",
    ),
    pushback=(
        "[That's not the point|That doesn't explain it], [someone else|a stranger] [has been in my account|used my card].",
        "[I didn't|I never] [place|make|authorise] [that order|that payment|any of this][.|!]",
    ),
    subjects=("[Suspicious activity|Someone in my account|Account hacked]",),
    asks=(
        "[Please|Can you] [lock my account|cancel those orders|stop any orders] [now|immediately|right away].",
        "[I need|I want] [to know what's been bought|those orders cancelled] [straight away|today].",
    ),
)

_CHARGE = Intent(
    name="account_unknown_charge",
    severity="severe",
    weight=0.2,
    flag="fraud",
    problems=(
        "[There's|I've got] a [payment|charge] of {big_amount} [to you|from Northfield] [that I didn't make|that wasn't me|I don't recognise].",
        "[My card|My card ending {last4}] [was used|has been charged] for [an order|orders] I [didn't|never] [place|make].",
        "[This looks like|I think this is] [fraud|a scam] - [a charge|an order] [of {big_amount}|] [I know nothing about|that isn't mine].",
        "[I did not make this purchase|I didn't make this purchase]: {big_amount} {date}.",
        "[My bank|The bank] [flagged|rang me about] [a payment|an order] to you [of {big_amount}|] [that I never made|I don't recognise].",
        "[An|There's an] unauthorised [payment|transaction] [on my card|of {big_amount}] [to|from] you.",
    ),
    pushback=(
        "[That's not the point|That doesn't explain it], [someone else|a stranger] [has been in my account|used my card].",
        "[I didn't|I never] [place|make|authorise] [that order|that payment|any of this][.|!]",
    ),
    subjects=("[Unknown|Unrecognised] [payment|charge]",),
    asks=(
        "[I want|I need] [the money returned|this reversed] and [the order stopped|my card removed].",
        "[Please|Can you] [investigate|look into this] [now|urgently|straight away].",
    ),
)

_DETAILS = Intent(
    name="account_change_details",
    severity="low",
    weight=0.24,
    problems=(
        "How do I [change|update] [my email address|my delivery address|my phone number|my password]?",
        "[I need to|Can I] [update|change] the [email|address] on my account[ to {email}|]?",
        "[I've moved|We've moved] [house|to {city}] - [how do I|can I] change my [address|default address]?",
        "[Can you|Could you] [update|change] my [phone number|name|billing address] [on the account|for me][ please|]?",
    ),
    replies=(
        "You can update your details any time under Account settings > Personal details.",
        "To change your email address, sign in and go to Account settings; we'll send a link to confirm it.",
    ),
    asks=("[Thanks|Thank you][.|!|]",),
)


def account_security() -> Topic:
    """Lock-outs, account takeovers, unrecognised charges and detail changes."""
    return Topic(
        name="account_security",
        kind="complaint",
        intents=(_LOCKED, _TAKEOVER, _CHARGE, _DETAILS),
        details=(
            "[My account email is|The email on the account is] {email}.",
            "[I've|I have] [already|] [changed my password|reset my password|called my bank].",
            "[It happened|I noticed] {date}.",
            "[I'm|I am] [really worried|quite anxious|worried sick] about [my card details|my data|this].",
        ),
        pushback=(
            "[I've done that|Done that already] [and it still doesn't work|, no luck].",
            "[There is no email|Nothing in spam|Nothing arrives][.|!|...]",
            "[I can't|I'm unable to] [get in|sign in] to do that[, that's the whole problem|].",
        ),
        bot=(
            "You can reset your password from the sign-in page using 'Forgot password'.",
            "For your security, please sign out of all devices from Account settings and change your password.",
            "Please check your spam folder for the verification email; it can take a few minutes to arrive.",
            "Could you confirm the email address you use to sign in, so I can check the account?",
        ),
        subjects=("[Account|Login] [problem|issue|query]", "My account", "Account help"),
        route="trust_safety",
    )


_DATA = Intent(
    name="legal_data_request",
    severity="moderate",
    weight=0.3,
    flag="regulatory",
    problems=(
        "[I'm making|This is] a [subject access request|GDPR request] for [all the data|all personal data] you hold on me.",
        "[Please send me|I want] a copy of [all the personal information|everything] you [hold|store|keep] about me.",
        "[I want|I'd like] [my data deleted|you to delete my account and all my details|all my personal information erased].",
        "[Why|How] do you have my [phone number|details] when I [never gave it to you|never agreed to that]?",
        "[Stop|Please stop] [sending me marketing|emailing me|texting me] - I [unsubscribed|opted out] {date}.",
        "[Under data protection law|Under GDPR] [I'm asking you to|please] [erase|delete] [my data|my records].",
    ),
    subjects=("[Subject access request|Data request|Data deletion request]",),
    asks=(
        "[Please|Kindly] [confirm|acknowledge] [receipt of this request|that you've received this] in writing.",
        "[I expect|I'd like] a [full|complete] response within [one month|30 days].",
    ),
)

_LEGAL = Intent(
    name="legal_threat",
    severity="severe",
    weight=0.3,
    flag="legal",
    problems=(
        "[If this isn't resolved|Unless this is sorted] [by {day}|within {days} days], [I will|I'll] [be taking legal action|speak to my solicitor|see you in small claims court].",
        "[My solicitor|My lawyer] [has advised me to|says I should] [write to you|put this in writing] [about order {order}|about the {big_amount}].",
        "[This is|Consider this] a letter before action [regarding|about] [order {order}|the {big_amount} you owe me].",
        "[I'll|I will] be taking this further[ through the proper channels|, formally|] [if you don't pay me back|unless I get my {big_amount} back].",
        "[I've|I have] [spoken to|instructed] [an attorney|a lawyer] and [we'll be filing|I'll be filing] [a claim|a lawsuit] [against you|].",
        "[You|Your company] [will be hearing|will hear] from [my representative|someone acting for me] [about|regarding] [this|order {order}].",
    ),
    asks=(
        "[I expect|I want] [a full response|my money] [within {days} days|by {day}].",
        "[Please|Kindly] [pass this to|forward this to] [whoever deals with complaints|your complaints department].",
    ),
)

_REGULATOR = Intent(
    name="legal_regulator_complaint",
    severity="severe",
    weight=0.2,
    flag="regulatory",
    problems=(
        "[I'm going to|I will] [report you to|complain to] [trading standards|the ombudsman|the regulator][ about this|].",
        "[I've|I have] [already|] [started|filed] a complaint with [my bank|the card company|Citizens Advice] [about this|].",
        "[You've|You have] [breached|broken] [consumer law|my statutory rights|the law] [here|with this|].",
        "[This will be going to|I'm sending this to] the [Financial Ombudsman|FCA|CFPB|consumer protection people] [next|today].",
    ),
    asks=(
        "[Give me|I want] [a final response|your final answer] [in writing|by {day}].",
        "[Please|Kindly] [confirm|tell me] your [complaints process|formal complaints address].",
    ),
)

_RIGHTS = Intent(
    name="legal_rights_claim",
    severity="moderate",
    weight=0.2,
    problems=(
        "Under the Consumer Rights Act [I'm entitled to|I have the right to] [a full refund|a repair or replacement].",
        "[The item|It] is [not fit for purpose|not as described] and [I'm entitled to|I have a right to] [a repair|a replacement|my money back].",
        "[It's|It is] [only|just] {days} days [old|since delivery] and [the law|my statutory rights] [say|says] you have to [put it right|replace it].",
        "[Your terms|Your returns policy] [can't|cannot] [override|take away] my [legal|statutory] rights.",
    ),
    asks=(
        "[Please|Kindly] [confirm|tell me] how you'll [put this right|honour this].",
        "[I expect|I want] [a remedy|this resolved] [within {days} days|promptly].",
    ),
)


def legal_regulatory() -> Topic:
    """Data-protection requests, legal threats, regulator complaints and statutory-rights claims."""
    return Topic(
        name="legal_regulatory",
        kind="complaint",
        intents=(_DATA, _LEGAL, _REGULATOR, _RIGHTS),
        details=(
            "[My account email is|The email on the account is] {email}.",
            "[This relates to|This concerns|Reference:] order {order}.",
            "[I've kept|I have kept] [copies of|records of] [every message|all our correspondence].",
            "[I first|I originally] [raised this|complained] {date}.",
        ),
        pushback=(
            "[I'm not interested in|I don't want] [the FAQ|an automated answer|a link].",
            "[Please|Kindly] [confirm|acknowledge] [receipt of|that you have received] [this request|my complaint] in writing.",
            "[That doesn't|That does not] [address|deal with] [my request|what I wrote].",
        ),
        bot=(
            "I can help with that. Could you tell me a bit more about the issue?",
            "You can read our privacy notice and request a copy of your data from Account settings.",
            "I'm sorry to hear you're unhappy. Could you share your order number so I can look into it?",
        ),
        subjects=("[Formal complaint|Complaint][ - order {order}|]", "Re: [my account|order {order}]"),
        route="legal_compliance",
    )
