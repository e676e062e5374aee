"""Average fine-tuned runs of one pre-trained encoder into a single model (a "model soup"), for free
at inference: the shipped network's size and speed do not change.

    /usr/bin/python3 models/training/experiments/soup.py --out runs/soup/best.pt runs/soup-*/best.pt
    /usr/bin/python3 models/training/pipeline.py --checkpoint runs/soup/best.pt --set hidden=192 ...  # export

Greedy (Wortsman et al., 2022): the runs are tried best dev F1 first, and one joins the average only
if the dev F1 of the average does not fall. The runs must share their initial weights (the same
encoder and `seed`; `data_seed` varies the batch order and dropout), or their average is noise.
"""
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import pipeline  # noqa: E402
from finetune import build_tagger, evaluate  # noqa: E402
from loop import save_atomic  # noqa: E402
from settings import as_trained  # noqa: E402

SHAPE_KEYS = ("hidden", "layers", "heads", "ffn", "gru_hidden", "gru", "attn", "crf", "max_len", "seed")


def average(states):
    return {k: sum(s[k].float() for s in states) / len(states) for k in states[0]}


def load_runs(paths):
    runs = [torch.load(p, map_location="cpu", weights_only=False) for p in paths]
    first = runs[0]
    for p, ck in zip(paths, runs):
        if ck["vocab"] != first["vocab"] or any(ck["cfg"][k] != first["cfg"][k] for k in SHAPE_KEYS):
            raise SystemExit(f"{p}: not the same network, vocabulary and initial weights as {paths[0]}")
    return runs


def greedy_soup(runs, score, log=print):
    """(indices of the runs kept, metrics of their average), the runs taken best first."""
    order = sorted(range(len(runs)), key=lambda i: -runs[i]["dev"]["micro"]["f1"])
    kept, best = [order[0]], score(runs[order[0]]["model"])
    log(f"start: run {order[0]} alone, dev F1 {best['micro']['f1']:.4f}")
    for i in order[1:]:
        trial = score(average([runs[j]["model"] for j in kept + [i]]))
        joined = trial["micro"]["f1"] >= best["micro"]["f1"]
        log(f"with run {i} (alone {runs[i]['dev']['micro']['f1']:.4f}): {trial['micro']['f1']:.4f}"
            + (" kept" if joined else " left out"))
        if joined:
            kept, best = kept + [i], trial
    return kept, best


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoints", nargs="+", help="best.pt of each fine-tuning run")
    ap.add_argument("--out", required=True)
    ap.add_argument("--data", default=pipeline.DATA)
    ap.add_argument("--uniform", action="store_true", help="average every run instead of choosing greedily")
    args = ap.parse_args()
    torch.set_num_threads(2)
    runs = load_runs(args.checkpoints)
    cfg, vocab = as_trained(runs[0]["cfg"]), runs[0]["vocab"]
    dev = pipeline.split(pipeline.load_yidu(args.data), cfg["dev_size"], cfg["split_seed"])[1]
    index = {c: i for i, c in enumerate(vocab)}
    model = build_tagger(cfg, len(vocab))

    def score(state):
        model.load_state_dict(state)
        return evaluate(model, dev, index, cfg["max_len"])

    if args.uniform:
        kept = list(range(len(runs)))
        metrics = score(average([r["model"] for r in runs]))
    else:
        kept, metrics = greedy_soup(runs, score)
    seeds = [as_trained(runs[i]["cfg"]) for i in kept]
    soup = {"runs": len(kept), "of": len(runs),
            "dataSeeds": [c["seed"] if c["data_seed"] is None else c["data_seed"] for c in seeds]}
    print(f"soup of {len(kept)} of {len(runs)} runs: dev F1 {metrics['micro']['f1']:.4f}")
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    save_atomic({"model": average([runs[i]["model"] for i in kept]), "cfg": cfg, "vocab": vocab, "dev": metrics,
                 "epoch": [runs[i]["epoch"] for i in kept], "soup": soup}, args.out)


if __name__ == "__main__":
    main()
