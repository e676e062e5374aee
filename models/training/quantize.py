"""Int8 weight quantisation of an exported model (ONNX Runtime's dynamic scheme, done by hand:
onnxruntime's Python tools are not installable here).

Every MatMul with a constant weight becomes DynamicQuantizeLinear(x) -> MatMulInteger(x_u8, W_s8)
-> Cast -> Mul(x_scale * w_scale). Weights are quantised per output column, symmetric, to 7 bits
(±63): u8×s8 kernels on CPUs without VNNI add pairs of products in int16, which 8-bit weights can
overflow. The GRUs stay fp32 (ONNX has no integer GRU).

    /usr/bin/python3 models/training/quantize.py models/bbrac     # writes model.int8.onnx, updates model.json
"""
import hashlib
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def quantize(src, dst):
    model = onnx.load(src)
    graph = model.graph
    inits = {i.name: i for i in graph.initializer}
    nodes, count = [], 0
    for node in graph.node:
        w = inits.get(node.input[1]) if node.op_type == "MatMul" and len(node.input) == 2 else None
        if w is None or len(w.dims) != 2:
            nodes.append(node)
            continue
        weight = numpy_helper.to_array(w).astype(np.float32)
        scale = np.maximum(np.abs(weight).max(axis=0), 1e-8) / 63.0
        q = np.clip(np.round(weight / scale), -63, 63).astype(np.int8)
        base = f"{node.name or node.output[0]}_q{count}"
        graph.initializer.extend([
            numpy_helper.from_array(q, f"{base}_w"),
            numpy_helper.from_array(scale.astype(np.float32), f"{base}_ws"),
        ])
        nodes += [
            helper.make_node("DynamicQuantizeLinear", [node.input[0]], [f"{base}_x", f"{base}_xs", f"{base}_xzp"]),
            # No weight zero point (symmetric): the form ONNX Runtime fuses into DynamicQuantizeMatMul.
            helper.make_node("MatMulInteger", [f"{base}_x", f"{base}_w", f"{base}_xzp"], [f"{base}_i32"]),
            helper.make_node("Cast", [f"{base}_i32"], [f"{base}_f"], to=TensorProto.FLOAT),
            helper.make_node("Mul", [f"{base}_xs", f"{base}_ws"], [f"{base}_s"]),
            helper.make_node("Mul", [f"{base}_f", f"{base}_s"], [node.output[0]]),
        ]
        count += 1
    del graph.node[:]
    graph.node.extend(nodes)
    used = {i for n in graph.node for i in n.input}
    keep = [i for i in graph.initializer if i.name in used]
    del graph.initializer[:]
    graph.initializer.extend(keep)
    onnx.checker.check_model(model)
    onnx.save(model, dst + ".tmp")
    os.replace(dst + ".tmp", dst)
    return count


def quantize_model(model_dir):
    """Adds model.int8.onnx beside an exported model and records it in model.json."""
    meta_path = os.path.join(model_dir, "model.json")
    with open(meta_path, encoding="utf-8") as f:
        meta = json.load(f)
    dst = os.path.join(model_dir, "model.int8.onnx")
    count = quantize(os.path.join(model_dir, meta["onnx"]["file"]), dst)
    with open(dst, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    meta["onnx"]["int8"] = {"file": "model.int8.onnx", "sha256": sha, "quantizedMatMuls": count}
    with open(meta_path + ".tmp", "w", encoding="utf-8") as f:
        json.dump(meta, f, ensure_ascii=False, separators=(",", ":"))
    os.replace(meta_path + ".tmp", meta_path)
    return count


def main():
    dst = os.path.join(sys.argv[1], "model.int8.onnx")
    count = quantize_model(sys.argv[1])
    print(f"{count} MatMuls quantised -> {dst} ({os.path.getsize(dst) / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
