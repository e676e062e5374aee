"""One short session on a lent GPU: every stage that needs it, in priority order, under a wall-clock
budget, with everything handed back in OUT (at most 8 flat files, each under 16 MiB).

    bash models/training/gpu_run.sh OUT [BUDGET_SECONDS]        # on the GPU machine (default 540 s)
    bash models/training/gpu_run.sh /tmp/gpu-smoke 240 --smoke   # tiny sizes, on the CPU: checks the whole script

Jobs, in priority order (a job starts once the one it builds on has finished and enough time is left;
up to --lanes run at once, sharing the GPU):
  1. pre-192x3, pre-256x4: whole-word-mask pre-training of the shipped size and a wider/deeper one on
     the larger corpus (`PRETRAIN`: every corpus in text.CORPORA, clinical records twice), their epochs
     cut to fit `--pretrain-share` of the budget.
  2. cmeee-*: the CMeEE intermediate stage of each.
  3. ft-192x3-ccks-s*: fine-tuning with the CCKS 2020 records added, three data seeds (the recipe's
     None, 21, 22), then ft-192x3-yidu-s*: the same without them, then ft-192x3-lex-s*: with them and
     dictionary features (lexicon.py, every source).
  4. ft-256x4-ccks-s13, the paper's Table 2 baselines from the 192x3 encoder without CMeEE (t2-*:
     BBRAC, BERT-BiLSTM-CRF, and BiGRU-Attention / FastText-CNN on that encoder's character
     embeddings), then more seeds of the 256x4.
No teachers, pseudo-labels or distillation: they do not fit a 10-minute session.

The session, step by step:
  bash models/training/gpu_data.sh              # here: .gpudata/ (39.8 MB: 33.3 MB of corpus, 6.5 MB of jieba)
  # on the machine, carrying .gpudata; BUDGET = the command's time limit less ~45 s
  bash models/training/gpu_run.sh "$OUT" 540
  # back here: the checkpoints, then any of them exported and scored through the CLI
  tar xf ckpt-1.tar ...; /usr/bin/python3 models/training/pipeline.py --checkpoint ft-192x3-ccks-s13.fp32.pt --out DIR

OUT gets log.txt (this script's and every job's lines, as they happen), results.json (dev strict
micro F1 of every fine-tuning by the training loop's scoring, per-group mean and sample sd, the
pre-training summaries, which file holds which checkpoint) and up to six ckpt-N.tar with the
checkpoints (`PACK`: fp32 for the encoders and the candidate models, fp16 for the rest). Checkpoints
are state dicts that torch 1.13 loads; `pipeline.py --checkpoint best.pt` exports a fine-tuned one
and `--set pretrained='"encoder.pt"'` fine-tunes from an encoder on the CPU.
"""
import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tarfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "experiments"))

import lexicon as L  # noqa: E402
import text as T  # noqa: E402
import pipeline  # noqa: E402
import table2  # noqa: E402
from settings import resolve  # noqa: E402

SIZES = {"192x3": {"hidden": 192, "layers": 3, "heads": 3, "ffn": 768, "gru_hidden": 96},
         "256x4": {"hidden": 256, "layers": 4, "heads": 4, "ffn": 1024, "gru_hidden": 128}}
SMOKE_SIZES = {"192x3": {"hidden": 32, "layers": 1, "heads": 2, "ffn": 64, "gru_hidden": 16},
               "256x4": {"hidden": 48, "layers": 2, "heads": 2, "ffn": 96, "gru_hidden": 24}}
# Large batches for a GPU alone: fewer, bigger steps; lr 2e-3 converged for 192x3 at 16,384 tokens.
PRETRAIN = {"pretrain_corpus": list(T.CORPORA), "clinical_repeat": 2, "pretrain_batch_tokens": 32768,
            "pretrain_lr": 2e-3, "pretrain_epochs": 60, "pretrain_bf16": True, "pretrain_workers": 4,
            "log_steps": 200, "ckpt_steps": 10 ** 6}
SMOKE_PRETRAIN = dict(PRETRAIN, pretrain_batch_tokens=512, pretrain_epochs=1, pretrain_workers=2, log_steps=5,
                      pretrain_texts=120)
# Every job fine-tunes with the recipe's settings, without teachers.
COMMON = {"teacher_seeds": [], "pseudo_epochs": 0, "threads": 1, "crf_cpu": True,
          "ema_decay": None}  # the first session ran before weight averaging (results/gpu-session-2026-11-26.json)
CCKS = {"extra_labelled": ["ccks2020"], "lexicon": []}
YIDU = {"extra_labelled": [], "lexicon": []}
LEXICON = {"lexicon": ["train", "ccks2020-vocab", "cmeee", "thuocl", "icd10"]}  # dictionary features (lexicon.py)
SEEDS = {"s13": None, "s21": 21, "s22": 22}  # data_seed: None is the seed's own order, as in the recipe


def jobs(smoke):
    """(name, kind, the job it starts from, settings, seconds it needs to be worth starting, the
    precision its checkpoint is sent back at or None), in priority order."""
    sizes = SMOKE_SIZES if smoke else SIZES
    pre = SMOKE_PRETRAIN if smoke else PRETRAIN
    s192, s256 = sizes["192x3"], {**sizes["256x4"], **pre, "pretrain_lr": 1e-3}  # lr 2e-3 is too high for wider ones
    out = [("pre-192x3", "pretrain", None, dict(s192, **pre), 0, "fp32"),
           ("pre-256x4", "pretrain", None, dict(s256), 0, "fp16"),
           ("cmeee-192x3", "cmeee", "pre-192x3", dict(s192, **pre), 40, "fp32")]
    out += [(f"ft-192x3-ccks-{s}", "finetune", "cmeee-192x3", dict(s192, **pre, **CCKS, data_seed=d), 60, "fp32")
            for s, d in SEEDS.items()]
    out += [(f"ft-192x3-yidu-{s}", "finetune", "cmeee-192x3", dict(s192, **pre, **YIDU, data_seed=d), 60, "fp16")
            for s, d in SEEDS.items()]
    out += [(f"ft-192x3-lex-{s}", "finetune", "cmeee-192x3", dict(s192, **pre, **{**CCKS, **LEXICON}, data_seed=d), 60,
             "fp32") for s, d in SEEDS.items()]
    out += [("cmeee-256x4", "cmeee", "pre-256x4", dict(s256), 40, "fp16"),
            ("ft-256x4-ccks-s13", "finetune", "cmeee-256x4", dict(s256, **CCKS), 60, "fp16")]
    t2 = dict(s192, **pre, **table2.BASE)
    # experiments/table2.py's variants, BBRAC first; their dev F1 is what the table needs, their
    # checkpoints stay behind.
    out += [(f"t2-{name}", "finetune", "pre-192x3", dict(t2, **table2.VARIANTS[name]), 60, None)
            for name in ("bbrac", "bert-bilstm-crf", "bigru-attn", "fasttext-cnn")]
    out += [(f"ft-256x4-ccks-{s}", "finetune", "cmeee-256x4", dict(s256, **CCKS, data_seed=d),
             60, "fp16") for s, d in list(SEEDS.items())[1:]]
    return out


# Groups of runs whose dev F1 results.json averages.
GROUPS = {"192x3 + CMeEE + ccks2020": "ft-192x3-ccks-", "192x3 + CMeEE, Yidu only": "ft-192x3-yidu-",
          "192x3 + CMeEE + ccks2020 + lexicon": "ft-192x3-lex-",
          "256x4 + CMeEE + ccks2020": "ft-256x4-ccks-"}
# What the jobs read (gpu_data.sh copies exactly these, and tianchi-drug/*.txt).
DATA_FILES = ["yidu-s4k/subtask1_training_part1.txt", "yidu-s4k/subtask1_training_part2.txt", "cmeee/train_data.txt",
              "cmeee/val_data.txt", "tianchi-drug", "ccks2020/labelled.jsonl", "ccks2020/unlabelled.jsonl",
              "clinical-unlabelled/records.jsonl", "ccks2017/labelled.jsonl", "medical-qa/text.jsonl",
              "medical-qa/cmedqa_noncommercial.jsonl", "medical-qa/cmedqaner.jsonl", "ccks2020/vocab.tsv",
              "lexicons/thuocl_medical.tsv", "lexicons/icd10cn.tsv"]
PART_BYTES = int(15.5 * 2 ** 20)
MAX_PARTS = 6
# The tool sends back 64 MiB in all: log.txt and results.json need the rest. The first session packed
# 6 parts of ~14 MB; the last two (the best runs' checkpoints) did not come back.
TOTAL_BYTES = 62 * 2 ** 20
TAR_ALLOWANCE = 4096  # a member's header and padding, generously


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("budget", nargs="?", type=float, default=540.0, help="seconds until everything is in OUT")
    ap.add_argument("--smoke", action="store_true", help="tiny sizes and data: the whole script in minutes on a CPU")
    ap.add_argument("--data", default=pipeline.DATA)
    ap.add_argument("--runs", default=os.path.join(os.environ.get("TMPDIR", "/tmp"), "medner-gpu-runs"))
    ap.add_argument("--lanes", type=int, default=12, help="jobs at once")
    ap.add_argument("--pretrain-share", type=float, default=0.35, help="fraction of the budget for pre-training")
    ap.add_argument("--skip", action="append", default=[], metavar="PREFIX",
                    help="leave out the jobs whose names start with PREFIX (and those that build on them)")
    ap.add_argument("--job", help=argparse.SUPPRESS)  # internal: run one job (a child process) ...
    ap.add_argument("--plan", help=argparse.SUPPRESS)  # ... of this plan
    args = ap.parse_args()
    if args.job:
        return run_job(args)
    t0 = time.time()
    os.makedirs(args.out, exist_ok=True)
    os.makedirs(args.runs, exist_ok=True)
    log_path = os.path.join(args.out, "log.txt")
    log = line_logger(log_path, "gpu_run")
    deadline = t0 + args.budget
    # Fine-tuning checks the time after each epoch (up to ~20 s on a shared GPU); packing takes seconds.
    stop_at = deadline - (40 if not args.smoke else 10)
    log(f"budget {args.budget:.0f}s, data {args.data}, runs {args.runs}, python {sys.version.split()[0]}")
    missing = [p for p in DATA_FILES if not os.path.exists(os.path.join(args.data, p))]
    if missing:
        sys.exit(f"gpu_run.py: {args.data} lacks {', '.join(missing)} (models/training/gpu_data.sh copies them)")
    plan = {"data": args.data, "runs": args.runs, "smoke": args.smoke, "wwm": has_jieba(log),
            "pretrain_seconds": None if args.smoke else round(args.pretrain_share * args.budget),
            "jobs": {name: {"kind": kind, "after": after, "settings": settings}
                     for name, kind, after, settings, _, _ in selected(args)}}
    prepare(plan, log)
    plan_path = os.path.join(args.runs, "plan.json")
    with open(plan_path, "w", encoding="utf-8") as f:
        json.dump(plan, f, ensure_ascii=False)
    status = schedule(args, plan_path, log_path, log, t0, stop_at, deadline)
    results = collect(args, plan, status, log, t0)
    log(f"done in {time.time() - t0:.0f}s")
    return results


def selected(args):
    """The jobs less those --skip names, and those that build on them."""
    out, names = [], set()
    for job in jobs(args.smoke):
        name, _, after, *_ = job
        if any(name.startswith(p) for p in args.skip) or (after and after not in names):
            continue
        out.append(job)
        names.add(name)
    return out


def has_jieba(log):
    """Whole-word masking needs jieba; without it (not carried to the machine) the session still
    pre-trains, masking single characters, and says so."""
    try:
        import jieba  # noqa: F401
        return True
    except ImportError:
        log("NO JIEBA: pre-training masks single characters (wwm false); put jieba on PYTHONPATH for whole words")
        return False


def line_logger(path, prefix):
    """Lines to stdout and, with `path`, to that file too (a job's stdout is log.txt already)."""
    f = open(path, "a", encoding="utf-8") if path else None

    def log(msg):
        line = f"{time.strftime('%H:%M:%S')} [{prefix}] {msg}"
        print(line, flush=True)
        if f:
            f.write(line + "\n")
            f.flush()
    return log


def prepare(plan, log):
    """The vocabulary (pipeline.py's: the corpus's, so these checkpoints fit its runs) and the jieba
    segmentation of the pre-training corpus, shared by both encoders' jobs."""
    cfg = job_settings(plan, "pre-192x3")
    train, dev = split(plan, cfg, cut=False)
    vocab = T.build_vocab([r["text"] for r in train] + T.read_unlabelled(plan["data"]), cfg["min_count"])
    with open(os.path.join(plan["runs"], "vocab.json"), "w", encoding="utf-8") as f:
        json.dump(vocab, f, ensure_ascii=False)
    train, dev = split(plan, cfg)
    texts = pipeline.pretraining_texts(cfg, plan["data"], train, dev)
    log(f"pre-training corpus: {len(texts):,} texts, {sum(map(len, texts)):,} characters "
        f"({', '.join(cfg['pretrain_corpus'])}; clinical x{cfg['clinical_repeat']}); vocabulary {len(vocab)}")
    import pretrain
    if cfg["wwm"]:
        pretrain.segment(texts, os.path.join(plan["runs"], "words.json"), log)
    import torch  # after the segmentation's worker processes: they need no CUDA
    log(f"torch {torch.__version__}, " + (f"GPU {torch.cuda.get_device_name(0)}" if torch.cuda.is_available() else "no GPU"))


def job_settings(plan, name):
    job = plan["jobs"][name]
    cfg = resolve(plan["smoke"], sets=[f"{k}={json.dumps(v)}" for k, v in {**COMMON, **job["settings"]}.items()])
    cfg["name"] = name
    cfg["wwm"] = plan.get("wwm", True)
    if job["kind"] == "pretrain" and plan["pretrain_seconds"]:
        cfg["pretrain_seconds"] = plan["pretrain_seconds"]
    return cfg


def split(plan, cfg, cut=True):
    train, dev, _ = pipeline.split(pipeline.load_yidu(plan["data"]), cfg["dev_size"], cfg["split_seed"])
    if cut and cfg["train_records"] is not None:
        train = train[: cfg["train_records"]]
    return train, dev


def schedule(args, plan_path, log_path, log, t0, stop_at, deadline):
    """Starts each job in priority order once its predecessor succeeded and enough time is left; every
    job stops itself at stop_at (MEDNER_STOP_AT); one still running near the deadline is killed."""
    todo = selected(args)
    running, status = {}, {}
    env = dict(os.environ, MEDNER_STOP_AT=str(stop_at), PYTHONUNBUFFERED="1")
    while todo or running:
        now = time.time()
        for name, (p, started) in list(running.items()):
            if p.poll() is not None:
                status[name] = {"exit": p.returncode, "start_s": round(started - t0), "seconds": round(now - started)}
                log(f"{name}: exit {p.returncode} after {now - started:.0f}s")
                del running[name]
            elif now > deadline - 10:
                p.send_signal(signal.SIGTERM)
        waiting = 0  # jobs of higher priority waiting for theirs: each keeps a lane free
        for job in list(todo):
            name, _, after, _, need, _ = job
            if after and after not in status:
                waiting += 1
                continue
            if after and status[after].get("exit") != 0:
                todo.remove(job)
                status[name] = {"skipped": f"{after} did not finish"}
                log(f"{name}: skipped, {after} did not finish")
                continue
            if now + need > stop_at:
                todo.remove(job)
                status[name] = {"skipped": f"{stop_at - now:.0f}s left, needs {need}s"}
                log(f"{name}: skipped, {stop_at - now:.0f}s left")
                continue
            if len(running) + waiting >= args.lanes:
                break
            todo.remove(job)
            cmd = [sys.executable, os.path.abspath(__file__), args.out, str(args.budget), "--job", name,
                   "--plan", plan_path]
            with open(log_path, "a", encoding="utf-8") as out:
                running[name] = (subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env), time.time())
            log(f"{name}: started at {time.time() - t0:.0f}s")
        time.sleep(0.5)
    return status


def run_job(args):
    """One job in its own process (its own CUDA context; a crash stays its own)."""
    import torch
    with open(args.plan, encoding="utf-8") as f:
        plan = json.load(f)
    name = args.job
    job = plan["jobs"][name]
    cfg = job_settings(plan, name)
    log = line_logger(None, name)
    torch.set_num_threads(cfg["threads"])
    run_dir = os.path.join(plan["runs"], name)
    os.makedirs(run_dir, exist_ok=True)
    with open(os.path.join(plan["runs"], "vocab.json"), encoding="utf-8") as f:
        vocab = json.load(f)
    train, dev = split(plan, cfg)
    log(f"settings {json.dumps({k: v for k, v in cfg.items() if v != resolve(plan['smoke'])[k]})}")
    init = os.path.join(plan["runs"], job["after"], "encoder.pt") if job["after"] else None
    result = {}
    if job["kind"] == "pretrain":
        import pretrain
        if cfg["wwm"]:
            shutil.copy(os.path.join(plan["runs"], "words.json"), os.path.join(run_dir, "words.json"))
        texts = pipeline.pretraining_texts(cfg, plan["data"], train, dev)
        out, epochs = pretrain.run(cfg, texts, vocab, run_dir, log)
        result = {"epochs": epochs, "steps": torch.load(os.path.join(run_dir, "pretrain_last.pt"), map_location="cpu",
                                                        weights_only=False)["state"]["step"]}
    elif job["kind"] == "cmeee":
        import cmeee
        cfg["pretrain_epochs"] = pretrained_epochs(init)
        cmeee.run(cfg, cmeee.load(plan["data"])[: cfg["intermediate_records"]], vocab, run_dir, log, init)
    else:
        import finetune
        epochs = pretrained_epochs(init)
        if cfg["layers"] == 0:
            init = table2.embeddings_only(init, os.path.join(run_dir, "embeddings.pt"))
        train = pipeline.add_labelled(cfg, plan["data"], train, dev, log)
        lexicon = L.build(cfg["lexicon"], plan["data"], train) if cfg["lexicon"] else None
        if cfg["dev_records"] is not None:
            dev = dev[: cfg["dev_records"]]
        best = finetune.run(cfg, train, dev, vocab, run_dir, log, init=init, pretrain_epochs=epochs, lexicon=lexicon)
        ck = torch.load(best, map_location="cpu", weights_only=False)
        with open(os.path.join(run_dir, "history.json"), encoding="utf-8") as f:
            history = json.load(f)
        result = {"f1": ck["dev"]["micro"]["f1"], "precision": ck["dev"]["micro"]["precision"],
                  "recall": ck["dev"]["micro"]["recall"], "best_epoch": ck["epoch"], "epochs_run": len(history),
                  # MEDNER_STOP_AT ended it before its epochs or patience ran out.
                  "cut": len(history) < cfg["epochs"] and len(history) - ck["epoch"] < cfg["patience"],
                  "f1_by_epoch": [round(h["dev"]["f1"], 4) for h in history],
                  "types": {k: round(v["f1"], 4) for k, v in ck["dev"]["types"].items()},
                  "train_records": len(train)}
    with open(os.path.join(run_dir, "result.json"), "w", encoding="utf-8") as f:
        json.dump(result, f)


def pretrained_epochs(path):
    """The epochs an encoder was pre-trained for (a time budget may have cut the settings')."""
    import torch
    return torch.load(path, map_location="cpu", weights_only=False)["cfg"]["pretrain_epochs"]


def collect(args, plan, status, log, t0):
    """results.json and the ckpt-N.tar parts: each job's checkpoint in priority order, fp16 where
    `jobs` says so, first-fit into parts under 15.5 MiB; what does not fit is listed, not sent."""
    import torch
    results = {"budget_s": args.budget, "elapsed_s": None, "torch": torch.__version__,
               "device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu",
               "pretrain_seconds": plan["pretrain_seconds"], "jobs": {}, "groups": {}, "parts": {}, "left_out": []}
    staged = os.path.join(args.runs, "staged")
    os.makedirs(staged, exist_ok=True)
    files = []
    for name, kind, after, settings, _, precision in selected(args):
        row = dict(status.get(name, {"skipped": "not reached"}), kind=kind, after=after)
        run_dir = os.path.join(args.runs, name)
        source = os.path.join(run_dir, "best.pt" if kind == "finetune" else "encoder.pt")
        if "exit" in row and os.path.exists(os.path.join(run_dir, "result.json")):  # not a stale earlier run's
            with open(os.path.join(run_dir, "result.json"), encoding="utf-8") as f:
                row.update(json.load(f))
        elif kind == "finetune" and os.path.exists(source):
            # Killed at the deadline mid-epoch: its best epoch so far still counts, marked as cut.
            ck = torch.load(source, map_location="cpu", weights_only=False)
            row.update(f1=ck["dev"]["micro"]["f1"], best_epoch=ck["epoch"], cut=True)
        results["jobs"][name] = row
        if precision and os.path.exists(source) and (row.get("exit") == 0 or row.get("cut")):
            ck = torch.load(source, map_location="cpu", weights_only=False)
            if precision == "fp16":
                ck = halved(ck)
            target = os.path.join(staged, f"{name}.{precision}.pt")
            torch.save(ck, target)
            files.append(target)
    for title, prefix in GROUPS.items():
        f1s = [r["f1"] for n, r in results["jobs"].items() if n.startswith(prefix) and "f1" in r]
        if f1s:
            results["groups"][title] = {"runs": len(f1s), "mean": statistics.mean(f1s), "f1": f1s,
                                        "sd": statistics.stdev(f1s) if len(f1s) > 1 else None}
            log(f"{title}: dev F1 {', '.join(f'{x:.4f}' for x in f1s)} (mean {statistics.mean(f1s):.4f})")
    # The encoders first (every later run builds on them), then the fine-tunings, best dev F1 first.
    f1 = {n: r.get("f1", -1) for n, r in results["jobs"].items()}
    files.sort(key=lambda p: (results["jobs"][os.path.basename(p).split(".")[0]]["kind"] == "finetune",
                              -f1[os.path.basename(p).split(".")[0]]))
    parts, results["left_out"] = pack(files)
    for i, part in enumerate(parts, 1):
        name = f"ckpt-{i}.tar"
        with tarfile.open(os.path.join(args.out, name + ".tmp"), "w") as tar:
            for path in part:
                tar.add(path, arcname=os.path.basename(path))
        os.replace(os.path.join(args.out, name + ".tmp"), os.path.join(args.out, name))
        results["parts"][name] = [os.path.basename(p) for p in part]
    results["elapsed_s"] = round(time.time() - t0)
    with open(os.path.join(args.out, "results.json.tmp"), "w", encoding="utf-8") as f:
        json.dump(results, f, ensure_ascii=False, indent=1)
    os.replace(os.path.join(args.out, "results.json.tmp"), os.path.join(args.out, "results.json"))
    log(f"results.json and {len(parts)} checkpoint parts written" +
        (f"; left out: {', '.join(results['left_out'])}" if results["left_out"] else ""))
    return results


def pack(files, part_bytes=PART_BYTES, max_parts=MAX_PARTS, total_bytes=TOTAL_BYTES):
    """`files` (in priority order) first-fit into at most max_parts groups whose sizes, with a tar
    header's allowance each, stay under part_bytes and together under total_bytes; returns the groups
    and the names left out."""
    parts, sizes, left_out = [], [], []
    for path in files:
        size = os.path.getsize(path) + TAR_ALLOWANCE
        if sum(sizes) + size > total_bytes:
            left_out.append(os.path.basename(path))
            continue
        fit = next((i for i, used in enumerate(sizes) if used + size <= part_bytes), None)
        if fit is None and len(parts) < max_parts and size <= part_bytes:
            parts.append([])
            sizes.append(0)
            fit = len(parts) - 1
        if fit is None:
            left_out.append(os.path.basename(path))
            continue
        parts[fit].append(path)
        sizes[fit] += size
    return parts, left_out


def halved(obj):
    """Floating tensors at half precision, anywhere in nested dicts (a checkpoint's state dicts)."""
    import torch
    if isinstance(obj, dict):
        return {k: halved(v) for k, v in obj.items()}
    if isinstance(obj, torch.Tensor) and obj.is_floating_point():
        return obj.half()
    return obj


if __name__ == "__main__":
    main()
