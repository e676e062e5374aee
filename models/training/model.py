"""BBRAC: BERT encoder -> BiGRU -> multi-head attention with residual + LayerNorm -> CRF.

Written with plain ops (no nn.TransformerEncoder fast paths, no packed sequences) so the ONNX
export is exact for padded batches: every layer masks padding explicitly.
"""
import math

import torch
from torch import nn

LABELS = ["疾病和诊断", "解剖部位", "药物", "实验室检验", "手术", "影像检查"]
ALIASES = ["disease", "anatomy", "drug", "lab", "operation", "imaging"]
TAGS = ["O"] + [f"{p}-{l}" for l in LABELS for p in ("B", "I")]


class SelfAttention(nn.Module):
    def __init__(self, hidden, heads, dropout):
        super().__init__()
        self.heads, self.dk = heads, hidden // heads
        self.qkv = nn.Linear(hidden, 3 * hidden)
        self.out = nn.Linear(hidden, hidden)
        self.drop = nn.Dropout(dropout)

    def forward(self, x, mask_bias):
        b, t, h = x.shape
        q, k, v = self.qkv(x).view(b, t, 3, self.heads, self.dk).permute(2, 0, 3, 1, 4)
        scores = q @ k.transpose(-1, -2) / math.sqrt(self.dk) + mask_bias
        ctx = self.drop(scores.softmax(-1)) @ v
        return self.out(ctx.transpose(1, 2).reshape(b, t, h))


class EncoderLayer(nn.Module):
    def __init__(self, hidden, heads, ffn, dropout):
        super().__init__()
        self.attn = SelfAttention(hidden, heads, dropout)
        self.ln1 = nn.LayerNorm(hidden)
        self.ff = nn.Sequential(nn.Linear(hidden, ffn), nn.GELU(), nn.Linear(ffn, hidden))
        self.ln2 = nn.LayerNorm(hidden)
        self.drop = nn.Dropout(dropout)

    def forward(self, x, mask_bias):
        x = self.ln1(x + self.drop(self.attn(x, mask_bias)))
        return self.ln2(x + self.drop(self.ff(x)))


class Bert(nn.Module):
    """Character-level BERT (post-LN, no segment embeddings, no [CLS]: one token per code point)."""

    def __init__(self, vocab_size, hidden=256, layers=4, heads=4, ffn=1024, max_len=256, dropout=0.1,
                 pos_init="normal"):
        super().__init__()
        self.tok = nn.Embedding(vocab_size, hidden, padding_idx=0)
        self.pos = nn.Embedding(max_len, hidden)
        self.ln = nn.LayerNorm(hidden)
        self.drop = nn.Dropout(dropout)
        self.layers = nn.ModuleList(EncoderLayer(hidden, heads, ffn, dropout) for _ in range(layers))
        self.apply(_init)
        if pos_init == "sinusoidal":
            # Still learned, but starting from smooth sinusoids (at the random init's scale), so
            # attention can tell neighbours apart from the first step.
            with torch.no_grad():
                self.pos.weight.copy_(sinusoids(max_len, hidden) * (0.02 / math.sqrt(0.5)))
        elif pos_init != "normal":
            raise ValueError(f"pos_init must be normal or sinusoidal, not {pos_init!r}")

    def forward(self, ids, mask):
        pos = torch.arange(ids.shape[1], device=ids.device).unsqueeze(0)
        x = self.drop(self.ln(self.tok(ids) + self.pos(pos)))
        bias = attention_bias(mask)
        for layer in self.layers:
            x = layer(x, bias)
        return x


class MlmHead(nn.Module):
    def __init__(self, bert):
        super().__init__()
        hidden = bert.tok.embedding_dim
        self.transform = nn.Sequential(nn.Linear(hidden, hidden), nn.GELU(), nn.LayerNorm(hidden))
        self.bias = nn.Parameter(torch.zeros(bert.tok.num_embeddings))
        self.bert = bert

    def forward(self, hidden_states):
        return self.transform(hidden_states) @ self.bert.tok.weight.t() + self.bias


def sinusoids(length, dim):
    pos = torch.arange(length, dtype=torch.float32).unsqueeze(1)
    freq = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32) * (-math.log(10000.0) / dim))
    out = torch.zeros(length, dim)
    out[:, 0::2] = torch.sin(pos * freq)
    out[:, 1::2] = torch.cos(pos * freq)
    return out


def attention_bias(mask):
    return ((1.0 - mask[:, None, None, :].float()) * -10000.0)


def _init(m):
    if isinstance(m, (nn.Linear, nn.Embedding)):
        nn.init.normal_(m.weight, std=0.02)
    if isinstance(m, nn.Linear) and m.bias is not None:
        nn.init.zeros_(m.bias)


def reverse_padded(x, lengths):
    """Reverse each sequence within its own length (padding stays at the end); an involution."""
    t = x.shape[1]
    ar = torch.arange(t, device=x.device).unsqueeze(0)
    idx = torch.where(ar < lengths.unsqueeze(1), lengths.unsqueeze(1) - 1 - ar, ar)
    return x.gather(1, idx.unsqueeze(-1).expand_as(x))


class BiGRU(nn.Module):
    """Two unidirectional GRUs (or LSTMs: `cell`, for the BERT-BiLSTM-CRF baseline); the backward one
    reads each sequence reversed within its length, so padding never flows into real positions (exact
    in ONNX without packed sequences)."""

    def __init__(self, inp, hidden, cell=nn.GRU):
        super().__init__()
        self.fwd = cell(inp, hidden, batch_first=True)
        self.bwd = cell(inp, hidden, batch_first=True)

    def forward(self, x, mask):
        lengths = mask.long().sum(1)
        f, _ = self.fwd(x)
        b, _ = self.bwd(reverse_padded(x, lengths))
        return torch.cat([f, reverse_padded(b, lengths)], -1)


class Convolutions(nn.Module):
    """Width-3 convolutions with ReLU (the FastText-CNN baseline); padding is zeroed before each, so
    it never reaches real positions."""

    def __init__(self, width, layers, dropout):
        super().__init__()
        self.convs = nn.ModuleList(nn.Conv1d(width, width, 3, padding=1) for _ in range(layers))
        self.drop = nn.Dropout(dropout)

    def forward(self, x, mask):
        keep = mask.unsqueeze(-1).to(x.dtype)
        for conv in self.convs:
            x = self.drop(torch.relu(conv((x * keep).transpose(1, 2)).transpose(1, 2)))
        return x * keep


class CRF(nn.Module):
    def __init__(self, k):
        super().__init__()
        self.trans = nn.Parameter(torch.zeros(k, k))  # trans[i, j]: score of tag i followed by j
        self.start = nn.Parameter(torch.zeros(k))
        self.end = nn.Parameter(torch.zeros(k))

    def nll(self, em, tags, mask):
        """Mean negative log-likelihood; mask must be a left-aligned prefix mask."""
        # The parameters where the emissions are: the loss may run on the CPU for a model on a GPU.
        trans, start, end = (p.to(em.device) for p in (self.trans, self.start, self.end))
        mask = mask.bool()
        b, t, k = em.shape
        ar = torch.arange(b, device=em.device)
        # The gold path's score at once; only the partition function needs the loop over positions
        # (a GPU spends its time launching the loop's small kernels).
        m = mask.to(em.dtype)
        score = (start[tags[:, 0]] + (em.gather(2, tags.unsqueeze(2)).squeeze(2) * m).sum(1)
                 + (trans[tags[:, :-1], tags[:, 1:]] * m[:, 1:]).sum(1))
        alpha = start + em[:, 0]
        for i in range(1, t):
            nxt = torch.logsumexp(alpha.unsqueeze(2) + trans + em[:, i].unsqueeze(1), 1)
            alpha = torch.where(mask[:, i].unsqueeze(1), nxt, alpha)
        last = tags[ar, mask.long().sum(1) - 1]
        score = score + end[last]
        logz = torch.logsumexp(alpha + end, 1)
        return (logz - score).mean()

    @torch.no_grad()
    def decode(self, em, mask):
        # On the CPU: step-by-step Viterbi on a GPU would wait on the device at every position.
        em, lengths = em.float().cpu(), mask.long().sum(1).tolist()
        trans, start, end = self.trans.cpu(), self.start.cpu(), self.end.cpu()
        return [viterbi(e[:n], trans, start, end) for e, n in zip(em, lengths)]


def viterbi(em, trans, start, end):
    """Best tag path for one sequence; em is (T, K)."""
    score = start + em[0]
    back = []
    for i in range(1, em.shape[0]):
        total = score.unsqueeze(1) + trans
        score, idx = total.max(0)
        score = score + em[i]
        back.append(idx)
    best = int((score + end).argmax())
    path = [best]
    for idx in reversed(back):
        best = int(idx[best])
        path.append(best)
    return path[::-1]


class Tagger(nn.Module):
    """BBRAC and its ablations: gru/attn/crf switch the upper layers on and off; `rnn` "lstm" and
    `cnn_layers` build the paper's Table 2 baselines (with a 0-layer `bert`: character embeddings)."""

    def __init__(self, bert, num_tags, gru_hidden=128, heads=4, dropout=0.1, gru=True, attn=True, crf=True,
                 rnn="gru", cnn_layers=0, crf_cpu=False, lexicon_dim=0):
        super().__init__()
        self.bert = bert
        self.crf_cpu = crf_cpu
        width = bert.tok.embedding_dim
        lex_width = width
        self.cnn = Convolutions(width, cnn_layers, dropout) if cnn_layers else None
        self.gru = BiGRU(width, gru_hidden, {"gru": nn.GRU, "lstm": nn.LSTM}[rnn]) if gru else None
        if self.gru is not None:
            width = 2 * gru_hidden
        self.attn = SelfAttention(width, heads, dropout) if attn else None
        self.attn_ln = nn.LayerNorm(width) if attn else None
        self.drop = nn.Dropout(dropout)
        self.proj = nn.Linear(width, num_tags)
        self.crf = CRF(num_tags) if crf else None
        # Dictionary features (lexicon.py) added to the encoder's output. Made last and from zero: a
        # network with them starts as the one without (same random draws), and every pre-trained or
        # CMeEE weight still fits.
        self.lex = nn.Linear(lexicon_dim, lex_width) if lexicon_dim else None
        if self.lex is not None:
            nn.init.zeros_(self.lex.weight)
            nn.init.zeros_(self.lex.bias)

    def emissions(self, ids, mask, lex=None):
        h = self.bert(ids, mask)
        if self.lex is not None:
            if lex is None:
                raise ValueError("this tagger reads dictionary features: pass lex")
            h = h + self.lex(lex)
        if self.cnn is not None:
            h = self.cnn(h, mask)
        if self.gru is not None:
            h = self.gru(h, mask)
        if self.attn is not None:
            h = self.attn_ln(h + self.drop(self.attn(h, attention_bias(mask))))
        return self.proj(self.drop(h))

    def loss(self, ids, mask, tags, lex=None):
        return self.loss_of(self.emissions(ids, mask, lex), mask, tags)

    def loss_of(self, em, mask, tags):
        if self.crf is not None and self.crf_cpu:
            # The forward algorithm is ~8 tiny operations per position: on a GPU shared by several runs
            # their kernel launches queue behind each other, on the CPU each run has its own core.
            return self.crf.nll(em.float().cpu(), tags.cpu(), mask.cpu()).to(em.device)
        if self.crf is not None:
            return self.crf.nll(em, tags, mask)
        return nn.functional.cross_entropy(em[mask.bool()], tags[mask.bool()])

    @torch.no_grad()
    def predict(self, ids, mask, lex=None):
        em = self.emissions(ids, mask, lex)
        if self.crf is not None:
            return self.crf.decode(em, mask)
        return [p[: int(m.sum())].tolist() for p, m in zip(em.argmax(-1), mask)]


class Ensemble(nn.Module):
    """Taggers of one tag set read as one: their emissions and CRF parameters averaged. Used as the
    teacher that fine-tuning distils into a single network (finetune.attach_teacher_targets)."""

    def __init__(self, taggers):
        super().__init__()
        if any(t.crf is None for t in taggers):
            raise ValueError("an ensemble averages CRF parameters: every tagger needs a CRF")
        self.taggers = nn.ModuleList(taggers)
        self.crf = CRF(taggers[0].proj.out_features)
        with torch.no_grad():
            for name in ("trans", "start", "end"):
                getattr(self.crf, name).copy_(torch.stack([getattr(t.crf, name) for t in taggers]).mean(0))

    def emissions(self, ids, mask, lex=None):
        return torch.stack([t.emissions(ids, mask, lex) for t in self.taggers]).mean(0)

    predict = Tagger.predict


class Exportable(nn.Module):
    """The ONNX graph: ids + mask -> emissions. The CRF parameters go to model.json."""

    def __init__(self, tagger):
        super().__init__()
        self.tagger = tagger

    def forward(self, input_ids, attention_mask, lexicon=None):
        return self.tagger.emissions(input_ids, attention_mask, lexicon)
