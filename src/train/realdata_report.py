"""The figures of the real-data checks (``realdata``): metrics, speed, and the Markdown tables printed.

The tables are the ones ``docs/EVALUATION.md`` quotes, so a rerun can be pasted there unchanged.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

SENTIMENT_CLASSES = ["negative", "neutral", "positive"]
MODEL_NAMES = {
    "ticketbuddy": "TicketBuddy pipeline + route head",
    "ticketbuddy_no_words": "(diagnostic) same head without the route word scores",
    "ticketbuddy_text_only": "(diagnostic) same head, embedding columns only, no word scores",
    "tfidf_logreg": "TF-IDF + logistic regression, tuned",
}
SCORER_NAMES = {
    "message_sentiment": "`message_sentiment` (VADER + support lexicon)",
    "vader": "VADER alone",
}


def classification_figures(y_true: Sequence[str], y_pred: Sequence[str]) -> dict[str, Any]:
    """Accuracy, macro-F1, per-class F1 and class counts, over the classes present in ``y_true``."""
    from sklearn.metrics import accuracy_score, f1_score

    labels = sorted(set(y_true))
    per_class = f1_score(y_true, y_pred, labels=labels, average=None, zero_division=0)
    mistakes = Counter((t, p) for t, p in zip(y_true, y_pred, strict=True) if t != p)
    return {
        "n": len(y_true),
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "macro_f1": float(np.mean(per_class)),
        "per_class_f1": {label: float(f) for label, f in zip(labels, per_class, strict=True)},
        "class_counts": {label: int(sum(1 for y in y_true if y == label)) for label in labels},
        "top_confusions": [{"label": t, "predicted": p, "n": n} for (t, p), n in mistakes.most_common(5)],
    }


def sentiment_figures(y_true: Sequence[str], y_pred: Sequence[str]) -> dict[str, Any]:
    """Three-class figures, per-class precision/recall/F1, the confusion matrix, and negative vs rest.

    Negative vs rest is what escalation needs most: a negative turn the scorer misses is a drop in the
    trajectory the model never sees.
    """
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    figures = classification_figures(y_true, y_pred)
    p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, labels=SENTIMENT_CLASSES, zero_division=0)
    figures["per_class"] = {
        c: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i])}
        for i, c in enumerate(SENTIMENT_CLASSES)
    }
    figures["confusion"] = {  # rows: the human label; columns: the scorer's class
        "labels": SENTIMENT_CLASSES,
        "matrix": confusion_matrix(y_true, y_pred, labels=SENTIMENT_CLASSES).tolist(),
    }
    is_neg, said_neg = np.asarray(y_true) == "negative", np.asarray(y_pred) == "negative"
    hits = int((is_neg & said_neg).sum())
    figures["negative_vs_rest"] = {
        "accuracy": float((is_neg == said_neg).mean()),
        "recall": hits / max(int(is_neg.sum()), 1),
        "precision": hits / max(int(said_neg.sum()), 1),
    }
    return figures


def machine() -> dict[str, Any]:
    """CPUs and load average, stored with timings: they depend on what else the machine is doing."""
    return {"cpus": os.cpu_count(), "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()]}


def texts_per_second(scorers: dict[str, Callable[[str], float]], texts: Sequence[str]) -> dict[str, float]:
    """Scoring speed of each scorer: best of five interleaved passes over ``texts``, after a warm-up."""
    best = dict.fromkeys(scorers, float("inf"))
    for score in scorers.values():
        score(texts[0])  # loads the lexicon: not part of the per-message cost
    for _ in range(5):
        for name, score in scorers.items():
            start = time.perf_counter()
            for text in texts:
                score(text)
            best[name] = min(best[name], time.perf_counter() - start)
    return {name: round(len(texts) / seconds, 0) for name, seconds in best.items()}


def write_json(result: dict[str, Any], path: str | Path) -> Path:
    """Write a check's result as indented JSON (creating the folder), for DVC metrics or a notebook."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return target


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    return lines + ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]


def _seconds(model: str, seconds: dict[str, float]) -> str:
    if not seconds:
        return "same features"
    if model == "ticketbuddy":
        return (
            f"features {seconds['features_train']:.0f} s train + {seconds['features_and_predict_test']:.0f} s"
            f" test; head {seconds['head_fit']:.1f} s"
        )
    return f"fit {seconds['fit']:.1f} s, predict {seconds['predict_test']:.1f} s"


def _f1_acc(figures: dict[str, Any]) -> list[str]:
    return [f"{figures['macro_f1']:.3f}", f"{figures['accuracy']:.3f}"]


def _tuning(result: dict[str, Any]) -> list[str]:
    """One line naming the baseline's settings chosen on the validation split, when it was tuned."""
    chosen = result.get("tfidf_tuning", {}).get("chosen")
    if not chosen:
        return []
    tried = len(result["tfidf_tuning"]["validation"])
    ngrams = f"1-{chosen['ngram_max']} grams" if chosen["ngram_max"] > 1 else "words"
    return [
        f"TF-IDF settings chosen on a validation split of the training file ({tried} tried): C = "
        f"{chosen['C']:g}, {ngrams}, sub-linear tf {'on' if chosen['sublinear_tf'] else 'off'}",
        "",
    ]


def _route_features(result: dict[str, Any]) -> list[str]:
    """One line naming the shared features the route head chose, with each choice's CV macro-F1."""
    choice = result.get("route_features")
    if not choice:
        return []
    figures = ", ".join(f"{name} {f1:.3f}" for name, f1 in choice["cv_macro_f1"].items())
    why = f" (cross-validated macro-F1 on the training file: {figures})" if figures else ""
    read = {"all": "all shared features", "text": "the text embedding only"}.get(choice["features"])
    return [f"TicketBuddy's route head reads {read or choice['features']} besides its word scores{why}", ""]


def routes_markdown(result: dict[str, Any]) -> str:
    """Side-by-side tables of the routing check: overall, per product, and by narrative length."""
    models = result["models"]
    names = list(models)
    dropped = {**result["train"]["dropped"], **{f"test {k}": v for k, v in result["test"]["dropped"].items()}}
    lines = [
        f"Routes: train {result['train']['n']:,} / test {result['test']['n']:,} narratives"
        + (f" (left out: {dropped})" if dropped else "")
        + f"; TicketBuddy features at {result['ticketbuddy_tickets_per_second']} tickets/s",
        "",
        *_tuning(result),
        *_route_features(result),
        *_table(
            ["model", "macro-F1", "accuracy", "time"],
            [[MODEL_NAMES.get(m, m), *_f1_acc(f), _seconds(m, f["seconds"])] for m, f in models.items()],
        ),
        "",
    ]
    first = models[names[0]]
    per_class = [
        [label, first["class_counts"][label], *(f"{models[m]['per_class_f1'][label]:.3f}" for m in names)]
        for label in first["per_class_f1"]
    ]
    lines += [*_table(["product (F1)", "n test", *(MODEL_NAMES.get(m, m) for m in names)], per_class), ""]
    by_length = [
        [s, first["by_length"][s]["n"], *(" / ".join(_f1_acc(models[m]["by_length"][s])) for m in names)]
        for s in first["by_length"]
    ]
    header = ["test narratives (encoder tokens)", "n", *(f"{MODEL_NAMES.get(m, m)}: F1 / acc" for m in names)]
    lines += [*_table(header, by_length), ""]
    confusions = [
        [MODEL_NAMES.get(m, m), c["label"], c["predicted"], c["n"]]
        for m in names
        for c in models[m]["top_confusions"][:3]
    ]
    return "\n".join([*lines, *_table(["model", "product", "predicted as", "n test"], confusions)])


def sentiment_markdown(result: dict[str, Any]) -> str:
    """Tables of the sentiment check: each scorer on each half, and the report half's confusion matrices."""
    cut = result["cutoffs"]
    speed = result["texts_per_second"]
    lines = [
        f"Sentiment: {result['n']['all']:,} tweets with label confidence >= {result['min_confidence']}"
        f" {result['label_counts']}; negative below {cut['negative_below']}, positive above"
        f" {cut['positive_above']}; halves split with seed {result['seed']}",
        "",
    ]
    rows = []
    for scorer, halves in result["scorers"].items():
        for half, f in halves.items():
            nvr = f["negative_vs_rest"]
            figures = [f["accuracy"], f["macro_f1"], nvr["accuracy"], nvr["recall"], nvr["precision"]]
            rows.append([SCORER_NAMES.get(scorer, scorer), half, f["n"], *(f"{x:.3f}" for x in figures)])
    header = ["scorer", "tweets", "n", "accuracy", "macro-F1", "neg-vs-rest acc", "neg recall", "neg prec."]
    lines += [*_table(header, rows), ""]
    for scorer, halves in result["scorers"].items():
        matrix = halves["report"]["confusion"]["matrix"]
        body = [[f"human {c}", *matrix[i]] for i, c in enumerate(SENTIMENT_CLASSES)]
        title = f"{SCORER_NAMES.get(scorer, scorer)}, report half"
        lines += [*_table([title, *(f"scored {c}" for c in SENTIMENT_CLASSES)], body), ""]
    extra = {k: 100 * (speed["vader"] / v - 1) for k, v in speed.items() if k != "vader"}
    lines.append(
        "Speed (best of 5 interleaved passes): "
        + ", ".join(f"{SCORER_NAMES.get(k, k)} {v:,.0f} texts/s" for k, v in speed.items())
        + "".join(f"; {k} takes {pct:+.0f} % time per text" for k, pct in extra.items())
    )
    return "\n".join(lines)
