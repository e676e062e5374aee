"""Text normalisation, vocabulary and windowing shared by every training stage.

The rules here are mirrored by src/core/tokenizer.ts and described in model.json; one code point
is always one token, so model positions are code-point offsets with no alignment table.
"""
import collections
import json
import os

PAD, UNK, SPACE, MASK = "[PAD]", "[UNK]", "[SPACE]", "[MASK]"
SPECIALS = [PAD, UNK, SPACE, MASK]

# Explicit list so Python's str.isspace and JavaScript's \s cannot drift apart.
WHITESPACE = [0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0, 0x1680,
              *range(0x2000, 0x200B), 0x2028, 0x2029, 0x202F, 0x205F, 0x3000]
_WS = frozenset(WHITESPACE)

NORMALIZATION = {
    "unit": "codepoint",
    "fullwidthAscii": {"from": 0xFF01, "to": 0xFF5E, "offset": 0xFEE0},
    "lowercaseAscii": True,
    "whitespace": WHITESPACE,
    "spaceToken": SPACE,
    "unknownToken": UNK,
    "padToken": PAD,
}

STRONG_PUNCT = set("。；！？;!?\n")
WEAK_PUNCT = set("，、：,:")


def normalize_char(ch):
    cp = ord(ch)
    if cp in _WS:
        return SPACE
    if 0xFF01 <= cp <= 0xFF5E:
        cp -= 0xFEE0
    if 0x41 <= cp <= 0x5A:
        cp += 0x20
    return chr(cp)


def build_vocab(texts, min_count=2):
    counts = collections.Counter(normalize_char(c) for t in texts for c in t)
    for s in SPECIALS:
        counts.pop(s, None)
    chars = sorted((c for c, n in counts.items() if n >= min_count), key=lambda c: (-counts[c], c))
    return SPECIALS + chars


def encode(text, index):
    unk = index[UNK]
    return [index.get(normalize_char(c), unk) for c in text]


def _cut_allowed(p, entities):
    return all(not (s < p < e) for s, e in entities)


def window_bounds(text, max_len, entities=()):
    """Split text into consecutive windows of at most max_len code points.

    Cuts prefer sentence ends, then clause punctuation, then any position, and never fall inside
    one of `entities` ((start, end) pairs) unless an entity is itself longer than max_len.
    """
    n = len(text)
    bounds, s = [], 0
    while n - s > max_len:
        cut = None
        for punct in (STRONG_PUNCT, WEAK_PUNCT, None):
            for p in range(s + max_len, s + max_len // 4, -1):
                if (punct is None or text[p - 1] in punct) and _cut_allowed(p, entities):
                    cut = p
                    break
            if cut:
                break
        cut = cut or s + max_len
        bounds.append((s, cut))
        s = cut
    if s < n or not bounds:
        bounds.append((s, n))
    return bounds


def read_yidu(path):
    records = []
    with open(path, encoding="utf-8-sig") as f:
        for line in f:
            line = line.strip().lstrip("\ufeff")
            if not line:
                continue
            obj = json.loads(line)
            ents = [(e["start_pos"], e["end_pos"], e["label_type"]) for e in obj["entities"]]
            records.append({"text": obj["originalText"], "entities": sorted(ents)})
    return records


def write_yidu(records, path):
    """Records in Yidu's own JSON lines (what read_yidu reads), written atomically."""
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        for r in records:
            ents = [{"label_type": l, "start_pos": s, "end_pos": e, "overlap": 0} for s, e, l in r["entities"]]
            f.write(json.dumps({"originalText": r["text"], "entities": ents}, ensure_ascii=False) + "\n")
    os.replace(path + ".tmp", path)


def read_unlabelled(data_dir):
    """The CMeEE and Tianchi texts: the vocabulary's corpus besides the training split, and what the
    teachers pseudo-label by default (`pseudo_corpus`); never the Yidu test set."""
    return _cmeee_texts(data_dir) + _tianchi_texts(data_dir)


def _cmeee_texts(data_dir):
    texts = []
    for name in ("train_data.txt", "val_data.txt"):
        with open(os.path.join(data_dir, "cmeee", name), encoding="utf-8-sig") as f:
            texts.extend(line.split("|||", 1)[0].strip() for line in f if line.strip())
    return texts


def _tianchi_texts(data_dir):
    drug = os.path.join(data_dir, "tianchi-drug")
    texts = []
    for name in sorted(os.listdir(drug)):
        if name.endswith(".txt"):
            with open(os.path.join(drug, name), encoding="utf-8-sig") as f:
                texts.append(f.read())
    return texts


def _jsonl_texts(*parts, key="originalText"):
    def read(data_dir):
        with open(os.path.join(data_dir, *parts), encoding="utf-8") as f:
            return [t for t in (json.loads(line)[key] for line in f if line.strip()) if t.strip()]
    return read


# Pre-training corpora by name (files in ../shared/data, see its README). "yidu" is the training
# split's own texts, which the caller passes: the dev records are never pre-trained on.
CORPORA = {
    "yidu": None,
    "cmeee": _cmeee_texts,
    "tianchi": _tianchi_texts,
    "ccks2020": lambda d: _jsonl_texts("ccks2020", "labelled.jsonl")(d) + _jsonl_texts("ccks2020", "unlabelled.jsonl")(d),
    "clinical": _jsonl_texts("clinical-unlabelled", "records.jsonl"),
    "ccks2017": _jsonl_texts("ccks2017", "labelled.jsonl"),
    "medqa": _jsonl_texts("medical-qa", "text.jsonl", key="text"),
    "medqa-nc": _jsonl_texts("medical-qa", "cmedqa_noncommercial.jsonl", key="text"),
    "cmedqaner": _jsonl_texts("medical-qa", "cmedqaner.jsonl"),
}
# Clinical records in the style of Yidu-S4K's hospital, which `clinical_repeat` weights up.
CLINICAL = ("yidu", "ccks2020", "clinical", "ccks2017")
# Labelled corpora in exactly Yidu-S4K's format and six types (`extra_labelled`).
LABELLED = {"ccks2020": ("ccks2020", "labelled.jsonl")}


def pretraining_texts(data_dir, names, train_texts, dev_texts=(), clinical_repeat=1):
    """The texts of the corpora `names` in that order, clinical ones `clinical_repeat` times; texts
    equal to a dev record's are left out."""
    dev = set(dev_texts)
    texts = []
    for name in names:
        part = [t for t in (train_texts if name == "yidu" else CORPORA[name](data_dir)) if t not in dev]
        texts.extend(part * (clinical_repeat if name in CLINICAL else 1))
    return texts


def read_labelled(data_dir, name):
    return read_yidu(os.path.join(data_dir, *LABELLED[name]))
