"""Intermediate fine-tuning on CMeEE (CHIP 2020 task 1): 20,000 labelled sentences of medical
textbook text with 9 types, between pre-training and Yidu-S4K, so the encoder, BiGRU and attention
have learnt medical-term boundaries before the 900 training records. Its output layer and CRF are
CMeEE's own and are dropped afterwards (finetune.init_from). Resumable per epoch.
"""
import os
import random
import time

import torch

from finetune import batches, build_tagger, init_from, make_windows, two_rate_adamw
from loop import device_of, optimise, past_stop_time, resume, save_atomic, save_checkpoint, schedule

TYPES = ["dis", "sym", "pro", "equ", "dru", "ite", "bod", "dep", "mic"]
TAGS = ["O"] + [f"{p}-{t}" for t in TYPES for p in ("B", "I")]


def read_cmeee(path):
    """Records of `text|||start end type|||...` lines (end inclusive). Entities may nest; BIO tags
    cannot, so the outermost ones are kept (longest first, then leftmost)."""
    records = []
    with open(path, encoding="utf-8-sig") as f:
        for line in f:
            parts = line.rstrip("\r\n").split("|||")
            if not parts[0].strip():
                continue
            spans = []
            for p in parts[1:]:
                if p.strip():
                    s, e, label = p.split()
                    spans.append((int(s), int(e) + 1, label))
            kept = []
            for s, e, label in sorted(spans, key=lambda x: (x[0] - x[1], x[0])):
                if 0 <= s < e <= len(parts[0]) and all(e <= a or s >= b for a, b, _ in kept):
                    kept.append((s, e, label))
            records.append({"text": parts[0], "entities": sorted(kept)})
    return records


def load(data_dir):
    d = os.path.join(data_dir, "cmeee")
    return [r for name in ("train_data.txt", "val_data.txt") for r in read_cmeee(os.path.join(d, name))]


def run(cfg, records, vocab, run_dir, log, init=None, tags=TAGS, epochs=None, what="CMeEE"):
    """`epochs` (default cfg['intermediate_epochs']) on `records` tagged with `tags` (CMeEE's, or
    another schema's: ccks2017.py) from the encoder `init` (None: random weights); returns the path of
    the encoder + BiGRU + attention weights, in the encoder checkpoint's format."""
    epochs = cfg["intermediate_epochs"] if epochs is None else epochs
    out_path = os.path.join(run_dir, "encoder.pt")
    ckpt_path = os.path.join(run_dir, "last.pt")
    torch.manual_seed(cfg["seed"])
    index = {c: i for i, c in enumerate(vocab)}
    # No dictionary features here: the lexicon's types are Yidu's.
    model = build_tagger(dict(cfg, lexicon=[], lexicon_file=None), len(vocab), len(tags))
    if init:
        init_from(model, init)
    device = device_of(cfg)
    model.to(device)
    opt, base_lrs = two_rate_adamw(model, cfg)
    windows = make_windows(records, index, cfg["max_len"], True, {t: i for i, t in enumerate(tags)})
    steps_per_epoch = sum(1 for _ in batches(windows, cfg["batch_tokens"], False, None))
    total = steps_per_epoch * epochs
    warmup = int(total * cfg["warmup"])
    state = resume(ckpt_path, model, opt) or {"epoch": 0, "step": 0}
    log(f"{what}: {len(records)} records, {len(windows)} windows, {steps_per_epoch} steps/epoch, "
        f"{epochs} epochs, from epoch {state['epoch']}")
    while state["epoch"] < epochs and not past_stop_time():
        model.train()
        t0, tokens, total_loss, n = time.time(), 0, 0.0, 0
        rng = random.Random(cfg["seed"] * 2000 + state["epoch"])
        for ids, mask, tags, _ in batches(windows, cfg["batch_tokens"], True, rng):
            loss = model.loss(ids.to(device), mask.to(device), tags.to(device))
            f = schedule(state["step"], total, warmup)
            optimise(opt, loss, model.parameters(), [lr * f for lr in base_lrs])
            state["step"] += 1
            tokens += int(mask.sum())
            total_loss += float(loss)
            n += 1
        state["epoch"] += 1
        log(f"{what} epoch {state['epoch']} loss {total_loss / max(1, n):.4f} {tokens / (time.time() - t0):.0f} tok/s")
        save_checkpoint(ckpt_path, model, opt, state)
    upper = {k: v for k, v in model.state_dict().items() if k.split(".")[0] in ("gru", "attn", "attn_ln")}
    save_atomic({"bert": model.bert.state_dict(), "upper": upper, "cfg": cfg, "vocab": vocab}, out_path)
    return out_path
