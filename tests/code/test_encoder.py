"""The int8 encoder: a text's vector does not depend on the texts embedded with it, and stays the model's.

The per-tensor activation scale of ``onnxruntime``'s dynamic quantisation made a text's vector depend
on its batch-mates (``features/per_token.py``): a file scored in batches and the same tickets sent
one by one could be decided differently. These tests hold the per-token rewrite to what it promises.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from ticketbuddy.features.encoder import OnnxEncoder, ensure_encoder
from ticketbuddy.features.per_token import per_token_graph

SENTENCES = [
    "can I get an actual person on the line",
    "my parcel has been stuck in the depot for nine days and nobody answers my emails",
    "thanks, that sorted it",
    "I came out in hives after using your cream",
    "there was a login from another country and my saved card was used",
    "Where can I read your data protection policy?",
]
LONG = "I have written to you four times about the same broken boiler and the engineer never came. " * 30


def _matmul_model(weights: np.ndarray, path: Path) -> Path:
    """A one-MatMul float graph quantised the way ``export_encoder`` quantises the encoder."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    from onnxruntime.quantization import QuantType, quantize_dynamic

    rows, cols = weights.shape
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"])], "one_matmul",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, None, rows])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, None, cols])],
        [numpy_helper.from_array(weights.astype(np.float32), "w")],
    )  # fmt: skip
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.save(model, str(path / "fp32.onnx"))
    quantize_dynamic(
        str(path / "fp32.onnx"), str(path / "dynamic.onnx"), per_channel=True,
        op_types_to_quantize=["MatMul"], weight_type=QuantType.QInt8,
    )  # fmt: skip
    onnx.save(per_token_graph(onnx.load(str(path / "dynamic.onnx"))), str(path / "per_token.onnx"))
    return path


def _run(path: Path, x: np.ndarray) -> np.ndarray:
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {"x": x.astype(np.float32)})[0]


def test_a_small_token_beside_a_large_one_keeps_its_precision(tmp_path: Path) -> None:
    """Per token, a row of small values is quantised on its own scale, not the batch's largest value."""
    rng = np.random.default_rng(0)
    weights = rng.normal(size=(16, 8))
    _matmul_model(weights, tmp_path)
    small = rng.normal(scale=0.01, size=(1, 1, 16))
    large = rng.normal(scale=100.0, size=(1, 1, 16))
    batch = np.concatenate([small, large], axis=1)
    exact = small[0, 0] @ weights
    for name in ("dynamic.onnx", "per_token.onnx"):
        alone, together = _run(tmp_path / name, small)[0, 0], _run(tmp_path / name, batch)[0, 0]
        error = np.abs(together - exact).max() / np.abs(exact).max()
        if name == "per_token.onnx":
            assert np.array_equal(alone, together)
            assert error < 0.02
        else:  # the per-tensor scale of the batch's large row wipes the small one out
            assert error > 0.5
            assert not np.allclose(alone, together, atol=1e-4)


def test_a_text_gets_the_same_vector_alone_and_in_any_batch() -> None:
    encoder = OnnxEncoder(ensure_encoder(), threads=1)
    alone = np.vstack([encoder.encode([text]) for text in SENTENCES])
    mixed = encoder.encode([LONG, *SENTENCES, "ok"], batch_size=4)[1:-1]
    reversed_ = encoder.encode(SENTENCES[::-1])[::-1]
    assert np.abs(mixed - alone).max() < 1e-6
    assert np.abs(reversed_ - alone).max() < 1e-6


def test_the_int8_vectors_stay_close_to_the_float_model() -> None:
    """The quantised encoder is still all-MiniLM-L6-v2: cosine to its torch embedding on ticket text."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    sentence_transformers = pytest.importorskip("sentence_transformers")
    from ticketbuddy.features.encoder import bundled_model_path

    model = sentence_transformers.SentenceTransformer(
        str(bundled_model_path()), device="cpu", local_files_only=True
    )
    texts = [*SENTENCES, LONG[:900]]
    reference = model.encode(texts, normalize_embeddings=True)
    ours = OnnxEncoder(ensure_encoder(), threads=1).encode(texts)
    cosine = (reference * ours).sum(axis=1)
    assert cosine.min() > 0.97
    assert cosine.mean() > 0.985
