"""Masked-language-model pre-training of the character BERT with whole-word masking (BERT-wwm).

Words come from jieba; when a word is chosen, every character of it is masked together. With
`wwm=False` each character is its own word (plain BERT masking), for the ablation. Resumable:
a checkpoint is written every `ckpt_steps` steps and a rerun continues from it.
"""
import json
import os
import random
import time

import torch

import text as T
from loop import device_of, length_buckets, optimise, pad_batch, past_stop_time, resume, save_atomic, save_checkpoint, schedule
from model import Bert, MlmHead


def segment(texts, cache_path, log):
    """Word boundaries of every text as lists of word lengths (cached: jieba takes a while)."""
    if os.path.exists(cache_path):
        with open(cache_path, encoding="utf-8") as f:
            return json.load(f)
    import jieba
    jieba.setLogLevel(60)
    t0 = time.time()
    out = [[len(w) for w in jieba.cut(t, HMM=True)] for t in texts]
    with open(cache_path + ".tmp", "w", encoding="utf-8") as f:
        json.dump(out, f)
    os.replace(cache_path + ".tmp", cache_path)
    log(f"segmented {len(texts)} texts with jieba in {time.time() - t0:.0f}s")
    return out


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
    plan_epoch, plan = None, []
    while state["step"] < total:
        if state["step"] == fit_at:
            # A time budget (a GPU lent for minutes): keep as many whole epochs as the measured pace
            # allows, decided early in warm-up so the schedule still ends at zero.
            per_step = (time.time() - started) / fit_at
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
        epoch, pos = divmod(state["step"], steps_per_epoch)
        if plan_epoch != epoch:
            plan_epoch, plan = epoch, epoch_batches(epoch)
        batch_ids = plan[pos]
        rng = random.Random(cfg["seed"] * 104729 + state["step"])
        batch = [mask_example(*examples[i], len(vocab), mask_id, rng, cfg["wwm"]) for i in batch_ids]
        t = max(len(b[0]) for b in batch)
        ids = torch.zeros(len(batch), t, dtype=torch.long)
        labels = torch.full((len(batch), t), -100, dtype=torch.long)
        mask = torch.zeros(len(batch), t, dtype=torch.long)
        for j, (inp, lab) in enumerate(batch):
            ids[j, :len(inp)] = torch.tensor(inp)
            labels[j, :len(lab)] = torch.tensor(lab)
            mask[j, :len(inp)] = 1
        ids, labels, mask = ids.to(device), labels.to(device), mask.to(device)
        head.train()
        sel = labels != -100
        logits = head(bert(ids, mask)[sel])
        loss = torch.nn.functional.cross_entropy(logits, labels[sel])
        optimise(opt, loss, head.parameters(), [cfg["pretrain_lr"] * schedule(state["step"], total, warmup)])
        state["step"] += 1
        tokens += int(mask.sum())
        loss_sum += float(loss) * int(sel.sum())
        hit += int((logits.argmax(-1) == labels[sel]).sum())
        seen += int(sel.sum())
        if state["step"] % cfg["log_steps"] == 0 or state["step"] == total:
            speed = tokens / (time.time() - t0)
            in_order, shuffled = order_probe(head, examples, mask_id)
            log(f"pretrain step {state['step']}/{total} epoch {epoch + 1} loss {loss_sum / seen:.4f} "
                f"masked acc {hit / seen:.4f} {speed:.0f} tok/s; order probe {in_order:.3f} as written, "
                f"{shuffled:.3f} shuffled")
            t0, tokens, loss_sum, hit, seen = time.time(), 0, 0.0, 0, 0
        if state["step"] % cfg["ckpt_steps"] == 0:
            save_checkpoint(ckpt_path, head, opt, state)
    save_checkpoint(ckpt_path, head, opt, state)  # where it ended, for a rerun: cut, stopped or done
    save_atomic({"bert": bert.state_dict(), "cfg": dict(cfg, pretrain_epochs=epochs), "vocab": vocab}, out_path)
    return out_path, epochs
