"""Pre-train and fine-tune several BBRAC sizes side by side on one GPU lent for a few minutes.

    python3 models/training/experiments/gpu_sweep.py --data DATA --words words.json --out OUT --seconds 540
    # fine-tuning only: runs from one pre-trained encoder, to average (soup.py)
    python3 models/training/experiments/gpu_sweep.py --data DATA --encoder encoder.pt --out OUT --seconds 240

Every job is `pipeline.py --no-export` with its own settings; small models leave a GPU mostly idle,
so the jobs share it. Pre-training gets `--pretrain-seconds` (its epochs are cut to fit, measured
early on) and fine-tuning stops at the deadline, so the checkpoints are in OUT before the machine
goes back: each job's best.pt (when under --max-mb) and logs.tar.gz with the logs, histories and
fp16 copies of the pre-trained encoders. Export them here with `pipeline.py --checkpoint`.
"""
import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import tarfile
import time

import torch

TRAINING = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, TRAINING)
import pipeline  # noqa: E402
from settings import DEFAULTS, FIRST_DATA  # noqa: E402

SIZES = {
    "h128-l4": {"hidden": 128, "layers": 4, "heads": 2, "ffn": 512, "gru_hidden": 64},
    "h192-l3": {"hidden": 192, "layers": 3, "heads": 3, "ffn": 768, "gru_hidden": 96},
    "h192-l4": {"hidden": 192, "layers": 4, "heads": 3, "ffn": 768, "gru_hidden": 96},
    "h256-l4": {"hidden": 256, "layers": 4, "heads": 4, "ffn": 1024, "gru_hidden": 128},
    "h384-l6": {"hidden": 384, "layers": 6, "heads": 6, "ffn": 1536, "gru_hidden": 192},
}
# The settings the sweep of the model card ran with, pinned as settings.py's DEFAULTS move on: the
# CPU recipe's batches, and no CMeEE stage (it ran on the CPU afterwards).
SWEEP = {"pretrain_batch_tokens": 4096, "pretrain_lr": 1e-3, "intermediate_epochs": 0, "teacher_seeds": [], "pseudo_epochs": 0,
         **FIRST_DATA}
BIG_BATCH = dict(SWEEP, pretrain_batch_tokens=16384, pretrain_lr=2e-3)  # 4x fewer steps: the GPU waits less on Python
# (size, pre-training epochs, settings): one recipe at three sizes for the curve, a ceiling, a longer run.
JOBS = [("h128-l4", 60, SWEEP), ("h192-l3", 60, SWEEP), ("h256-l4", 60, SWEEP), ("h384-l6", 60, BIG_BATCH),
        ("h192-l3", 120, BIG_BATCH)]


# Fine-tuning runs from one encoder (--encoder): the same initial weights, other batch orders and dropout.
SOUP = [("h192-l3", dict(SWEEP, data_seed=s, patience=16)) for s in (13, 21, 22, 23, 24, 25)]


def job_cfg(size, epochs, extra, device):
    name = f"gpu-{size}-e{epochs}" + ("-bt16k" if extra.get("pretrain_batch_tokens") == 16384 else "")
    return dict(DEFAULTS, **SIZES[size], **extra, pretrain_epochs=epochs, device=device, name=name,
                log_steps=200, ckpt_steps=1000)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True)
    ap.add_argument("--words", help="the jieba segmentation cache (words.json) of a CPU run")
    ap.add_argument("--encoder", help="fine-tune the SOUP runs from this pre-trained encoder (no pre-training)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--runs", default="/tmp/medner-runs")
    ap.add_argument("--seconds", type=float, required=True, help="everything must be in --out by then")
    ap.add_argument("--pretrain-seconds", type=float)
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--max-mb", type=float, default=15.5)
    ap.add_argument("--jobs", help="comma-separated indices into JOBS (default all)")
    ap.add_argument("--set", action="append", default=[], help="extra pipeline settings for every job")
    args = ap.parse_args()
    if not args.encoder and not args.words:
        ap.error("--words is needed to pre-train: jieba is not on the GPU machine")
    t0 = time.time()
    stop_at = t0 + args.seconds - 25  # collecting the files takes a few seconds
    pre_seconds = args.pretrain_seconds or 0.55 * args.seconds
    os.makedirs(args.out, exist_ok=True)
    os.makedirs(args.runs, exist_ok=True)
    if args.encoder:
        plan = [(size, 0, dict(extra, pretrained=os.path.abspath(args.encoder))) for size, extra in SOUP]
    else:
        plan = JOBS
    jobs = [plan[int(i)] for i in args.jobs.split(",")] if args.jobs else plan
    procs = []
    for size, epochs, extra in jobs:
        cfg = job_cfg(size, epochs, extra, args.device)
        if args.encoder:
            cfg["name"] = f"soup-{size}-s{extra['data_seed']}"
        run_dir = os.path.join(args.runs, cfg["name"])
        pre_dir = os.path.join(args.runs, pipeline.pretrain_name(cfg))
        if not args.encoder:
            os.makedirs(pre_dir, exist_ok=True)
            shutil.copy(args.words, os.path.join(pre_dir, "words.json"))
        sets = [f"{k}={json.dumps(cfg[k])}" for k in ("name", "device", "log_steps", "ckpt_steps", "pretrain_epochs",
                                                       *SIZES[size], *extra)]
        sets += [f"pretrain_seconds={pre_seconds}", *args.set]
        cmd = [sys.executable, os.path.join(TRAINING, "pipeline.py"), "--data", args.data, "--run-dir", run_dir,
               "--no-export"] + [a for s in sets for a in ("--set", s)]
        env = dict(os.environ, MEDNER_STOP_AT=str(stop_at), PYTHONUNBUFFERED="1")
        with open(os.path.join(args.runs, cfg["name"] + ".out"), "w") as out:
            procs.append((cfg, run_dir, pre_dir, subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)))
    for cfg, run_dir, pre_dir, p in procs:
        p.wait()
        print(f"{cfg['name']}: exit {p.returncode} at {time.time() - t0:.0f}s", flush=True)
    summary = []
    with tarfile.open(os.path.join(args.out, "logs.tar.gz"), "w:gz") as tar:
        for cfg, run_dir, pre_dir, p in procs:
            row = {"name": cfg["name"], "exit": p.returncode}
            for f in glob.glob(os.path.join(args.runs, cfg["name"] + ".out")) + \
                    glob.glob(os.path.join(run_dir, "*.log")) + glob.glob(os.path.join(run_dir, "history.json")):
                tar.add(f, arcname=os.path.join(cfg["name"], os.path.basename(f)))
            log = os.path.join(pre_dir, "train.log")
            if os.path.exists(log):
                tar.add(log, arcname=os.path.join(os.path.basename(pre_dir), "train.log"))
            enc = os.path.join(pre_dir, "encoder.pt")
            # The small encoders only: the tarball must stay under 16 MiB.
            if os.path.exists(enc) and cfg["hidden"] * cfg["layers"] <= 576:
                ck = torch.load(enc, map_location="cpu", weights_only=False)
                ck["bert"] = {k: v.half() for k, v in ck["bert"].items()}
                half = os.path.join(args.runs, os.path.basename(pre_dir) + ".fp16.pt")
                torch.save(ck, half)
                tar.add(half, arcname=os.path.join(os.path.basename(pre_dir), "encoder.fp16.pt"))
            best = os.path.join(run_dir, "best.pt")
            if os.path.exists(best):
                ck = torch.load(best, map_location="cpu", weights_only=False)
                row.update(epoch=ck["epoch"], f1=ck["dev"]["micro"]["f1"], pretrain_epochs=ck["cfg"]["pretrain_epochs"])
                if os.path.getsize(best) < args.max_mb * 2 ** 20:
                    shutil.copy(best, os.path.join(args.out, cfg["name"] + ".pt"))
            summary.append(row)
            print(json.dumps(row), flush=True)
    with open(os.path.join(args.out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
    print(f"done in {time.time() - t0:.0f}s", flush=True)


if __name__ == "__main__":
    main()
