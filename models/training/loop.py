"""Pieces shared by the training loops: learning-rate schedule and resumable checkpoints."""
import os

import torch


def schedule(step, total, warmup):
    """Linear warm-up, then linear decay to zero."""
    if step < warmup:
        return (step + 1) / warmup
    return max(0.0, (total - step) / max(1, total - warmup))


def save_atomic(obj, path):
    torch.save(obj, path + ".tmp")
    os.replace(path + ".tmp", path)


def resume(path, module, opt):
    """Restores module and optimiser from `path`; returns the saved loop state, or None."""
    if not os.path.exists(path):
        return None
    ck = torch.load(path, map_location="cpu")
    module.load_state_dict(ck["model"])
    opt.load_state_dict(ck["opt"])
    return ck["state"]


def save_checkpoint(path, module, opt, state):
    save_atomic({"model": module.state_dict(), "opt": opt.state_dict(), "state": state}, path)
