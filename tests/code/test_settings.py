"""One settings module: every environment variable is a typed field there, in the README's table."""

import ast
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from pydantic import ValidationError

from ticketbuddy import settings as settings_module
from ticketbuddy.features.embedding_cache import default_cache_path
from ticketbuddy.features.encoder import ENCODER_VARIANT, default_encoder_dir
from ticketbuddy.scoring.tracking import tracking_uri
from ticketbuddy.settings import (
    CacheSettings,
    RedactionSettings,
    ServiceSettings,
    TrackingSettings,
    settings_problem,
)

ROOT = Path(__file__).resolve().parents[2]
CLASSES = [
    getattr(settings_module, name)
    for name in dir(settings_module)
    if name.endswith("Settings")
    and isinstance(getattr(settings_module, name), type)
    and issubclass(getattr(settings_module, name), settings_module.BaseSettings)
    and getattr(settings_module, name).__module__ == settings_module.__name__
]


def variables(cls) -> list[str]:
    """The environment variables a settings class reads, one or more per field."""
    prefix = cls.model_config.get("env_prefix", "")
    names = []
    for name, field in cls.model_fields.items():
        alias = field.validation_alias
        choices = getattr(alias, "choices", None) or ([alias] if alias else [])
        names += [str(c) for c in choices] or [f"{prefix}{name}".upper()]
    return names


def test_every_variable_is_in_the_readme_table():
    readme = (ROOT / "README.md").read_text()
    table = readme[readme.index("### Configuration") : readme.index("## The hand-off queue")]
    missing = [v for cls in CLASSES for v in variables(cls) if f"`{v}`" not in table]
    assert len(CLASSES) >= 5 and not missing, missing


def environment_reads(path: Path):
    """Lines that read os.environ / os.getenv (writing a default with ``setdefault`` is not a read)."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            target = ast.unparse(node.func)
            if target in {"os.getenv", "os.environ.get", "os.environ.copy"}:
                yield node.lineno
        if (
            isinstance(node, ast.Subscript)
            and ast.unparse(node.value) == "os.environ"
            and isinstance(node.ctx, ast.Load)
        ):
            yield node.lineno


@pytest.mark.parametrize("path", sorted((ROOT / "src").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_reads_the_environment_itself(path):
    assert list(environment_reads(path)) == [], "read a field of ticketbuddy.settings instead"


def test_the_scan_finds_a_read(tmp_path):
    module = tmp_path / "m.py"
    module.write_text(
        "import os\na = os.environ.get('X')\nb = os.environ['Y']\nos.environ.setdefault('Z', '1')\n"
    )
    assert list(environment_reads(module)) == [2, 3]


def test_settings_come_from_the_environment_and_can_be_injected(monkeypatch, tmp_path):
    monkeypatch.setenv("TICKETBUDDY_PORT", "9123")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///elsewhere.db")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("TICKETBUDDY_ENCODER_DIR", raising=False)
    monkeypatch.delenv("TICKETBUDDY_EMBEDDING_CACHE", raising=False)
    assert ServiceSettings(_env_file=None).port == 9123
    assert tracking_uri() == "sqlite:///elsewhere.db"
    assert default_encoder_dir() == tmp_path / "ticketbuddy" / ENCODER_VARIANT
    assert default_cache_path() == tmp_path / "ticketbuddy" / "embeddings.sqlite"
    injected = CacheSettings(encoder_dir=tmp_path / "enc", embedding_cache="off", _env_file=None)
    assert default_encoder_dir(injected) == tmp_path / "enc" and default_cache_path(injected) is None
    assert (
        tracking_uri(TrackingSettings(MLFLOW_TRACKING_URI="sqlite:///x.db", _env_file=None))
        == "sqlite:///x.db"
    )


def test_an_empty_tracking_uri_is_the_embedded_store(monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "")
    assert tracking_uri() == settings_module.DEFAULT_TRACKING_URI


def test_bad_values_are_refused_naming_the_field(monkeypatch):
    monkeypatch.setenv("TICKETBUDDY_PORT", "not-a-port")
    with pytest.raises(ValueError, match="port"):
        ServiceSettings(_env_file=None)
    monkeypatch.delenv("TICKETBUDDY_PORT")
    with pytest.raises(ValueError, match="ticket_retention_days"):
        ServiceSettings(ticket_retention_days=1, link_window_hours=48, _env_file=None)


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ("ACC-[0-9]{8} ;; member no[", "pattern 2 of 2 ('member no[') is not a valid regular expression:"),
        (
            "(unclosed",
            "pattern 1 of 1 ('(unclosed') is not a valid regular expression: missing ), unterminated",
        ),
        ("ACC-[0-9]{8};;;;X", "pattern 2 of 3 ('') is empty"),
        ("ok ;; x*", "pattern 2 of 2 ('x*') matches the empty string"),
    ],
)
def test_a_bad_redaction_pattern_is_refused_naming_the_variable_and_where(monkeypatch, value, named):
    monkeypatch.setenv("TICKETBUDDY_REDACT_PATTERNS", value)
    with pytest.raises(ValidationError) as refused:
        RedactionSettings(_env_file=None)
    assert settings_problem(refused.value).startswith(f"TICKETBUDDY_REDACT_PATTERNS: {named}")


def test_a_compile_error_says_at_which_character():
    with pytest.raises(ValidationError, match=r"unterminated character set at position 9"):
        RedactionSettings(redact_patterns="ok ;; member no[", _env_file=None)


def test_redaction_patterns_are_split_on_two_semicolons_and_stripped(monkeypatch):
    monkeypatch.setenv("TICKETBUDDY_REDACT_PATTERNS", r" ACC-\d{8} ;;(?i)member no\. \w+;; a;b ")
    compiled = RedactionSettings(_env_file=None).compiled_patterns()
    assert [p.pattern for p in compiled] == [r"ACC-\d{8}", r"(?i)member no\. \w+", "a;b"]
    monkeypatch.setenv("TICKETBUDDY_REDACT_PATTERNS", "  ")
    assert RedactionSettings(_env_file=None).compiled_patterns() == ()


def test_scoring_slots_default_to_one_per_core(monkeypatch):
    import os

    from ticketbuddy.settings import ServiceSettings

    monkeypatch.delenv("TICKETBUDDY_SCORING_CONCURRENCY", raising=False)
    assert ServiceSettings(_env_file=None).scoring_slots == (os.cpu_count() or 1)
    monkeypatch.setenv("TICKETBUDDY_SCORING_CONCURRENCY", "3")
    assert ServiceSettings(_env_file=None).scoring_slots == 3
    monkeypatch.setenv("TICKETBUDDY_SCORING_CONCURRENCY", "-1")
    with pytest.raises(ValidationError, match="scoring_concurrency"):
        ServiceSettings(_env_file=None)


def test_encoder_threads_setting_wins_over_the_process_default(monkeypatch):
    from ticketbuddy.features import encoder

    monkeypatch.setattr(encoder, "_default_threads", 0)
    monkeypatch.delenv("TICKETBUDDY_ENCODER_THREADS", raising=False)
    assert encoder.encoder_threads() == 0
    encoder.use_encoder_threads(1)
    assert encoder.encoder_threads() == 1
    monkeypatch.setenv("TICKETBUDDY_ENCODER_THREADS", "2")
    assert encoder.encoder_threads() == 2


def test_encoder_threads_do_not_spin_unless_asked(monkeypatch):
    from ticketbuddy.features.encoder import OnnxEncoder, ensure_encoder

    def spinning() -> str:
        options = OnnxEncoder(ensure_encoder(), threads=1).session.get_session_options()
        return options.get_session_config_entry("session.intra_op.allow_spinning")

    monkeypatch.delenv("TICKETBUDDY_ENCODER_SPINNING", raising=False)
    assert spinning() == "0"
    monkeypatch.setenv("TICKETBUDDY_ENCODER_SPINNING", "true")
    assert spinning() == "1"


def _in_a_new_thread(work: Callable[[], object]) -> dict[str, set[int]]:
    """Run ``work`` in a fresh thread; the BLAS and OpenMP threads that thread then sees, by API."""
    from threadpoolctl import threadpool_info

    seen: dict[str, set[int]] = {}

    def run() -> None:
        work()
        for pool in threadpool_info():
            seen.setdefault(pool["user_api"], set()).add(pool["num_threads"])

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return seen


def test_the_scoring_service_scores_on_one_blas_and_one_openmp_thread(tmp_path, monkeypatch, faq_ticket):
    """BLAS is capped for the process; OpenMP per thread, so each thread that scores takes the cap."""
    import sklearn  # noqa: F401  (loads libgomp, which the boosted head predicts with)
    from threadpoolctl import threadpool_limits

    from ticketbuddy.features import encoder
    from ticketbuddy.policy.model import load_policy
    from ticketbuddy.scoring.scorer import Scorer
    from ticketbuddy.serve.app import serving_holder

    monkeypatch.setattr(encoder, "_default_threads", encoder._default_threads)  # put back after
    monkeypatch.setattr(encoder, "_openmp_threads", encoder._openmp_threads)
    rules_only = Scorer(load_policy(), None)
    with threadpool_limits(2, user_api="blas"), threadpool_limits(2, user_api="openmp"):
        before = _in_a_new_thread(lambda: rules_only.assess([faq_ticket]))
        assert before["blas"] == {2}
        if before["openmp"] == {1}:
            pytest.skip("a fresh thread's OpenMP default is one thread already (one core, OMP_NUM_THREADS)")
        monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'empty.db'}")
        holder = serving_holder(
            ServiceSettings(_env_file=None, model_uri="models:/nothing@champion", require_model=False)
        )
        after = _in_a_new_thread(lambda: holder.current().assess([faq_ticket]))
        assert after == {"blas": {1}, "openmp": {1}}


def test_the_openmp_cap_reaches_a_scoring_thread_when_nothing_had_loaded_scikit_learn_yet():
    """The service caps before it loads its model: the cap must not depend on what was imported first."""
    script = """
import threading
from ticketbuddy.features.encoder import openmp_threads_here, use_numeric_threads
use_numeric_threads(1)
from threadpoolctl import threadpool_info
seen = []
def score():
    openmp_threads_here()
    seen.extend(p["num_threads"] for p in threadpool_info() if p["user_api"] == "openmp")
thread = threading.Thread(target=score)
thread.start()
thread.join()
print(seen)
"""
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[1]", "no OpenMP library capped in the scoring thread"
