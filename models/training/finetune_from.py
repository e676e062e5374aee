"""Fine-tuning from an exported model on a user's curated records, in minutes on the CPU.

`pipeline.py --finetune-from DIR --curated FILE [--curated FILE ...] --out DIR` runs it. The network is
rebuilt from DIR's `model.onnx` + `model.json` (onnx_weights.py: no checkpoint, no corpora needed), then
trained on the curated records with the CRF loss plus a distillation term towards the base model's own
tag distributions (its soft labels on the curated texts, on `--texts` when given, and on the replayed
records), so what the base model knew is kept where the curated records say nothing. When the training
corpus is there (`../shared/data`), a sample of its training records (never the dev split) is replayed
with its gold labels too.

Part of the curated records is held out (`holdout`), or, when that would leave fewer than
`min_holdout` records, every record is held out once in `folds`-fold cross-validation (the final
model then trains on all of them); strict P/R/F1 before and after go to model.json. Every stage is
resumable from the run folder. Progress goes to stderr as JSON lines, `{"medner_progress": {...}}`.
"""
import hashlib
import json
import os
import random
import subprocess
import sys
import time

import torch

import text as T
from finetune import attach_teacher_targets, batches, evaluate, lex_tensor, make_windows, pad_soft
from loop import optimise, resume, save_atomic, save_checkpoint, schedule
from model import LABELS, ALIASES
from onnx_weights import architecture, model_lexicon, rebuild, sha256_of

HERE = os.path.dirname(os.path.abspath(__file__))

# What fine-tuning from a model uses unless `--set KEY=JSON` says otherwise.
FT_DEFAULTS = {
    "epochs": 6,  # passes over the curated records
    "lr_encoder": 2e-4,  # encoder learning rate (lower than training from scratch: keep what it knows)
    "lr_top": 1e-3,  # learning rate of the layers above the encoder
    "weight_decay": 0.01,  # AdamW weight decay
    "warmup": 0.1,  # fraction of the steps spent warming the learning rate up
    "batch_tokens": 4096,  # batch budget: longest window x windows per batch
    "curated_repeat": 2,  # each curated record this many times per epoch
    "distill_weight": 1.0,  # weight of the KL term towards the base model's tag distributions (replayed and uncurated texts)
    "distill_curated": 0.3,  # its weight on the curated records, where the corrections should win
    "distill_temperature": 2.0,  # softmax temperature of that KL term
    "replay": 1.0,  # corpus training records replayed, per curated training record (0: none)
    "holdout": 0.2,  # fraction of the curated records held out for the before/after scores
    "min_holdout": 10,  # fewer held-out records than this: cross-validate instead
    "folds": 5,  # folds of that cross-validation
    "seed": 13,  # held-out choice, replay sample, batch order and dropout
    "threads": 2,  # torch CPU threads
    "max_steps": None,  # int: cut every epoch after this many steps (the smoke run)
}


class FinetuneError(ValueError):
    """A one-line reason the fine-tuning cannot start."""


def resolve_settings(sets):
    cfg = dict(FT_DEFAULTS)
    for kv in sets:
        key, eq, text = kv.partition("=")
        if not eq or key not in FT_DEFAULTS:
            raise FinetuneError(f"--set {kv[:200]}: not one of the fine-tuning settings ({', '.join(FT_DEFAULTS)})")
        try:
            value = json.loads(text)
        except ValueError:
            raise FinetuneError(f"--set {kv[:200]}: the value is not JSON") from None
        default = FT_DEFAULTS[key]
        if key == "max_steps":
            ok = value is None or type(value) is int
        elif type(default) is float:
            ok = type(value) in (int, float)
        else:
            ok = type(value) is type(default)
        if not ok:
            raise FinetuneError(f"--set {kv[:200]}: {key} takes a value like {json.dumps(default)}")
        cfg[key] = value
    return cfg


_LABEL_OF = {**{l: l for l in LABELS}, **dict(zip(ALIASES, LABELS))}


def read_curated(path):
    """Yidu JSON lines (MedNER: Export Curated Data…, format yidu) or MedNER's own JSON lines
    (`text` + `entities` of `start`, `end`, `label`); offsets in code points, exclusive ends."""
    records = []
    with open(path, encoding="utf-8-sig") as f:
        for n, line in enumerate(f, 1):
            line = line.strip().lstrip("\ufeff")
            if not line:
                continue
            where = f"{path}:{n}"
            try:
                obj = json.loads(line)
            except ValueError:
                raise FinetuneError(f"{where}: not JSON: {line[:200]}") from None
            if not isinstance(obj, dict):
                raise FinetuneError(f"{where}: not a JSON object: {line[:200]}")
            if "originalText" in obj:
                text = obj["originalText"]
                ents = [(e.get("start_pos"), e.get("end_pos"), e.get("label_type")) for e in obj.get("entities", [])]
            elif "text" in obj:
                text = obj["text"]
                ents = [(e.get("start"), e.get("end"), e.get("label")) for e in obj.get("entities", [])]
            else:
                raise FinetuneError(f"{where}: neither originalText (Yidu) nor text (MedNER JSON lines)")
            if not isinstance(text, str):
                raise FinetuneError(f"{where}: the text is not a string")
            spans = []
            for s, e, label in ents:
                if label not in _LABEL_OF:
                    raise FinetuneError(f"{where}: unknown entity type {str(label)[:50]!r} (the model's: {', '.join(LABELS)})")
                if not (type(s) is int and type(e) is int and 0 <= s < e <= len(text)):
                    raise FinetuneError(f"{where}: entity offsets {s}..{e} outside the text of {len(text)} characters")
                spans.append((s, e, _LABEL_OF[label]))
            spans.sort()
            if any(a[1] > b[0] for a, b in zip(spans, spans[1:])):
                raise FinetuneError(f"{where}: overlapping entities (the tagger reads flat entities only)")
            records.append({"text": text, "entities": spans})
    return records


def read_texts(path):
    """Uncurated texts for the distillation term: JSON lines with `originalText` or `text`, or plain text (one a line)."""
    out = []
    with open(path, encoding="utf-8-sig") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            if line.startswith("{"):
                obj = json.loads(line)
                line = obj.get("originalText", obj.get("text", ""))
            if line.strip():
                out.append(line)
    return out


def data_hash(paths):
    h = hashlib.sha256()
    for p in paths:
        h.update(sha256_of(p).encode())
    return h.hexdigest()


class Progress:
    """Machine-readable progress on stderr for a UI (the VS Code command reads it), plus the run's log."""

    def __init__(self, log, stream):
        self.log, self.stream = log, stream

    def __call__(self, stage, fraction, message, **extra):
        event = {"stage": stage, "fraction": round(min(1.0, max(0.0, fraction)), 4), "message": message} | extra
        self.stream.write(json.dumps({"medner_progress": event}, ensure_ascii=False) + "\n")
        self.stream.flush()
        self.log(message)


def split_curated(records, cfg):
    """(train, held out) for the final model and the folds to score: a list of (train, held-out) pairs.
    With enough records one held-out part serves both; with few, k folds score and the final model trains on all."""
    order = list(range(len(records)))
    random.Random(cfg["seed"]).shuffle(order)
    n_hold = round(len(records) * cfg["holdout"])
    if n_hold >= cfg["min_holdout"]:
        held = set(order[:n_hold])
        train = [r for i, r in enumerate(records) if i not in held]
        test = [r for i, r in enumerate(records) if i in held]
        return train, test, [(train, test)]
    k = min(cfg["folds"], len(records))
    if k < 2:
        return records, [], []
    folds = [set(order[f::k]) for f in range(k)]
    return records, [], [([r for i, r in enumerate(records) if i not in fold], [r for i, r in enumerate(records) if i in fold])
                         for fold in folds]


def replay_records(data_dir, n, seed, log):
    """`n` training records of the corpus, never the dev split; none when the corpus is not there."""
    if n <= 0:
        return []
    yidu = os.path.join(data_dir, "yidu-s4k", "subtask1_training_part1.txt")
    if not os.path.exists(yidu):
        log(f"no replay: the training corpus is not at {data_dir} (distillation alone keeps what the model knows)")
        return []
    import pipeline  # noqa: the dev split is the pipeline's
    from settings import DEFAULTS
    train, _, _ = pipeline.split(pipeline.load_yidu(data_dir), DEFAULTS["dev_size"], DEFAULTS["split_seed"])
    random.Random(seed).shuffle(train)
    log(f"replaying {min(n, len(train))} training records of {data_dir} (never the dev split)")
    return train[:n]


def train_one(base_dir, cfg, train, texts, replay, run_dir, progress, span):
    """Fine-tunes a fresh rebuild of the base model; returns the trained model. Resumes from run_dir/last.pt.
    `span` is the (start, end) of this training's share of the overall progress fraction."""
    os.makedirs(run_dir, exist_ok=True)
    torch.manual_seed(cfg["seed"])
    model, meta = rebuild(base_dir)
    index = {c: i for i, c in enumerate(meta["vocab"])}
    max_len = meta["maxLength"]
    # A model with dictionary features keeps its shipped lexicon: the features of every window come from it.
    lexicon = model_lexicon(base_dir, meta)
    gold = make_windows(train * cfg["curated_repeat"] + replay, index, max_len, with_gold=True, lexicon=lexicon)
    curated_records = len(train) * cfg["curated_repeat"]
    for w in gold:
        w["kl_weight"] = cfg["distill_curated"] if w["rec"] < curated_records else cfg["distill_weight"]
    plain = make_windows([{"text": t, "entities": []} for t in texts], index, max_len, with_gold=False, lexicon=lexicon)
    # The base model's tag distributions, once: what the distillation term holds the network to.
    attach_teacher_targets(gold + plain, model, cfg["distill_temperature"])
    for w in plain:
        w["unlabelled"], w["kl_weight"] = True, cfg["distill_weight"]
    windows = gold + plain
    n_steps = sum(1 for _ in batches(gold, cfg["batch_tokens"], False, None)) + sum(1 for _ in batches(plain, cfg["batch_tokens"], False, None))
    if cfg["max_steps"]:
        n_steps = min(n_steps, cfg["max_steps"])
    total, warmup = n_steps * cfg["epochs"], int(n_steps * cfg["epochs"] * cfg["warmup"])
    enc = [p for n, p in model.named_parameters() if n.startswith("bert.")]
    top = [p for n, p in model.named_parameters() if not n.startswith("bert.")]
    opt = torch.optim.AdamW([{"params": enc, "lr": cfg["lr_encoder"]}, {"params": top, "lr": cfg["lr_top"]}],
                            weight_decay=cfg["weight_decay"])
    ckpt = os.path.join(run_dir, "last.pt")
    state = resume(ckpt, model, opt) or {"epoch": 0, "step": 0, "history": []}
    if state["epoch"]:
        progress("train", span[0], f"resumed after epoch {state['epoch']} of {cfg['epochs']}")
    while state["epoch"] < cfg["epochs"]:
        model.train()
        rng = random.Random(cfg["seed"] * 1000 + state["epoch"])
        # Gold and unlabelled windows in separate batches (only the first have a CRF loss), interleaved.
        groups = [b for ws in (gold, plain) for b in batches(ws, cfg["batch_tokens"], True, rng)]
        rng.shuffle(groups)
        t0, tokens, total_loss = time.time(), 0, 0.0
        for i, (ids, mask, tags, ws) in enumerate(groups[:n_steps]):
            em = model.emissions(ids, mask, lex_tensor(ws, ids.shape[1]))
            soft = pad_soft(ws, ids.shape[1], em.shape[-1])
            loss = weighted_distill_loss(em, soft, mask, cfg["distill_temperature"], torch.tensor([w["kl_weight"] for w in ws]))
            if not ws[0].get("unlabelled"):
                loss = loss + model.loss_of(em, mask, tags)
            optimise(opt, loss, model.parameters(), [lr * schedule(state["step"], total, warmup) for lr in (cfg["lr_encoder"], cfg["lr_top"])])
            state["step"] += 1
            tokens += int(mask.sum())
            total_loss += float(loss)
            done = (state["epoch"] * n_steps + i + 1) / total
            if (i + 1) % 5 == 0 or i + 1 == n_steps:
                progress("train", span[0] + (span[1] - span[0]) * done,
                         f"epoch {state['epoch'] + 1}/{cfg['epochs']}, step {i + 1}/{n_steps}, loss {total_loss / (i + 1):.3f}",
                         epoch=state["epoch"] + 1, epochs=cfg["epochs"], step=i + 1, steps=n_steps)
        state["epoch"] += 1
        state["history"].append({"epoch": state["epoch"], "loss": total_loss / max(1, n_steps), "tokens_per_s": tokens / max(1e-9, time.time() - t0)})
        save_checkpoint(ckpt, model, opt, state)
    return model.eval(), meta, state["history"]


def weighted_distill_loss(em, soft, mask, temperature, weights):
    """finetune.distill_loss with a weight per window (curated or not)."""
    log_p = torch.log_softmax(em / temperature, -1)
    kl = (soft * (soft.clamp_min(1e-8).log() - log_p)).sum(-1)
    return temperature ** 2 * ((kl * mask.to(em.dtype)).sum(1) * weights).mean()


def score(model, records, meta, base_dir=None):
    index = {c: i for i, c in enumerate(meta["vocab"])}
    return evaluate(model, records, index, meta["maxLength"], lexicon=model_lexicon(base_dir, meta))


def pooled(results):
    """Micro P/R/F1 over folds: the folds' counts added up."""
    tp = sum(r["micro"]["tp"] for r in results)
    gold = sum(r["micro"]["gold"] for r in results)
    pred = sum(r["micro"]["pred"] for r in results)
    p, r = (tp / pred if pred else 0.0), (tp / gold if gold else 0.0)
    return {"micro": {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0, "gold": gold, "pred": pred, "tp": tp}}


def cached(path, compute):
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    value = compute()
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        json.dump(value, f, ensure_ascii=False)
    os.replace(path + ".tmp", path)
    return value


def run(base_dir, curated_paths, out_dir, run_dir, data_dir, cfg, log, progress, texts_paths=(), export_model=True):
    """The whole fine-tuning; returns the record model.json keeps of it (training.finetunedFrom)."""
    started = time.time()
    torch.set_num_threads(cfg["threads"])
    records = [r for p in curated_paths for r in read_curated(p)]
    if not records:
        raise FinetuneError(f"{curated_paths[0]}: no curated records")
    progress("load", 0.0, f"rebuilding the base model from {base_dir}")
    try:
        _, base_meta = rebuild(base_dir)
    except (OSError, KeyError, ValueError) as e:
        raise FinetuneError(f"{base_dir}: not a MedNER model folder MedNER can fine-tune ({str(e)[:200]})") from None
    texts = [t for p in texts_paths for t in read_texts(p)]
    curated_texts = {r["text"] for r in records}
    texts = [t for t in texts if t not in curated_texts]
    train, held_out, folds = split_curated(records, cfg)
    os.makedirs(run_dir, exist_ok=True)
    log(f"{len(records)} curated records ({sum(len(r['entities']) for r in records)} entities); "
        + (f"{len(held_out)} held out" if held_out else f"{len(folds)}-fold cross-validation" if folds else "too few to score")
        + (f"; {len(texts)} uncurated texts for distillation" if texts else ""))
    # Share of the progress bar: the folds (when cross-validating) and the final training.
    trainings = (len(folds) if not held_out else 0) + 1
    share = 0.85 / trainings
    before, after = [], []
    for k, (fold_train, fold_test) in enumerate(folds if not held_out else []):
        fold_dir = os.path.join(run_dir, f"fold-{k + 1}")
        replay = replay_records(data_dir, round(cfg["replay"] * len(fold_train)), cfg["seed"], log)
        span = (0.05 + k * share, 0.05 + (k + 1) * share)
        progress("fold", span[0], f"cross-validation fold {k + 1}/{len(folds)}")

        def fold_scores():
            base_model, meta = rebuild(base_dir)
            model, _, _ = train_one(base_dir, cfg, fold_train, texts, replay, fold_dir, progress, span)
            return {"before": score(base_model, fold_test, meta, base_dir), "after": score(model, fold_test, meta, base_dir)}

        s = cached(os.path.join(fold_dir, "scores.json"), fold_scores)
        before.append(s["before"])
        after.append(s["after"])
    replay = replay_records(data_dir, round(cfg["replay"] * len(train)), cfg["seed"], log)
    span = (0.05 + (trainings - 1) * share, 0.9)
    progress("train", span[0], f"fine-tuning on {len(train)} curated records")
    model, meta, history = train_one(base_dir, cfg, train, texts, replay, os.path.join(run_dir, "final"), progress, span)
    if held_out:
        progress("score", 0.9, f"scoring base and fine-tuned model on {len(held_out)} held-out records")
        base_model, _ = rebuild(base_dir)
        before, after = [score(base_model, held_out, meta, base_dir)], [score(model, held_out, meta, base_dir)]
    scores = None
    if before:
        scores = {"before": pooled(before)["micro"] if len(before) > 1 else before[0]["micro"],
                  "after": pooled(after)["micro"] if len(after) > 1 else after[0]["micro"]}
        if len(before) == 1:
            scores["types"] = {"before": before[0]["types"], "after": after[0]["types"]}
        log(f"held-out F1 before {scores['before']['f1']:.4f} after {scores['after']['f1']:.4f}")
    record = {
        "base": {"name": base_meta["name"], "path": os.path.abspath(base_dir), "sha256": base_meta["onnx"]["sha256"]},
        "curated": {"files": [os.path.basename(p) for p in curated_paths], "sha256": data_hash(curated_paths),
                    "records": len(records), "entities": sum(len(r["entities"]) for r in records),
                    "trainRecords": len(train), "heldOutRecords": len(held_out), "folds": len(folds) if not held_out else 0},
        "uncuratedTexts": len(texts),
        "replayRecords": len(replay),
        "settings": cfg,
        "heldOut": scores,
        "history": history,
    }
    if data_dir and os.path.exists(os.path.join(data_dir, "yidu-s4k")):
        import pipeline
        from settings import DEFAULTS
        dev = pipeline.split(pipeline.load_yidu(data_dir), DEFAULTS["dev_size"], DEFAULTS["split_seed"])[1]
        progress("score", 0.91, f"scoring base and fine-tuned model on the corpus's {len(dev)} dev records (forgetting)")
        base_model, _ = rebuild(base_dir)
        record["dev"] = {"before": score(base_model, dev, meta, base_dir)["micro"], "after": score(model, dev, meta, base_dir)["micro"]}
        log(f"dev F1 before {record['dev']['before']['f1']:.4f} after {record['dev']['after']['f1']:.4f}")
    if not export_model:
        return record
    progress("export", 0.93, f"exporting to {out_dir}")
    cfg_trained = dict(architecture(base_meta, base_dir), name=os.path.basename(os.path.normpath(out_dir)) or "finetuned",
                       epochs=cfg["epochs"], lr_encoder=cfg["lr_encoder"], lr_top=cfg["lr_top"],
                       batch_tokens=cfg["batch_tokens"], seed=cfg["seed"], pretrained=None, teachers=[],
                       intermediate_epochs=0, pseudo_epochs=0)
    best = os.path.join(run_dir, "final", "best.pt")
    lexicon = model_lexicon(base_dir, base_meta)
    save_atomic({"model": model.state_dict(), "cfg": cfg_trained, "vocab": meta["vocab"],
                 "dev": record.get("dev", {}).get("after"), "epoch": cfg["epochs"],
                 **({"lexicon": lexicon.entries()} if lexicon else {})}, best)
    record["trainingSeconds"] = round(time.time() - started, 1)
    export_finetuned(best, out_dir, record, base_meta, progress, held_out)
    return record


def export_finetuned(best, out_dir, record, base_meta, progress, held_out):
    """fp32 ONNX + model.json (with the fine-tuning `record`), the onnxruntime parity gate, the rebuild
    check (the new folder can itself be fine-tuned from), the int8 variant, and the held-out records
    (heldout.yidu.jsonl) for evaluating base and new side by side."""
    from export import _write_json, export
    from quantize import quantize_model
    summary = {"data": f"fine-tuned from {base_meta['name']} on {record['curated']['records']} curated records "
                       f"({', '.join(record['curated']['files'])})",
               "finetunedFrom": record, "baseTraining": base_meta.get("training")}
    meta = export(best, out_dir, summary, os.path.basename(os.path.normpath(out_dir)))
    meta["metrics"] = {"curatedHeldOut": record["heldOut"], "dev": (record.get("dev") or {}).get("after")}
    _write_json(os.path.join(out_dir, "model.json"), meta)
    progress("parity", 0.96, "parity check: onnxruntime against PyTorch")
    node = os.environ.get("MEDNER_NODE", "node")
    check = subprocess.run([node, os.path.join(HERE, "check_onnx.js"), out_dir], capture_output=True, text=True)
    if check.returncode != 0:
        raise FinetuneError(f"{out_dir}: parity check failed: {(check.stderr or check.stdout).strip()[:300]}")
    rebuild(out_dir)
    progress("quantize", 0.98, "int8 variant")
    count = quantize_model(out_dir)
    if held_out:
        T.write_yidu(held_out, os.path.join(out_dir, "heldout.yidu.jsonl"))
    progress("done", 1.0, f"fine-tuned model in {out_dir} ({check.stdout.strip()}; {count} MatMuls quantised)", out=out_dir)


def main(args, data_dir, log):
    """pipeline.py --finetune-from: exit status 2 with one line on a bad input, 0 on success."""
    base = args.finetune_from
    if not args.curated:
        raise FinetuneError("--finetune-from needs at least one --curated FILE (Yidu JSON lines, as MedNER: Export Curated Data… writes them)")
    if not args.out:
        raise FinetuneError("--finetune-from needs --out DIR (the new model's folder)")
    for p in args.curated + args.texts:
        if not os.path.isfile(p):
            raise FinetuneError(f"{p}: no such file")
    if not os.path.isfile(os.path.join(base, "model.json")):
        raise FinetuneError(f"{base}: no model.json (not a MedNER model folder)")
    if os.path.realpath(args.out) == os.path.realpath(base):
        raise FinetuneError(f"{args.out}: the output folder is the base model's; pick a new folder")
    cfg = resolve_settings(args.set)
    # A run of its own per base model, data and settings: a rerun of the same command resumes.
    key = hashlib.sha256(json.dumps([sha256_of(os.path.join(base, json.load(open(os.path.join(base, "model.json"), encoding="utf-8"))["onnx"]["file"])),
                                     data_hash(args.curated + args.texts), cfg], sort_keys=True).encode()).hexdigest()[:12]
    run_dir = args.run_dir or os.path.join(args.out, ".finetune", key)
    os.makedirs(run_dir, exist_ok=True)
    log_file = open(os.path.join(run_dir, "train.log"), "a", encoding="utf-8")

    def log_both(msg):
        log(msg)
        log_file.write(f"{time.strftime('%H:%M:%S')} {msg}\n")
        log_file.flush()

    progress = Progress(log_both, sys.stderr)
    return run(base, args.curated, args.out, run_dir, data_dir, cfg, log_both, progress, args.texts, export_model=True)
