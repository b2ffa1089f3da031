"""A retrain gives the same model whatever the number of processes its folds run in.

``features.folds.parallel_folds`` runs cross-validation folds in worker processes and every fit's BLAS
on one thread; a model fitted with one job and with two must be the same, to the last bit.
"""

from __future__ import annotations

import numpy as np
import pytest
from threadpoolctl import threadpool_info

from ticketbuddy.features.conversation import tickets_to_frame
from ticketbuddy.features.folds import fold_jobs, parallel_folds
from ticketbuddy.settings import TrainingSettings
from ticketbuddy.train.params import CalibrationParams, TrainParams
from ticketbuddy.train.train import fit_model, load_labelled

pytestmark = pytest.mark.slow


def _fitted(tickets, jobs: int):
    with parallel_folds(TrainingSettings(train_jobs=jobs, _env_file=None)) as used:
        assert used == jobs == fold_jobs()
        assert all(pool["num_threads"] == 1 for pool in threadpool_info() if pool["user_api"] == "blas")
        return fit_model(tickets, TrainParams(calibration=CalibrationParams(cv=3)))


def test_one_job_and_two_give_the_same_model(histories):
    tickets = load_labelled(histories[0])[:700]
    held_out = tickets_to_frame(load_labelled(histories[1])[:200])
    one, two = _fitted(tickets, 1), _fitted(tickets, 2)
    assert np.array_equal(one.classifier.oof_proba_, two.classifier.oof_proba_)
    assert one.threshold == two.threshold
    first, second = one.predict(held_out), two.predict(held_out)
    assert np.array_equal(first["probability"].to_numpy(), second["probability"].to_numpy())
    assert first["route"].tolist() == second["route"].tolist()
    assert np.array_equal(first["route_confidence"].to_numpy(), second["route_confidence"].to_numpy())
    assert first["priority"].tolist() == second["priority"].tolist()
    assert one.info["route_features"] == two.info["route_features"]
