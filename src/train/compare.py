"""Comparing variants of the model on the same split, each logged as its own MLflow run.

Variants change the head (linear, gradient-boosted) or the text the embedding reads (customer turns,
all turns, the last k turns); one parent run groups them, so the choice is visible in the UI.
"""

from __future__ import annotations

import time
from pathlib import Path

from tqdm import tqdm

from ticketbuddy.features.embedding_cache import embedding_cache
from ticketbuddy.features.folds import parallel_folds
from ticketbuddy.policy.model import load_policy
from ticketbuddy.scoring.tracking import ensure_experiment
from ticketbuddy.train.baselines import evaluate_keywords, evaluate_tfidf
from ticketbuddy.train.evaluate import evaluate
from ticketbuddy.train.params import Params
from ticketbuddy.train.runs import log_evaluation
from ticketbuddy.train.train import fit_model, load_labelled, split


def compare(
    data: str | Path, params: Params, test_data: str | Path | None = None, experiment: str | None = None
) -> dict[str, dict[str, float]]:
    """Train and evaluate every variant in ``params.compare``; return each variant's figures.

    The parent run holds the baselines (fitted once on the same split); each child run holds one
    variant's parameters, figures and plots. Nothing is registered: the chosen settings go into
    ``params.yaml`` and through ``ticketbuddy train``.
    """
    import mlflow

    policy = load_policy()
    results: dict[str, dict[str, float]] = {}
    with embedding_cache(), parallel_folds():
        train_set, test_set = split(load_labelled(data), load_labelled(test_data) if test_data else None,
                                    params.train)  # fmt: skip
        experiment_id = ensure_experiment(experiment or params.compare.experiment)
        with mlflow.start_run(experiment_id=experiment_id, run_name="compare"):
            variants = params.compare.variants
            for i, variant in enumerate(variants, start=1):
                tqdm.write(f"[{i}/{len(variants)}] {variant.name}: fitting and evaluating")
                settings = params.variant(variant)
                started = time.perf_counter()
                model = fit_model(train_set, settings)
                seconds = time.perf_counter() - started
                evaluation = evaluate(model, test_set, policy)
                with mlflow.start_run(experiment_id=experiment_id, run_name=variant.name, nested=True):
                    mlflow.log_params(Params(train=settings).flat())
                    mlflow.log_param("variant", variant.name)
                    log_evaluation(evaluation)
                    mlflow.log_metric("fit_seconds", seconds)
                results[variant.name] = {**evaluation.metrics, "fit_seconds": seconds}
                headline = _headline(evaluation.metrics)
                tqdm.write(f"[{i}/{len(variants)}] {variant.name}: {headline} (fitted in {seconds:.0f} s)")
            tqdm.write("baselines: TF-IDF + logistic regression, the policy's keywords")
            baselines: dict[str, dict[str, float]] = {
                "tfidf_lr": evaluate_tfidf(train_set, test_set, params.train.threshold)[0],
                "keyword_rules": evaluate_keywords(test_set, policy.keyword_families())[0],
            }
            for name, figures in baselines.items():
                mlflow.log_metrics({f"baseline_{name}_{k}": v for k, v in figures.items()})
                results[f"baseline:{name}"] = figures
            mlflow.set_tag("variants", ", ".join(v.name for v in params.compare.variants))
            mlflow.log_dict(results, "comparison.json")
    return results


def _headline(metrics: dict[str, float]) -> str:
    """The figures a person compares variants by, on one line."""
    return "  ".join(f"{k}={metrics[k]:.3f}" for k in ("pr_auc", "recall_at_80_kept", "ece") if k in metrics)
