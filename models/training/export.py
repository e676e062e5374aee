"""Export a trained tagger to ONNX + model.json, and write parity fixtures for the TypeScript core."""
import datetime
import hashlib
import json
import os

import torch

import lexicon as L
import text as T
from model import ALIASES, LABELS, TAGS, Exportable, viterbi
from finetune import build_tagger, lex_tensor
from loop import pad_batch
from settings import as_trained, recipe

OPSET = 14

PARITY_TEXTS = [
    "患者于2019年3月行\u201c腹腔镜下胆囊切除术\u201d，术后予头孢曲松抗感染。",
    "ＣＴ示：右肺上叶结节\uff0c大小约１．２ＣＭ。\r\n血常规：WBC 12.3×10^9/L",
    "𠀀😀\u3000\t\u200b异常字符 Ｘ线",
]


def export(best_path, out_dir, data_summary, name=None):
    """`name` is the exporting run's (default: the checkpoint's), so a run folder renamed to ship
    under the pipeline's name exports under that name."""
    ck = torch.load(best_path, map_location="cpu", weights_only=False)
    cfg, vocab = as_trained(ck["cfg"]), ck["vocab"]
    model = build_tagger(cfg, len(vocab))
    model.load_state_dict(ck["model"])
    model.eval()
    os.makedirs(out_dir, exist_ok=True)
    onnx_path = os.path.join(out_dir, "model.onnx")
    index = {c: i for i, c in enumerate(vocab)}
    ids, mask = pad_batch([T.encode(t, index) for t in PARITY_TEXTS])
    # A model with dictionary features takes them as a third input, computed from lexicon.tsv.
    lexicon = L.from_entries(ck["lexicon"]) if "lexicon" in ck else None
    inputs, names = (ids, mask), ["input_ids", "attention_mask"]
    if lexicon:
        inputs += (lex_tensor([{"lex": lexicon.features(t)} for t in PARITY_TEXTS], ids.shape[1]),)
        names.append("lexicon")
    with torch.no_grad():
        # eval() on the wrapper too: export restores the wrapper's mode, and a fresh module is in training mode.
        torch.onnx.export(Exportable(model).eval(), inputs, onnx_path + ".tmp", opset_version=OPSET,
                          input_names=names, output_names=["emissions"],
                          dynamic_axes={**{n: {0: "batch", 1: "length"} for n in names},
                                        "emissions": {0: "batch", 1: "length"}})
    os.replace(onnx_path + ".tmp", onnx_path)
    import onnx
    onnx.checker.check_model(onnx.load(onnx_path))
    with open(onnx_path, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    crf = model.crf
    lexicon_sha = None
    if lexicon:
        # Written before model.json, which records its hash: the TypeScript loader checks it like the graph's.
        lexicon_path = os.path.join(out_dir, "lexicon.tsv")
        L.write_tsv(lexicon, lexicon_path)
        with open(lexicon_path, "rb") as f:
            lexicon_sha = hashlib.sha256(f.read()).hexdigest()
    meta = {
        "format": "medner-bbrac/1",
        "name": name or cfg["name"],
        "created": datetime.datetime.utcnow().replace(microsecond=0).isoformat() + "Z",
        "onnx": {"file": "model.onnx", "sha256": sha, "opset": OPSET,
                 "inputs": names, "output": "emissions"},
        "architecture": {k: cfg[k] for k in ("hidden", "layers", "heads", "ffn", "gru_hidden", "gru", "attn", "crf")}
        | {"parameters": sum(p.numel() for p in model.parameters())},
        "maxLength": cfg["max_len"],
        "labels": [{"name": n, "alias": a} for n, a in zip(LABELS, ALIASES)],
        "tags": TAGS,
        "normalization": T.NORMALIZATION,
        **({"lexicon": {"file": "lexicon.tsv", "sha256": lexicon_sha, "terms": len(ck["lexicon"]), "types": L.TYPES,
                        "positions": L.POSITIONS, "maxTermLength": L.MAX_TERM,
                        "feature": "bit position * len(types) + type, per code point"}} if lexicon else {}),
        "vocab": vocab,
        "crf": {"transitions": crf.trans.tolist(), "start": crf.start.tolist(), "end": crf.end.tolist()}
        if crf is not None else None,
        "metrics": {"dev": ck["dev"], "epoch": ck["epoch"]},
        "training": data_summary | {k: cfg[k] for k in ("epochs", "lr_encoder", "lr_top", "batch_tokens", "seed")}
        | {"pretrained": bool(cfg["pretrained"]), "recipe": recipe(cfg)}
        | ({"pretraining": {"epochs": cfg["pretrain_epochs"], "wholeWordMasking": cfg["wwm"], "lr": cfg["pretrain_lr"],
                            "batch": cfg["pretrain_batch"], "batchTokens": cfg["pretrain_batch_tokens"],
                            "positionInit": cfg["pos_init"]}} if cfg["pretrained"] else {})
        | ({"intermediate": {"data": "CMeEE (CHIP 2020) train + validation, research use only",
                             "epochs": cfg["intermediate_epochs"]}} if cfg["intermediate_epochs"] else {})
        | ({"distillation": {"teachers": len(cfg["teachers"]), "weight": cfg["distill_weight"],
                             "temperature": cfg["distill_temperature"], "pseudoLabelEpochs": cfg["pseudo_epochs"],
                             "pseudoLabelData": "CMeEE and Tianchi texts labelled by the teachers"}}
           if cfg["teachers"] else {}),
    }
    _write_json(os.path.join(out_dir, "model.json"), meta)
    _write_parity(model, index, os.path.join(out_dir, "parity.json"), lexicon)
    return meta


def _write_parity(model, index, path, lexicon=None):
    """Fixtures: ids per text (tokenizer), [dictionary features,] emissions of the padded batch, and
    Viterbi paths."""
    seqs = [T.encode(t, index) for t in PARITY_TEXTS]
    ids, mask = pad_batch(seqs)
    bits = [lexicon.features(t) for t in PARITY_TEXTS] if lexicon else None
    model.eval()
    with torch.no_grad():
        em = model.emissions(ids, mask, lex_tensor([{"lex": b} for b in bits], ids.shape[1]) if bits else None)
    cases = []
    for i, (text, s) in enumerate(zip(PARITY_TEXTS, seqs)):
        e = em[i, : len(s)]
        case = {"text": text, "ids": s, "emissions": [[round(float(x), 6) for x in row] for row in e]}
        if bits:
            case["lexicon"] = bits[i]
        if model.crf is not None:
            case["viterbi"] = viterbi(e, model.crf.trans, model.crf.start, model.crf.end)
        cases.append(case)
    _write_json(path, {"cases": cases})


def _write_json(path, obj):
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, separators=(",", ":"))
    os.replace(path + ".tmp", path)
