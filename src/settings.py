"""Every setting TicketBuddy reads from its environment, in one module: one typed class per concern.

Each class reads its fields from environment variables (``TICKETBUDDY_<FIELD>``, and MLflow's and
the XDG variables where named) and from a ``.env`` file in the working directory, when it is
constructed. No other module reads ``os.environ``: code that needs a setting takes one of these as an
argument (tests pass values, ``_env_file=None`` to ignore a ``.env``), and constructs one only when it
was not given any. The README's table of environment variables is this module, field by field.

Example:
    >>> ServiceSettings(port=9000, _env_file=None).port
    9000
    >>> CacheSettings(embedding_cache="off", _env_file=None).embedding_cache_path() is None
    True

"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: The embedded MLflow store used when ``MLFLOW_TRACKING_URI`` is not set.
DEFAULT_TRACKING_URI = "sqlite:///mlflow.db"
#: Largest request body accepted by default: a ticket of a few hundred long messages fits well below.
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
#: Most processes training's folds use by default: the most folds of a shipped cross-validation.
DEFAULT_MAX_TRAIN_JOBS = 5
#: What separates the patterns of ``TICKETBUDDY_REDACT_PATTERNS``: two semicolons, which a regular
#: expression has no reason to hold in a row (``[;][;]`` if one must).
REDACT_PATTERN_SEPARATOR = ";;"
#: A rate: a number of requests a second (``25/s``, or just ``25``) or a minute (``30/min``).
_RATE = re.compile(r"(?P<count>[0-9]+(?:[.][0-9]+)?)\s*(?:/\s*(?P<unit>s|min))?")


class _TicketBuddyEnv(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TICKETBUDDY_", env_file=".env", extra="ignore")


class ServiceSettings(_TicketBuddyEnv):
    """How the scoring service runs.

    Attributes:
        model_uri: The model to serve; the promoted champion by default.
        policy_path: Escalation policy file; None means the policy shipped with the package.
        host: Interface to listen on.
        port: Port to listen on.
        require_model: Refuse to start without a model (the default). Off (``--allow-rules-only``), a
            service whose model cannot be loaded serves by the policy's rules alone until a reload
            succeeds — for a model that fails in production, not for a forgotten training step.
        db_url: The hand-off store (SQLAlchemy URL): a SQLite file by default, PostgreSQL when several
            replicas share one queue.
        link_window_hours: A customer's tickets this close in time (any channel) share one history.
        miss_sentiment_drop: A kept ticket re-sent after the bot's answer with the customer's last turn
            this much lower (sentiment runs -1 to 1) is recorded as a probable missed escalation.
        ticket_retention_days: Scored tickets are kept this long for linking (never less than the link
            window; tickets an open hand-off may need are kept longer).
        sweep_interval_seconds: How often the in-service SLA sweeper runs; 0 turns it off (then run
            ``ticketbuddy sweep`` from a scheduler).
        model_poll_seconds: How often the service looks for a new champion; 0 turns it off.
        monitor_interval_seconds: How often the in-service live monitor measures the last whole day
            into MLflow (``ticketbuddy.handoff.monitor.timer``); 0 (the default) turns it off — then schedule
            ``ticketbuddy monitor``.
        scoring_concurrency: Tickets scored at the same time; other requests wait their turn (their
            reads and writes of the store do not). More than the machine's cores only makes the CPU
            work interleave, so every request waits longer: 0 means one per core.

    """

    model_uri: str = "models:/ticket-escalation@champion"
    policy_path: Path | None = None
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    require_model: bool = True
    db_url: str = "sqlite:///handoffs.db"
    link_window_hours: float = Field(default=72.0, gt=0)
    miss_sentiment_drop: float = Field(default=0.3, gt=0, le=2)
    ticket_retention_days: float = Field(default=30.0, gt=0)
    sweep_interval_seconds: float = Field(default=30.0, ge=0)
    model_poll_seconds: float = Field(default=60.0, ge=0)
    monitor_interval_seconds: float = Field(default=0.0, ge=0)
    scoring_concurrency: int = Field(default=0, ge=0)

    @model_validator(mode="after")
    def _retention_covers_linking(self) -> ServiceSettings:
        if self.ticket_retention_days * 24 < self.link_window_hours:
            raise ValueError(
                f"ticket_retention_days ({self.ticket_retention_days}) must cover link_window_hours"
                f" ({self.link_window_hours}): tickets would be forgotten before they could be linked"
            )
        return self

    @property
    def link_window(self) -> timedelta:
        """How far apart a customer's tickets may be and still be linked."""
        return timedelta(hours=self.link_window_hours)

    @property
    def ticket_retention(self) -> timedelta:
        """How long scored tickets are kept."""
        return timedelta(days=self.ticket_retention_days)

    @property
    def scoring_slots(self) -> int:
        """How many tickets are scored at once (``scoring_concurrency``, or one per core)."""
        return self.scoring_concurrency or os.cpu_count() or 1


class SecuritySettings(_TicketBuddyEnv):
    """Where the API keys come from.

    Attributes:
        api_keys: Plain keys with their scopes, ``key:scope1+scope2,key2:scope``.
        api_keys_file: A file of ``sha256hex:scope1+scope2`` lines; ``#`` starts a comment.

    """

    api_keys: str | None = None
    api_keys_file: Path | None = None


class LimitsSettings(_TicketBuddyEnv):
    """Request limits.

    Attributes:
        max_body_bytes: Largest request body accepted, in bytes (413 above it).

    """

    max_body_bytes: int = Field(default=DEFAULT_MAX_BODY_BYTES, gt=0)


@dataclass(frozen=True)
class RateBudget:
    """A token bucket: ``per_second`` requests a second on average, ``burst`` at once; rate 0 is no limit."""

    per_second: float
    burst: int

    @property
    def unlimited(self) -> bool:
        """True when this budget never refuses (``off`` or ``0``)."""
        return self.per_second <= 0

    def describe(self) -> str:
        """The budget in words, for a refusal or a log line: ``25 requests a second, bursts of 50``."""
        noun = "request" if self.per_second == 1 else "requests"
        return f"{self.per_second:g} {noun} a second, bursts of {self.burst}"


def rate_budget(rate: str, burst: str | None, where: str) -> RateBudget:
    """A budget from a rate (``25/s``, ``30/min``, ``25``; ``off`` or ``0`` for none) and a burst.

    Without a burst, twice a second's worth is allowed at once (at least one request).

    Raises:
        ValueError: Naming ``where`` (the variable or key entry), never echoing the text.

    """
    match = _RATE.fullmatch(rate.strip().lower())
    if rate.strip().lower() == "off" or (match and float(match["count"]) == 0):
        return RateBudget(0.0, 0)
    if match is None:
        raise ValueError(f"{where}: a rate is N/s or N/min (N > 0), or off")
    per_second = float(match["count"]) / (60 if match["unit"] == "min" else 1)
    if burst is None:
        return RateBudget(per_second, max(1, math.ceil(2 * per_second)))
    if not re.fullmatch(r"\s*[0-9]+\s*", burst) or int(burst) < 1:
        raise ValueError(f"{where}: burst is a whole number of requests, at least 1")
    return RateBudget(per_second, int(burst))


def parse_rate_budget(text: str, where: str) -> RateBudget:
    """``RATE`` or ``RATE;burst=N`` (as in ``TICKETBUDDY_RATE_LIMIT_SCORE``) into a budget.

    Example:
        >>> parse_rate_budget("25/s;burst=50", "TICKETBUDDY_RATE_LIMIT_SCORE")
        RateBudget(per_second=25.0, burst=50)
        >>> parse_rate_budget("30/min", "TICKETBUDDY_RATE_LIMIT_ADMIN")
        RateBudget(per_second=0.5, burst=1)
        >>> parse_rate_budget("off", "TICKETBUDDY_RATE_LIMIT_SCORE").unlimited
        True

    Raises:
        ValueError: The text is not of that form, naming ``where``.

    """
    rate, sep, rest = text.partition(";")
    name, eq, burst = rest.partition("=")
    if sep and (name.strip() != "burst" or not eq):
        raise ValueError(f"{where}: a budget is RATE (N/s, N/min or off), optionally ;burst=N")
    return rate_budget(rate, burst if sep else None, where)


class RateLimitSettings(_TicketBuddyEnv):
    """How many requests each API key may make, per scope (a token bucket per key and scope).

    Each value is ``N/s`` or ``N/min``, optionally ``;burst=N`` (default: two seconds' worth), or
    ``off``. The defaults suit one 2-core process (about 30-35 scored tickets a second): one scoring
    client cannot take it all, and agents' queue calls have a budget of their own. A key's own
    ``rate=``/``burst=`` attributes (``serve.keys``) replace these for that key.

    Attributes:
        rate_limit_score: Budget of each key for ``/v1/score``.
        rate_limit_agent: Budget of each key for the queue and feedback (``/v1/handoffs``, ``/v1/feedback``).
        rate_limit_admin: Budget of each key for ``/v1/admin/*`` (a reload loads a model).

    """

    rate_limit_score: str = "25/s;burst=50"
    rate_limit_agent: str = "20/s;burst=40"
    rate_limit_admin: str = "1/s;burst=5"

    @field_validator("rate_limit_score", "rate_limit_agent", "rate_limit_admin")
    @classmethod
    def _is_a_budget(cls, value: str, info: ValidationInfo) -> str:
        parse_rate_budget(value, f"TICKETBUDDY_{str(info.field_name).upper()}")
        return value

    def budget(self, scope: str) -> RateBudget:
        """The default budget of a key for ``scope`` (``score``, ``agent`` or ``admin``)."""
        return parse_rate_budget(
            getattr(self, f"rate_limit_{scope}"), f"TICKETBUDDY_RATE_LIMIT_{scope.upper()}"
        )


class RedactionSettings(_TicketBuddyEnv):
    """What the logs' redaction removes besides e-mail addresses, IBANs, addresses, cards and phones.

    Attributes:
        redact_patterns: Extra regular expressions (Python ``re`` syntax) separated by ``;;``, the
            space around each ignored; whatever one matches in a log line becomes ``[redacted]``
            (e.g. ``ACC-[0-9]{8} ;; (?i)member no[.] [a-z0-9]+``). A pattern that does not compile,
            or matches the empty string, stops start-up with a message naming the variable, the
            pattern's number and where in it the fault is; none is ever left out silently.

    Example:
        >>> settings = RedactionSettings(redact_patterns="ACC-[0-9]{8} ;; X", _env_file=None)
        >>> [pattern.pattern for pattern in settings.compiled_patterns()]
        ['ACC-[0-9]{8}', 'X']

    """

    redact_patterns: str = ""

    @field_validator("redact_patterns")
    @classmethod
    def _every_pattern_compiles(cls, value: str) -> str:
        compile_redact_patterns(value)
        return value

    def compiled_patterns(self) -> tuple[re.Pattern[str], ...]:
        """The extra patterns, compiled, in the order given."""
        return compile_redact_patterns(self.redact_patterns)


def compile_redact_patterns(value: str) -> tuple[re.Pattern[str], ...]:
    """Compile the ``;;``-separated patterns of ``TICKETBUDDY_REDACT_PATTERNS``; none when it is blank.

    Raises:
        ValueError: A pattern is empty, does not compile, or matches the empty string (it would mark
            every position of every line), naming the variable, the pattern's number and position.

    """
    if not value.strip():
        return ()
    sources = [source.strip() for source in value.split(REDACT_PATTERN_SEPARATOR)]
    return tuple(_compile_one(source, number, len(sources)) for number, source in enumerate(sources, 1))


def _compile_one(source: str, number: int, count: int) -> re.Pattern[str]:
    where = f"TICKETBUDDY_REDACT_PATTERNS: pattern {number} of {count} ({source!r})"
    if not source:
        raise ValueError(f"{where} is empty; patterns are separated by {REDACT_PATTERN_SEPARATOR!r}")
    try:
        pattern = re.compile(source)
    except re.error as exc:
        at = f" at position {exc.pos}" if exc.pos is not None else ""
        raise ValueError(f"{where} is not a valid regular expression: {exc.msg}{at}") from None
    if pattern.search("") is not None:
        raise ValueError(f"{where} matches the empty string, so it would mark every position of a line")
    return pattern


def settings_problem(error: ValidationError) -> str:
    """A settings error on one line, for a command to print: each field's message, named.

    Example:
        >>> try:
        ...     RedactionSettings(redact_patterns="ok ;; ACC-[0-9", _env_file=None)
        ... except ValidationError as exc:
        ...     print(settings_problem(exc))  # doctest: +ELLIPSIS
        TICKETBUDDY_REDACT_PATTERNS: pattern 2 of 2 ('ACC-[0-9') is not a valid regular expression: ...

    """
    parts = []
    for item in error.errors():
        message = item["msg"].removeprefix("Value error, ")
        field = ".".join(str(part) for part in item["loc"])
        parts.append(message if message.startswith("TICKETBUDDY_") else f"{field}: {message}")
    return "; ".join(parts)


class CacheSettings(_TicketBuddyEnv):
    """Where derived files are kept on this machine (never anything a model needs to be served).

    Attributes:
        encoder_dir: The exported int8 ONNX encoder; ``<cache home>/ticketbuddy/<variant>`` when unset.
        embedding_cache: The training-time embedding cache (a SQLite file), or ``off``;
            ``<cache home>/ticketbuddy/embeddings.sqlite`` when unset.
        cache_home: ``XDG_CACHE_HOME``, else ``~/.cache``.

    """

    encoder_dir: Path | None = None
    embedding_cache: str | None = None
    cache_home: Path = Field(
        default_factory=lambda: Path.home() / ".cache",
        validation_alias=AliasChoices("XDG_CACHE_HOME", "TICKETBUDDY_CACHE_HOME"),
    )

    def ticketbuddy_cache(self) -> Path:
        """TicketBuddy's folder in the cache home."""
        return self.cache_home / "ticketbuddy"

    def embedding_cache_path(self) -> Path | None:
        """The embedding cache file, or None when it is turned off."""
        if (self.embedding_cache or "").lower() == "off":
            return None
        if self.embedding_cache:
            return Path(self.embedding_cache)
        return self.ticketbuddy_cache() / "embeddings.sqlite"


class EncoderSettings(_TicketBuddyEnv):
    """How the sentence encoder runs in this process (read when it is loaded).

    Attributes:
        encoder_threads: onnxruntime's intra-op threads per encoder call; 0 leaves onnxruntime's
            default (one per core). The scoring service runs ``scoring_concurrency`` calls at once,
            so there one thread each keeps the cores from being oversubscribed.
        encoder_spinning: let onnxruntime's idle intra-op threads spin, waiting for the next
            operator. Off: a spinning thread holds a core that numpy and the policy need between
            encoder calls (one ticket took 36 ms with it on 2 cores, 21 ms without;
            docs/PERFORMANCE.md).

    """

    encoder_threads: int = Field(default=0, ge=0)
    encoder_spinning: bool = False


class BatchSettings(_TicketBuddyEnv):
    """How ``ticketbuddy score`` uses this machine's cores (never what it decides).

    Attributes:
        score_workers: chunks of the file scored at the same time, each by its own thread with a
            one-thread encoder; 0 is one per core. The per-token encoder gives a text the same vector
            in any call, so the scores do not depend on this setting (docs/PERFORMANCE.md).

    Example:
        >>> BatchSettings(score_workers=3, _env_file=None).workers()
        3
        >>> BatchSettings(score_workers=0, _env_file=None).workers() == (os.cpu_count() or 1)
        True

    """

    score_workers: int = Field(default=0, ge=0)

    def workers(self) -> int:
        """The threads to score with: the setting, else one per core."""
        return self.score_workers or os.cpu_count() or 1


class TrainingSettings(_TicketBuddyEnv):
    """How training uses this machine's cores (never what it learns).

    Attributes:
        train_jobs: processes the cross-validation folds run in (the word models', the calibration's,
            the route head's choice, the TF-IDF baseline's); 0 is one per core, at most
            ``DEFAULT_MAX_TRAIN_JOBS`` (no fold loop of the shipped ``params.yaml`` has more folds,
            and each process holds its own copy of the libraries). Every fit runs numpy's BLAS on one
            thread, in the folds and outside them, so the model a retrain gives does not depend on
            this setting or on the machine's core count.

    Example:
        >>> TrainingSettings(train_jobs=3, _env_file=None).jobs()
        3
        >>> 1 <= TrainingSettings(train_jobs=0, _env_file=None).jobs() <= DEFAULT_MAX_TRAIN_JOBS
        True

    """

    train_jobs: int = Field(default=0, ge=0)

    def jobs(self) -> int:
        """The processes to use: the setting, else one per core up to ``DEFAULT_MAX_TRAIN_JOBS``."""
        return self.train_jobs or min(os.cpu_count() or 1, DEFAULT_MAX_TRAIN_JOBS)


class TrackingSettings(BaseSettings):
    """Where MLflow keeps runs and models: MLflow's own ``MLFLOW_TRACKING_URI``, as MLflow users expect.

    Attributes:
        tracking_uri: ``MLFLOW_TRACKING_URI``; the embedded ``sqlite:///mlflow.db`` when unset or empty.
        logging_level: ``MLFLOW_LOGGING_LEVEL``; MLflow's INFO lines say nothing a user can act on,
            so warnings and errors only by default.

    """

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    tracking_uri: str = Field(default=DEFAULT_TRACKING_URI, validation_alias="MLFLOW_TRACKING_URI")
    logging_level: str = Field(default="WARNING", validation_alias="MLFLOW_LOGGING_LEVEL")

    @model_validator(mode="after")
    def _empty_is_default(self) -> TrackingSettings:
        if not self.tracking_uri:
            self.tracking_uri = DEFAULT_TRACKING_URI
        return self


@lru_cache(maxsize=1)
def get_settings() -> ServiceSettings:
    """The service settings of this process, read on first use."""
    return ServiceSettings()
