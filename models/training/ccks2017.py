"""The CCKS 2017 task 2 records as an auxiliary schema: 1,564 clinical records with five types that do
not map one-to-one onto Yidu-S4K's (检查和检验 covers both imaging and lab tests, 症状和体征 has no
counterpart), so they are an intermediate stage with their own output layer and CRF
(`ccks2017_epochs`, after CMeEE), never merged into Yidu's labels."""
import os

import text as T

TYPES = ["身体部位", "检查和检验", "症状和体征", "治疗", "疾病和诊断"]
TAGS = ["O"] + [f"{p}-{t}" for t in TYPES for p in ("B", "I")]


def load(data_dir, dev_texts=()):
    """The records, without any whose text is a dev record's (the dev split stays unseen)."""
    dev = set(dev_texts)
    return [r for r in T.read_yidu(os.path.join(data_dir, "ccks2017", "labelled.jsonl")) if r["text"] not in dev]
