"""Point MLflow at a test's own store for a while, then give the session's store back.

``mlflow.set_tracking_uri`` and ``set_registry_uri`` set process-wide globals *and* the environment
variables ``MLFLOW_TRACKING_URI`` / ``MLFLOW_REGISTRY_URI`` (``set_registry_uri(None)`` leaves the
variable behind), and ``scoring.tracking.configure`` calls both. A test that uses a store of its own
must therefore restore all four, or every later test reads and writes the wrong store.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

NAMES = ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")


@contextmanager
def own_store(uri: str) -> Iterator[str]:
    """MLflow's tracking and registry URIs (globals and variables) are ``uri`` inside, as before after."""
    import mlflow

    saved_env = {name: os.environ.get(name) for name in NAMES}
    saved = (mlflow.get_tracking_uri(), mlflow.get_registry_uri())
    os.environ["MLFLOW_TRACKING_URI"] = uri
    os.environ.pop("MLFLOW_REGISTRY_URI", None)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    try:
        yield uri
    finally:
        mlflow.set_tracking_uri(saved[0])
        mlflow.set_registry_uri(saved[1])
        for name, value in saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
