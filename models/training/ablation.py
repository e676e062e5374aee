"""The paper's ablation (Table 3) on our data and budget, plus what pre-training and whole-word
masking buy. Each variant is a pipeline run in its own resumable folder; rerun to continue.

    /usr/bin/python3 models/training/ablation.py [--only NAME ...] [--set key=json ...]

Writes models/training/ablation.json and prints a Markdown table (dev split, strict micro P/R/F1).
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# Every variant shares the encoder size, data, epochs and pre-training budget of the base settings.
VARIANTS = {
    "bert": {"gru": False, "attn": False, "crf": False},
    "bert-bigru": {"gru": True, "attn": False, "crf": False},
    "bert-bigru-resattn": {"gru": True, "attn": True, "crf": False},
    "bbrac": {},
    "bbrac-no-pretraining": {"pretrain_epochs": 0},
    "bbrac-char-masking": {"wwm": False},
}
PAPER = {"bert": 0.62, "bert-bigru": 0.72, "bert-bigru-resattn": 0.76, "bbrac": 0.81}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", nargs="*", choices=list(VARIANTS))
    ap.add_argument("--set", action="append", default=[], metavar="KEY=JSON", help="base settings for every variant")
    args = ap.parse_args()
    results_path = os.path.join(HERE, "ablation.json")
    for name in args.only or VARIANTS:
        overrides = [f"{k}={json.dumps(v)}" for k, v in VARIANTS[name].items()]
        run_dir = os.path.join(HERE, "runs", f"ablation-{name}")
        out_dir = os.path.join(run_dir, "model")
        cmd = [sys.executable, os.path.join(HERE, "pipeline.py"), "--run-dir", run_dir, "--out", out_dir,
               "--set", f'name="ablation-{name}"']
        for kv in args.set + overrides:
            cmd += ["--set", kv]
        subprocess.run(cmd, check=True)
        with open(os.path.join(out_dir, "model.json"), encoding="utf-8") as f:
            meta = json.load(f)
        # Read just before writing: two 1-thread lanes (--only) may finish variants into the same file.
        results = load(results_path)
        results[name] = {"dev": meta["metrics"]["dev"], "architecture": meta["architecture"], "training": meta["training"]}
        tmp = f"{results_path}.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(results, f, ensure_ascii=False, indent=1)
        os.replace(tmp, results_path)
    print(table(load(results_path)))


def load(path):
    if not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def table(results):
    rows = ["| variant | P | R | F1 | paper F1 |", "|---|---|---|---|---|"]
    for name in VARIANTS:
        if name in results:
            m = results[name]["dev"]["micro"]
            paper = PAPER.get(name)
            rows.append(f"| {name} | {m['precision']:.4f} | {m['recall']:.4f} | {m['f1']:.4f} | "
                        f"{paper if paper is not None else '—'} |")
    return "\n".join(rows)


if __name__ == "__main__":
    main()
