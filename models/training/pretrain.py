"""Masked-language-model pre-training of the character BERT with whole-word masking (BERT-wwm).

Words come from jieba; when a word is chosen, every character of it is masked together. With
`wwm=False` each character is its own word (plain BERT masking), for the ablation. Resumable:
a checkpoint is written every `ckpt_steps` steps and a rerun continues from it.
"""
import contextlib
import json
import math
import multiprocessing
import os
import random
import time

import torch

import text as T
from loop import device_of, length_buckets, optimise, pad_batch, past_stop_time, resume, save_atomic, save_checkpoint, schedule
from model import Bert, MlmHead


def segment(texts, cache_path, log, processes=None):
    """Word boundaries of every text as lists of word lengths (cached: jieba takes a while). Each
    distinct text is cut once (clinical texts may be repeated), in `processes` worker processes
    (default: one per CPU)."""
    if os.path.exists(cache_path):
        with open(cache_path, encoding="utf-8") as f:
            return json.load(f)
    t0 = time.time()
    unique = list(dict.fromkeys(texts))
    processes = processes or os.cpu_count() or 1
    if processes > 1 and len(unique) > 1000:
        with multiprocessing.get_context("fork").Pool(processes) as pool:
            cut = pool.map(_word_lengths, unique, chunksize=max(1, len(unique) // (8 * processes)))
    else:
        cut = [_word_lengths(t) for t in unique]
    lengths = dict(zip(unique, cut))
    out = [lengths[t] for t in texts]
    with open(cache_path + ".tmp", "w", encoding="utf-8") as f:
        json.dump(out, f)
    os.replace(cache_path + ".tmp", cache_path)
    log(f"segmented {len(unique)} distinct texts with jieba in {time.time() - t0:.0f}s ({processes} processes)")
    return out


def _word_lengths(text):
    import jieba
    jieba.setLogLevel(60)
    return [len(w) for w in jieba.cut(text, HMM=True)]


def make_examples(texts, words, index, max_len):
    """Windows of at most max_len characters, each with its word ids (-1 for whitespace)."""
    examples = []
    for text, lengths in zip(texts, words):
        word_of = []
        for w, n in enumerate(lengths):
            word_of.extend([w] * n)
        ids = T.encode(text, index)
        for s, e in T.window_bounds(text, max_len):
            if e - s >= 8:
                examples.append((ids[s:e], word_of[s:e]))
    return examples


def mask_example(ids, word_of, vocab_size, mask_id, rng, wwm, rate=0.15):
    """80% [MASK], 10% random character, 10% unchanged, decided per word; labels -100 elsewhere."""
    groups = {}
    for i, w in enumerate(word_of if wwm else range(len(ids))):
        if ids[i] > T.SPECIALS.index(T.MASK):  # never mask padding, unknown, whitespace
            groups.setdefault(w, []).append(i)
    keys = list(groups)
    rng.shuffle(keys)
    budget = max(1, round(rate * len(ids)))
    inp, labels, chosen = list(ids), [-100] * len(ids), 0
    for k in keys:
        if chosen >= budget:
            break
        if chosen + len(groups[k]) > budget * 1.5:
            continue
        r = rng.random()
        for i in groups[k]:
            labels[i] = ids[i]
            if r < 0.8:
                inp[i] = mask_id
            elif r < 0.9:
                inp[i] = rng.randrange(len(T.SPECIALS), vocab_size)
        chosen += len(groups[k])
    return inp, labels


PACE_FROM = 20  # the step from which pretrain_seconds' pace is measured (to step 100)


class MaskedBatches(torch.utils.data.Dataset):
    """The masked batch of every step, (ids, labels, mask) tensors: its windows from the step's epoch
    plan, its masks from a generator seeded by the step, so any process computes the same batch."""

    def __init__(self, examples, epoch_batches, steps_per_epoch, vocab_size, mask_id, seed, wwm):
        self.examples, self.epoch_batches, self.steps_per_epoch = examples, epoch_batches, steps_per_epoch
        self.vocab_size, self.mask_id, self.seed, self.wwm = vocab_size, mask_id, seed, wwm
        self.plan_epoch, self.plan = None, []

    def __getitem__(self, step):
        epoch, pos = divmod(step, self.steps_per_epoch)
        if self.plan_epoch != epoch:
            self.plan_epoch, self.plan = epoch, self.epoch_batches(epoch)
        rng = random.Random(self.seed * 104729 + step)
        batch = [mask_example(*self.examples[i], self.vocab_size, self.mask_id, rng, self.wwm) for i in self.plan[pos]]
        t = max(len(b[0]) for b in batch)
        ids = torch.zeros(len(batch), t, dtype=torch.long)
        labels = torch.full((len(batch), t), -100, dtype=torch.long)
        mask = torch.zeros(len(batch), t, dtype=torch.long)
        for j, (inp, lab) in enumerate(batch):
            ids[j, :len(inp)] = torch.tensor(inp)
            labels[j, :len(lab)] = torch.tensor(lab)
            mask[j, :len(inp)] = 1
        return ids, labels, mask


@torch.no_grad()
def order_probe(head, examples, mask_id, n=64):
    """Single-character masked accuracy on n fixed windows, as written and with the characters
    shuffled: an encoder that uses word order scores far higher as written."""
    rng = random.Random(12345)
    sample = [examples[i] for i in rng.sample(range(len(examples)), min(n, len(examples)))]
    scores = []
    for shuffle in (False, True):
        batch, targets = [], []
        for ids, _ in sample:
            order = list(range(len(ids)))
            if shuffle:
                rng.shuffle(order)
            ids = [ids[o] for o in order]
            chosen = {i for i in range(len(ids)) if ids[i] > T.SPECIALS.index(T.MASK) and i % 7 == 3}
            batch.append([mask_id if i in chosen else c for i, c in enumerate(ids)])
            targets.append([(i, ids[i]) for i in sorted(chosen)])
        x, m = pad_batch(batch)
        x, m = x.to(head.bias.device), m.to(head.bias.device)
        was_training = head.training
        head.eval()
        pred = head(head.bert(x, m)).argmax(-1)
        head.train(was_training)
        hits = [int(pred[j, i]) == c for j, ts in enumerate(targets) for i, c in ts]
        scores.append(sum(hits) / max(1, len(hits)))
    return scores


def run(cfg, texts, vocab, run_dir, log):
    """Pre-trains for cfg['pretrain_epochs'] epochs, or fewer when cfg['pretrain_seconds'] cuts them;
    returns the path of the encoder weights and the number of epochs it was trained for."""
    out_path = os.path.join(run_dir, "encoder.pt")
    ckpt_path = os.path.join(run_dir, "pretrain_last.pt")
    index = {c: i for i, c in enumerate(vocab)}
    words = segment(texts, os.path.join(run_dir, "words.json"), log) if cfg["wwm"] else [[1] * len(t) for t in texts]
    examples = make_examples(texts, words, index, cfg["max_len"])
    torch.manual_seed(cfg["seed"])
    bert = Bert(len(vocab), cfg["hidden"], cfg["layers"], cfg["heads"], cfg["ffn"], cfg["max_len"], cfg["dropout"],
                cfg["pos_init"])
    head = MlmHead(bert)
    device = device_of(cfg)
    head.to(device)
    opt = torch.optim.AdamW(head.parameters(), lr=cfg["pretrain_lr"], weight_decay=0.01)
    bs = cfg["pretrain_batch"]
    budget = cfg["pretrain_batch_tokens"]

    def epoch_batches(epoch):
        """Index lists for one epoch: `pretrain_batch` random windows each, or, with
        `pretrain_batch_tokens`, length-bucketed batches (random batches of these mostly short
        windows are ~3x padding)."""
        rng = random.Random(cfg["seed"] * 7919 + epoch)
        if budget:
            return length_buckets([len(e[0]) for e in examples], budget, rng)
        order = list(range(len(examples)))
        rng.shuffle(order)
        return [order[i:i + bs] for i in range(0, len(order), bs)]

    steps_per_epoch = len(epoch_batches(0))
    epochs = cfg["pretrain_epochs"]
    total = steps_per_epoch * epochs
    warmup = max(1, int(0.05 * total))
    state = resume(ckpt_path, head, opt)
    if state and "epochs" in state:  # cut to a time budget before it stopped: keep that schedule
        epochs = state["epochs"]
        total = steps_per_epoch * epochs
        warmup = max(1, int(0.05 * total))
    if state:
        log(f"pretrain: resumed at step {state['step']}/{total}")
    else:
        state = {"step": 0}
    log(f"pretrain: {len(examples)} windows, {sum(len(e[0]) for e in examples):,} chars, "
        f"{steps_per_epoch} steps/epoch, {epochs} epochs, wwm={cfg['wwm']}"
        + (f", length-bucketed batches of <={budget} tokens" if budget else ""))
    mask_id = index[T.MASK]
    fit_at = 100 if cfg["pretrain_seconds"] and state["step"] == 0 else None
    started = time.time()
    t0, tokens, loss_sum, hit, seen = time.time(), 0, 0.0, 0, 0
    data = MaskedBatches(examples, epoch_batches, steps_per_epoch, len(vocab), mask_id, cfg["seed"], cfg["wwm"])
    steps = range(state["step"], total)
    if cfg["pretrain_workers"]:
        # The batches depend on the step alone, so workers that mask ahead give the loop's batches exactly;
        # the loader's own generator leaves the global one, which draws the dropout, as the loop has it.
        # Two batches ahead per worker: they travel through /dev/shm, which containers keep small.
        loader = torch.utils.data.DataLoader(data, batch_size=None, sampler=steps, num_workers=cfg["pretrain_workers"],
                                             multiprocessing_context="fork", prefetch_factor=2,
                                             pin_memory=device.type == "cuda", generator=torch.Generator())
    else:
        loader = (data[step] for step in steps)
    bf16 = cfg["pretrain_bf16"] and device.type == "cuda"
    paced_from = started
    for ids, labels, mask in loader:
        if state["step"] == PACE_FROM:
            paced_from = time.time()
        if state["step"] == fit_at:
            # A time budget (a GPU lent for minutes): keep as many whole epochs as the measured pace
            # allows, decided early in warm-up so the schedule still ends at zero. The pace leaves out
            # the first steps: they wait on the batch workers and on GPU kernels' first-call set-up.
            per_step = (time.time() - paced_from) / (fit_at - PACE_FROM)
            fit = int((cfg["pretrain_seconds"] - (time.time() - started)) / per_step) // steps_per_epoch
            if fit < epochs:
                log(f"pretrain: {per_step * 1000:.1f} ms/step; {fit} of {epochs} epochs fit "
                    f"in {cfg['pretrain_seconds']}s")
                epochs = state["epochs"] = max(1, fit)
                total = steps_per_epoch * epochs
                warmup = max(1, int(0.05 * total))
        if state["step"] >= total:
            break
        if past_stop_time():
            log(f"pretrain: stopped by MEDNER_STOP_AT at step {state['step']}/{total}")
            break
        epoch = state["step"] // steps_per_epoch
        # Selected on the CPU and counted there: the GPU is never waited on between logs.
        sel = (labels.view(-1) != -100).nonzero().squeeze(1)
        tokens += int(mask.sum())
        seen += len(sel)
        ids, mask, sel = ids.to(device, non_blocking=True), mask.to(device, non_blocking=True), sel.to(device)
        targets = labels.view(-1).to(device)[sel]
        head.train()
        with torch.autocast("cuda", dtype=torch.bfloat16) if bf16 else contextlib.nullcontext():
            hidden = bert(ids, mask)
            logits = head(hidden.view(-1, hidden.shape[-1]).index_select(0, sel))
            loss = torch.nn.functional.cross_entropy(logits, targets)
        optimise(opt, loss, head.parameters(), [cfg["pretrain_lr"] * schedule(state["step"], total, warmup)])
        state["step"] += 1
        loss_sum = loss_sum + loss.detach().float() * len(sel)
        hit = hit + (logits.detach().argmax(-1) == targets).sum()
        if state["step"] % cfg["log_steps"] == 0 or state["step"] == total:
            speed = tokens / (time.time() - t0)
            if not math.isfinite(float(loss_sum)):
                # Checked only here, where the loss is read anyway: a diverged encoder is worth nothing
                # downstream, and a lent GPU's minutes are better spent on the other runs.
                raise SystemExit(f"pretrain: the loss is {float(loss_sum)} at step {state['step']}; stopped")
            in_order, shuffled = order_probe(head, examples, mask_id)
            log(f"pretrain step {state['step']}/{total} epoch {epoch + 1} loss {float(loss_sum) / seen:.4f} "
                f"masked acc {int(hit) / seen:.4f} {speed:.0f} tok/s; order probe {in_order:.3f} as written, "
                f"{shuffled:.3f} shuffled")
            t0, tokens, loss_sum, hit, seen = time.time(), 0, 0.0, 0, 0
        if state["step"] % cfg["ckpt_steps"] == 0:
            save_checkpoint(ckpt_path, head, opt, state)
    save_checkpoint(ckpt_path, head, opt, state)  # where it ended, for a rerun: cut, stopped or done
    save_atomic({"bert": bert.state_dict(), "cfg": dict(cfg, pretrain_epochs=epochs), "vocab": vocab}, out_path)
    return out_path, epochs
