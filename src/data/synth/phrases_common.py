# ruff: noqa: E501  (phrase banks: one template per line reads better than split strings)
"""Phrase banks shared by every topic: greetings, feelings, threats, requests for a person, thanks.

Threats and requests for a person come in two forms: ``*_KEYWORD`` phrasings contain one of the
policy's trigger keywords ("post about this", "speak to a manager"), ``*_PLAIN`` ones say the same
thing without any ("everyone I know will hear about this"). Tests check the plain banks stay plain.
"""

from __future__ import annotations

GREETINGS = {
    "email": (
        "Hi,",
        "Hello,",
        "Dear Sir or Madam,",
        "Dear Customer Services,",
        "Good morning,",
        "Hi there,",
        "To whom it may concern,",
        "Hello Northfield team,",
        "Good afternoon,",
    ),
    "chat": ("hi", "hello", "hey", "Hi there", "", "", "Hiya", "Hello,"),
    "social": ("{handle}", "{handle}", "{handle} hey", ""),
    "phone": (
        "Hello, [I'm calling|I'm ringing|I'm phoning] [about an order|about a problem|because I need some help].",
        "[Hi|Yeah hi], [it's|this is] {first_name}[ calling|].",
    ),
    "web": ("", "", "Hello,", "Hi,"),
}

SIGN_OFFS = (
    "Thanks,\n{first_name}",
    "Kind regards,\n{name}",
    "Regards,\n{name}",
    "Many thanks,\n{first_name}",
    "Best,\n{first_name}",
    "Cheers,\n{first_name}",
    "Yours faithfully,\n{name}",
    "{name}",
    "Thanks,\n{first_name}\n\nSent from my iPhone",
    "Best wishes,\n{name}",
)

LOYALTY = (
    "[I've been|I have been] [shopping with you|a customer|a loyal customer] for {years} years[ and spent a fortune with you|].",
    "[I've|I have] spent [thousands|a small fortune|well over {big_amount}] with you [over the years|this year|since I joined].",
    "[As a|I'm a] [long-standing|loyal|regular] [customer|member][ of {years} years|], [I expected better|I'm shocked|this is not what I expect].",
    "[I order from you|We order from you] [every week|all the time|constantly][ for the business|].",
    "[I'm|I am] [one of your premium members|a Northfield Plus member|a member of your loyalty scheme][ and have been for {years} years|].",
    "[I've|I have] [always|never once] [recommended you|had a problem with you] [in {years} years|until now].",
)

PRIOR_CONTACT = (
    "[I contacted you|I emailed you|I spoke to someone] [about this|] {date}[ and nothing has happened|, and was promised a call back|].",
    "[This is|It's] the {nth} time I've [contacted you|written in|had to chase this].",
    "[I already|I've already] [raised this|reported this] [on chat|by email|over the phone] {date}.",
    "[Still|I'm still] waiting to hear back [about|on] [my last message|my previous complaint|case {order2}].",
)

REPEAT_CONTACT = (
    "[I've now sent|I've now written|That's] {n} messages [about this|now] and [nothing has been sorted|nobody has done anything|I'm no further forward].",
    "[This is|It's] my {nth} [message|reply|attempt] [and|but] [still nothing|I'm getting nowhere|it's the same answer].",
    "[I keep|I've been] [going round in circles|getting the same reply|asking the same question][ for days|].",
    "[How many times|How many more times] do I [have to|need to] [explain this|say this|ask]?",
    "[{n} messages|{n} days of messages] and [still|] [no one|nobody] has [sorted|dealt with|resolved] [anything|this].",
)

DEADLINE = (
    "[It was|It's] [for|meant for] {event}[ on {day}|, which is tomorrow|, which is today|].",
    "[I needed it|We need it] [for|by] {event}[ and now it's too late|, so time is running out|].",
    "[It was|This was] [a present|a gift] for {event}[ and it's not here|].",
    "[I|We] [specifically|deliberately] [ordered it in time|paid extra] for {event}.",
)

EMBARRASSED = (
    "[This is|It's] [so|really|incredibly] [embarrassing|mortifying|awkward][ - I'd promised it would be there|, I look like a fool|].",
    "[I've been left|I'm left] [looking stupid|red-faced|in a really awkward spot][ in front of everyone|].",
)

EMOTION = {
    -3: (
        "[This is|Frankly this is|Honestly, this is] [absolutely|completely|totally] [unacceptable|ridiculous|disgraceful|shocking].",
        "[I am|I'm] [livid|furious|fuming|absolutely raging].",
        "[Worst|The worst] [service|customer service|experience] I've [ever had|had in years].",
        "[I'm|I am] [sick and tired|fed up] of [this|being ignored|chasing you].",
        "[Disgusting|Appalling|Shambolic] [service|way to treat customers][.|!|!!]",
    ),
    -2: (
        "[This is|It's] [really|very|so] [frustrating|annoying|disappointing].",
        "[I'm|I am] [really|very|extremely] [disappointed|unhappy|let down].",
        "[Not impressed|Not happy] [at all|to be honest|with this].",
        "[I'm|I am] [getting|starting to get] [fed up|annoyed|frustrated] [now|with this].",
    ),
    -1: (
        "[It's|That's] [a bit|slightly|rather] [annoying|frustrating|disappointing].",
        "[Bit|A little] [disappointed|fed up][, to be honest|].",
        "[Not ideal|Not great][, really|].",
        "",
    ),
    0: ("", "", "[Thanks|Thank you] [in advance|].", "[Hope you can help|Appreciate any help]."),
    1: (
        "[Thanks|Thank you] [so much|very much|] [for your help|in advance][!|.|]",
        "[Hope you can help|Appreciate it][ :)|!|.]",
    ),
    2: ("[Thanks|Thank you] [so much|again][!|!!| :)]", "[Brilliant|Fantastic|Lovely] [service|stuff][!|.]"),
}

PUBLIC_KEYWORD = (
    "[I'm going to|I'll|I will] [post about this|put this] on [Twitter|Facebook|Instagram|TikTok] [if|unless] [I don't hear back|someone sorts this|this isn't fixed] [today|by tonight|soon].",
    "[I'll|I will] [leave a bad review|write a Trustpilot review|leave a review] [about this|everywhere I can].",
    "[Maybe|Perhaps] [the press|a journalist|the local newspaper] [would be interested|would like to hear] [in|about] [how you treat customers|this].",
    "[I'll|I will] [make this go viral|make sure this is all over social media].",
    "[Happy to|I'll happily] tell everyone [I know|online] [about this|how I've been treated].",
)
PUBLIC_PLAIN = (
    "[I'll|I will] be [sharing|telling] [my experience|this story] [online|with everyone I know|on every forum I can find].",
    "[Everyone|All my friends] [will hear about|are going to hear about] [this|how you've treated me].",
    "[I'll|I will] [make sure|see to it that] [people know|others know] [what sort of company you are|how you treat loyal customers].",
    "[Screenshots of this chat|This whole conversation] [will be going|is going] [online|public] [tonight|if it's not fixed].",
    "[My followers|The people who follow me] [will|are going to] [love|enjoy] [hearing about|reading about] this.",
)

LEGAL_KEYWORD = (
    "[I'll|I will] be [speaking to|contacting] my [solicitor|lawyer][ about this|].",
    "[I'm|I am] [prepared|ready] to [take legal action|go to small claims court|take you to court].",
    "[My|A] [lawyer|solicitor] [will be in touch|will be writing to you] [if this continues|next].",
)
LEGAL_PLAIN = (
    "[I'll|I will] [be taking this further|take this as far as I need to][ formally|].",
    "[You|Your company] [will be hearing|will hear] from [my representative|someone on my behalf].",
)

CHURN_KEYWORD = (
    "[I'll|I will] [never shop here again|never order again|take my business elsewhere].",
    "[I'm|I am] switching to [Amazon|another retailer|your competitor][ after this|].",
    "[Please|Just] [close my account|cancel my account][ when this is done|].",
)
CHURN_PLAIN = (
    "[That's|This is] the [last|final] order [I'll ever place|you'll get from me].",
    "[I'm done|We're done] [with you|with Northfield][ after this|].",
    "[You've|You have] lost a customer[ for good|].",
)

HUMAN_KEYWORD = (
    "[Can I|Can I please|I want to|I need to] [speak to a human|talk to a human|speak to someone|talk to someone|speak to a manager|speak to a real person].",
    "[Get me|Put me through to] [your manager|a supervisor|a real person][ please| now|].",
    "[A human please|Not a bot|Stop the bot][, please|!|.]",
)
HUMAN_PLAIN = (
    "[Is there|Can I get] [an actual person|a member of staff|a proper agent|an actual agent] [to look at this|I can talk to|to deal with this]?",
    "[I'd like|I want] [someone from your team|a member of your team|one of your staff] to [call me|ring me|phone me] [back|today|about this].",
    "[I don't want|I'm not interested in] [automated replies|canned answers|this automated service] any more.",
    "[Please|Can you] [pass this on|send this] to [your team|someone who can actually help|someone with authority].",
)

RESOLVED = (
    "[Thanks|Thank you|Cheers|Brilliant], that's [sorted it|done the trick|worked|fixed the problem][!|.| :)]",
    "[Oh|Ah] [great|perfect], [it's working now|that's done it|I can see it now]. [Thanks|Thank you][!|.]",
    "[OK|Ok|Okay] [that worked|that's sorted it], [thanks for your help|cheers|much appreciated].",
    "[Just|] [found|got] [it|the email|the answer] - [all good now|panic over|sorry to bother you].",
    "[Perfect|Great|Lovely], [that's all I needed|that answers it|makes sense][, thanks|].",
    "[That's|That has] [done it|worked], [thank you|thanks a lot][ {agent}|][!|.]",
)

IMPROVING = (
    "[OK|Okay|Ok], [thanks|thank you|cheers][ for that|]. [I'll check again on {day}.|I'll wait until {day} then.|I'll keep an eye on it.|]",
    "[OK|Right], that helps[ a bit|]. [I'll check again on {day}.|I'll wait and see.|]",
    "[Right|OK], [that makes sense|I'll try that|I'll give that a go][ now| tonight| on {day}|].",
    "[Fair enough|OK fine], [I'll wait|I'll check|thanks for explaining][ until {day}| for {days} days|].",
    "[That's|That is] [helpful|good to know], [thanks|cheers][ {agent}|]. [So it's {order} I need to watch?|Will I get an email?|]",
)

ASKS = (
    "[Please|Can you] [help|sort this out|get back to me][ asap| as soon as possible| today|].",
    "[What can you do|What are you going to do] [about it|to fix this]?",
    "[I look forward to|Looking forward to] [hearing from you|your reply].",
)

BOT_AFTER_PERSON_REQUEST = (
    "I'm here to help and can sort most things straight away. Could you tell me a bit more?",
    "I understand. Let me check what I can do for you first - could you confirm your order number?",
)
BOT_CLOSING = (
    "Glad that helped! Is there anything else I can do?",
    "You're welcome, have a lovely day!",
    "Great, thanks for letting us know.",
)
AGENT_OPENERS = (
    "Hi {first_name}, this is {agent} from the customer care team.",
    "Hello {first_name}, {agent} here from Northfield customer services.",
    "Thanks for your patience {first_name}, it's {agent} here.",
)
SOCIAL_TAGS = {
    "complaint": ("#customerservice", "#fail", "#northfield", "#notimpressed", "#help"),
    "question": ("#northfield", "#help", "#question"),
    "praise": ("#northfield", "#happycustomer", "#thankyou"),
}
