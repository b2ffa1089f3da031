"""The int8 encoder: a text's vector does not depend on the texts embedded with it, and stays the model's.

The per-tensor activation scale of ``onnxruntime``'s dynamic quantisation made a text's vector depend
on its batch-mates (``features/per_token.py``): a file scored in batches and the same tickets sent
one by one could be decided differently. These tests hold the per-token rewrite to what it promises.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ticketbuddy.features.encoder import bundled_model_path, ensure_encoder, load_onnx_encoder, quantise
from ticketbuddy.features.text import load_torch_encoder

SENTENCES = [
    "can I get an actual person on the line",
    "my parcel has been stuck in the depot for nine days and nobody answers my emails",
    "thanks, that sorted it",
    "I came out in hives after using your cream",
    "there was a login from another country and my saved card was used",
    "Where can I read your data protection policy?",
]
LONG = "I have written to you four times about the same broken boiler and the engineer never came. " * 30


def _matmul_model(weights: np.ndarray, path: Path) -> None:
    """A one-MatMul float graph, quantised by ``quantise`` (``dynamic.onnx``, then ``per_token.onnx``)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rows, cols = weights.shape
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"])], "one_matmul",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, None, rows])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, None, cols])],
        [numpy_helper.from_array(weights.astype(np.float32), "w")],
    )  # fmt: skip
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path / "fp32.onnx"))
    quantise(path / "fp32.onnx", path / "dynamic.onnx", path / "per_token.onnx")


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
    batch = np.concatenate([small, rng.normal(scale=100.0, size=(1, 1, 16))], axis=1)
    exact = small[0, 0] @ weights

    def error(name: str) -> float:
        return float(np.abs(_run(tmp_path / name, batch)[0, 0] - exact).max() / np.abs(exact).max())

    per_token = tmp_path / "per_token.onnx"
    assert np.array_equal(_run(per_token, small)[0, 0], _run(per_token, batch)[0, 0])
    assert error("per_token.onnx") < 0.02
    assert error("dynamic.onnx") > 0.5  # per tensor, the batch's large row wipes the small one out


def test_a_text_gets_the_same_vector_alone_and_in_any_batch() -> None:
    encoder = load_onnx_encoder(str(ensure_encoder()))
    alone = np.vstack([encoder.encode([text]) for text in SENTENCES])
    mixed = encoder.encode([LONG, *SENTENCES, "ok"], batch_size=4)[1:-1]
    reversed_ = encoder.encode(SENTENCES[::-1])[::-1]
    assert np.abs(mixed - alone).max() < 1e-6
    assert np.abs(reversed_ - alone).max() < 1e-6


def test_the_int8_vectors_stay_close_to_the_float_model() -> None:
    """The quantised encoder is still all-MiniLM-L6-v2: cosine to its torch embedding on ticket text."""
    texts = [*SENTENCES, LONG[:900]]
    reference = load_torch_encoder(str(bundled_model_path())).encode(texts, normalize_embeddings=True)
    ours = load_onnx_encoder(str(ensure_encoder())).encode(texts)
    cosine = (reference * ours).sum(axis=1)
    assert cosine.min() > 0.97
    assert cosine.mean() > 0.985
