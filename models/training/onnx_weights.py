"""The PyTorch BBRAC of an exported model folder, rebuilt from `model.onnx` and `model.json` alone
(no checkpoint): what fine-tuning from a shipped model starts from, and what `bench/peer.py` times.

The weights are verified, not assumed: the rebuilt network must reproduce the parity emissions saved
at export (`parity.json`, max |diff| < 1e-4).
"""
import hashlib
import json
import os

import onnx
import torch
from onnx import numpy_helper

import lexicon as L
from finetune import build_tagger, lex_tensor
from settings import DEFAULTS

PARITY_TOLERANCE = 1e-4


def architecture(meta, model_dir=None):
    """Settings of the network as exported: the defaults with model.json's sizes and window length, and
    for a model with dictionary features, its lexicon.tsv as the lexicon (`model_dir` needed then)."""
    lexicon_file = os.path.join(model_dir, meta["lexicon"]["file"]) if meta.get("lexicon") else None
    return dict(DEFAULTS, **{k: v for k, v in meta["architecture"].items() if k != "parameters"}, max_len=meta["maxLength"],
                lexicon=[], lexicon_file=lexicon_file)


def model_lexicon(model_dir, meta):
    """The lexicon.Lexicon of an exported model with dictionary features (None without)."""
    if not meta.get("lexicon"):
        return None
    return L.Lexicon(L.read_entries(os.path.join(model_dir, meta["lexicon"]["file"])))


def read_meta(model_dir):
    with open(os.path.join(model_dir, "model.json"), encoding="utf-8") as f:
        return json.load(f)


def sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def rebuild(model_dir):
    """(model in eval mode, model.json) of an exported folder; raises ValueError when the ONNX file is
    not the one model.json describes or the weights do not reproduce the parity fixtures."""
    meta = read_meta(model_dir)
    onnx_path = os.path.join(model_dir, meta["onnx"]["file"])
    if sha256_of(onnx_path) != meta["onnx"]["sha256"]:
        raise ValueError(f"{onnx_path} does not match the sha256 in its model.json")
    model = build_tagger(architecture(meta, model_dir), len(meta["vocab"])).eval()
    graph = onnx.load(onnx_path).graph
    inits = {i.name: torch.from_numpy(numpy_helper.to_array(i).copy()) for i in graph.initializer}
    state = model.state_dict()
    for name in state:
        if f"tagger.{name}" in inits:
            state[name] = inits[f"tagger.{name}"]
    # Linear weights were exported as anonymous MatMul inputs, transposed, in execution order.
    order = []
    hooks = [m.register_forward_hook(lambda m, i, o, n=n: order.append(n))
             for n, m in model.named_modules() if isinstance(m, torch.nn.Linear)]
    with torch.no_grad():
        model.emissions(torch.ones(1, 4, dtype=torch.long), torch.ones(1, 4, dtype=torch.long),
                        torch.zeros(1, 4, L.DIM) if meta.get("lexicon") else None)
    for h in hooks:
        h.remove()
    matmuls = [n.input[1] for n in graph.node
               if n.op_type == "MatMul" and n.input[1] in inits and not n.input[1].startswith("tagger.")]
    if len(matmuls) != len(order):
        raise ValueError(f"{onnx_path}: {len(matmuls)} weight MatMuls for {len(order)} linear layers of the architecture in model.json")
    for name, w in zip(order, matmuls):
        state[f"{name}.weight"] = inits[w].t()
    # ONNX GRU: gates z, r, h and biases [Wb; Rb]; PyTorch: r, z, n.
    grus = [n for n in graph.node if n.op_type == "GRU"]
    for prefix, node in zip(["gru.fwd", "gru.bwd"], grus):
        w, r, b = (inits[x][0] for x in node.input[1:4])
        h = w.shape[0] // 3
        reorder = lambda t: torch.cat([t[h:2 * h], t[:h], t[2 * h:]])  # noqa: E731
        state[f"{prefix}.weight_ih_l0"] = reorder(w)
        state[f"{prefix}.weight_hh_l0"] = reorder(r)
        state[f"{prefix}.bias_ih_l0"] = reorder(b[:3 * h])
        state[f"{prefix}.bias_hh_l0"] = reorder(b[3 * h:])
    crf = meta["crf"]
    state["crf.trans"], state["crf.start"], state["crf.end"] = (torch.tensor(crf[k]) for k in ("transitions", "start", "end"))
    model.load_state_dict(state)
    worst = parity_diff(model, os.path.join(model_dir, "parity.json"))
    if worst >= PARITY_TOLERANCE:
        raise ValueError(f"{model_dir}: weights rebuilt from {meta['onnx']['file']} do not reproduce parity.json (max |diff| {worst:.2e})")
    return model, meta


@torch.no_grad()
def parity_diff(model, parity_path):
    """Largest |emission difference| between `model` and the fixtures saved at export, text by text."""
    model.eval()
    worst = 0.0
    with open(parity_path, encoding="utf-8") as f:
        for case in json.load(f)["cases"]:
            ids = torch.tensor([case["ids"]])
            lex = lex_tensor([{"lex": case["lexicon"]}], ids.shape[1]) if "lexicon" in case else None
            em = model.emissions(ids, torch.ones_like(ids), lex)[0]
            worst = max(worst, float((em - torch.tensor(case["emissions"])).abs().max()))
    return worst
