"""Checks that TicketBuddy learns from real human labels, not only from our own generator.

The synthetic history is written by us, so doing well on it could mean learning our own phrasing. Two
public, human-labelled data sets check the parts that matter on real customer text:

* **routes** — CFPB complaint narratives labelled with their product family (route = product). Tickets
  go through TicketBuddy's own feature pipeline and route head, with its per-route word scores, as
  training builds them (less the escalation word score, a model of escalation labels these files
  lack), and a TF-IDF + logistic-regression baseline, tuned on a validation split of the training file
  (``realdata_tfidf``), is trained on the same rows, so the two are compared fairly.
* **sentiment** — airline tweets labelled negative / neutral / positive by crowd workers, scored one
  message at a time (``realdata_sentiment``).

The data are public samples that the project does not ship; ``docs/EVALUATION.md`` says where they
come from, their licences, and what was measured. ``realdata_report`` computes the figures and renders
them as tables.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone

from ticketbuddy.features.pipeline import TextSettings
from ticketbuddy.schemas import Ticket
from ticketbuddy.train.params import TrainParams
from ticketbuddy.train.realdata_report import (
    classification_figures,
    machine,
)

NARRATIVE = "Consumer complaint narrative"
PRODUCT = "Product"
#: The routing files have no dates; nothing in the features reads ``created_at``.
PLACEHOLDER_TIME = "2020-01-01T00:00:00Z"

Progress = Callable[[str], None]


class RealDataError(ValueError):
    """A data file cannot be used for a check; the message says why (missing columns, no rows, ...)."""


def _quiet(message: str) -> None:
    """The default progress callback: say nothing."""


def read_csv(path: Path, columns: Sequence[str], what: str) -> pd.DataFrame:
    """Read ``columns`` of a CSV as text, naming every missing column."""
    header = pd.read_csv(path, nrows=0).columns
    missing = [c for c in columns if c not in header]
    if missing:
        raise RealDataError(f"{path}: not {what}; missing column(s) {', '.join(map(repr, missing))}")
    return pd.read_csv(path, usecols=list(columns), dtype=str, keep_default_na=False)


@dataclass
class RoutingRows:
    """The usable rows of a routing file, as tickets, with a count of the rows left out and why."""

    tickets: list[Ticket]
    labels: list[str]
    dropped: dict[str, int] = field(default_factory=dict)

    @property
    def texts(self) -> list[str]:
        """The narrative of each ticket, as the ticket contract cleaned it."""
        return [t.messages[0].text for t in self.tickets]


def narrative_ticket(ticket_id: str, narrative: str) -> Ticket:
    """One complaint as a ticket: the narrative is the customer's only message, on the web channel."""
    return Ticket.model_validate(
        {
            "ticket_id": ticket_id,
            "channel": "web",
            "created_at": PLACEHOLDER_TIME,
            "messages": [{"role": "customer", "text": narrative}],
            "metadata": {"source": "cfpb-routing"},
        }
    )


def read_routing(path: str | Path) -> RoutingRows:
    """Read a ``Consumer complaint narrative`` / ``Product`` CSV; rows the contract refuses are counted.

    A narrative over the contract's 20,000 characters is refused, as the ``cfpb`` importer refuses it.
    """
    from pydantic import ValidationError

    from ticketbuddy.data.jsonl import format_validation_error

    path = Path(path)
    frame = read_csv(path, [NARRATIVE, PRODUCT], "a routing file")
    rows = RoutingRows([], [])
    dropped: Counter[str] = Counter()
    for line, (text, product) in enumerate(zip(frame[NARRATIVE], frame[PRODUCT], strict=True), start=2):
        if not product.strip():
            dropped[f"{PRODUCT}: empty"] += 1
            continue
        try:
            rows.tickets.append(narrative_ticket(f"{path.stem}-{line}", text))
        except ValidationError as exc:
            dropped[format_validation_error(exc)] += 1
            continue
        rows.labels.append(product.strip())
    rows.dropped = dict(dropped)
    if not rows.tickets:
        raise RealDataError(f"{path}: no usable rows")
    return rows


def routing_text_settings(params: TrainParams) -> TextSettings:
    """The pipeline's text settings from ``params``, without the word score.

    The word score is a model of the *escalation* label fitted inside the pipeline; a routing file has
    no escalation label to fit it on, so the check runs every other feature as training builds it.
    """
    from dataclasses import replace

    settings = params.text.settings()
    return replace(settings, word_score=False) if getattr(settings, "word_score", False) else settings


def ticketbuddy_routes(
    train: RoutingRows, test: RoutingRows, params: TrainParams, progress: Progress = _quiet
) -> tuple[dict[str, list[str]], dict[str, float], dict[str, Any]]:
    """TicketBuddy's feature pipeline and route head, built as training builds them; test predictions.

    The route head reads the narratives' words too (``train.route_words``), as in training. Two
    diagnostics come free with it: the plain head on the shared features without the word scores
    (``ticketbuddy_no_words``), and on the embedding columns alone (``ticketbuddy_text_only``).

    Returns:
        Predicted products of the test tickets by model, the seconds each stage took, and the shared
        features the route head chose to read, with the cross-validated macro-F1 of each choice.

    """
    from ticketbuddy.features.conversation import tickets_to_frame
    from ticketbuddy.features.pipeline import build_features
    from ticketbuddy.policy.model import load_policy
    from ticketbuddy.train.heads import label_head, route_head, text_columns

    head, plain = route_head(params, train.labels), label_head(params, train.labels)
    if head is None or plain is None:
        raise RealDataError("the training file needs at least two products")
    features = build_features(load_policy().keyword_families(), routing_text_settings(params))
    seconds: dict[str, float] = {}
    start = time.perf_counter()
    progress(f"ticketbuddy: features of {len(train.tickets):,} training tickets (embedding dominates)")
    frame = tickets_to_frame(train.tickets)
    Z = features.fit_transform(frame)
    seconds["features_train"] = time.perf_counter() - start
    progress(f"ticketbuddy: {seconds['features_train']:.1f} s; route head on {Z.shape[1]} features + words")
    start = time.perf_counter()
    words = getattr(head, "reads_messages", False)
    names = features.get_feature_names_out()
    head.fit(Z, train.labels, frame, names) if words else head.fit(Z, train.labels)
    seconds["head_fit"] = time.perf_counter() - start
    choice = {"features": getattr(head, "features_", "all"), "cv_macro_f1": getattr(head, "selection_", {})}
    progress(f"ticketbuddy: the route head reads {choice['features']} features {choice['cv_macro_f1']}")
    progress(f"ticketbuddy: {seconds['head_fit']:.1f} s; features of {len(test.tickets):,} test tickets")
    start = time.perf_counter()
    test_frame = tickets_to_frame(test.tickets)
    Z_test = features.transform(test_frame)
    predicted = head.predict(Z_test, test_frame) if words else head.predict(Z_test)
    seconds["features_and_predict_test"] = time.perf_counter() - start
    progress(f"ticketbuddy: {seconds['features_and_predict_test']:.1f} s")
    text = text_columns(names)
    if text is None:
        raise RealDataError("the routing features hold no text embedding")
    predictions = {"ticketbuddy": predicted}
    if words:
        predictions["ticketbuddy_no_words"] = clone(plain).fit(Z, train.labels).predict(Z_test)
    predictions["ticketbuddy_text_only"] = clone(plain).fit(Z[:, text], train.labels).predict(Z_test[:, text])
    return {name: [str(p) for p in values] for name, values in predictions.items()}, seconds, choice


def tfidf_routes(
    train: RoutingRows, test: RoutingRows, seed: int = 0, progress: Progress = _quiet
) -> tuple[list[str], dict[str, float], dict[str, Any]]:
    """The TF-IDF baseline, tuned on a validation split of the training rows; its test predictions.

    Returns:
        Predicted products, seconds (tuning and refit, predict), and the chosen settings with the
        validation macro-F1 of every setting tried.

    """
    from ticketbuddy.train.realdata_tfidf import tune_tfidf

    progress(f"tfidf: tuning on {len(train.tickets):,} narratives (validation split of the training file)")
    start = time.perf_counter()
    tuned = tune_tfidf(train.texts, train.labels, seed=seed, progress=progress)
    fit = time.perf_counter() - start
    start = time.perf_counter()
    predicted = tuned.model.predict(test.texts)
    seconds = {"fit": fit, "predict_test": time.perf_counter() - start}
    progress(f"tfidf: {fit:.1f} s, chose {tuned.best}, {len(tuned.model[0].vocabulary_):,} terms")
    return [str(p) for p in predicted], seconds, {"chosen": tuned.best, "validation": tuned.scores}


def encoder_token_counts(texts: Sequence[str]) -> np.ndarray:
    """How many tokens each text is for the encoder, before its 256-token truncation."""
    from tokenizers import Tokenizer

    from ticketbuddy.features.encoder import ensure_encoder

    tokenizer = Tokenizer.from_file(str(ensure_encoder() / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return np.asarray([len(e.ids) for e in tokenizer.encode_batch(list(texts))], dtype=int)


def compare_routes(
    train_path: str | Path, test_path: str | Path, params: TrainParams, progress: Progress = _quiet
) -> dict[str, Any]:
    """Train TicketBuddy's route model and the TF-IDF baseline on one file; evaluate both on the other.

    Embeddings go through the training-time embedding cache, as in ``train``: the timings of a rerun
    are those of the rest of the pipeline.

    Returns:
        JSON-ready figures: row counts (and rows dropped), and for each model accuracy, macro-F1,
        per-class F1, timings, and the same figures split by whether the encoder truncated the text.

    """
    from ticketbuddy.features.embedding_cache import embedding_cache
    from ticketbuddy.features.encoder import MAX_TOKENS

    started = machine()
    train, test = read_routing(train_path), read_routing(test_path)
    progress(f"read {len(train.tickets):,} training and {len(test.tickets):,} test narratives")
    with embedding_cache():  # a rerun (another head, another baseline) does not embed the texts again
        ours, seconds, choice = ticketbuddy_routes(train, test, params, progress)
    predictions = {
        name: (predicted, seconds if name == "ticketbuddy" else {}) for name, predicted in ours.items()
    }
    tfidf_predicted, tfidf_seconds, tfidf_tuning = tfidf_routes(train, test, params.seed, progress)
    predictions["tfidf_logreg"] = (tfidf_predicted, tfidf_seconds)
    truncated = encoder_token_counts(test.texts) > MAX_TOKENS
    slices = {f"<= {MAX_TOKENS} tokens": ~truncated, f"> {MAX_TOKENS} tokens (truncated)": truncated}
    y_true = np.asarray(test.labels, dtype=object)
    models: dict[str, Any] = {}
    for name, (predicted, seconds) in predictions.items():
        y_pred = np.asarray(predicted, dtype=object)
        figures = classification_figures(test.labels, predicted)
        figures["seconds"] = {k: round(v, 2) for k, v in seconds.items()}
        figures["by_length"] = {
            s: classification_figures(list(y_true[m]), list(y_pred[m])) for s, m in slices.items() if m.any()
        }
        models[name] = figures
    embed_seconds = models["ticketbuddy"]["seconds"]
    n_embedded = len(train.tickets) + len(test.tickets)
    feature_seconds = embed_seconds["features_train"] + embed_seconds["features_and_predict_test"]
    return {
        "task": "routes",
        "train": {"path": str(train_path), "n": len(train.tickets), "dropped": train.dropped},
        "test": {"path": str(test_path), "n": len(test.tickets), "dropped": test.dropped},
        "test_share_truncated": float(truncated.mean()),
        "head": params.head,
        "word_score": False,
        "route_words": params.route_words.model_dump() if params.route_words.enabled else False,
        "route_features": choice,
        "tfidf_tuning": tfidf_tuning,
        "machine": {"at_start": started, "at_end": machine()},
        "ticketbuddy_tickets_per_second": round(n_embedded / feature_seconds, 1) if feature_seconds else None,
        "models": models,
    }
