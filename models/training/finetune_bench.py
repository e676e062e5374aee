"""Benchmark of the curation loop: a simulated user fine-tunes the shipped model on 100 records of a
source it was never trained on, and we measure what they get.

The source is CCKS 2020 task 3 (`ccks2020/labelled.jsonl`: Yidu's six types, 179 records none of which
is a Yidu-S4K training record). A seeded draw of 100 is the user's "curated" export; the other 79 are
held out and never seen. The run is `pipeline.py --finetune-from models/bbrac --curated ...` as a user
would type it (its own 20% hold-out included), timed from start to the int8 export, on 2 threads.
Forgetting is measured on our Yidu-S4K dev split, which nothing here trains on (the replay draws from the
training split only).

    /usr/bin/python3 models/training/finetune_bench.py [--json result.json] [--set KEY=JSON ...]
"""
import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import torch  # noqa: E402

import text as T  # noqa: E402
import pipeline  # noqa: E402
from finetune import evaluate  # noqa: E402
from onnx_weights import rebuild  # noqa: E402
from settings import DEFAULTS  # noqa: E402

CURATED = 100
SEED = 2020


def scores(model_dir, sets):
    model, meta = rebuild(model_dir)
    index = {c: i for i, c in enumerate(meta["vocab"])}
    return {name: evaluate(model, records, index, meta["maxLength"])["micro"] for name, records in sets.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=pipeline.DATA)
    ap.add_argument("--base", default=os.path.join(pipeline.ROOT, "models", "bbrac"))
    ap.add_argument("--work", help="folder for the curated file and the new model (default: a temporary one)")
    ap.add_argument("--json", help="write the result here too")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=JSON", help="a fine-tuning setting (finetune_from.FT_DEFAULTS)")
    args = ap.parse_args()
    torch.set_num_threads(2)
    with open(os.path.join(args.base, "model.json"), encoding="utf-8") as f:
        trained_on = json.dumps(json.load(f).get("training", {}), ensure_ascii=False).lower()
    if "ccks2020" in trained_on or "ccks 2020" in trained_on:
        sys.exit(f"medner: {args.base}/model.json: this model was trained on CCKS 2020, the simulated user's source; "
                 "the benchmark needs a source it has not seen")
    source = T.read_yidu(os.path.join(args.data, "ccks2020", "labelled.jsonl"))
    yidu = pipeline.load_yidu(args.data)
    train, dev, _ = pipeline.split(yidu, DEFAULTS["dev_size"], DEFAULTS["split_seed"])
    # The shipped model never saw these texts: not Yidu-S4K records (the data pack dropped any that shares
    # 50 characters with one), not in its unlabelled pre-training text (CMeEE, Tianchi).
    yidu_texts = {r["text"] for r in yidu}
    assert not any(r["text"] in yidu_texts for r in source), "a CCKS 2020 record is a Yidu-S4K record"
    order = list(range(len(source)))
    random.Random(SEED).shuffle(order)
    curated = [source[i] for i in order[:CURATED]]
    held_out = [source[i] for i in order[CURATED:]]
    work = args.work or tempfile.mkdtemp(prefix="medner-finetune-bench-")
    os.makedirs(work, exist_ok=True)
    curated_path = os.path.join(work, "curated.yidu.jsonl")
    T.write_yidu(curated, curated_path)
    out = os.path.join(work, f"model-{int(time.time())}")
    cmd = [sys.executable, os.path.join(HERE, "pipeline.py"), "--finetune-from", args.base, "--curated", curated_path,
           "--out", out, "--data", args.data] + [x for kv in args.set for x in ("--set", kv)]
    print(" ".join(cmd), file=sys.stderr)
    t0 = time.time()
    subprocess.run(cmd, check=True, stderr=subprocess.DEVNULL)
    seconds = time.time() - t0
    # CPU time of the run too: on a VM whose cores other jobs share, wall time says more about them.
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_seconds = usage.ru_utime + usage.ru_stime
    sets = {"heldOut": held_out, "dev": dev}
    before, after = scores(args.base, sets), scores(out, sets)
    with open(os.path.join(out, "model.json"), encoding="utf-8") as f:
        record = json.load(f)["training"]["finetunedFrom"]
    result = {
        "command": " ".join(["/usr/bin/python3", "models/training/finetune_bench.py"] + [x for kv in args.set for x in ("--set", kv)]),
        "seconds": round(seconds, 1),
        "cpuSeconds": round(cpu_seconds, 1),
        "threads": 2,
        "curated": len(curated), "heldOutRecords": len(held_out), "devRecords": len(dev),
        "trainedOn": record["curated"]["trainRecords"], "replayRecords": record["replayRecords"],
        "heldOut": {"before": before["heldOut"], "after": after["heldOut"],
                    "gain": after["heldOut"]["f1"] - before["heldOut"]["f1"]},
        "dev": {"before": before["dev"], "after": after["dev"], "change": after["dev"]["f1"] - before["dev"]["f1"]},
        "pipelineHeldOut": record["heldOut"],
        "settings": record["settings"],
        "model": out,
    }
    text = json.dumps(result, indent=1, ensure_ascii=False)
    print(text)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    print(f"{seconds / 60:.1f} min on 2 threads ({cpu_seconds / 60:.1f} CPU min); held-out F1 {100 * before['heldOut']['f1']:.2f} -> {100 * after['heldOut']['f1']:.2f} "
          f"({100 * result['heldOut']['gain']:+.2f}); dev F1 {100 * before['dev']['f1']:.2f} -> {100 * after['dev']['f1']:.2f} "
          f"({100 * result['dev']['change']:+.2f})", file=sys.stderr)


if __name__ == "__main__":
    main()
