"""One command for every stage: dev split -> vocabulary -> [whole-word-mask pre-training] ->
[CMeEE] -> [CCKS 2017] -> [teachers -> pseudo-labels] -> fine-tuning [distilled] -> ONNX export -> parity
check -> int8 variant.

    /usr/bin/python3 models/training/pipeline.py            # the shipped model's recipe (resumes); pre-training: minutes on a GPU, roughly 12 h on 2 CPU threads; the rest ~40 min on the CPU
    /usr/bin/python3 models/training/pipeline.py --smoke    # tiny end-to-end run for CI
    # an experiment: settings from a file, run folder from its name, exported beside its checkpoints
    /usr/bin/python3 models/training/pipeline.py --config models/training/experiments/configs/scratch-h256-l4.json --out models/training/runs/scratch-h256-l4/model
    # with data curated in the editor (MedNER: Export Curated Data..., Yidu format) added to the training split
    /usr/bin/python3 models/training/pipeline.py --extra-train curated.yidu.jsonl --out models/curated
    # minutes: fine-tune an exported model on curated records (finetune_from.py); no corpora needed
    /usr/bin/python3 models/training/pipeline.py --finetune-from models/bbrac --curated curated.yidu.jsonl --out models/mine

Checkpoints and logs go to models/training/runs/<run>/ (ignored by git); a rerun resumes.
"""
import argparse
import hashlib
import json
import os
import random
import subprocess
import sys
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import text as T  # noqa: E402
import ccks2017  # noqa: E402
import cmeee  # noqa: E402
import lexicon as L  # noqa: E402
import finetune  # noqa: E402
import pretrain  # noqa: E402
import pseudo  # noqa: E402
from export import export  # noqa: E402
from quantize import quantize_model  # noqa: E402
from settings import SettingsError, as_trained, resolve  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(HERE))
# The corpora sit beside the project (../shared/data, read-only); MEDNER_DATA points elsewhere.
DATA = os.environ.get("MEDNER_DATA") or os.path.join(os.path.dirname(ROOT), "shared", "data")

def split(records, dev_size, seed):
    """Fixed, seeded dev split; the dev records are never trained on."""
    order = list(range(len(records)))
    random.Random(seed).shuffle(order)
    dev_ids = set(order[:dev_size])
    return ([r for i, r in enumerate(records) if i not in dev_ids],
            [r for i, r in enumerate(records) if i in dev_ids], sorted(dev_ids))


def add_extra(train, dev, extra, repeat=1):
    """The training split with `extra` records appended `repeat` times. A record whose text is a dev
    record's is left out: the dev split stays unseen, so its F1 still compares with the shipped model's.
    Returns (train, number of extra records used, number left out)."""
    dev_texts = {r["text"] for r in dev}
    used = [r for r in extra if r["text"] not in dev_texts]
    return train + used * repeat, len(used), len(extra) - len(used)


def extra_run_name(name, paths):
    """A run of its own per set of extra files (by content): new curated data starts afresh, a rerun resumes."""
    h = hashlib.sha256()
    for p in paths:
        with open(p, "rb") as f:
            h.update(f.read())
    return f"{name}-extra-{h.hexdigest()[:8]}"


def pretrain_name(cfg):
    """The folder of a pre-trained encoder, shared by every fine-tuning run with the same pre-training
    settings; settings at their first values (those of the first pre-trained model) stay out of the name,
    so older encoders keep their folders."""
    name = f"pretrain-h{cfg['hidden']}-l{cfg['layers']}-{'wwm' if cfg['wwm'] else 'char'}-e{cfg['pretrain_epochs']}"
    if cfg["pos_init"] != "normal":
        name += f"-pos{cfg['pos_init']}"
    if cfg["pretrain_lr"] != 5e-4:
        name += f"-lr{cfg['pretrain_lr']:g}"
    if cfg["pretrain_batch_tokens"]:
        name += f"-bt{cfg['pretrain_batch_tokens']}"
    elif cfg["pretrain_batch"] != 32:
        name += f"-b{cfg['pretrain_batch']}"
    if cfg["pretrain_corpus"] != ["yidu", "cmeee", "tianchi"]:
        name += "-" + "+".join(cfg["pretrain_corpus"])
    if cfg["clinical_repeat"] != 1:
        name += f"-r{cfg['clinical_repeat']}"
    if cfg["pretrain_bf16"]:
        name += "-bf16"
    return name


def train_teacher(cfg, data_seed, train, dev, vocab, init, run_dir, log, lexicon=None):
    """One teacher for distillation, fine-tuned like the student from `init` but alone, in its own folder."""
    name = f"teacher-s{data_seed}" if data_seed is not None else "teacher"
    teacher_dir = os.path.join(run_dir, name)
    os.makedirs(teacher_dir, exist_ok=True)
    cfg = dict(cfg, data_seed=data_seed, teacher_seeds=[])
    return finetune.run(cfg, train, dev, vocab, teacher_dir, lambda msg: log(f"[{name}] {msg}"), init=init,
                        lexicon=lexicon)


def load_yidu(data_dir):
    d = os.path.join(data_dir, "yidu-s4k")
    return (T.read_yidu(os.path.join(d, "subtask1_training_part1.txt"))
            + T.read_yidu(os.path.join(d, "subtask1_training_part2.txt")))


def write_dev(dev, path):
    """The dev split in Yidu's own format, so `medner eval` can score the shipped model on it."""
    T.write_yidu(dev, path)


def pretraining_texts(cfg, data, yidu_train, dev):
    """The pre-training corpus: `yidu_train` is the Yidu training split without extra records, so an
    encoder's folder (named by its settings) always holds the same texts. Never the dev records' texts:
    the dev split stays unseen by every stage."""
    return T.pretraining_texts(data, cfg["pretrain_corpus"], [r["text"] for r in yidu_train], [r["text"] for r in dev],
                               cfg["clinical_repeat"])[: cfg["pretrain_texts"]]


def add_labelled(cfg, data, train, dev, log):
    """The training split with the `extra_labelled` corpora (Yidu-format records) appended."""
    for name in cfg["extra_labelled"]:
        # `train_records` (the smoke run) cuts these as it cuts Yidu's.
        train, used, dropped = add_extra(train, dev, T.read_labelled(data, name)[: cfg["train_records"]])
        log(f"extra labelled records: {used} from {name}" + (f", {dropped} left out: their texts are in the dev split"
                                                           if dropped else ""))
    return train


def train_stages(cfg, args, train, dev, vocab, run_dir, log, yidu_train=None, lexicon=None):
    """Each stage starts from the weights the one before returned (`init`); returns the path of the
    fine-tuned checkpoint."""
    init, pretrain_epochs = cfg["pretrained"], cfg["pretrain_epochs"]
    if cfg["pretrain_epochs"] and not cfg["pretrained"]:
        texts = pretraining_texts(cfg, args.data, train if yidu_train is None else yidu_train, dev)
        name = pretrain_name(cfg)
        pre_dir = os.path.join(os.path.dirname(run_dir), name) if not args.smoke else os.path.join(run_dir, "pretrain")
        os.makedirs(pre_dir, exist_ok=True)
        init, pretrain_epochs = pretrain.run(cfg, texts, vocab, pre_dir, log)
    if cfg["intermediate_epochs"]:
        inter_dir = os.path.join(run_dir, "cmeee")
        os.makedirs(inter_dir, exist_ok=True)
        sentences = cmeee.load(args.data)[: cfg["intermediate_records"]]
        init = cmeee.run(cfg, sentences, vocab, inter_dir, log, init)
    if cfg["ccks2017_epochs"]:
        aux_dir = os.path.join(run_dir, "ccks2017")
        os.makedirs(aux_dir, exist_ok=True)
        records = ccks2017.load(args.data, [r["text"] for r in dev])[: cfg["intermediate_records"]]
        init = cmeee.run(cfg, records, vocab, aux_dir, log, init, tags=ccks2017.TAGS, epochs=cfg["ccks2017_epochs"],
                         what="CCKS 2017")
    teachers = cfg["teachers"]
    if cfg["teacher_seeds"]:
        teachers = [train_teacher(cfg, seed, train, dev, vocab, init, run_dir, log, lexicon) for seed in cfg["teacher_seeds"]]
    if cfg["pseudo_epochs"]:
        if not teachers:
            raise SystemExit("pseudo_epochs needs teachers (teacher_seeds or teachers) to label the unlabelled texts")
        texts = pseudo_texts(cfg, args.data, train, dev)
        pseudo_dir = os.path.join(run_dir, "pseudo")
        os.makedirs(pseudo_dir, exist_ok=True)
        init = pseudo.run(cfg, texts, dev, vocab, pseudo_dir, log, init, teachers, lexicon)
    # Teachers that only labelled texts (distill_weight 0) are not distilled from.
    return finetune.run(cfg, train, dev, vocab, run_dir, log, init=init, teachers=teachers if cfg["distill_weight"] else [],
                        pretrain_epochs=pretrain_epochs, lexicon=lexicon)


def pseudo_texts(cfg, data, train, dev):
    """The texts of `pseudo_corpus` that the teachers label: never a dev text, nor a text that has gold
    labels in the training split (the CCKS 2020 corpus holds both labelled and unlabelled records)."""
    gold = {r["text"] for r in train + dev}
    texts = [t for name in cfg["pseudo_corpus"] for t in T.CORPORA[name](data)]
    return [t for t in texts if t.strip() and t not in gold][: cfg["pseudo_texts"]]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--smoke", action="store_true", help="tiny model, few records, one short epoch")
    ap.add_argument("--run-dir", help="checkpoints and logs (default models/training/runs/<name>)")
    ap.add_argument("--out", help="model directory to export to (default models/bbrac)")
    ap.add_argument("--data", default=DATA)
    ap.add_argument("--config", help="JSON file of settings (models/training/experiments/configs/); --set applies on top")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=JSON", help="override a setting")
    ap.add_argument("--checkpoint", metavar="FILE",
                    help="export this fine-tuned checkpoint (best.pt, e.g. trained on a GPU machine) instead of training")
    ap.add_argument("--no-export", action="store_true", help="stop after fine-tuning (a machine without node)")
    ap.add_argument("--write-dev", metavar="FILE", help="only write the dev split (Yidu JSON lines) to FILE and exit")
    ap.add_argument("--extra-train", action="append", default=[], metavar="FILE",
                    help="Yidu JSON lines (e.g. MedNER's curated export) appended to the training split; repeatable")
    ap.add_argument("--extra-repeat", type=int, default=1, metavar="N",
                    help="how many times the extra records are repeated (weight curated data against the corpus)")
    ap.add_argument("--finetune-from", metavar="DIR",
                    help="fine-tune this exported model folder on --curated records instead of running the recipe (finetune_from.py)")
    ap.add_argument("--curated", action="append", default=[], metavar="FILE",
                    help="with --finetune-from: curated records (Yidu or MedNER JSON lines); repeatable")
    ap.add_argument("--texts", action="append", default=[], metavar="FILE",
                    help="with --finetune-from: uncurated texts for the distillation term (JSON lines or one text a line); repeatable")
    args = ap.parse_args()
    if args.finetune_from:
        finetune_from_main(args)
        return
    try:
        cfg = resolve(args.smoke, args.config, args.set)
    except SettingsError as e:
        sys.exit(f"pipeline.py: {e}")
    if args.write_dev:
        write_dev(split(load_yidu(args.data), cfg["dev_size"], cfg["split_seed"])[1], args.write_dev)
        return
    run_name = extra_run_name(cfg["name"], args.extra_train) if args.extra_train else cfg["name"]
    run_dir = args.run_dir or os.path.join(HERE, "runs", run_name)
    out_dir = args.out or os.path.join(ROOT, "models", "bbrac")
    os.makedirs(run_dir, exist_ok=True)
    torch.set_num_threads(cfg["threads"])
    log_file = open(os.path.join(run_dir, "train.log"), "a", encoding="utf-8")

    def log(msg):
        line = f"{time.strftime('%H:%M:%S')} {msg}"
        print(line, flush=True)
        log_file.write(line + "\n")
        log_file.flush()

    log(f"config {json.dumps(cfg, ensure_ascii=False)}")
    records = load_yidu(args.data)
    train, dev, dev_ids = split(records, cfg["dev_size"], cfg["split_seed"])
    write_dev(dev, os.path.join(run_dir, "dev.yidu.jsonl"))
    vocab_path = os.path.join(run_dir, "vocab.json")
    if os.path.exists(vocab_path):
        with open(vocab_path, encoding="utf-8") as f:
            vocab = json.load(f)
    else:
        vocab = T.build_vocab([r["text"] for r in train] + T.read_unlabelled(args.data), cfg["min_count"])
        with open(vocab_path, "w", encoding="utf-8") as f:
            json.dump(vocab, f, ensure_ascii=False)
    if cfg["train_records"] is not None:
        train = train[: cfg["train_records"]]
    yidu_train = train
    # Left out against the whole dev split, before the smoke run cuts it.
    train = add_labelled(cfg, args.data, train, dev, log)
    if cfg["dev_records"] is not None:
        dev = dev[: cfg["dev_records"]]
    extra = []
    if args.extra_train:
        # After the vocabulary: it stays the corpus's, so pre-trained encoders of this size still fit.
        extra = [r for p in args.extra_train for r in T.read_yidu(p)]
        train, used, dropped = add_extra(train, dev, extra, args.extra_repeat)
        log(f"extra training records: {used} from {', '.join(args.extra_train)} (x{args.extra_repeat})"
            + (f", {dropped} left out: their texts are in the dev split" if dropped else ""))
    log(f"{len(train)} train / {len(dev)} dev records, vocabulary {len(vocab)}")
    if args.checkpoint:
        best = args.checkpoint
        trained = torch.load(best, map_location="cpu", weights_only=False)["cfg"]
        if (trained["dev_size"], trained["split_seed"]) != (cfg["dev_size"], cfg["split_seed"]):
            raise SystemExit(f"{best} was selected on another dev split (dev_size {trained['dev_size']}, "
                             f"split_seed {trained['split_seed']}); its dev metrics would not be this split's")
    else:
        lexicon = None
        if finetune.uses_lexicon(cfg):
            # From the final training split (curated records included), never the dev records.
            lexicon = L.build(cfg["lexicon"], args.data, train, cfg["lexicon_file"])
            log(f"lexicon: {len(lexicon.entries()):,} terms from {', '.join(cfg['lexicon'] + ([cfg['lexicon_file']] if cfg['lexicon_file'] else []))}")
        best = train_stages(cfg, args, train, dev, vocab, run_dir, log, yidu_train, lexicon)
    if args.no_export:
        return
    summary = {"data": "CCKS 2019 Yidu-S4K training set (1000 records), research use only",
               "devSplit": {"size": len(dev), "seed": cfg["split_seed"], "recordIndices": dev_ids}}
    # What the exported checkpoint was trained on, when it was trained elsewhere (gpu_run.py).
    labelled = as_trained(trained)["extra_labelled"] if args.checkpoint else cfg["extra_labelled"]
    if labelled:
        summary["extraLabelled"] = [f"{name}: {'/'.join(T.LABELLED[name])}, research use only" for name in labelled]
    if extra:
        summary["extraTrain"] = {"files": [os.path.basename(p) for p in args.extra_train], "records": len(extra), "repeat": args.extra_repeat}
    meta = export(best, out_dir, summary, cfg["name"])
    log(f"exported {out_dir}/model.onnx (dev F1 {meta['metrics']['dev']['micro']['f1']:.4f})")
    check = os.path.join(HERE, "check_onnx.js")
    subprocess.run(["node", check, out_dir], check=True)
    log("parity check passed")
    log(f"int8 variant: {quantize_model(out_dir)} MatMuls quantised")


def finetune_from_main(args):
    import finetune_from
    log = lambda msg: print(f"{time.strftime('%H:%M:%S')} {msg}", flush=True)  # noqa: E731
    try:
        finetune_from.main(args, args.data, log)
    except finetune_from.FinetuneError as e:
        print(f"medner: {e}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
