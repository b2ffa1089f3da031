"""Quantise each token's activations on its own, so a text's vector does not depend on its batch-mates.

``onnxruntime``'s dynamic quantisation (``DynamicQuantizeLinear``) gives the activations entering every
int8 MatMul one scale for the whole tensor: every text of the call, padding included. A text's vector
then depends on which texts share its encoder call (up to 0.07 in one element, enough to move an
escalation decision near its threshold), so a file scored in batches and the same tickets sent one by
one to ``/v1/score`` could be decided differently.

``per_token_graph`` rewrites each ``DynamicQuantizeLinear`` into a symmetric quantisation with one scale
per token, ``max |x| / 127`` over its hidden units: the MatMul is given the scalar scale ``1/127`` (a
fused integer MatMul reads its activation scale as a scalar) and each row is multiplied by its own
``max |x|`` after it. Every token is then quantised from its own values alone: the same text gives the
same vector in any batch. A token's own scale is also finer than one shared with the largest value of
the batch, so the vectors are closer to the float model's (mean cosine 0.992 against 0.985 on
generated ticket sentences), for about 15 % more encoder time per ticket (docs/PERFORMANCE.md, item 12).
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: Names of the constants the rewrite adds to the graph.
_INV127, _EPS, _ZERO_POINT = "pt_inv127", "pt_eps", "pt_zp"


def per_token_graph(model: Any) -> Any:
    """``model`` (an ``onnx.ModelProto`` from ``quantize_dynamic``) with per-token activation scales.

    Example:
        >>> import onnx
        >>> from onnx import TensorProto, helper, numpy_helper
        >>> w = numpy_helper.from_array(np.eye(2, dtype=np.int8), "w")
        >>> nodes = [
        ...     helper.make_node("DynamicQuantizeLinear", ["x"], ["q", "s", "z"]),
        ...     helper.make_node("MatMulInteger", ["q", "w", "z"], ["i"]),
        ...     helper.make_node("Cast", ["i"], ["f"], to=TensorProto.FLOAT),
        ...     helper.make_node("Mul", ["f", "s"], ["y"]),
        ... ]
        >>> graph = helper.make_graph(
        ...     nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 2])],
        ...     [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 2])], [w])
        >>> rewritten = per_token_graph(helper.make_model(graph))
        >>> [n.op_type for n in rewritten.graph.node if n.op_type.startswith("Dynamic")]
        []

    """
    from onnx import TensorProto, helper

    graph = model.graph
    graph.initializer.extend(_constants())
    # Listed as an (optional) input too, the activation scale is not folded into a constant, so
    # onnxruntime still fuses MatMulInteger, Cast and the scales' Mul into MatMulIntegerToFloat.
    graph.input.append(helper.make_tensor_value_info(_INV127, TensorProto.FLOAT, []))
    rescale = _token_scales_after(graph)
    constant = {}  # each dynamic scale and zero point, read from now on as the constant ones
    for node in graph.node:
        if node.op_type == "DynamicQuantizeLinear":
            constant.update({node.output[1]: _INV127, node.output[2]: _ZERO_POINT})
    nodes: list[Any] = []
    for node in graph.node:
        if node.op_type == "DynamicQuantizeLinear":
            nodes.extend(_quantise_per_token(node))
            continue
        node.input[:] = [constant.get(name, name) for name in node.input]
        nodes.append(node)
        for i, name in enumerate(node.output):
            if name in rescale:  # the MatMul's result keeps its name, now with the token scale in
                node.output[i] = name + "_per_unit"
                nodes.append(helper.make_node("Mul", [node.output[i], rescale[name]], [name]))
    del graph.node[:]
    graph.node.extend(nodes)
    return model


def _constants() -> list[Any]:
    """The scalars the rewritten graph reads."""
    from onnx import numpy_helper

    values = {
        _INV127: np.float32(1.0 / 127), _EPS: np.float32(1e-8), _ZERO_POINT: np.uint8(128),
    }  # fmt: skip
    return [numpy_helper.from_array(np.array(v), name) for name, v in values.items()]


def _token_scales_after(graph: Any) -> dict[str, str]:
    """For each float result of a quantised MatMul, the per-token scale tensor to multiply it by.

    ``quantize_dynamic`` writes ``MatMulInteger -> Cast -> Mul(activation scale x weight scale)``;
    the rewrite multiplies that Mul's output by the token scale of the MatMul's input.
    """
    consumers: dict[str, list[Any]] = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    rescale: dict[str, str] = {}
    for node in graph.node:
        if node.op_type != "DynamicQuantizeLinear":
            continue
        for matmul in consumers.get(node.output[0], []):
            casts = consumers.get(matmul.output[0], [])
            scaled = consumers.get(casts[0].output[0], []) if len(casts) == 1 else []
            kinds = (matmul.op_type, *(n.op_type for n in casts), *(n.op_type for n in scaled))
            if kinds != ("MatMulInteger", "Cast", "Mul"):
                raise ValueError(f"unexpected quantised MatMul pattern after {node.name}: {kinds}")
            rescale[scaled[0].output[0]] = _token_max(node.input[0])
    return rescale


def _token_max(name: str) -> str:
    """Name of the tensor holding each token's largest absolute activation of ``name``."""
    return name + "_token_scale"


def _quantise_per_token(node: Any) -> list[Any]:
    """Nodes replacing one ``DynamicQuantizeLinear``: its quantised output, scaled per token.

    The quantised output holds ``round(127 * x / max|x|) + 128`` per token (uint8, as the MatMul
    expects); the MatMuls read the constant scale ``1/127`` and zero point 128 instead of the
    dynamic ones (``per_token_graph``), and the token's own ``max|x|`` is multiplied in after them
    (``_token_scales_after``). Five nodes, few on purpose: one short sentence runs this 24 times,
    and each node costs a kernel launch.
    """
    from onnx import helper

    x, quantised = node.input[0], node.output[0]
    stem = x + "_per_token"
    return [
        helper.make_node("Abs", [x], [stem + "_abs"]),
        helper.make_node("ReduceMax", [stem + "_abs"], [stem + "_max"], axes=[-1], keepdims=1),
        helper.make_node("Max", [stem + "_max", _EPS], [_token_max(x)]),
        helper.make_node("Div", [x, _token_max(x)], [stem + "_unit"]),
        helper.make_node("QuantizeLinear", [stem + "_unit", _INV127, _ZERO_POINT], [quantised]),
    ]
