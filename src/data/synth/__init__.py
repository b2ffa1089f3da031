"""Synthetic labelled ticket histories: ``ticketbuddy data synth`` and ``ticketbuddy data profile``.

The generator draws each ticket's hidden facts (``scenario``), labels them with a hidden process
(``labels``) and only then writes the conversation (``conversation``), so the text carries the signal
without carrying the label. ``profile`` describes any labelled history, generated or imported.

Example:
    >>> from ticketbuddy.data.synth import config_from_dict, generate
    >>> ticket = next(generate(config_from_dict({}), 1, seed=3))
    >>> sorted(ticket)[:3]
    ['channel', 'created_at', 'customer']

"""

from ticketbuddy.data.synth.config import SynthConfig, config_from_dict, load_settings
from ticketbuddy.data.synth.generate import generate, write_history

__all__ = ["SynthConfig", "config_from_dict", "generate", "load_settings", "write_history"]
