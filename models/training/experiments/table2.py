"""The paper's Table 2 baselines on our data, split and budget, beside BBRAC, all from one pre-trained
encoder (no CMeEE stage, no dictionary features; the CCKS 2020 records in training, as in the recipe):
BERT-BiLSTM-CRF (our encoder, LSTM in place of the BiGRU, no attention), BiGRU-Attention and
FastText-CNN (softmax outputs, on the encoder's character embeddings as static pre-trained vectors:
fastText's are not available offline). Each variant is a pipeline run in its own resumable folder.

    /usr/bin/python3 models/training/experiments/table2.py --encoder ENCODER.pt [--only NAME ...] [--set key=json ...]
    /usr/bin/python3 models/training/experiments/table2.py --table

gpu_run.py runs the same variants (its t2-* jobs). Writes models/training/experiments/table2.json and
prints a Markdown table (dev split, strict micro, as the training loop scores the best epoch).
"""
import argparse
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
TRAINING = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from ablation import TYPES, as_sets, load, record, run_variant  # noqa: E402

BASE = {"intermediate_epochs": 0, "teacher_seeds": [], "pseudo_epochs": 0, "extra_labelled": ["ccks2020"], "lexicon": []}
VARIANTS = {
    "bigru-attn": {"layers": 0, "crf": False},
    "fasttext-cnn": {"layers": 0, "gru": False, "attn": False, "crf": False, "cnn_layers": 3},
    "bert-bilstm-crf": {"rnn": "lstm", "attn": False},
    "bbrac": {},
}
PAPER = {"bigru-attn": 0.77, "fasttext-cnn": 0.74, "bert-bilstm-crf": 0.78, "bbrac": 0.81}


def size_of(encoder):
    """The encoder's size settings, so every variant is built to load it."""
    cfg = torch.load(encoder, map_location="cpu", weights_only=False)["cfg"]
    return {k: cfg[k] for k in ("hidden", "layers", "heads", "ffn", "gru_hidden", "max_len", "pos_init")}


def embeddings_only(encoder, path):
    """The encoder's character and position embeddings as the 0-layer encoder of the non-BERT baselines
    loads them: static pre-trained character vectors (in place of fastText's). gpu_run.py's t2 jobs use it too."""
    bert = torch.load(encoder, map_location="cpu", weights_only=False)["bert"]
    torch.save({"bert": {k: v for k, v in bert.items() if k.split(".")[0] in ("tok", "pos", "ln")}}, path + ".tmp")
    os.replace(path + ".tmp", path)
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--encoder", help="a pre-trained encoder.pt (pretrain.py's output)")
    ap.add_argument("--only", nargs="*", choices=list(VARIANTS))
    ap.add_argument("--set", action="append", default=[], metavar="KEY=JSON", help="base settings for every variant")
    ap.add_argument("--table", action="store_true", help="print the table of the finished variants and exit")
    args = ap.parse_args()
    results_path = os.path.join(HERE, "table2.json")
    if args.table:
        print(table(load(results_path)))
        return
    if not args.encoder:
        ap.error("--encoder is needed to train")
    encoder = os.path.abspath(args.encoder)
    size = size_of(encoder)
    for name in args.only or VARIANTS:
        run_dir = os.path.join(TRAINING, "runs", f"table2-{name}")
        os.makedirs(run_dir, exist_ok=True)
        variant = dict(size, **VARIANTS[name])
        init = embeddings_only(encoder, os.path.join(run_dir, "embeddings.pt")) if variant["layers"] == 0 else encoder
        meta = run_variant(f"table2-{name}", [f"pretrained={json.dumps(init)}"] + as_sets(BASE) + args.set + as_sets(variant))
        record(results_path, name, {"dev": meta["metrics"]["dev"], "architecture": meta["architecture"], "encoder": encoder})
    print(table(load(results_path)))


def table(results):
    rows = ["| model | P | R | F1 | paper F1 | " + " | ".join(alias for _, alias in TYPES) + " |",
            "|---|---|---|---|---|" + "---|" * len(TYPES)]
    for name in VARIANTS:
        if name in results:
            dev = results[name]["dev"]
            m = dev["micro"]
            per_type = " | ".join(f"{dev['types'][t]['f1']:.4f}" if t in dev["types"] else "—" for t, _ in TYPES)
            rows.append(f"| {name} | {m['precision']:.4f} | {m['recall']:.4f} | {m['f1']:.4f} | {PAPER[name]} | {per_type} |")
    return "\n".join(rows)


if __name__ == "__main__":
    main()
