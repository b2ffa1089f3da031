"""Finding a model in the MLflow registry, with one-line errors that say which command fixes them.

Every command that reads a model (``serve``, ``score``, ``evaluate``, ``promote``, ``champion``) resolves
it here first, so a missing model, alias or version is reported the same way everywhere — one line
naming the tracking store and the command that fixes it — instead of an MLflow traceback.
``load_pyfunc`` loads a version only after its files match the SHA-256 digests recorded when it was
registered (``integrity``); a changed, missing or added file is refused as ``ModelTampered``.

``resolve("models:/ticket-escalation@champion").describe()`` names the version the alias points at
(``'ticket-escalation version 3 (@champion)'``); a URI outside the registry passes through.

Example:
    >>> resolve("runs:/0a1b2c/model").describe()
    'runs:/0a1b2c/model'

"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any

from ticketbuddy.scoring import copies
from ticketbuddy.scoring.tracking import CHAMPION, REGISTERED_MODEL, configure

log = logging.getLogger(__name__)

#: What to run when there is no model at all.
TRAIN_HINT = "train and promote one with `make train` (or `ticketbuddy train --data PATH`)"


class ModelUnavailable(LookupError):
    """The model asked for cannot be found or loaded; the message is one line and says what to do."""


class ModelTampered(ModelUnavailable):
    """A model's files differ from the digests recorded at its registration; the message names a file."""


@dataclass(frozen=True)
class ModelRef:
    """A model URI resolved in the registry: ``version`` is None for a URI outside the registry."""

    uri: str
    name: str
    version: str | None
    alias: str | None = None
    verified: bool = False
    """True once its files were checked against the digests recorded at registration (``load_pyfunc``)."""

    @property
    def exact_uri(self) -> str:
        """``models:/name/version`` when the version is known, so the model loaded is the one named."""
        return f"models:/{self.name}/{self.version}" if self.version else self.uri

    def describe(self) -> str:
        """``ticket-escalation version 3 (@champion)`` or the URI itself."""
        if self.version is None:
            return self.uri
        alias = f" (@{self.alias})" if self.alias else ""
        return f"{self.name} version {self.version}{alias}"


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message, without MLflow's error-code prefix."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    code, sep, rest = text.partition(": ")
    return rest if sep and code.isupper() and "_" in code else text


def resolve(uri: str) -> ModelRef:
    """Resolve ``models:/name@alias`` or ``models:/name/N`` to a version; other URIs pass through.

    Raises:
        ModelUnavailable: No such registered model, alias or version, or the registry cannot be read.

    """
    if not uri.startswith("models:/"):
        return ModelRef(uri, uri, None)
    store = configure()
    ref = uri.removeprefix("models:/")
    name, alias, version = _split(ref)
    client = _client()
    try:
        client.get_registered_model(name)
    except Exception as exc:
        raise ModelUnavailable(_missing_model(name, store, exc)) from exc
    if alias is not None:
        return ModelRef(uri, name, _alias_version(client, name, alias, store), alias)
    return ModelRef(uri, name, _check_version(client, name, version, store))


def load_pyfunc(uri: str) -> tuple[Any, ModelRef]:
    """Resolve ``uri``, check that exact version's files, and load them as an MLflow pyfunc.

    The version is downloaded to a folder of its own and every file's SHA-256 is compared with the
    digests recorded at registration (``integrity``) before anything is unpickled; the pyfunc is then
    loaded from those checked files. A version registered before digests were recorded, or a URI
    outside the registry, is loaded with a warning and ``verified`` False (served with the flag
    ``ticketbuddy_model_unverified``): refusing it would take a working service down at upgrade.

    Raises:
        ModelTampered: A file changed, is missing or was added since registration (named).
        ModelUnavailable: It cannot be resolved, or its artifacts cannot be loaded.

    """
    import mlflow

    ref = resolve(uri)
    try:
        local, verified = _checked_copy(ref)
        return mlflow.pyfunc.load_model(local), replace(ref, verified=verified)
    except ModelTampered:
        raise
    except Exception as exc:
        raise ModelUnavailable(f"cannot load {ref.describe()} from {configure()}: {first_line(exc)}") from exc


def _checked_copy(ref: ModelRef) -> tuple[str, bool]:
    """A local copy of the model's files checked against its recorded digests, and whether it was.

    The copy stays for the life of the process (the loaded model reads its encoder from it) and no
    longer (``copies``); a copy that fails to download or to match is removed at once.
    """
    import mlflow

    from ticketbuddy.scoring.integrity import read_digests

    if ref.version is None:
        log.warning("%s is outside the registry: no digests to check its files against", ref.uri)
        return ref.uri, False
    try:
        expected = read_digests(_client().get_model_version(ref.name, ref.version).tags or {})
    except ValueError as exc:
        raise ModelTampered(f"{ref.describe()} refused: {exc}") from exc
    folder = copies.new_copy_folder()
    try:
        local = mlflow.artifacts.download_artifacts(ref.exact_uri, dst_path=str(folder / "model"))
        return local, _verified(ref, local, expected)
    except BaseException:
        copies.remove(folder)
        raise


def _verified(ref: ModelRef, local: str, expected: dict[str, str] | None) -> bool:
    """Whether the copy matched the digests recorded at registration (False: there were none).

    Raises:
        ModelTampered: The copy's files differ from the digests.

    """
    from ticketbuddy.scoring.integrity import differences

    if expected is None:
        log.warning(
            "%s has no recorded file digests (registered before they were): loaded UNVERIFIED;"
            " retrain to register a version with digests",
            ref.describe(),
        )
        return False
    problems = differences(local, expected)
    if problems:
        found = "; ".join(problems)
        raise ModelTampered(f"{ref.describe()} refused: its files differ from those registered: {found}")
    return True


def champion(name: str = REGISTERED_MODEL) -> tuple[ModelRef, Any]:
    """The champion's reference and its MLflow model version (tags: who promoted it, when, why).

    Raises:
        ModelUnavailable: There is no champion in the tracking store in force.

    """
    ref = resolve(f"models:/{name}@{CHAMPION}")
    return ref, _client().get_model_version(name, ref.version)


def _client() -> Any:
    from mlflow import MlflowClient

    return MlflowClient()


def _split(ref: str) -> tuple[str, str | None, str | None]:
    """``name@alias`` or ``name/version`` into (name, alias, version)."""
    if "@" in ref:
        name, alias = ref.split("@", 1)
        return name, alias, None
    name, _, version = ref.partition("/")
    return name, None, version or None


def _missing_model(name: str, store: str, exc: Exception) -> str:
    if "not found" in str(exc).lower() or "does not exist" in str(exc).lower():
        return f"no model named {name!r} in the tracking store {store}: {TRAIN_HINT}"
    return f"cannot read the model registry at {store}: {first_line(exc)}"


def _alias_version(client: Any, name: str, alias: str, store: str) -> str:
    try:
        return str(client.get_model_version_by_alias(name, alias).version)
    except Exception as exc:
        known = sorted(getattr(client.get_registered_model(name), "aliases", {}) or {})
        have = f" (it has {', '.join('@' + a for a in known)})" if known else " (it has no alias)"
        fix = (
            "promote a version with `ticketbuddy promote --version N --data PATH`, or " + TRAIN_HINT
            if alias == CHAMPION
            else f"use one that exists, or {TRAIN_HINT}"
        )
        raise ModelUnavailable(f"{name!r} has no alias @{alias} in {store}{have}: {fix}") from exc


def _check_version(client: Any, name: str, version: str | None, store: str) -> str:
    versions = sorted(int(v.version) for v in client.search_model_versions(f"name='{name}'"))
    if version is not None and version.isdigit() and int(version) in versions:
        return version
    have = f"versions {', '.join(map(str, versions))}" if versions else "no versions"
    asked = f"version {version}" if version else "a version in the URI"
    fix = "use one of those" if versions else TRAIN_HINT
    raise ModelUnavailable(f"{name!r} has no {asked} in {store} (it has {have}): {fix}")
