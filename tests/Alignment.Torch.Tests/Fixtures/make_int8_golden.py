#!/usr/bin/env python3
"""Golden values for Quant8Tests.cs: bitsandbytes' int8 per-row weight quantization (LLM.int8()'s weight format,
threshold 0) and the linear layer over it, written out in plain PyTorch as bitsandbytes' default backend computes it
(bitsandbytes/backends/default/ops.py: int8_vectorwise_quant, functional.int8_vectorwise_dequant) and run by PyTorch.

Regenerate (Debian's python3-torch 1.13):
    /usr/bin/python3 make_int8_golden.py > int8_golden.json

    row_stats = max |W| over each row (float32)
    q = round(W · (127 / row_stats)) as int8            (torch.round: halves to even)
    W' = q · row_stats · 7.874015718698502e-3           (int8_vectorwise_dequant)
    y = x·W'ᵀ + b;  gx = g·W';  gb = Σ g                (autograd through F.linear over W', W' frozen)
"""
import json

import torch

torch.manual_seed(11)
OUT, IN = 6, 10
w = torch.randn(OUT, IN) * torch.tensor([0.02, 1.0, 3.0, 0.5, 7.0, 0.1]).unsqueeze(1)
row_stats = torch.max(w.abs(), dim=1).values.float()
q = torch.round(w * (127.0 / row_stats.unsqueeze(-1))).to(torch.int8)
deq = q * row_stats.view(-1, 1) * 7.874015718698502e-3

x = torch.randn(2, 3, IN, requires_grad=True)
b = torch.randn(OUT, requires_grad=True)
y = torch.nn.functional.linear(x, deq, b)
g = torch.randn(2, 3, OUT)
y.backward(g)

print(json.dumps({
    "w": w.tolist(), "q": q.tolist(), "scb": row_stats.tolist(), "dequantized": deq.tolist(),
    "x": x.detach().tolist(), "bias": b.detach().tolist(), "y": y.detach().tolist(), "g": g.tolist(),
    "gx": x.grad.tolist(), "gb": b.grad.tolist(),
}))
