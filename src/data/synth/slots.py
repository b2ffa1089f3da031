"""Slot values for the phrase banks: order numbers, amounts, products, dates, places and names.

Values are drawn once per ticket so every turn of a conversation talks about the same order and the
same product. None of them feeds the labels: changing an order number or a name never changes whether
a ticket needed a human, which is a property the escalation model is tested on.
"""

from __future__ import annotations

import random

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")  # fmt: skip
_CITIES = {
    "uk": ("London", "Manchester", "Leeds", "Birmingham", "Glasgow", "Bristol", "Liverpool",
           "Edinburgh", "Cardiff", "Sheffield", "Newcastle", "Nottingham", "Brighton", "Leicester",
           "York", "Belfast", "Oxford", "Cambridge", "Norwich", "Exeter", "Milton Keynes", "Bath"),
    "us": ("Chicago", "Austin", "Seattle", "Boston", "Denver", "Atlanta", "Phoenix", "Portland",
           "Miami", "Dallas", "San Diego", "Philadelphia", "Columbus", "Nashville", "Brooklyn",
           "Minneapolis", "Charlotte", "Sacramento", "Pittsburgh", "Tampa"),
}  # fmt: skip
_COURIERS = {
    "uk": ("Royal Mail", "DPD", "Evri", "DHL", "Yodel", "Parcelforce", "the courier"),
    "us": ("UPS", "FedEx", "USPS", "DHL", "OnTrac", "the carrier", "the courier"),
}
_FIRST = ("Sarah", "James", "Priya", "Tom", "Aisha", "Daniel", "Emma", "Mohammed", "Chloe", "Liam",
          "Olivia", "Jack", "Fatima", "Ryan", "Sophie", "Kwame", "Hannah", "Marco", "Grace", "Ben",
          "Zoe", "Raj", "Megan", "Luis", "Ella", "Connor", "Mei", "Nathan", "Isla", "Omar", "Ruth",
          "Dylan", "Keisha", "Patrick", "Anya", "Sam", "Leah", "Callum", "Maria", "Joel")  # fmt: skip
_LAST = ("Smith", "Patel", "Jones", "Okafor", "Williams", "Brown", "Khan", "Taylor", "Nguyen",
         "Murphy", "Garcia", "Evans", "Chen", "Walker", "Hughes", "Rossi", "Ali", "Wright",
         "Kowalski", "Roberts", "O'Neill", "Davies", "Martinez", "Thompson", "Campbell")  # fmt: skip
_AGENTS = ("Jess", "Mark", "Amira", "Chris", "Nadia", "Paul", "Lucy", "Dev", "Holly", "Sean")
_GADGETS = ("Aria X2 headphones", "SoundPod speaker", "air fryer", "robot vacuum", "smart watch",
            "coffee machine", "electric toothbrush", "hair dryer", "laptop", "tablet", "kettle",
            "toaster", "games console", "e-reader", "fitness tracker", "baby monitor", "blender",
            "electric heater", "video doorbell", "Pulse 3 earbuds", "Nimbus 14 laptop",
            "Vega smart TV", "food processor", "stand mixer", "wireless router")  # fmt: skip
_GOODS = ("sofa", "winter coat", "trainers", "bedding set", "dining chairs", "rug", "dress", "lamp",
          "cookware set", "suitcase", "desk chair", "garden furniture", "perfume gift set", "jeans",
          "wardrobe", "mattress", "kids' bike", "curtains", "dinner set", "bookcase")  # fmt: skip
_EVENTS = ("my daughter's birthday", "my son's birthday", "a client meeting", "a wedding",
           "our anniversary", "a team event at work", "Christmas", "my mum's 70th", "a client event",
           "a leaving do at work", "a work presentation", "a charity event",
           "my partner's birthday", "a trip abroad", "a christening", "a launch event")  # fmt: skip
_HANDLES = ("@Northfield", "@NorthfieldHelp", "@northfield_uk", "@NorthfieldCares")
_CODES = ("SPRING20", "WELCOME10", "SAVE15", "VIP25", "FREESHIP", "SUMMER30", "BDAY10", "EXTRA5")
_ORDINALS = ("second", "third", "fourth", "fifth", "sixth")
_NUMBER_WORDS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def _order_id(rng: random.Random) -> str:
    style = rng.random()
    if style < 0.4:
        return f"#{rng.randrange(10_000_000, 99_999_999)}"
    if style < 0.7:
        return f"NF-{rng.randrange(100_000, 999_999)}"
    if style < 0.9:
        return f"{rng.randrange(1_000_000_000, 9_999_999_999)}"
    letters = "".join(rng.choice("ABCDEFGHJKLMNQRSTUVWXYZ") for _ in range(2))
    return f"{letters}{rng.randrange(10_000, 99_999)}"


def _amount(rng: random.Random, symbol: str, median: float) -> str:
    value = rng.lognormvariate(0.0, 0.8) * median
    if rng.random() < 0.3:
        return f"{symbol}{max(1, round(value))}"
    return f"{symbol}{max(0.99, value):,.2f}"


def _date(rng: random.Random, locale: str) -> str:
    day, month = rng.randint(1, 28), rng.choice(_MONTHS)
    style = rng.random()
    if style < 0.3:
        return rng.choice(_WEEKDAYS)
    if style < 0.55:
        return f"{day} {month}" if locale == "uk" else f"{month} {day}"
    if style < 0.75:
        suffix = {1: "st", 2: "nd", 3: "rd", 21: "st", 22: "nd", 23: "rd"}.get(day, "th")
        return f"the {day}{suffix}"
    if style < 0.9:
        first, second = (day, rng.randint(1, 12)) if locale == "uk" else (rng.randint(1, 12), day)
        return f"{first:02d}/{second:02d}"
    return rng.choice(("last week", "last Monday", "the weekend", "a fortnight ago", "yesterday"))


def _number(rng: random.Random, low: int, high: int) -> str:
    value = rng.randint(low, high)
    return _NUMBER_WORDS[value - 1] if rng.random() < 0.4 and value <= 10 else str(value)


def make_slots(
    rng: random.Random, locale: str, first_name: str, last_name: str, tenure_days: float
) -> dict[str, str]:
    """Draw every slot value a ticket's templates may ask for.

    Args:
        rng: The generator's random source (consumed in a fixed order, for reproducibility).
        locale: ``uk`` or ``us``: currency, cities, carriers and date style follow it.
        first_name: The customer's first name, for sign-offs.
        last_name: The customer's surname.
        tenure_days: True tenure, so "I've been with you for N years" agrees with the profile.

    Returns:
        Slot name to text, e.g. ``{"order": "#48213377", "amount": "£49.99", ...}``.

    """
    symbol = "£" if locale == "uk" else "$"
    city = rng.choice(_CITIES[locale])
    years = max(1, round(tenure_days / 365))
    gadget = rng.choice(_GADGETS)
    return {
        "order": _order_id(rng),
        "order2": _order_id(rng),
        "amount": _amount(rng, symbol, 45.0),
        "big_amount": _amount(rng, symbol, 400.0),
        "gadget": gadget,
        "goods": gadget if rng.random() < 0.4 else rng.choice(_GOODS),
        "date": _date(rng, locale),
        "day": rng.choice(_WEEKDAYS),
        "city": city,
        "city2": rng.choice(_CITIES[locale]),
        "courier": rng.choice(_COURIERS[locale]),
        "days": str(rng.randint(2, 21)),
        "n": _number(rng, 2, 6),
        "nth": rng.choice(_ORDINALS),
        "years": _number(rng, years, years) if rng.random() < 0.7 else str(years),
        "first_name": first_name,
        "name": f"{first_name} {last_name}",
        "agent": rng.choice(_AGENTS),
        "event": rng.choice(_EVENTS),
        "handle": rng.choice(_HANDLES),
        "code": rng.choice(_CODES),
        "last4": f"{rng.randrange(10_000):04d}",
        "email": f"{first_name.lower()}.{last_name.lower().replace(chr(39), '')}{rng.randint(1, 99)}"
        f"@{rng.choice(('gmail.com', 'outlook.com', 'yahoo.com', 'icloud.com', 'hotmail.co.uk'))}",
        "time": rng.choice(("9am", "10am", "9:30", "8am", "11am", "10:30am")),
        "close": rng.choice(("5pm", "6pm", "8pm", "4pm", "9pm", "5:30pm")),
        "symbol": symbol,
    }


def person_name(rng: random.Random) -> tuple[str, str]:
    """A first name and a surname for a new customer."""
    return rng.choice(_FIRST), rng.choice(_LAST)
