"""Inference speed against model size, measured through the TypeScript core in one run.

    /usr/bin/python3 models/training/experiments/size_curve.py --texts DEV.yidu.jsonl [--threads 1,2]
    /usr/bin/python3 models/training/experiments/size_curve.py --texts DEV.yidu.jsonl --trained DIR [DIR ...]

Without --trained: randomly initialised BBRAC models of several sizes (speed does not depend on the
weights). With --trained: exported models (e.g. runs/<name>/model), each measured for chars/s and for
dev strict micro F1 through the CLI (`medner label` + `medner eval`, windows as shipped),
so the size / F1 / speed curve comes from one run on one machine. DEV is `pipeline.py --write-dev`.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import torch

TRAINING = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(os.path.dirname(TRAINING))
sys.path.insert(0, TRAINING)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from cli_score import cli_scores  # noqa: E402
from export import export  # noqa: E402
from finetune import build_tagger  # noqa: E402
from settings import DEFAULTS  # noqa: E402

SIZES = [  # (hidden, layers, heads, ffn, gru_hidden)
    (256, 4, 4, 1024, 128),
    (256, 2, 4, 1024, 128),
    (192, 3, 3, 768, 96),
    (128, 4, 2, 512, 64),
    (128, 2, 2, 512, 64),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--texts", required=True)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--vocab", default=os.path.join(ROOT, "models", "bbrac", "model.json"))
    ap.add_argument("--trained", nargs="+", metavar="DIR", help="exported model folders to measure instead")
    args = ap.parse_args()
    if args.trained:
        rows = [measure_trained(d, args.texts, args.threads) for d in args.trained]
        print(json.dumps(rows, indent=1))
        return
    with open(args.vocab, encoding="utf-8") as f:
        vocab = json.load(f)["vocab"]
    rows = []
    for hidden, layers, heads, ffn, gru in SIZES:
        cfg = dict(DEFAULTS, hidden=hidden, layers=layers, heads=heads, ffn=ffn, gru_hidden=gru, lexicon=[])
        with tempfile.TemporaryDirectory() as tmp:
            model = build_tagger(cfg, len(vocab))
            best = os.path.join(tmp, "best.pt")
            torch.save({"model": model.state_dict(), "cfg": cfg, "vocab": vocab, "dev": {"micro": {"f1": 0}}, "epoch": 0}, best)
            meta = export(best, os.path.join(tmp, "model"), {})
            speed = measure_speed(os.path.join(tmp, "model"), args.texts, args.threads, tmp)
        rows.append({"hidden": hidden, "layers": layers, "heads": heads, "ffn": ffn, "gru_hidden": gru,
                     "parameters": meta["architecture"]["parameters"], "speed": speed})
        print(json.dumps(rows[-1]), flush=True)
    print(json.dumps(rows, indent=1))


def measure_speed(model_dir, texts, threads, tmp):
    out = os.path.join(tmp, "speed.json")
    subprocess.run(["node", os.path.join(ROOT, "out", "bench", "speed.js"), "--texts", texts,
                    "--model", model_dir, "--threads", threads, "--json", out], check=True)
    with open(out) as f:
        return json.load(f)["rows"]


def measure_trained(model_dir, texts, threads):
    with open(os.path.join(model_dir, "model.json"), encoding="utf-8") as f:
        meta = json.load(f)
    scores = cli_scores(model_dir, texts)
    with tempfile.TemporaryDirectory() as tmp:
        speed = measure_speed(model_dir, texts, threads, tmp)
    row = {"model": model_dir, "name": meta["name"], "architecture": meta["architecture"],
           "pretrained": meta["training"].get("pretrained", False), "devF1": scores["micro"]["f1"], "speed": speed}
    print(json.dumps(row), flush=True)
    return row


if __name__ == "__main__":
    main()
