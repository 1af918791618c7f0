#!/usr/bin/env python3
"""Golden values for GaLoreTests.cs: three steps of galore_torch's GaLoreAdamW (galore_torch/adamw.py with
galore_projector.py's GaLoreProjector, proj_type std / reverse_std / left / right), written out here in plain PyTorch
and run by PyTorch itself.

Regenerate (Debian's python3-torch 1.13):
    /usr/bin/python3 make_galore_golden.py > galore_golden.json

GaLoreAdamW.step, per parameter p with gradient g (state["step"] starts at 0):
    if projected: if step % update_proj_gap == 0 (or no projection yet): P = orthogonal matrix from svd(g.float())
                  g = project(g)
    m = β1·m + (1−β1)·g;  v = β2·v + (1−β2)·g²;  step += 1
    denom = √v + eps;  step_size = lr·√(1−β2^step)/(1−β1^step)
    n = m / denom;  if projected: n = project_back(n) · scale
    p -= step_size · n;  if weight_decay > 0: p -= lr·weight_decay·p
"""
import json
import math

import torch

torch.manual_seed(7)
LR, B1, B2, EPS, WD, RANK, GAP, SCALE = 0.01, 0.9, 0.999, 1e-8, 0.1, 2, 2, 0.25
STEPS = 3


class Projector:
    def __init__(self, proj_type):
        self.proj_type, self.ortho = proj_type, None

    def side(self, g):
        m, n = g.shape
        return {"std": "right" if m >= n else "left", "reverse_std": "left" if m >= n else "right"}.get(self.proj_type, self.proj_type)

    def project(self, g, it):
        self.s = self.side(g)
        if self.ortho is None or it % GAP == 0:
            U, S, Vh = torch.linalg.svd(g.float(), full_matrices=False)
            self.ortho = (Vh[:RANK, :] if self.s == "right" else U[:, :RANK]).to(g.dtype)
        return g @ self.ortho.t() if self.s == "right" else self.ortho.t() @ g

    def project_back(self, low):
        return (low @ self.ortho if self.s == "right" else self.ortho @ low) * SCALE


def run(proj_type, shapes, grads):
    params = [torch.randn(*s) for s in shapes]
    start = [p.clone() for p in params]
    projectors = [Projector(proj_type) if len(s) == 2 else None for s in shapes]
    state = [dict(step=0) for _ in shapes]
    history = []
    for t in range(STEPS):
        for i, p in enumerate(params):
            g = grads[t][i]
            st = state[i]
            if projectors[i] is not None:
                g = projectors[i].project(g, st["step"])
            if "m" not in st:
                st["m"], st["v"] = torch.zeros_like(g), torch.zeros_like(g)
            st["m"].mul_(B1).add_(g, alpha=1 - B1)
            st["v"].mul_(B2).addcmul_(g, g, value=1 - B2)
            st["step"] += 1
            denom = st["v"].sqrt().add_(EPS)
            step_size = LR * math.sqrt(1 - B2 ** st["step"]) / (1 - B1 ** st["step"])
            n = st["m"] / denom
            if projectors[i] is not None:
                n = projectors[i].project_back(n)
            p.add_(n, alpha=-step_size)
            p.add_(p, alpha=-LR * WD)
        history.append([p.tolist() for p in params])
    return {"start": [p.tolist() for p in start], "grads": [[g.tolist() for g in gs] for gs in grads], "params": history,
            "state_shapes": [list(st["m"].shape) for st in state]}


shapes = [(8, 6), (5, 9), (4,)]
out = {"lr": LR, "beta1": B1, "beta2": B2, "eps": EPS, "weight_decay": WD, "rank": RANK, "gap": GAP, "scale": SCALE, "cases": {}}
for proj_type in ("std", "reverse_std", "left", "right"):
    grads = [[torch.randn(*s) for s in shapes] for _ in range(STEPS)]
    out["cases"][proj_type] = run(proj_type, shapes, grads)
print(json.dumps(out))
