"""Every setting of the training pipeline, declared once with its default, and the checks that
`--config FILE` and `--set KEY=JSON` pass before any work starts: an unknown key (a typo would
otherwise train for hours on defaults) or a value of the wrong type is refused at once."""
import difflib
import json

from lexicon import SOURCES as LEXICON_SOURCES
from text import CORPORA, LABELLED

# The shipped model's recipe (models/bbrac/MODEL_CARD.md): `pipeline.py` with no settings reproduces it.
# The size was chosen from the size/F1/speed curve.
DEFAULTS = {
    "name": "bbrac",  # the run's folder under runs/ and the exported model's name
    "hidden": 192,  # encoder width
    "layers": 3,  # encoder layers
    "heads": 3,  # attention heads, in the encoder and in the residual attention above the BiGRU
    "ffn": 768,  # encoder feed-forward width
    "max_len": 256,  # longest window in characters; longer texts are cut at punctuation, never inside an entity
    "dropout": 0.1,  # dropout everywhere in the network
    "gru_hidden": 96,  # BiGRU width per direction
    "gru": True,  # the BiGRU layer (false: the ablation without it)
    "attn": True,  # the residual multi-head attention above the BiGRU
    "crf": True,  # the CRF output (false: per-character argmax)
    "crf_cpu": False,  # the CRF loss on the CPU for a model on a GPU (several runs sharing one GPU); same result
    "rnn": "gru",  # the recurrent layer's cell: "gru" (BBRAC) or "lstm" (the BERT-BiLSTM-CRF baseline)
    "cnn_layers": 0,  # width-3 convolutions above the encoder (the FastText-CNN baseline; 0: none)
    "epochs": 16,  # most fine-tuning epochs on Yidu-S4K
    "patience": 3,  # fine-tuning stops after this many epochs without a better dev F1
    "lr_encoder": 3e-4,  # fine-tuning learning rate of the encoder
    "lr_top": 2e-3,  # fine-tuning learning rate of the layers above the encoder
    "weight_decay": 0.01,  # AdamW weight decay while fine-tuning
    "warmup": 0.06,  # fraction of the fine-tuning steps spent warming the learning rate up
    "batch_tokens": 4096,  # fine-tuning batch budget: longest window x windows per batch
    "seed": 13,  # initial weights, and the batch order unless data_seed is set
    "data_seed": None,  # int: another batch order and dropout from the same initial weights (runs to average)
    "dev_size": 100,  # records of Yidu-S4K held out as the dev split
    "split_seed": 2019,  # the dev split's shuffle
    "min_count": 2,  # characters seen fewer times go to [UNK] in the vocabulary
    "threads": 2,  # torch CPU threads
    "pretrained": None,  # str: an encoder.pt trained elsewhere to start from (pre-training is skipped)
    "device": "auto",  # "auto" (a GPU when there is one), "cpu" or "cuda"
    "pos_init": "sinusoidal",  # learned position embeddings start as sinusoids ("normal": N(0, 0.02))
    "pretrain_epochs": 23,  # whole-word-mask pre-training epochs (0: the encoder starts from random weights)
    "wwm": True,  # mask jieba words whole (false: single characters)
    "pretrain_lr": 2e-3,  # pre-training learning rate
    "pretrain_batch": 32,  # windows per pre-training batch when pretrain_batch_tokens is null
    "pretrain_batch_tokens": 32768,  # int or null: length-bucketed pre-training batches under this token budget
    "pretrain_seconds": None,  # number: seconds pre-training may take; its epochs are cut to fit, measured early on
    "log_steps": 50,  # pre-training logs (with the order probe) every this many steps
    "ckpt_steps": 200,  # pre-training checkpoints every this many steps
    "intermediate_epochs": 2,  # epochs on CMeEE's labels between pre-training and Yidu-S4K (cmeee.py)
    "ccks2017_epochs": 0,  # epochs on CCKS 2017's five-type labels after CMeEE, own output layer and CRF (ccks2017.py)
    "teacher_seeds": [],  # one teacher per data seed (null: seed's own order); empty: no teachers
    "teachers": [],  # best.pt files of teachers trained elsewhere, used when teacher_seeds is empty
    "distill_weight": 1.0,  # weight of the KL term towards the teachers' averaged emissions
    "distill_temperature": 2.0,  # softmax temperature of that KL term
    "pseudo_epochs": 0,  # epochs on the teachers' labels of the unlabelled texts before the gold records (pseudo.py)
    "pseudo_corpus": ["cmeee", "tianchi"],  # the texts the teachers label (text.CORPORA; never a gold or dev text)
    "ema_decay": 0.995,  # number: dev scores and keeps an exponential moving average of the weights (per step)
    "fgm_epsilon": 0.0,  # adversarial training (FGM): each step also trains on character embeddings moved this far
    "max_steps": None,  # int: cut every fine-tuning epoch after this many steps (the smoke run)
    "train_records": None,  # int: train on the first this many training records only (the smoke run)
    "dev_records": None,  # int: score on the first this many dev records only (the smoke run)
    "lexicon": ["train", "ccks2020-vocab", "cmeee", "thuocl", "icd10"],  # dictionary features (lexicon.py) from these sources
    "lexicon_file": None,  # str: a user's lexicon (`term<TAB>type,...` lines) for dictionary features, with `lexicon`'s
    "extra_labelled": ["ccks2020"],  # labelled corpora in Yidu's six types added to every training split: "ccks2020"
    "pretrain_corpus": list(CORPORA),  # pre-training text, by name (text.CORPORA); never the dev records
    "clinical_repeat": 2,  # times each clinical-record text (text.CLINICAL) is repeated in the pre-training corpus
    "pretrain_workers": 0,  # processes that mask pre-training batches ahead of the GPU (0: in the loop; same batches)
    "pretrain_bf16": True,  # bfloat16 autocast for pre-training on a GPU (ignored on the CPU)
    "pretrain_texts": None,  # int: pre-train on the first this many texts only (the smoke run)
    "intermediate_records": None,  # int: the first this many CMeEE sentences only (the smoke run)
    "pseudo_texts": None,  # int: pseudo-label the first this many unlabelled texts only (the smoke run)
}
# The settings whose strings must be one of these (a typo would otherwise fail hours later, or not at all).
CHOICES = {"rnn": ("gru", "lstm"), "device": ("auto", "cpu", "cuda"), "pos_init": ("sinusoidal", "normal"),
           "extra_labelled": tuple(LABELLED), "pretrain_corpus": tuple(CORPORA),
           "pseudo_corpus": tuple(c for c in CORPORA if c != "yidu"), "lexicon": tuple(LEXICON_SOURCES)}
# The settings that take null besides a value, and that value's type.
NULLABLE = {"data_seed": int, "ema_decay": float, "pretrained": str, "lexicon_file": str, "pretrain_batch_tokens": int, "pretrain_seconds": float,
            "max_steps": int, "train_records": int, "dev_records": int, "pretrain_texts": int,
            "intermediate_records": int, "pseudo_texts": int}
# What the lists hold.
ITEMS = {"teacher_seeds": (int, None), "teachers": (str,), "extra_labelled": (str,), "pretrain_corpus": (str,),
         "pseudo_corpus": (str,), "lexicon": (str,)}

SMOKE = {"name": "bbrac-smoke", "hidden": 32, "layers": 1, "heads": 2, "ffn": 64, "gru_hidden": 16,
         "max_len": 64, "epochs": 1, "max_steps": 4, "batch_tokens": 1024, "train_records": 8, "dev_records": 4,
         "pretrain_epochs": 1, "pretrain_texts": 40, "pretrain_batch_tokens": 512, "log_steps": 1,
         "intermediate_epochs": 1, "intermediate_records": 16, "teacher_seeds": [None, 1],
         "pseudo_epochs": 1, "pseudo_texts": 16}

# The values that checkpoints written before a setting existed were trained with.
BEFORE = {"name": "bbrac", "pretrained": None, "pos_init": "normal", "pretrain_batch_tokens": None,
          "intermediate_epochs": 0, "teachers": [], "pseudo_epochs": 0, "data_seed": None,
          "rnn": "gru", "cnn_layers": 0, "crf_cpu": False, "extra_labelled": [], "lexicon": [], "lexicon_file": None,
          "pretrain_corpus": ["yidu", "cmeee", "tianchi"], "clinical_repeat": 1, "pretrain_bf16": False,
          "ccks2017_epochs": 0, "pseudo_corpus": ["cmeee", "tianchi"], "ema_decay": None, "fgm_epsilon": 0.0}

# Settings that say where, how fast or how much of a run ran, not what it trained: everything else is
# the recipe, which model.json records (`recipe`) and a test holds DEFAULTS to for the shipped model.
NOT_RECIPE = ("name", "threads", "device", "pretrained", "teachers", "crf_cpu", "log_steps", "ckpt_steps",
              "pretrain_workers", "pretrain_seconds", "lexicon_file", "max_steps", "train_records", "dev_records",
              "pretrain_texts", "intermediate_records", "pseudo_texts")

# The data of every model before the larger corpus (issue 22): the first pre-training corpus, Yidu-S4K
# alone, no dictionary features. Experiments measured on it pin these as DEFAULTS move on.
FIRST_DATA = {k: BEFORE[k] for k in ("pretrain_corpus", "clinical_repeat", "pretrain_bf16", "extra_labelled", "lexicon")}

_NAMES = {bool: "true or false", int: "an integer", float: "a number", str: "a string", list: "a list", None: "null"}
_PLURALS = {int: "integers", str: "strings", None: "nulls"}


class SettingsError(ValueError):
    """A setting that does not exist or has the wrong type; the message is one line."""


def as_trained(cfg):
    """A checkpoint's settings with the keys it predates filled in as it was trained."""
    return {**BEFORE, **cfg}


def recipe(cfg):
    """The recipe a checkpoint's settings describe (settings it predates at their values then)."""
    return {k: v for k, v in as_trained(cfg).items() if k not in NOT_RECIPE}


def resolve(smoke=False, config=None, sets=()):
    """DEFAULTS, then the smoke run's, then the JSON file `config`, then `KEY=JSON` strings; all checked."""
    cfg = dict(DEFAULTS)
    if smoke:
        cfg.update(SMOKE)
    if config:
        cfg.update(load_config(config))
    for kv in sets:
        cfg.update([parse_set(kv)])
    return cfg


def load_config(path):
    try:
        with open(path, encoding="utf-8") as f:
            settings = json.load(f)
    except OSError as e:
        raise SettingsError(f"{path}: {e.strerror}") from None
    except ValueError as e:
        raise SettingsError(f"{path}: not JSON ({e})") from None
    if not isinstance(settings, dict):
        raise SettingsError(f"{path}: not a JSON object of settings")
    for key, value in settings.items():
        check(key, value, path)
    return settings


def parse_set(kv):
    key, eq, text = kv.partition("=")
    if not eq:
        raise SettingsError(f"--set {_echo(kv)}: not KEY=JSON")
    check_key(key, "--set")
    try:
        value = json.loads(text)
    except ValueError:
        raise SettingsError(f"--set {_echo(kv)}: the value is not JSON (a string needs its quotes: "
                            f"{key}='\"...\"')") from None
    check(key, value, "--set")
    return key, value


def check_key(key, where):
    if key not in DEFAULTS:
        near = difflib.get_close_matches(key, DEFAULTS, n=1, cutoff=0)[0]
        shown = _echo(json.dumps(key, ensure_ascii=False))
        raise SettingsError(f"{where}: unknown setting {shown} (did you mean \"{near}\"?)")


def check(key, value, where):
    check_key(key, where)
    default = DEFAULTS[key]
    kinds = [NULLABLE[key], None] if key in NULLABLE else [type(default)]
    ok = any(_fits(value, k) for k in kinds)
    if ok and isinstance(value, list):
        ok = all(any(_fits(v, k) for k in ITEMS[key]) for v in value)
    if ok and key in CHOICES:
        bad = [v for v in (value if isinstance(value, list) else [value]) if v not in CHOICES[key]]
        if bad:
            shown = _echo(json.dumps(bad[0], ensure_ascii=False))
            raise SettingsError(f"{where}: setting \"{key}\" takes {', '.join(CHOICES[key])}, not {shown}")
    if not ok:
        wanted = " or ".join(_NAMES[k] for k in kinds)
        if key in ITEMS:
            wanted = "a list of " + " or ".join(_PLURALS[k] for k in ITEMS[key])
        shown = _echo(json.dumps(value, ensure_ascii=False))
        raise SettingsError(f"{where}: setting \"{key}\" takes {wanted}, not {shown}")


def _fits(value, kind):
    if kind is None:
        return value is None
    if kind is bool:
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if kind is float:
        return isinstance(value, (int, float))
    return isinstance(value, kind)


def _echo(text, limit=200):
    return text if len(text) <= limit else text[:limit] + "…"
