#!/usr/bin/env python3
"""Golden values for LoraVariantTests.cs: PEFT's LoRA variants on one linear layer, written out in plain PyTorch from
PEFT's source (peft/tuners/lora/layer.py: Linear.forward, pissa_init, olora_init, get_delta_weight, merge;
peft/tuners/lora/dora.py: DoraLinearLayer.get_weight_norm / forward; peft_model.py save_pretrained with
path_initial_model_for_weight_conversion + lora/model.py subtract_mutated_init), run by PyTorch itself.

Regenerate (Debian's python3-torch 1.13, the same libtorch the C# bridge links):
    /usr/bin/python3 lora_variants_reference.py > ../Fixtures/lora_variants/expected.json

One layer y = x·Wᵀ + b (out 12, in 10), rank 4, alpha 8, no dropout. For every case: the adapter after its
initialization, the output y, the gradients of loss = sum(y · gy) with respect to the trainable tensors, the tensors
after one torch.optim.AdamW step (lr 0.01, weight_decay 0) and the output after it.
"""
import json
import math

import torch
import torch.nn.functional as F

torch.manual_seed(0)
OUT, IN, R, ALPHA, LR = 12, 10, 4, 8.0, 0.01
W = torch.randn(OUT, IN) * 0.5
BIAS = torch.randn(OUT) * 0.1
X = torch.randn(3, IN)
GY = torch.randn(3, OUT)
A0 = torch.randn(R, IN) * 0.3      # a trained-looking adapter (B non-zero) for the lora / rslora / dora cases
B0 = torch.randn(OUT, R) * 0.3
PISSA_SEED = 123


def lora_forward(x, w, b, a, bb, scaling):
    # peft lora.Linear.forward: result = base_layer(x) + lora_B(lora_A(dropout(x))) * scaling
    return F.linear(x, w, b) + F.linear(F.linear(x, a), bb) * scaling


def dora_forward(x, w, b, a, bb, m, scaling):
    # peft lora.Linear.forward with DoRA, dropout off: result = base_layer(x); result += DoraLinearLayer(x, base_result=result)
    result = F.linear(x, w, b)
    lora_weight = bb @ a                                   # lora_B(lora_A(eye)).T
    weight_norm = torch.linalg.norm(w + scaling * lora_weight.detach(), dim=1).to(w.dtype)   # get_weight_norm
    weight_norm = weight_norm.detach()
    mag_norm_scale = (m / weight_norm).view(1, -1)
    base_result = result - b
    lora_result = F.linear(F.linear(x, a), bb)
    return result + (mag_norm_scale - 1) * base_result + mag_norm_scale * lora_result * scaling


def step(tensors, forward):
    params = [t.clone().requires_grad_(True) for t in tensors]
    y = forward(*params)
    (y * GY).sum().backward()
    grads = [p.grad.clone() for p in params]
    opt = torch.optim.AdamW(params, lr=LR, weight_decay=0.0)
    opt.step()
    with torch.no_grad():
        y1 = forward(*params)
    return y.detach(), grads, [p.detach() for p in params], y1


def pissa_init(w, scaling, niter):
    # peft LoraLayer.pissa_init (fan_in_fan_out False), float32
    if niter is None:
        V, S, Uh = torch.linalg.svd(w, full_matrices=False)
        Vr, Sr, Uhr = V[:, :R], S[:R].clone(), Uh[:R]
        Sr /= scaling
    else:
        Vr, Sr, Ur = torch.svd_lowrank(w, R, niter=niter)
        Sr /= scaling
        Uhr = Ur.t()
    a = torch.diag(torch.sqrt(Sr)) @ Uhr
    b = Vr @ torch.diag(torch.sqrt(Sr))
    return a, b, w - scaling * b @ a


def olora_init(w, scaling):
    # peft LoraLayer.olora_init, float32
    Q, Rm = torch.linalg.qr(w)
    a, b = Rm[:R].contiguous(), Q[:, :R].contiguous()
    return a, b, w - scaling * b @ a


def L(t):
    return t.tolist()


cases = {}
for name, rs in (("lora", False), ("rslora", True)):
    s = ALPHA / math.sqrt(R) if rs else ALPHA / R
    y, (ga, gb), (a1, b1), y1 = step([A0, B0], lambda a, b: lora_forward(X, W, BIAS, a, b, s))
    cases[name] = {"scaling": s, "y": L(y), "grad_A": L(ga), "grad_B": L(gb), "A1": L(a1), "B1": L(b1), "y1": L(y1),
                   "merged": L(W + s * b1 @ a1)}

s = ALPHA / R
M0 = torch.linalg.norm(W, dim=1)        # dora_init with lora_B = 0: ‖W‖ per row
y, (ga, gb, gm), (a1, b1, m1), y1 = step([A0, B0, M0], lambda a, b, m: dora_forward(X, W, BIAS, a, b, m, s))
delta = s * b1 @ a1                      # get_delta_weight
merged = (m1 / torch.linalg.norm(W + delta, dim=1)).view(-1, 1) * (W + delta)   # DoRA merge (get_weight_norm(scaling=1))
cases["dora"] = {"scaling": s, "magnitude0": L(M0), "y": L(y), "grad_A": L(ga), "grad_B": L(gb), "grad_m": L(gm),
                 "A1": L(a1), "B1": L(b1), "m1": L(m1), "y1": L(y1), "merged": L(merged)}

for name in ("pissa", "pissa_niter_2", "olora"):
    if name == "olora":
        a, b, wres = olora_init(W.clone(), s)
    else:
        torch.manual_seed(PISSA_SEED)
        # PEFT's update_layer builds lora_A = nn.Linear(in, r) and lora_B = nn.Linear(r, out) (drawing kaiming-uniform
        # weights from the global generator) before pissa_init, whose svd_lowrank draws next.
        torch.nn.Linear(IN, R, bias=False)
        torch.nn.Linear(R, OUT, bias=False)
        a, b, wres = pissa_init(W.clone(), s, None if name == "pissa" else 2)
    y, (ga, gb), (a1, b1), y1 = step([a, b], lambda aa, bb: lora_forward(X, wres, BIAS, aa, bb, s))
    # save_pretrained(path_initial_model_for_weight_conversion=...): A' = [A; A0], B' = [B | -B0], r 2r, alpha 2·alpha
    conv_a = torch.cat([a1, a], dim=0)
    conv_b = torch.cat([b1, -b], dim=1)
    cases[name] = {"scaling": s, "A0": L(a), "B0": L(b), "W_res": L(wres), "y": L(y), "grad_A": L(ga), "grad_B": L(gb),
                   "A1": L(a1), "B1": L(b1), "y1": L(y1), "converted_A": L(conv_a), "converted_B": L(conv_b),
                   "converted_forward": L(lora_forward(X, W, BIAS, conv_a, conv_b, (2 * ALPHA) / (2 * R)))}

print(json.dumps({"out": OUT, "in": IN, "r": R, "alpha": ALPHA, "lr": LR, "pissa_seed": PISSA_SEED,
                  "W": L(W), "bias": L(BIAS), "x": L(X), "gy": L(GY), "A0": L(A0), "B0": L(B0), "cases": cases}))
