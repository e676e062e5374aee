"""Inference speed against model size: exports randomly initialised BBRAC models of several sizes
(speed does not depend on the weights) and measures chars/s through the TypeScript core.

    /usr/bin/python3 models/training/size_curve.py --texts DEV.yidu.jsonl [--threads 2]

F1 for each size comes from training it (pipeline.py --set hidden=... ); this gives the other axis.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

from export import export  # noqa: E402
from finetune import build_tagger  # noqa: E402
from pipeline import DEFAULTS  # noqa: E402

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
    ap.add_argument("--threads", default="2")
    ap.add_argument("--vocab", default=os.path.join(ROOT, "models", "bbrac", "model.json"))
    args = ap.parse_args()
    with open(args.vocab, encoding="utf-8") as f:
        vocab = json.load(f)["vocab"]
    rows = []
    for hidden, layers, heads, ffn, gru in SIZES:
        cfg = dict(DEFAULTS, hidden=hidden, layers=layers, heads=heads, ffn=ffn, gru_hidden=gru)
        with tempfile.TemporaryDirectory() as tmp:
            model = build_tagger(cfg, len(vocab))
            best = os.path.join(tmp, "best.pt")
            torch.save({"model": model.state_dict(), "cfg": cfg, "vocab": vocab, "dev": {"micro": {"f1": 0}}, "epoch": 0}, best)
            meta = export(best, os.path.join(tmp, "model"), {})
            out = os.path.join(tmp, "speed.json")
            subprocess.run(["node", os.path.join(ROOT, "out", "bench", "speed.js"), "--texts", args.texts,
                            "--model", os.path.join(tmp, "model"), "--threads", args.threads, "--json", out], check=True)
            with open(out) as f:
                speed = json.load(f)["rows"]
        rows.append({"hidden": hidden, "layers": layers, "heads": heads, "ffn": ffn, "gru_hidden": gru,
                     "parameters": meta["architecture"]["parameters"], "speed": speed})
        print(json.dumps(rows[-1]), flush=True)
    print(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
