"""Distillation through unlabelled text: the teachers' ensemble labels the CMeEE and Tianchi texts
with Yidu's six types, and the network trains on those labels (`pseudo_epochs`) before it
fine-tunes on the gold records, so the network learns what the ensemble says about 21,000 more
texts, not only about the 900 training records. Labels are cached; the stage resumes per epoch.
"""
import os
import time

import torch

import text as T
from finetune import batches, lex_tensor, load_tagger, make_windows, run as finetune_run, spans_of
from loop import save_atomic
from model import Ensemble


@torch.no_grad()
def label_texts(teacher, texts, vocab, max_len, batch_tokens=8192, lexicon=None):
    """Records {"text", "entities"} with the teacher's decoded spans, windows cut as everywhere else;
    `lexicon` gives teachers that read dictionary features theirs."""
    teacher.eval()
    index = {c: i for i, c in enumerate(vocab)}
    records = [{"text": t, "entities": []} for t in texts]
    windows = make_windows(records, index, max_len, with_gold=False, lexicon=lexicon)
    for ids, mask, _, ws in batches(windows, batch_tokens, False, None):
        for w, path in zip(ws, teacher.predict(ids, mask, lex_tensor(ws, ids.shape[1]))):
            records[w["rec"]]["entities"].extend(spans_of(path, w["start"]))
    for r in records:
        r["entities"].sort()
    return records


def run(cfg, texts, dev, vocab, run_dir, log, init, teachers, lexicon=None):
    """cfg['pseudo_epochs'] epochs on the labels that the ensemble of `teachers` (best.pt files) gives
    `texts`, from the weights `init` (None: random); returns an init checkpoint with every layer, the
    output layer and CRF included (the tag set is Yidu's). The teachers are loaded only while the labels
    are not cached."""
    labels_path = os.path.join(run_dir, "labels.yidu.jsonl")
    if not os.path.exists(labels_path):
        t0 = time.time()
        teacher = Ensemble([load_tagger(p, vocab) for p in teachers])
        records = label_texts(teacher, texts, vocab, cfg["max_len"], lexicon=lexicon)
        T.write_yidu(records, labels_path)
        log(f"pseudo-labels: {sum(len(r['entities']) for r in records):,} entities in {len(records):,} texts, "
            f"{time.time() - t0:.0f} s")
    records = T.read_yidu(labels_path)
    # Without dictionary features, like CMeEE: the features' weights start at Yidu.
    stage = dict(cfg, epochs=cfg["pseudo_epochs"], patience=cfg["pseudo_epochs"], data_seed=None, lexicon=[],
                 lexicon_file=None)
    finetune_run(stage, records, dev, vocab, run_dir, lambda msg: log(f"[pseudo] {msg}"), init=init)
    # The last epoch, not the best on dev: this stage prepares the network, dev picks later.
    state = torch.load(os.path.join(run_dir, "last.pt"), map_location="cpu", weights_only=False)["model"]
    out = os.path.join(run_dir, "encoder.pt")
    save_atomic({"bert": {k[len("bert."):]: v for k, v in state.items() if k.startswith("bert.")},
                 "upper": {k: v for k, v in state.items() if not k.startswith("bert.")}}, out)
    return out
