"""Typed view of ``params.yaml``: the one source of hyper-parameters, grouped by DVC stage."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ticketbuddy import yamlfile
from ticketbuddy.features.pipeline import TextSettings

log = logging.getLogger(__name__)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TextParams(_Section):
    """Which turns the embedding reads."""

    scope: Literal["customer", "all"] = "customer"
    last_k: int = Field(default=0, ge=0)
    batch_size: int = Field(default=64, ge=1)
    word_score: bool = True
    pooling: Literal["text", "sentences"] = "text"

    def settings(self) -> TextSettings:
        """The feature pipeline's view of these parameters."""
        return TextSettings(
            scope=self.scope, last_k=self.last_k, batch_size=self.batch_size, word_score=self.word_score,
            pooling=self.pooling,
        )  # fmt: skip


class ClassifierParams(_Section):
    """The logistic-regression head."""

    C: float = Field(default=1.0, gt=0)
    solver: Literal["newton-cholesky", "lbfgs", "liblinear"] = "newton-cholesky"
    class_weight: Literal["balanced"] | None = "balanced"
    max_iter: int = Field(default=3000, ge=100)


class HgbParams(_Section):
    """The gradient-boosted head (``HistGradientBoostingClassifier``)."""

    learning_rate: float = Field(default=0.08, gt=0)
    max_iter: int = Field(default=300, ge=10)
    max_leaf_nodes: int = Field(default=31, ge=2)
    l2_regularization: float = Field(default=1.0, ge=0)
    #: None by default, unlike the linear head: scikit-learn 1.9 bins the features of a weighted fit
    #: with a weighted percentile per bin edge, 33 times slower for no steady gain (EVALUATION.md,
    #: "The gradient-boosted head no longer weighs its classes").
    class_weight: Literal["balanced"] | None = None


class CalibrationParams(_Section):
    """Probability calibration on held-out folds."""

    method: Literal["sigmoid", "isotonic"] = "sigmoid"
    cv: int = Field(default=5, ge=2)


class ThresholdParams(_Section):
    """How the operating threshold is chosen: a minimum recall, or a share of tickets humans take."""

    strategy: Literal["min_recall", "review_budget"] = "min_recall"
    min_recall: float = Field(default=0.9, gt=0, le=1)
    review_budget: float = Field(default=0.2, gt=0, le=1)


class RouteWordsParams(_Section):
    """Per-route word scores for the route head (cross-fitted TF-IDF + a linear model), and its features."""

    enabled: bool = True
    model: Literal["svc", "logreg"] = "svc"
    C: float = Field(default=0.5, gt=0)
    ngram_max: int = Field(default=2, ge=1, le=3)
    min_df: int = Field(default=2, ge=1)
    cv: int = Field(default=5, ge=2)
    features: Literal["all", "text", "auto"] = "auto"
    select_cv: int = Field(default=3, ge=2)


class TrainParams(_Section):
    """``train:`` in params.yaml."""

    data: str = "data/raw/tickets.jsonl"
    test_data: str | None = "data/raw/tickets_test.jsonl"
    experiment: str = "ticket-escalation"
    test_size: float = Field(default=0.2, gt=0, lt=1)
    seed: int = 42
    text: TextParams = Field(default_factory=TextParams)
    route_words: RouteWordsParams = Field(default_factory=RouteWordsParams)
    head: Literal["linear", "hgb"] = "linear"
    classifier: ClassifierParams = Field(default_factory=ClassifierParams)
    hgb: HgbParams = Field(default_factory=HgbParams)
    calibration: CalibrationParams = Field(default_factory=CalibrationParams)
    threshold: ThresholdParams = Field(default_factory=ThresholdParams)


GateMetric = Literal["pr_auc", "roc_auc", "f1", "recall", "recall_at_80_kept", "kept_at_95_recall"]


DEFAULT_GATE: tuple[GateMetric, ...] = ("pr_auc", "recall_at_80_kept")


class ReferenceParams(_Section):
    """``promotion.reference:``: the fixed data the gate judges candidate and champion on.

    Never data chosen by the candidate's run: the champion's test file plus recent labelled feedback.
    """

    test_data: str = "data/raw/tickets_test.jsonl"
    labels: str | None = "data/labels/*.jsonl"
    recent_days: int = Field(default=90, ge=0)


class PromotionParams(_Section):
    """``promotion:``: what a candidate must match, on the same data, to take the champion alias."""

    metrics: list[GateMetric] = Field(default_factory=lambda: list(DEFAULT_GATE), min_length=1)
    slices: list[str] = Field(default_factory=lambda: ["vip=vip"])
    min_slice_rows: int = Field(default=20, ge=1)
    tolerance: float = Field(default=0.005, ge=0)
    reference: ReferenceParams = Field(default_factory=ReferenceParams)


class RetrainParams(_Section):
    """``retrain:``: how ``ticketbuddy retrain`` splits new labels between training and the gate."""

    holdout_share: float = Field(default=0.2, gt=0, lt=1)


class Variant(_Section):
    """One variant to compare: a name and the training settings it changes."""

    name: str
    head: Literal["linear", "hgb"] | None = None
    text: TextParams | None = None


def _variant(name: str, head: str, scope: str, words: bool, last_k: int = 0) -> dict[str, Any]:
    return {"name": name, "head": head, "text": {"scope": scope, "last_k": last_k, "word_score": words}}


#: ``compare.variants`` as shipped in params.yaml (a test holds the two together).
SHIPPED_VARIANTS: list[dict[str, Any]] = [
    _variant("linear-customer-turns+words", "linear", "customer", True),
    _variant("linear-customer-turns", "linear", "customer", False),
    _variant("hgb-customer-turns+words", "hgb", "customer", True),
    _variant("linear-all-turns+words", "linear", "all", True),
    _variant("linear-last-2-turns+words", "linear", "customer", True, last_k=2),
]


class CompareParams(_Section):
    """``compare:``: variants trained and evaluated side by side, each as its own MLflow run."""

    experiment: str = "ticket-escalation-compare"
    variants: list[Variant] = Field(
        default_factory=lambda: [Variant.model_validate(v) for v in SHIPPED_VARIANTS]
    )


class Params(BaseModel):
    """The sections of params.yaml that training reads; other sections are left to their stages."""

    model_config = ConfigDict(extra="ignore")

    train: TrainParams = Field(default_factory=TrainParams)
    promotion: PromotionParams = Field(default_factory=PromotionParams)
    retrain: RetrainParams = Field(default_factory=RetrainParams)
    compare: CompareParams = Field(default_factory=CompareParams)

    def variant(self, variant: Variant) -> TrainParams:
        """The training settings with ``variant``'s changes applied."""
        changes = {k: v for k, v in {"head": variant.head, "text": variant.text}.items() if v is not None}
        return self.train.model_copy(update=changes)

    def flat(self) -> dict[str, Any]:
        """Dotted ``section.key`` → value pairs, the form logged as MLflow params."""
        out: dict[str, Any] = {}

        def walk(prefix: str, value: Any) -> None:
            if isinstance(value, dict):
                for key, inner in value.items():
                    walk(f"{prefix}.{key}" if prefix else key, inner)
            else:
                out[prefix] = value

        walk("", self.model_dump())
        return out


class ParamsError(ValueError):
    """The hyper-parameters file named cannot be read or fails validation; the message says which."""


def find_params(start: Path | None = None) -> Path | None:
    """The project's ``params.yaml``: in ``start`` (the working directory) or a parent project folder.

    A parent counts when it holds ``params.yaml`` beside ``dvc.yaml``, so a command run from a
    sub-folder reads the same file as ``dvc repro``. None outside a project.
    """
    here = (start or Path.cwd()).resolve()
    if (here / "params.yaml").is_file():
        return here / "params.yaml"
    for folder in here.parents:
        if (folder / "params.yaml").is_file() and (folder / "dvc.yaml").is_file():
            return folder / "params.yaml"
    return None


def load_params(path: str | Path | None = None) -> Params:
    """Read the hyper-parameters: ``path``, else the project's ``params.yaml`` (``find_params``).

    Outside a project the built-in defaults are used and a warning says so; they equal the shipped
    ``params.yaml`` (a test holds them together), so the promotion gate means the same wherever a
    command runs.

    Raises:
        ParamsError: ``path`` was given and is missing, not YAML, or fails validation.

    """
    source = Path(path) if path is not None else find_params()
    if source is None:
        log.warning("no params.yaml here or in a parent project folder: using the built-in defaults")
        return Params()
    if not source.is_file():
        raise ParamsError(f"hyper-parameters file {source} not found")
    try:
        raw = yamlfile.load(source.read_text(encoding="utf-8")) or {}
        return Params.model_validate(raw)
    except (yaml.YAMLError, ValidationError) as exc:
        raise ParamsError(f"hyper-parameters file {source} refused: {exc}") from exc
