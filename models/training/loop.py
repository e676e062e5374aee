"""Pieces shared by the training loops: length-bucketed batches, learning-rate schedule, resumable
checkpoints, the device and the wall-clock stop."""
import contextlib
import os
import time

import torch


def length_buckets(lengths, batch_tokens, rng=None):
    """Index groups of similar lengths whose padded size (longest x count) fits batch_tokens, so
    padding stays small; shuffled with rng when given."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    groups, cur, longest = [], [], 0
    for i in order:
        n = lengths[i]
        if cur and max(longest, n) * (len(cur) + 1) > batch_tokens:
            groups.append(cur)
            cur, longest = [], 0
        cur.append(i)
        longest = max(longest, n)
    if cur:
        groups.append(cur)
    if rng is not None:
        rng.shuffle(groups)
    return groups


def pad_batch(seqs):
    """Id lists -> (ids, mask) tensors, padded with 0 to the longest."""
    t = max(len(s) for s in seqs)
    ids = torch.zeros(len(seqs), t, dtype=torch.long)
    mask = torch.zeros(len(seqs), t, dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, : len(s)] = torch.tensor(s)
        mask[i, : len(s)] = 1
    return ids, mask


def schedule(step, total, warmup):
    """Linear warm-up, then linear decay to zero."""
    if step < warmup:
        return (step + 1) / warmup
    return max(0.0, (total - step) / max(1, total - warmup))


def optimise(opt, loss, params, lrs):
    """One AdamW step on `loss` with gradients clipped to norm 1, at `lrs` (one per parameter group)."""
    for g, lr in zip(opt.param_groups, lrs):
        g["lr"] = lr
    opt.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, 1.0)
    opt.step()


def optimise_fgm(opt, loss, loss_fn, params, lrs, emb, epsilon):
    """optimise() with adversarial training (FGM, Miyato et al. 2017): `emb` (the character embeddings)
    moves by `epsilon` along its normalised gradient, the loss there (`loss_fn()`) adds its gradient,
    and `emb` moves back before the step."""
    for g, lr in zip(opt.param_groups, lrs):
        g["lr"] = lr
    opt.zero_grad()
    loss.backward()
    norm = emb.grad.norm()
    if torch.isfinite(norm) and norm > 0:
        delta = epsilon * emb.grad / norm
        with torch.no_grad():
            emb.add_(delta)
        loss_fn().backward()
        with torch.no_grad():
            emb.sub_(delta)
    torch.nn.utils.clip_grad_norm_(params, 1.0)
    opt.step()


class Average:
    """An exponential moving average of a module's floating-point weights, updated after every step;
    its decay ramps up as (1 + n) / (10 + n) over the first steps, so the starting weights fade out."""

    def __init__(self, module, decay, state=None):
        self.decay = decay
        self.state = state or {"n": 0, "weights": {k: v.detach().clone() for k, v in module.state_dict().items()
                                                   if v.is_floating_point()}}

    @torch.no_grad()
    def update(self, module):
        n = self.state["n"]
        d = min(self.decay, (1 + n) / (10 + n))
        for k, v in module.state_dict().items():
            if k in self.state["weights"]:
                self.state["weights"][k].mul_(d).add_(v.detach(), alpha=1 - d)
        self.state["n"] = n + 1

    @contextlib.contextmanager
    def applied(self, module):
        """The module with the averaged weights inside the block, its own after it."""
        own = {k: v.detach().clone() for k, v in module.state_dict().items()}
        module.load_state_dict({**own, **self.state["weights"]})
        try:
            yield module
        finally:
            module.load_state_dict(own)


def save_atomic(obj, path):
    torch.save(obj, path + ".tmp")
    os.replace(path + ".tmp", path)


def resume(path, module, opt):
    """Restores module and optimiser from `path`; returns the saved loop state, or None."""
    if not os.path.exists(path):
        return None
    ck = torch.load(path, map_location="cpu", weights_only=False)
    module.load_state_dict(ck["model"])
    opt.load_state_dict(ck["opt"])
    return ck["state"]


def save_checkpoint(path, module, opt, state):
    save_atomic({"model": module.state_dict(), "opt": opt.state_dict(), "state": state}, path)


def device_of(cfg):
    """cfg['device']: "auto" (a GPU when there is one), "cpu" or "cuda"."""
    name = cfg["device"]
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda":
        if hasattr(torch.backends.cuda.matmul, "fp32_precision"):
            # torch >= 2.9 deprecates allow_tf32 and refuses a mix of the two APIs; cuDNN allows TF32 by default.
            torch.backends.cuda.matmul.fp32_precision = "tf32"
        else:
            torch.backends.cuda.matmul.allow_tf32 = True
            torch.backends.cudnn.allow_tf32 = True
    return torch.device(name)


def past_stop_time():
    """True once the wall-clock time in MEDNER_STOP_AT (Unix seconds) has passed: a time-boxed machine
    (a GPU lent for minutes) must stop training in time to hand its checkpoints back."""
    stop = os.environ.get("MEDNER_STOP_AT")
    return bool(stop) and time.time() >= float(stop)
