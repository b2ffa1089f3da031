"""The model the live traffic is compared with: its version, reference profile and text features."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sklearn.pipeline import Pipeline

from ticketbuddy.scoring.lookup import load_pyfunc
from ticketbuddy.scoring.profile import Profile, load_reference

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Champion:
    """A loaded model version: what drift is measured against (reference None: trained before profiles)."""

    name: str
    version: str | None
    reference: Profile | None
    features: Pipeline

    def describe(self) -> str:
        """``ticket-escalation version 3`` for messages."""
        return f"{self.name} version {self.version}" if self.version else self.name


def load_champion(uri: str) -> Champion:
    """Load the model at ``uri`` and the reference profile logged on the run that trained it.

    Raises:
        ModelUnavailable: The model cannot be resolved or loaded (one line, names the store).

    """
    from mlflow import MlflowClient

    pyfunc, ref = load_pyfunc(uri)
    features = pyfunc.unwrap_python_model().model.features
    run_id = MlflowClient().get_model_version(ref.name, ref.version).run_id if ref.version else None
    reference = load_reference(run_id) if run_id else None
    if reference is None:
        log.warning(
            "%s has no reference profile (trained before monitoring): drift is not measured", ref.describe()
        )
    return Champion(ref.name, ref.version, reference, features)
