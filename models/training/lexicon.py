"""SoftLexicon-style dictionary features (Ma et al., ACL 2020), as indicators: for each character, whether
it Begins, is in the Middle of, Ends or Stands alone as a lexicon word, per word type (Yidu's six types,
and "term" for untyped words): 4 x 7 = 28 features, a bit each.

Terms match on normalised text (text.normalize_char: full-width ASCII folded, A-Z lower-cased), one code
point per character, so offsets are the model's; terms with whitespace are left out. Training entities
join the lexicon with their counts, and a training record's features leave out its own entities where no
other record has them (leave-one-record-out): otherwise every gold entity of the training split would be
in the lexicon while unseen dev entities are not, and the network would learn to copy the lexicon.
"""
import collections
import json
import os

import text as T
from model import LABELS

TYPES = LABELS + ["term"]
POSITIONS = "BMES"
DIM = len(POSITIONS) * len(TYPES)
MAX_TERM = 24  # longer terms are left out: rare, and each costs a trie walk of its length at every start

# CMeEE's types that are Yidu's; the others (symptom, procedure, equipment, test item, ...) are untyped terms.
CMEEE_TYPES = {"dis": "疾病和诊断", "bod": "解剖部位", "dru": "药物"}


def key(term):
    return "".join(T.normalize_char(c) for c in term)


def usable(term):
    return 0 < len(term) <= MAX_TERM and not any(ord(c) in T._WS for c in term)


def _tsv(path):
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n").split("\t") for line in f if line.strip()]


def _ccks2020_vocab(data):
    return [(term, label) for term, label in _tsv(os.path.join(data, "ccks2020", "vocab.tsv"))]


def _cmeee(data):
    import cmeee
    return [(r["text"][s:e], CMEEE_TYPES.get(label, "term")) for r in cmeee.load(data) for s, e, label in r["entities"]]


def _thuocl(data):
    return [(row[0], "term") for row in _tsv(os.path.join(data, "lexicons", "thuocl_medical.tsv"))]


def _icd10(data):
    # Chapter names ("某些传染病和寄生虫病") are headings, not mentions.
    return [(row[0], "疾病和诊断") for row in _tsv(os.path.join(data, "lexicons", "icd10cn.tsv")) if row[2] != "chapter"]


# External sources by name (`lexicon` setting); "train" is the training split's own entities.
SOURCES = {"train": None, "ccks2020-vocab": _ccks2020_vocab, "cmeee": _cmeee, "thuocl": _thuocl, "icd10": _icd10}


class Lexicon:
    """Typed terms in a trie of normalised characters. `external` terms are always on; `counts` are
    training entities' occurrences per (term, type), which `features(..., leave_out=record)` discounts."""

    def __init__(self, external=(), counts=None):
        self.external = collections.defaultdict(set)
        for term, label in external:
            if usable(term):
                self.external[key(term)].add(TYPES.index(label))
        self.counts = collections.Counter(counts or {})
        self.trie = {}
        for k in set(self.external) | {k for k, _ in self.counts}:
            node = self.trie
            for c in k:
                node = node.setdefault(c, {})
            node[""] = k  # the terminal: the term's key (no character normalises to "")

    def entries(self):
        """Every term with its types, as the shipped lexicon lists them (training counts > 0)."""
        out = collections.defaultdict(set, {k: set(v) for k, v in self.external.items()})
        for (k, t), n in self.counts.items():
            if n > 0:
                out[k].add(t)
        return {k: sorted(v) for k, v in sorted(out.items())}

    def types(self, k, leave_out):
        found = set(self.external.get(k, ()))
        for t in range(len(TYPES)):
            n = self.counts.get((k, t), 0)
            if n and n > leave_out.get((k, t), 0):
                found.add(t)
        return found

    def features(self, text, leave_out=None):
        """One int per code point of `text`: bit p * len(TYPES) + t is position p ("BMES") of type t."""
        leave_out = leave_out or {}
        chars = [T.normalize_char(c) for c in text]
        bits = [0] * len(chars)
        for i in range(len(chars)):
            node = self.trie
            for j in range(i, min(len(chars), i + MAX_TERM)):
                node = node.get(chars[j])
                if node is None:
                    break
                if "" in node:
                    for t in self.types(node[""], leave_out):
                        if j == i:
                            bits[i] |= 1 << (3 * len(TYPES) + t)
                            continue
                        bits[i] |= 1 << t
                        bits[j] |= 1 << (2 * len(TYPES) + t)
                        for m in range(i + 1, j):
                            bits[m] |= 1 << (len(TYPES) + t)
        return bits


def entity_counts(records):
    """(term key, type index) -> occurrences among the records' gold entities; a record repeated in the
    list (`--extra-repeat`) counts once, or leaving it out would not hide its own entities."""
    counts = collections.Counter()
    for r in {id(r): r for r in records}.values():
        counts.update(own_entities(r))
    return counts


def own_entities(record):
    return collections.Counter((key(record["text"][s:e]), TYPES.index(label)) for s, e, label in record["entities"]
                               if usable(record["text"][s:e]))


def build(sources, data, train, user_file=None):
    """The lexicon of `sources` (names in SOURCES) and a user's file; "train" takes the entities of
    `train` (never dev)."""
    external = [entry for name in sources if name != "train" for entry in SOURCES[name](data)]
    if user_file:
        external += read_entries(user_file)
    return Lexicon(external, entity_counts(train) if "train" in sources else None)


def from_entries(entries):
    """The Lexicon of a checkpoint's `entries()`: every term always on."""
    return Lexicon([(k, TYPES[t]) for k, types in entries.items() for t in types])


def write_tsv(lexicon, path):
    """The shipped form: `term<TAB>type,type` lines of normalised terms, written atomically."""
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        for k, types in lexicon.entries().items():
            f.write(k + "\t" + ",".join(TYPES[t] for t in types) + "\n")
    os.replace(path + ".tmp", path)


def read_entries(path):
    """(term, type) pairs of a shipped lexicon or a user's (`term<TAB>type,...`, types from TYPES; no
    types: an untyped term)."""
    entries = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            term, _, types = line.rstrip("\n").partition("\t")
            for label in (types.split(",") if types else ["term"]):
                if label not in TYPES:
                    raise ValueError(f"{path}:{n}: unknown type {json.dumps(label, ensure_ascii=False)}")
                entries.append((term, label))
    return entries


# The parity fixture of src/core/lexicon.ts (test/unit/lexicon.test.ts): a user-style lexicon (raw terms,
# normalised on reading) and texts with full-width, astral, whitespace and overlapping matches.
FIXTURE_TERMS = ["ＣＴ\t影像检查", "CT检查\t影像检查", "胸\t解剖部位", "胸部\t解剖部位,term", "腹腔镜下胆囊切除术\t手术",
                 "胆囊\t解剖部位", "切除术\t手术", "𠀀病\t疾病和诊断", "病\tterm", "ab cd\tterm", "Ⅱ型糖尿病\t疾病和诊断",
                 "糖尿病\t疾病和诊断", "头孢曲松\t药物", "血常规\t实验室检验", "x" * (MAX_TERM + 1) + "\tterm"]
FIXTURE_TEXTS = ["ＣＴ示：胸部CT检查未见异常。", "行\u201c腹腔镜下胆囊切除术\u201d，术后予头孢曲松。",
                 "𠀀病😀𠀀病\u3000胸\t胸部\r\nab cd", "Ⅱ型糖尿病，血常规：WBC 12.3×10^9/L" + "x" * (MAX_TERM + 2)]


def write_fixture(path):
    tsv = "\n".join(FIXTURE_TERMS) + "\n"
    with open(path + ".lexicon.tmp", "w", encoding="utf-8") as f:
        f.write(tsv)
    lexicon = Lexicon(read_entries(path + ".lexicon.tmp"))
    os.remove(path + ".lexicon.tmp")
    fixture = {"lexicon": tsv, "types": TYPES, "positions": POSITIONS, "maxTermLength": MAX_TERM,
               "cases": [{"text": t, "bits": lexicon.features(t)} for t in FIXTURE_TEXTS]}
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        json.dump(fixture, f, ensure_ascii=False, indent=1)
        f.write("\n")
    os.replace(path + ".tmp", path)


if __name__ == "__main__":
    import sys
    write_fixture(sys.argv[1])  # python3 models/training/lexicon.py test/fixtures/lexicon-parity.json
