"""Fine-tune a BBRAC tagger on Yidu-S4K with early stopping on the dev split; resumable."""
import contextlib
import json
import os
import random
import time

import torch

import lexicon as L
import text as T
from loop import (Average, device_of, length_buckets, optimise, optimise_fgm, past_stop_time, resume, save_atomic,
                  save_checkpoint, schedule)
from model import TAGS, Bert, Ensemble, Tagger
from settings import as_trained

TAG_INDEX = {t: i for i, t in enumerate(TAGS)}


def bio(record, start, end, tag_index=TAG_INDEX):
    tags = [0] * (end - start)
    for s, e, label in record["entities"]:
        if s >= start and e <= end:
            tags[s - start] = tag_index["B-" + label]
            for i in range(s + 1, e):
                tags[i - start] = tag_index["I-" + label]
    return tags


def make_windows(records, index, max_len, with_gold, tag_index=TAG_INDEX, lexicon=None, leave_out=False):
    """Windows of the records; with `lexicon`, each window's dictionary features too ("lex"), computed
    without each record's own entities where `leave_out` (the training split: see lexicon.py). The
    features are the window's text's alone, as the TypeScript engine computes (and caches) them."""
    out = []
    for r_i, r in enumerate(records):
        spans = [(s, e) for s, e, _ in r["entities"]] if with_gold else ()
        ids = T.encode(r["text"], index)
        own = L.own_entities(r) if lexicon and leave_out else None
        for s, e in T.window_bounds(r["text"], max_len, spans):
            w = {"rec": r_i, "start": s, "ids": ids[s:e], "tags": bio(r, s, e, tag_index)}
            if lexicon:
                w["lex"] = lexicon.features(r["text"][s:e], own)
            out.append(w)
    return out


def lex_tensor(ws, length):
    """The windows' dictionary features as a (batch, length, lexicon.DIM) float tensor; None without."""
    if "lex" not in ws[0]:
        return None
    bits = torch.zeros(len(ws), length, dtype=torch.long)
    for i, w in enumerate(ws):
        bits[i, : len(w["lex"])] = torch.tensor(w["lex"], dtype=torch.long)
    return ((bits.unsqueeze(-1) >> torch.arange(L.DIM)) & 1).float()


def batches(windows, batch_tokens, shuffle, rng):
    for g in length_buckets([len(w["ids"]) for w in windows], batch_tokens, rng if shuffle else None):
        yield collate([windows[i] for i in g])


def collate(ws):
    t = max(len(w["ids"]) for w in ws)
    ids = torch.zeros(len(ws), t, dtype=torch.long)
    tags = torch.zeros(len(ws), t, dtype=torch.long)
    mask = torch.zeros(len(ws), t, dtype=torch.long)
    for i, w in enumerate(ws):
        n = len(w["ids"])
        ids[i, :n] = torch.tensor(w["ids"])
        tags[i, :n] = torch.tensor(w["tags"])
        mask[i, :n] = 1
    return ids, mask, tags, ws


def spans_of(tags, offset=0):
    spans, cur = [], None
    for i, t in enumerate(tags + [0]):
        name = TAGS[t]
        if cur and not (name.startswith("I-") and name[2:] == cur[2]):
            spans.append((cur[0] + offset, i + offset, cur[2]))
            cur = None
        if name != "O" and cur is None:
            cur = [i, None, name[2:]]
    return spans


def prf(gold, pred):
    tp = len(gold & pred)
    p = tp / len(pred) if pred else 0.0
    r = tp / len(gold) if gold else 0.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0,
            "gold": len(gold), "pred": len(pred), "tp": tp}


def evaluate(model, records, index, max_len, batch_tokens=8192, lexicon=None):
    """Strict entity P/R/F1 on whole records, windows cut without looking at gold entities."""
    model.eval()
    device = next(model.parameters()).device
    windows = make_windows(records, index, max_len, with_gold=False, lexicon=lexicon)
    pred = set()
    for ids, mask, _, ws in batches(windows, batch_tokens, False, None):
        lex = lex_tensor(ws, ids.shape[1])
        for w, path in zip(ws, model.predict(ids.to(device), mask.to(device), None if lex is None else lex.to(device))):
            pred.update((w["rec"],) + s for s in spans_of(path, w["start"]))
    gold = {(i, s, e, l) for i, r in enumerate(records) for s, e, l in r["entities"]}
    result = {"micro": prf(gold, pred), "types": {}}
    for label in sorted({g[3] for g in gold}):
        result["types"][label] = prf({g for g in gold if g[3] == label}, {p for p in pred if p[3] == label})
    return result


def build_tagger(cfg, vocab_size, num_tags=len(TAGS)):
    bert = Bert(vocab_size, cfg["hidden"], cfg["layers"], cfg["heads"], cfg["ffn"], cfg["max_len"], cfg["dropout"],
                cfg["pos_init"])
    return Tagger(bert, num_tags, cfg["gru_hidden"], cfg["heads"], cfg["dropout"],
                  gru=cfg["gru"], attn=cfg["attn"], crf=cfg["crf"], rnn=cfg["rnn"], cnn_layers=cfg["cnn_layers"],
                  crf_cpu=cfg["crf_cpu"], lexicon_dim=L.DIM if uses_lexicon(cfg) else 0)


def uses_lexicon(cfg):
    return bool(cfg["lexicon"] or cfg["lexicon_file"])


def two_rate_adamw(model, cfg):
    """AdamW at the encoder's learning rate for the encoder and the upper layers' for the rest;
    returns it with those base rates, in its parameter groups' order."""
    enc = [p for n, p in model.named_parameters() if n.startswith("bert.")]
    top = [p for n, p in model.named_parameters() if not n.startswith("bert.")]
    opt = torch.optim.AdamW([{"params": enc, "lr": cfg["lr_encoder"]}, {"params": top, "lr": cfg["lr_top"]}],
                            weight_decay=cfg["weight_decay"])
    return opt, [cfg["lr_encoder"], cfg["lr_top"]]


def init_from(model, path):
    """The encoder of a pre-trained checkpoint, and whatever upper layers it has: the BiGRU and
    attention after CMeEE (whose output layer and CRF are another tag set's, so these start afresh),
    all of them after training on the teachers' labels (pseudo.py)."""
    ck = torch.load(path, map_location="cpu", weights_only=False)
    model.bert.load_state_dict(ck["bert"])
    if "upper" in ck:
        # Not strict: the encoder, output layer and CRF are not in "upper".
        unexpected = model.load_state_dict(ck["upper"], strict=False).unexpected_keys
        if unexpected:
            raise ValueError(f"{path}: unexpected weights {unexpected}")


def load_tagger(path, vocab=None):
    """A fine-tuned tagger from its best.pt, in eval mode; `vocab`, when given, must be its own."""
    ck = torch.load(path, map_location="cpu", weights_only=False)
    if vocab is not None and ck["vocab"] != vocab:
        raise ValueError(f"{path} was trained with another vocabulary")
    model = build_tagger(as_trained(ck["cfg"]), len(ck["vocab"]))
    model.load_state_dict(ck["model"])
    return model.eval()


@torch.no_grad()
def attach_teacher_targets(windows, teacher, temperature, batch_tokens=8192):
    """Each window's "soft" target: the softmax of the teacher's emissions at `temperature`."""
    teacher.eval()
    for ids, mask, _, ws in batches(windows, batch_tokens, False, None):
        soft = torch.softmax(teacher.emissions(ids, mask, lex_tensor(ws, ids.shape[1])) / temperature, -1).half()
        for w, s, n in zip(ws, soft, mask.sum(1).tolist()):
            w["soft"] = s[:n]


def distill_loss(em, soft, mask, temperature):
    """Per-token KL(teacher || student) on the emissions' softmax at `temperature`, summed over a
    window's tokens like the CRF loss, so one weight balances the two."""
    log_p = torch.log_softmax(em / temperature, -1)
    kl = (soft * (soft.clamp_min(1e-8).log() - log_p)).sum(-1)
    return temperature ** 2 * (kl * mask.to(em.dtype)).sum(1).mean()


def pad_soft(ws, length, num_tags):
    soft = torch.zeros(len(ws), length, num_tags)
    for i, w in enumerate(ws):
        soft[i, : len(w["soft"])] = w["soft"].float()
    return soft


def run(cfg, train, dev, vocab, run_dir, log, init=None, teachers=(), pretrain_epochs=None, lexicon=None):
    """Train from the weights `init` (None: random), distilling from `teachers` (best.pt files) when
    there are any, until cfg['epochs'] or patience runs out; returns the path of the best checkpoint.
    Its settings record the run as trained: `pretrained` and `teachers` are the weights it started
    from and learnt from, `pretrain_epochs` the epochs its encoder was pre-trained for (a time budget
    may have cut cfg's). With cfg's `lexicon`, `lexicon` (lexicon.Lexicon) gives the dictionary features."""
    if uses_lexicon(cfg) != (lexicon is not None):
        raise ValueError("the settings' lexicon and the lexicon passed disagree")
    torch.manual_seed(cfg["seed"])
    index = {c: i for i, c in enumerate(vocab)}
    model = build_tagger(cfg, len(vocab))
    if init:
        init_from(model, init)
        log(f"encoder initialised from {init}")
    device = device_of(cfg)
    model.to(device)
    data_seed = cfg["data_seed"]
    if data_seed is not None:
        # The same initial weights with another batch order and dropout: runs that can be averaged
        # into one model (soup.py).
        torch.manual_seed(data_seed)
    opt, base_lrs = two_rate_adamw(model, cfg)
    windows = make_windows(train, index, cfg["max_len"], with_gold=True, lexicon=lexicon, leave_out=True)
    teachers = list(teachers)
    trained = dict(cfg, pretrained=init, teachers=teachers,
                   pretrain_epochs=cfg["pretrain_epochs"] if pretrain_epochs is None else pretrain_epochs)
    if teachers:
        t0 = time.time()
        teacher = Ensemble([load_tagger(p, vocab) for p in teachers])
        attach_teacher_targets(windows, teacher, cfg["distill_temperature"])
        f1 = evaluate(teacher, dev, index, cfg["max_len"], lexicon=lexicon)["micro"]["f1"]
        log(f"distilling from {len(teachers)} teachers, dev F1 {f1:.4f} together (weight {cfg['distill_weight']}, "
            f"temperature {cfg['distill_temperature']}); targets in {time.time() - t0:.0f} s")
        del teacher
    steps_per_epoch = sum(1 for _ in batches(windows, cfg["batch_tokens"], False, None))
    total = steps_per_epoch * cfg["epochs"]
    warmup = int(total * cfg["warmup"])
    ckpt_path, best_path = os.path.join(run_dir, "last.pt"), os.path.join(run_dir, "best.pt")
    state = resume(ckpt_path, model, opt)
    if state:
        log(f"resumed from epoch {state['epoch']} (best f1 {state['best_f1']:.4f})")
    else:
        state = {"epoch": 0, "step": 0, "best_f1": -1.0, "best_epoch": 0, "history": []}
    # With ema_decay, dev scores (and best.pt keeps) the averaged weights; the raw weights' scores are
    # logged beside them, so one run compares the two.
    average = Average(model, cfg["ema_decay"], state.get("ema")) if cfg["ema_decay"] else None
    log(f"params {sum(p.numel() for p in model.parameters()):,}; {len(windows)} train windows, "
        f"{steps_per_epoch} steps/epoch")
    while state["epoch"] < cfg["epochs"] and state["epoch"] - state["best_epoch"] < cfg["patience"]:
        model.train()
        t0, tokens, total_loss = time.time(), 0, 0.0
        epoch_rng = random.Random((cfg["seed"] if data_seed is None else data_seed) * 1000 + state["epoch"])
        for i, (ids, mask, tags, ws) in enumerate(batches(windows, cfg["batch_tokens"], True, epoch_rng)):
            ids, mask, tags = ids.to(device), mask.to(device), tags.to(device)
            lex = lex_tensor(ws, ids.shape[1])
            lex = None if lex is None else lex.to(device)
            soft = pad_soft(ws, ids.shape[1], model.proj.out_features).to(device) if teachers else None

            def batch_loss():
                em = model.emissions(ids, mask, lex)
                loss = model.loss_of(em, mask, tags)
                if teachers:
                    loss = loss + cfg["distill_weight"] * distill_loss(em, soft, mask, cfg["distill_temperature"])
                return loss

            loss = batch_loss()
            f = schedule(state["step"], total, warmup)
            lrs = [lr * f for lr in base_lrs]
            if cfg["fgm_epsilon"]:
                optimise_fgm(opt, loss, batch_loss, model.parameters(), lrs, model.bert.tok.weight, cfg["fgm_epsilon"])
            else:
                optimise(opt, loss, model.parameters(), lrs)
            if average:
                average.update(model)
            state["step"] += 1
            tokens += int(mask.sum())
            total_loss += float(loss)
            if cfg["max_steps"] and i + 1 >= cfg["max_steps"]:
                break
        state["epoch"] += 1
        secs = time.time() - t0
        metrics = evaluate(model, dev, index, cfg["max_len"], lexicon=lexicon)
        entry = {"epoch": state["epoch"], "loss": total_loss / (i + 1), "dev": metrics["micro"], "tokens_per_s": tokens / secs}
        raw = ""
        if average:
            with average.applied(model):
                metrics, entry["dev_raw"] = evaluate(model, dev, index, cfg["max_len"], lexicon=lexicon), metrics["micro"]
            entry["dev"] = metrics["micro"]
            raw = f" (raw weights F1 {entry['dev_raw']['f1']:.4f})"
            state["ema"] = average.state
        f1 = metrics["micro"]["f1"]
        state["history"].append(entry)
        log(f"epoch {state['epoch']} loss {total_loss / (i + 1):.4f} {tokens / secs:.0f} tok/s "
            f"dev P {metrics['micro']['precision']:.4f} R {metrics['micro']['recall']:.4f} F1 {f1:.4f}{raw}")
        if f1 > state["best_f1"]:
            state["best_f1"], state["best_epoch"] = f1, state["epoch"]
            with average.applied(model) if average else contextlib.nullcontext():
                save_atomic({"model": model.state_dict(), "cfg": trained, "vocab": vocab, "dev": metrics,
                             "epoch": state["epoch"], **({"lexicon": lexicon.entries()} if lexicon else {})}, best_path)
        save_checkpoint(ckpt_path, model, opt, state)
        if past_stop_time():
            log(f"stopped by MEDNER_STOP_AT after epoch {state['epoch']}")
            break
    log(f"best dev F1 {state['best_f1']:.4f} at epoch {state['best_epoch']}")
    with open(os.path.join(run_dir, "history.json"), "w") as f:
        json.dump(state["history"], f, indent=1)
    return best_path
