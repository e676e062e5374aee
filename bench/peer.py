"""The PyTorch eager peer: the shipped model's own weights, read back from model.onnx into the
PyTorch BBRAC, run on the same texts with the same kind of work (emissions, Viterbi and
forward-backward confidences), for `npm run bench`'s side-by-side ratio.

The weights are verified, not assumed (`models/training/onnx_weights.py`): the rebuilt model must
reproduce the parity emissions saved at export (max |diff| < 1e-4) before anything is timed. Windows are cut as the TypeScript core and
the training pipeline cut them (`window_bounds`), so both do the same work.

    /usr/bin/python3 bench/peer.py --texts DEV.yidu.jsonl --threads 2 [--repeat 3]
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "models", "training"))

import text as T  # noqa: E402
from finetune import batches, lex_tensor  # noqa: E402
from onnx_weights import model_lexicon, rebuild  # noqa: E402


def marginals(em, crf):
    """Forward-backward in log space over one window (T x K)."""
    t = em.shape[0]
    alpha = [crf.start + em[0]]
    for i in range(1, t):
        alpha.append(torch.logsumexp(alpha[-1].unsqueeze(1) + crf.trans, 0) + em[i])
    beta = [crf.end]
    for i in range(t - 1, 0, -1):
        beta.append(torch.logsumexp(crf.trans + (em[i] + beta[-1]).unsqueeze(0), 1))
    a, b = torch.stack(alpha), torch.stack(beta[::-1])
    return (a + b - torch.logsumexp(a[-1] + crf.end, 0)).exp()


@torch.no_grad()
def label_all(model, texts, index, max_len, decode=True, lexicon=None):
    windows = []
    for r, text in enumerate(texts):
        ids = T.encode(text, index)
        for s, e in T.window_bounds(text, max_len):
            windows.append({"rec": r, "start": s, "ids": ids[s:e], "tags": [0] * (e - s),
                            **({"lex": lexicon.features(text[s:e])} if lexicon else {})})
    for ids, mask, _, ws in batches(windows, 4096, False, None):
        em = model.emissions(ids, mask, lex_tensor(ws, ids.shape[1]))
        if not decode:
            continue
        for e, m in zip(em, mask):
            e = e[: int(m.sum())]
            model.crf.decode(e.unsqueeze(0), torch.ones(1, e.shape[0], dtype=torch.long))
            marginals(e, model.crf)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--texts", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--model", default=os.path.join(ROOT, "models", "bbrac"))
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    model, meta = rebuild(args.model)
    lexicon = model_lexicon(args.model, meta)
    index = {c: i for i, c in enumerate(meta["vocab"])}
    texts = [r["text"] for r in T.read_yidu(args.texts)]
    chars = sum(len(t) for t in texts)
    result = {"threads": args.threads, "chars": chars}
    # The whole job, and the network alone (what is left if the CRF were free in Python).
    for key, decode in (("charsPerSecond", True), ("emissionsOnlyCharsPerSecond", False)):
        runs = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            label_all(model, texts, index, meta["maxLength"], decode, lexicon)
            runs.append(time.perf_counter() - t0)
        result[key] = chars / float(np.median(runs))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
