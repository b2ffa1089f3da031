"""The escalation model as an MLflow pyfunc: self-contained, offline, loadable by any MLflow consumer.

Why a custom pyfunc rather than the sklearn flavour: the pipeline holds TicketBuddy's own transformers,
which the skops format refuses unless each is listed as trusted, and it needs the sentence-transformers
weights beside it. The logged model therefore carries three things: the fitted ``EscalationModel``
(joblib), a copy of the encoder (the int8 ONNX all-MiniLM-L6-v2), and the ``ticketbuddy`` source, so
``mlflow.pyfunc.load_model`` or ``spark_udf`` can score raw tickets on a machine with no network.
Loading joblib means trusting the artifact store, as with any pickled model.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import tempfile
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

import joblib
import mlflow
import pandas as pd
from mlflow.models import ModelSignature
from mlflow.pyfunc import PythonModel
from mlflow.types.schema import ColSpec, Schema

from ticketbuddy.features.conversation import CUSTOMER_NUMERIC, tickets_to_frame
from ticketbuddy.features.pipeline import text_embedder
from ticketbuddy.model import EscalationModel
from ticketbuddy.schemas import Ticket

_RUNTIME_PACKAGES = [
    "scikit-learn",
    "pandas",
    "numpy",
    "joblib",
    "vaderSentiment",
    "pydantic",
    "PyYAML",
    "mlflow",
]
_BACKEND_PACKAGES = {
    "onnx": ["onnxruntime", "tokenizers"],
    "torch": ["torch", "sentence-transformers", "transformers"],
}


class EscalationPyfunc(PythonModel):
    """Wraps ``EscalationModel`` for MLflow: ticket frame in, probability and decision out."""

    def load_context(self, context: Any) -> None:
        """Load the fitted model and point its embedding at the encoder stored with it."""
        self.model: EscalationModel = joblib.load(context.artifacts["model"])
        self.model.use_encoder_at(context.artifacts["encoder"])

    # A DataFrame hint is one MLflow infers no schema from: the signature below stays the schema, and
    # MLflow does not warn, at every import and load, that a hint is missing.
    def predict(
        self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None
    ) -> pd.DataFrame:
        """Probability, decision, threshold, learned route and priority, and contributions for each row."""
        return self.model.predict(pd.DataFrame(model_input))


#: The input example logged with the model (``input_example.json``, ``serving_input_example.json``): a
#: made-up ticket, never a training row, so that whoever may read the registry reads no customer's words.
EXAMPLE_TICKET = Ticket.model_validate(
    {
        "ticket_id": "example-1",
        "channel": "chat",
        "created_at": "2026-01-01T09:00:00Z",
        "customer": {"customer_id": "example-customer", "tier": "gold", "lifetime_value": 480.0,
                     "tenure_days": 700, "orders_12m": 4, "prior_escalations": 0},
        "messages": [
            {"role": "customer", "text": "My parcel was due last week and the tracking has not moved."},
            {"role": "bot", "text": "Sorry about that. Tracking can take a few days to update."},
            {"role": "customer", "text": "This is the third time I ask. I want a refund or a manager."},
        ],
    }
)  # fmt: skip


def input_example() -> pd.DataFrame:
    """The made-up ``EXAMPLE_TICKET`` as the model's one-row input frame."""
    return tickets_to_frame([EXAMPLE_TICKET])


def signature() -> ModelSignature:
    """Input: the flat ticket frame (customer fields optional). Output: the prediction frame.

    ``contributions`` is a JSON object in a string (feature group → contribution to the head's raw
    score), so the output schema stays flat columns of scalars whatever groups a model has.
    """
    optional_text = ["created_at", "subject", "customer_id", "tier"]
    inputs = Schema(
        [
            ColSpec("string", "ticket_id"),
            ColSpec("string", "channel"),
            *[ColSpec("string", name, required=False) for name in optional_text],
            *[ColSpec("double", name, required=False) for name in CUSTOMER_NUMERIC],
            ColSpec("string", "messages"),
        ]
    )
    outputs = Schema(
        [
            ColSpec("string", "ticket_id"),
            ColSpec("double", "probability"),
            ColSpec("boolean", "escalate"),
            ColSpec("double", "threshold"),
            ColSpec("string", "route"),
            ColSpec("double", "route_confidence"),
            ColSpec("string", "priority"),
            ColSpec("double", "priority_confidence"),
            ColSpec("string", "contributions"),
        ]
    )
    return ModelSignature(inputs=inputs, outputs=outputs)


def pip_requirements(backend: str = "onnx") -> list[str]:
    """Exact versions of the libraries the model needs to score, read from this environment."""
    pins = []
    for name in [*_RUNTIME_PACKAGES, *_BACKEND_PACKAGES[backend]]:
        version = metadata.version(name).split("+")[0]
        pins.append(f"{name}=={version}")
    return pins


def _package_source(workdir: Path) -> Path:
    """A copy of the ``ticketbuddy`` source named as the package, for ``code_paths``."""
    import ticketbuddy

    target = workdir / "ticketbuddy"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(Path(ticketbuddy.__file__).parent, target, ignore=ignore)
    return target


def log_escalation_model(model: EscalationModel, registered_name: str | None = None) -> Any:
    """Log ``model`` to the active run (and register it when ``registered_name`` is given).

    The input example is the made-up ``EXAMPLE_TICKET``, whatever the model was trained on.

    Returns:
        MLflow's ``ModelInfo``; its ``registered_model_version`` is set when registered.

    """
    embedder = text_embedder(model.features)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        model_file = workdir / "escalation_model.joblib"
        joblib.dump(model, model_file)
        with _quiet("mlflow.pyfunc"):
            return mlflow.pyfunc.log_model(
                name="model",
                python_model=EscalationPyfunc(),
                artifacts={"model": str(model_file), "encoder": str(embedder.encoder_path())},
                code_paths=[str(_package_source(workdir))],
                signature=signature(),
                input_example=input_example(),
                pip_requirements=pip_requirements(embedder.backend),
                registered_model_name=registered_name,
            )


@contextlib.contextmanager
def _quiet(logger_name: str) -> Iterator[None]:
    """Only errors from ``logger_name`` meanwhile.

    MLflow warns, on every model logged, that the python_model object is pickled with CloudPickle:
    by design here (see the module docstring), and nothing a user can act on.
    """
    logger = logging.getLogger(logger_name)
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)
