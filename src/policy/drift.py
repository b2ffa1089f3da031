"""Whether the policy in force agrees with the trigger keywords a model was trained with.

A model learns from the policy's keyword families (they are features). Served with a policy whose
keywords differ, it still scores, but the trigger features then count other words than those it
learned from: the difference is worth a warning, by name, not a refusal.

Example:
    >>> keyword_differences({"legal": ["lawyer"]}, {"legal": ["lawyer", "sue"], "safety": ["fire"]})
    ["family 'legal': the policy adds 'sue'", "family 'safety': in the policy, not in the model"]
    >>> families_digest({"legal": ["lawyer"]}) == families_digest({"legal": ["lawyer"]})
    True

"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ticketbuddy.policy.model import Policy

Families = Mapping[str, Sequence[str]]


def families_digest(families: Families) -> str:
    """A short, order-independent SHA-256 of keyword families, recorded with a trained model."""
    canonical = {name: sorted(words) for name, words in sorted(families.items())}
    return hashlib.sha256(json.dumps(canonical, sort_keys=True).encode("utf-8")).hexdigest()[:16]


def triggers_digest(policy: Policy) -> str:
    """``families_digest`` of what decides what fires: keywords, examples, thresholds, vetoes, others."""
    families: dict[str, list[str]] = {
        name: [
            *family.keywords,
            *family.examples,
            *family.not_examples,
            f"threshold={family.threshold}",
            f"min_similarity={family.min_similarity}",
            f"no_family_veto={policy.family_veto(name)}",
            *([f"keyword_min_score={bar}"] if (bar := policy.family_keyword_bar(name)) else []),
            *(
                [f"veto_min_sentiment={calm}"]
                if (calm := policy.no_family_veto_min_sentiment) is not None
                else []
            ),
        ]
        for name, family in policy.triggers.items()
    }
    families["(others)"] = list(policy.other_examples)
    return families_digest(families)


def keyword_differences(trained: Families, serving: Families) -> list[str]:
    """What differs between the families a model was trained with and the policy's, one line each."""
    notes = []
    for name in sorted(set(trained) | set(serving)):
        if name not in serving:
            notes.append(f"family {name!r}: in the model, not in the policy")
        elif name not in trained:
            notes.append(f"family {name!r}: in the policy, not in the model")
        else:
            notes += _word_changes(name, set(trained[name]), set(serving[name]))
    return notes


def _word_changes(name: str, trained: set[str], serving: set[str]) -> list[str]:
    changes = []
    if added := sorted(serving - trained):
        changes.append(f"family {name!r}: the policy adds {', '.join(map(repr, added))}")
    if dropped := sorted(trained - serving):
        changes.append(f"family {name!r}: the policy drops {', '.join(map(repr, dropped))}")
    return changes
