"""Model integrity: the SHA-256 of every file of a model, recorded at registration, checked at load.

The model's files hold a pickle (``escalation_model.joblib``, ``python_model.pkl``) and the
``ticketbuddy`` source the pyfunc imports: whoever can change a file of the artifact store could run
code in every process that loads the model. So when training registers a version, the digest of each
of its files is written on the **model version** as tags (registry metadata, kept apart from the files
it protects), and loading downloads the version, recomputes every digest and compares them **before**
anything is unpickled or imported (``lookup.load_pyfunc``). A changed, missing or extra file is refused
with ``lookup.ModelTampered``, which names the file.

The digests are JSON (``{relative path: sha256}``) cut into tags of at most ``TAG_CHARS`` characters
(``model_digests.0``, ``model_digests.1``, ...) and ``model_digests.parts`` says how many, so a model
of any number of files stays under the value limit of every MLflow registry back end.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

#: Tag prefix of the digests on a model version.
DIGEST_TAG = "model_digests"
#: Longest value of one digest tag (MLflow's own limit is larger on recent stores, 5,000 on older ones).
TAG_CHARS = 4000


def file_digests(folder: str | Path) -> dict[str, str]:
    """``{relative path: sha256 hex}`` of every file under ``folder``, paths with ``/``, sorted.

    Example:
        >>> import tempfile, pathlib
        >>> tmp = tempfile.TemporaryDirectory(); root = pathlib.Path(tmp.name)
        >>> _ = (root / "MLmodel").write_text("flavors: {}")
        >>> file_digests(root)["MLmodel"][:12]
        '84c4260ca2ef'
        >>> tmp.cleanup()

    """
    root = Path(folder)
    digests = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        digests[path.relative_to(root).as_posix()] = digest.hexdigest()
    return digests


def digest_tags(digests: Mapping[str, str]) -> dict[str, str]:
    """The tags that record ``digests``: the JSON in parts of at most ``TAG_CHARS``, and their count.

    Example:
        >>> tags = digest_tags({"MLmodel": "ab" * 32})
        >>> sorted(tags), read_digests(tags) == {"MLmodel": "ab" * 32}
        (['model_digests.0', 'model_digests.parts'], True)

    """
    text = json.dumps(dict(sorted(digests.items())), separators=(",", ":"))
    parts = [text[i : i + TAG_CHARS] for i in range(0, len(text), TAG_CHARS)] or [""]
    return {
        **{f"{DIGEST_TAG}.{i}": part for i, part in enumerate(parts)},
        f"{DIGEST_TAG}.parts": str(len(parts)),
    }


def read_digests(tags: Mapping[str, str]) -> dict[str, str] | None:
    """The digests recorded in a model version's ``tags``; None when it has none (registered before).

    Raises:
        ValueError: The digest tags are incomplete or not the JSON they were written as.

    """
    count = tags.get(f"{DIGEST_TAG}.parts")
    if count is None:
        return None
    try:
        text = "".join(tags[f"{DIGEST_TAG}.{i}"] for i in range(int(count)))
        digests = json.loads(text)
    except (KeyError, ValueError) as exc:
        raise ValueError(f"the recorded file digests ({DIGEST_TAG}.* tags) are damaged: {exc!r}") from exc
    if not isinstance(digests, dict):
        raise ValueError(f"the recorded file digests ({DIGEST_TAG}.* tags) are damaged: not a mapping")
    return {str(k): str(v) for k, v in digests.items()}


def record_digests(client: Any, name: str, version: str) -> dict[str, str]:
    """Download model ``name`` ``version`` as the registry serves it, digest its files and tag the version.

    Called by training right after registering, so the digests are those of the files just written.
    """
    import mlflow

    with tempfile.TemporaryDirectory(prefix="ticketbuddy-digest-") as folder:
        local = mlflow.artifacts.download_artifacts(f"models:/{name}/{version}", dst_path=folder)
        digests = file_digests(local)
    for key, value in digest_tags(digests).items():
        client.set_model_version_tag(name, version, key, value)
    return digests


def differences(folder: str | Path, expected: Mapping[str, str]) -> list[str]:
    """How the files of ``folder`` differ from ``expected``; empty when they match.

    Nothing is read from the files but their bytes. Each kind (changed, missing, added) names its
    first file, sorted, and how many more there are.

    Example:
        >>> import tempfile, pathlib
        >>> tmp = tempfile.TemporaryDirectory(); root = pathlib.Path(tmp.name)
        >>> _ = (root / "MLmodel").write_text("flavors: {}")
        >>> expected = file_digests(root)
        >>> _ = (root / "MLmodel").write_text("flavors: {evil: 1}")
        >>> differences(root, {**expected, "conda.yaml": "00"})
        ['file MLmodel changed', 'file conda.yaml missing']
        >>> tmp.cleanup()

    """
    found = file_digests(folder)
    changed = sorted(p for p in expected if p in found and found[p] != expected[p])
    missing = sorted(p for p in expected if p not in found)
    extra = sorted(p for p in found if p not in expected)
    kinds = (("changed", changed), ("missing", missing), ("added", extra))
    return [_problem(kind, paths) for kind, paths in kinds if paths]


def _problem(kind: str, paths: list[str]) -> str:
    more = f" (and {len(paths) - 1} more)" if len(paths) > 1 else ""
    return f"file {paths[0]} {kind}{more}"
