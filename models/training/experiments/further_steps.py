"""Issue 22's further steps on top of the shipped recipe: self-training on clinical records, CCKS 2017 as
a second intermediate stage, adversarial training (FGM), and weight averaging, each one run from the same
CMeEE-stage encoder with the recipe's fine-tuning and one change. Every run keeps an exponential moving
average of the weights (`ema_decay`) and logs the raw weights' dev F1 beside it; the average never
touches training, so the raw weights' trajectory is the same run without averaging, whose early stopping
(`patience` on the raw weights' F1) `without_average` replays from the log. One command per variant,
resumable, in runs/further-<name>/; the table scores each export through the CLI too.

    /usr/bin/python3 models/training/experiments/further_steps.py --encoder CMEEE_ENCODER.pt [--teacher BEST.pt] [--only NAME ...]
    /usr/bin/python3 models/training/experiments/further_steps.py --table     # needs dist/cli.js (npm run build)

CMEEE_ENCODER.pt: the CMeEE stage's encoder.pt of a pipeline run (runs/<run>/cmeee/encoder.pt).
--teacher: the best.pt that labels the clinical texts for self-training (the model card's run used the
model shipped before this variant existed: the recipe's seed-13 run without averaging).
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TRAINING = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from ablation import as_sets, run_variant  # noqa: E402
from cli_score import cli_scores  # noqa: E402

BASE = {"intermediate_epochs": 0, "threads": 1, "ema_decay": 0.995}
SELF_TRAINING = {"pseudo_epochs": 1, "pseudo_corpus": ["clinical", "ccks2020"], "distill_weight": 0}
VARIANTS = {
    "recipe": {},
    "recipe-s21": {"data_seed": 21},
    "recipe-s22": {"data_seed": 22},
    "self-training": SELF_TRAINING,
    "ccks2017": {"ccks2017_epochs": 2},
    "fgm": {"fgm_epsilon": 1.0},
}


def without_average(history, patience=3, epochs=16):
    """(best raw F1, its epoch, the epoch the run would have stopped at, whether the log reaches that stop)."""
    best, at = -1.0, 0
    for h in history:
        if h["dev_raw"]["f1"] > best:
            best, at = h["dev_raw"]["f1"], h["epoch"]
        if h["epoch"] - at >= patience or h["epoch"] >= epochs:
            return best, at, h["epoch"], True
    return best, at, history[-1]["epoch"], False


def table():
    dev = os.path.join(TRAINING, "runs", "further-dev.yidu.jsonl")
    subprocess.run([sys.executable, os.path.join(TRAINING, "pipeline.py"), "--write-dev", dev], check=True)
    rows = ["| variant | with averaging (epoch / run) | without (epoch, stop) | averaging gains | CLI fp32 | CLI int8 |",
            "|---|---|---|---|---|---|"]
    for name in VARIANTS:
        run_dir = os.path.join(TRAINING, "runs", f"further-{name}")
        path = os.path.join(run_dir, "history.json")
        if not os.path.exists(path):
            continue
        with open(path, encoding="utf-8") as f:
            history = json.load(f)
        avg = max(history, key=lambda h: h["dev"]["f1"])
        raw, at, stop, complete = without_average(history)
        model = os.path.join(run_dir, "model")
        rows.append(f"| {name} | {avg['dev']['f1']:.4f} ({avg['epoch']} / {len(history)}) | {raw:.4f} ({at}, {stop}"
                    f"{'' if complete else ', cut'}) | {avg['dev']['f1'] - raw:+.4f} | {cli_scores(model, dev)['micro']['f1']:.4f} | "
                    f"{cli_scores(model, dev, int8=True)['micro']['f1']:.4f} |")
    return "\n".join(rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--encoder", help="the CMeEE stage's encoder.pt")
    ap.add_argument("--teacher", help="best.pt that labels the clinical texts (self-training)")
    ap.add_argument("--only", nargs="*", choices=list(VARIANTS))
    ap.add_argument("--table", action="store_true", help="print the table of the finished variants and exit")
    args = ap.parse_args()
    if args.table:
        print(table())
        return
    if not args.encoder:
        ap.error("--encoder is needed to train")
    for name in args.only or VARIANTS:
        variant = dict(VARIANTS[name])
        if variant.get("pseudo_epochs"):
            if not args.teacher:
                ap.error(f"{name} needs --teacher")
            variant["teachers"] = [os.path.abspath(args.teacher)]
        run_variant(f"further-{name}", [f"pretrained={json.dumps(os.path.abspath(args.encoder))}"]
                    + as_sets(dict(BASE, **variant)))
    print(table())


if __name__ == "__main__":
    main()
