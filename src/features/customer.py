"""Customer value: what the customer is worth and how long they have stayed, missing values included.

Lifetime value and tenure are heavy-tailed, so they enter on a log scale. Every customer field may be
missing (a guest checkout, a new CRM); a missing value is imputed with the training median and flagged
with an indicator column, so "we do not know" is itself a signal the model can weigh.
"""

from __future__ import annotations

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from ticketbuddy.features.conversation import CUSTOMER_NUMERIC


def _log1p_nonnegative(values: np.ndarray) -> np.ndarray:
    return np.log1p(np.clip(values, 0, None))


def customer_value_features() -> ColumnTransformer:
    """Numeric customer fields (log, median-imputed with missing indicators, scaled) and tier one-hot.

    Unknown tiers at scoring time are ignored rather than refused: a new tier name in the CRM must not
    stop scoring. Expects the frame produced by ``TicketParser``.
    """
    numeric = Pipeline(
        [
            ("log", FunctionTransformer(_log1p_nonnegative, feature_names_out="one-to-one")),
            (
                "impute",
                SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
            ),
            ("scale", StandardScaler()),
        ]
    )
    tier = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
    channel = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
    return ColumnTransformer(
        [
            ("value", numeric, CUSTOMER_NUMERIC),
            ("tier", tier, ["tier"]),
            ("channel", channel, ["channel"]),
        ],
        verbose_feature_names_out=True,
    )
